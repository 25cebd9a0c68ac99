"""A run's receipts (回执): one per received file (form, bulk or status file), rendered by
``jzplan.alert.receipts``, written as Markdown next to the reports and queued in the office
outbox; a file the store already had (a rerun, a copy) gets none, so none is sent twice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jzplan.alert.receipts import Receipt, ReceivedFile, receipt_path, render_receipt
from jzplan.core.periods import Period
from jzplan.core.states import IngestStatus, MessageKind, StatusFileOutcome
from jzplan.month.holds import HOLD_CODES
from jzplan.month.loading import IngestOutcome
from jzplan.month.prepare import PreparedFile
from jzplan.reference.catalog import Catalog
from jzplan.store.db import Bind
from jzplan.store.office_messages import read_messages, record_messages
from jzplan.track.history import StatusLoad

_LOADED = (
    IngestStatus.ACCEPTED, IngestStatus.HELD, IngestStatus.STALE, IngestStatus.PENDING_CORRECTION,
)  # fmt: skip
_ASKED = (IngestStatus.ACCEPTED, IngestStatus.HELD)


def received_files(
    arrival: Period,
    outcomes: Sequence[IngestOutcome],
    prepared: Sequence[PreparedFile] = (),
    status: StatusLoad | None = None,
) -> list[ReceivedFile]:
    """What each file's receipt says, from the run's outcomes and what preparing parsed (the
    held rows, the figures as written). Duplicates get no receipt."""
    parsed = {p.sha256: p.parsed for p in prepared if p.parsed is not None}
    out = []
    for o in outcomes:
        if o.status == IngestStatus.DUPLICATE:
            continue
        p = parsed.get(o.sha256) if o.sha256 else None
        bulk = o.bulk_file_id is not None or (p is not None and p.bulk)
        notes: tuple[str, ...] = (
            ()
            if o.status in (IngestStatus.ACCEPTED, IngestStatus.REJECTED, IngestStatus.REFUSED)
            else (o.status.label,)
        )
        issues = o.issues
        correction = o.status == IngestStatus.PENDING_CORRECTION
        if correction:  # why it is kept aside (released on, by whom) is the receipt's news
            notes = tuple(i.message for i in o.issues if i.code in HOLD_CODES)
            issues = tuple(i for i in o.issues if i.code not in HOLD_CODES)
        out.append(
            ReceivedFile(
                file=o.file,
                key=o.sha256,
                arrival=arrival,
                loaded=o.status in _LOADED,
                org_unit=o.org_unit,
                period=o.period,
                issues=issues,
                # a stale file's questions are not asked: a later file is the unit's month
                questions=tuple(p.questions) if p is not None and o.status in _ASKED else (),
                frame=None if p is None or bulk else p.frame,
                notes=notes,
                held=o.status == IngestStatus.HELD,
                correction=correction,
                # a bulk file's findings are per unit, as text
                messages=o.messages if bulk and not o.issues else (),
                partial=bulk and o.units_rejected > 0,
            )
        )
    if status is not None:
        out += [_status_file(arrival, name, outcome, status)
                for name, outcome in status.outcomes.items()]  # fmt: skip
    return out


def _status_file(
    arrival: Period, name: str, outcome: StatusFileOutcome, status: StatusLoad
) -> ReceivedFile:
    return ReceivedFile(
        file=name,
        key=status.sha256.get(name, ""),
        arrival=arrival,
        loaded=outcome != StatusFileOutcome.REJECTED,
        period=str(arrival),
        issues=tuple(i for i in status.issues if i.file == name),
        partial=outcome == StatusFileOutcome.PARTIAL,
    )


def queue_receipts(
    bind: Bind, files: Sequence[ReceivedFile], catalog: Catalog, now: datetime
) -> tuple[list[Receipt], int]:
    """Render every file's receipt and queue it in the outbox (once per file: a rerun queues
    nothing new). Called in the month's transaction, so a killed run leaves no receipt and
    its rerun queues them all; the files are written after the commit (``write_receipts``)."""
    receipts = [render_receipt(f, catalog) for f in files]
    return receipts, record_messages(bind, [r.message() for r in receipts], now)


def write_receipts(bind: Bind, arrival: Period, receipts_dir: Path) -> list[Path]:
    """Write the batch's receipts as the outbox holds them to
    ``<receipts_dir>/<arrival>/<unit>-<file stem>.md`` (rewritten alike on a rerun)."""
    paths = []
    for m in read_messages(bind, kind=MessageKind.RECEIPT, period=str(arrival)):
        path = receipt_path(receipts_dir, m.period, m.org_unit, m.file_name or m.dedup_key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(m.body, encoding="utf-8")
        paths.append(path)
    return paths


@dataclass(frozen=True, slots=True)
class ReceiptRun:
    """The run's receipts, the files written, and how many were new in the outbox."""

    receipts: list[Receipt]
    paths: list[Path]
    queued: int


def issue_receipts(
    bind: Bind,
    files: Sequence[ReceivedFile],
    catalog: Catalog,
    receipts_dir: Path,
    now: datetime,
) -> ReceiptRun:
    """Queue every file's receipt and write the batch's receipts (outside a month's run)."""
    receipts, queued = queue_receipts(bind, files, catalog, now)
    arrivals = sorted({f.arrival for f in files})
    paths = [p for a in arrivals for p in write_receipts(bind, a, receipts_dir)]
    return ReceiptRun(receipts, paths, queued)
