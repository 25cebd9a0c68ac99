"""Loading a bulk file: many units' submissions at COPY speed, with the normal guarantees.

One transaction per file (the caller's, when ``bind`` is a Connection in one):

- a byte-identical file (same sha256) is a duplicate and changes nothing;
- each (unit, period) of the file is one ``submission`` row pointing at the ``bulk_file`` row;
  a unit with a row that failed an error rule is rejected (its submission row carries the
  located messages), the others are loaded — one office's typo does not hold up 40,000 units;
- a unit whose figures equal its current ones is *unchanged*: nothing is written for it, so
  loading the same month again (in a new file) touches no row;
- a unit with new or changed figures gets a new accepted submission (version n + 1), its
  previous one becomes superseded, and its figures are written with PostgreSQL binary
  ``COPY`` or SQLite multi-row ``INSERT`` (``jzplan.store.fastwrite``) — never row by row
  through the ORM;
- any failure rolls the whole file back: nothing already loaded is damaged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table, insert, select, update

from jzplan.core.periods import Period
from jzplan.core.submissions import SubmissionIssue
from jzplan.store.bulk_pairs import (
    Rejections,
    UnitPeriodPairs,
    changed_mask,
    find_rejections,
    issues_by_pair,
)
from jzplan.store.bulk_writes import (
    MAX_MESSAGES,
    FileFacts,
    current_figures,
    insert_submissions,
    issue_text,
    org_unit_codes,
    submission_rows,
    supersede,
    versions,
    write_figures,
    write_rejected_rules,
)
from jzplan.store.db import Bind, transaction
from jzplan.store.models import BulkFileRow
from jzplan.store.rows import period_key

__all__ = ["BulkLoad", "BulkStatus", "find_bulk_file", "load_bulk"]

_bulk: Table = BulkFileRow.__table__  # type: ignore[assignment]


class BulkStatus(StrEnum):
    """What became of a bulk file: its units all loaded, some, none, or a file seen before."""

    RECEIVED = "received"
    ACCEPTED = "accepted"
    PARTIAL = "partial"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class BulkLoad:
    """What loading one bulk file did."""

    bulk_file_id: int
    status: BulkStatus
    rows: int = 0
    units: int = 0  # (unit, period) pairs in the file
    loaded: int = 0  # new or changed: a new accepted submission each
    unchanged: int = 0
    rejected: int = 0
    inserted: int = 0  # figures written
    superseded: int = 0  # earlier submissions no longer current
    periods: tuple[str, ...] = ()


def unit_sha(file_sha: str, org_unit: str, period: str) -> str:
    """The sha256 key of one unit's submission inside a bulk file."""
    return hashlib.sha256(f"{file_sha}:{org_unit}:{period}".encode()).hexdigest()


def find_bulk_file(bind: Bind, sha256: str) -> int | None:
    with transaction(bind) as conn:
        found = conn.scalar(select(_bulk.c.id).where(_bulk.c.sha256 == sha256))
    return None if found is None else int(found)


def load_bulk(
    bind: Bind,
    *,
    sha256: str,
    file_name: str,
    archive_path: str,
    arrival_period: Period,
    received_at: datetime,
    frame: pd.DataFrame,
    error_rows: np.ndarray,
    issues: Sequence[SubmissionIssue] = (),
    file_rejected: bool = False,
    results: Sequence[Mapping[str, Any]] = (),
    size_bytes: int | None = None,
    source_path: str | None = None,
    file_format: str | None = None,
) -> BulkLoad:
    """Record and load one bulk file (see the module docstring).

    ``frame`` is the parsed file (``OBSERVATION_COLUMNS``, one row per figure, positions as
    ``error_rows`` index them); ``error_rows``: positions of rows that failed an error rule —
    their units are rejected; ``issues``: located messages (capped per rule by the
    validator); ``file_rejected``: an error without a row (unreadable, a column missing, an
    empty file) rejects every unit; ``results``: the file's rule results, kept on the
    ``bulk_file`` row.
    """
    frame = frame.reset_index(drop=True)
    with transaction(bind) as conn:
        found = conn.scalar(select(_bulk.c.id).where(_bulk.c.sha256 == sha256))
        if found is not None:
            return BulkLoad(int(found), BulkStatus.DUPLICATE)
        pairs = UnitPeriodPairs.of(frame)
        periods = pairs.periods()
        facts = FileFacts(
            sha256, file_name, archive_path, period_key(arrival_period), received_at,
            source_path, file_format, 0,
        )  # fmt: skip
        facts = _record_bulk_file(conn, facts, pairs, len(frame), size_bytes, results)
        rejections = find_rejections(
            pairs, error_rows, org_unit_codes(conn), file_rejected=file_rejected
        )
        # the accepted pairs: compare with the current figures of their units
        good = ~rejections.bad_pairs
        units, unit_periods = pairs.pair_units(), pairs.pair_periods()
        current = current_figures(
            conn, periods, {u for u, ok in zip(units, good, strict=True) if ok}
        )
        loading = np.flatnonzero(changed_mask(frame, pairs, good, current))
        to_load = [(units[i], unit_periods[i]) for i in loading]
        superseded = supersede(conn, current, to_load)
        ids = _record_submissions(conn, facts, frame, pairs, rejections, issues, to_load)
        inserted = write_figures(conn, frame, pairs, loading, ids[: len(to_load)])
        errors = [i for i in issues if i.severity == "error"]
        counts = BulkLoad(
            facts.bulk_file_id, BulkStatus.RECEIVED, len(frame), len(pairs), len(to_load),
            int(good.sum()) - len(to_load), int(rejections.bad_pairs.sum()), inserted,
            len(superseded), periods,
        )  # fmt: skip
        return _finish_bulk_file(conn, counts, errors, int(rejections.bad_rows.sum()))


def _record_bulk_file(
    conn: Connection,
    facts: FileFacts,
    pairs: UnitPeriodPairs,
    rows: int,
    size_bytes: int | None,
    results: Sequence[Mapping[str, Any]],
) -> FileFacts:
    """Insert the file's ``bulk_file`` row (received, nothing counted yet); ``facts`` with
    its id."""
    periods = pairs.periods()
    bulk_id = conn.scalar(
        insert(_bulk)
        .values(
            sha256=facts.sha256,
            file_name=facts.file_name,
            archive_path=facts.archive_path,
            arrival_period=facts.arrival_period,
            received_at=facts.received_at,
            period=periods[0] if len(periods) == 1 else None,
            size_bytes=size_bytes,
            source_path=facts.source_path,
            file_format=facts.file_format,
            status=BulkStatus.RECEIVED,
            rows=rows,
            units=len(pairs),
            units_loaded=0,
            units_unchanged=0,
            units_rejected=0,
            error_count=0,
            details=[dict(r) for r in results],
        )
        .returning(_bulk.c.id)
    )
    return replace(facts, bulk_file_id=int(bulk_id))


def _record_submissions(
    conn: Connection,
    facts: FileFacts,
    frame: pd.DataFrame,
    pairs: UnitPeriodPairs,
    rejections: Rejections,
    issues: Sequence[SubmissionIssue],
    to_load: Sequence[tuple[str, str]],
) -> list[int]:
    """A new accepted submission per pair in ``to_load`` and a rejected one per recorded
    rejected pair (with its located messages); their ids, in that order."""
    rejected = rejections.recorded
    errors = [i for i in issues if i.severity == "error"]
    by_pair = issues_by_pair(frame, pairs, errors, rejected)
    failed_rows: dict[tuple[str, str], int] = {}
    if rejected:
        failed = np.bincount(pairs.pair_codes[rejections.bad_rows], minlength=len(pairs))
        units, periods = pairs.pair_units(), pairs.pair_periods()
        failed_rows = {(units[i], periods[i]): int(failed[i]) for i in np.flatnonzero(failed)}
    counts = [failed_rows.get(k, 0) for k in rejected]
    messages = [issue_text(by_pair.get(k, []), n) for k, n in zip(rejected, counts, strict=True)]
    known = versions(conn, pairs.periods())
    rows = submission_rows(facts, unit_sha, to_load, rejected, known, messages, counts)
    ids = insert_submissions(conn, rows)
    write_rejected_rules(conn, ids[len(to_load) :], rejected, by_pair)
    return ids


def _finish_bulk_file(
    conn: Connection, load: BulkLoad, errors: Sequence[SubmissionIssue], bad_rows: int
) -> BulkLoad:
    """The file's status and counts on its ``bulk_file`` row; ``load`` with that status."""
    status = (
        BulkStatus.REJECTED if not load.loaded and not load.unchanged
        else BulkStatus.PARTIAL if load.rejected else BulkStatus.ACCEPTED
    )  # fmt: skip
    summary = [str(i) for i in errors[:MAX_MESSAGES]]
    if load.rejected:
        summary.insert(0, f"{load.rejected} 个单位的数据未通过校验，已退回；其余单位已入库")
    conn.execute(
        update(_bulk)
        .where(_bulk.c.id == load.bulk_file_id)
        .values(
            status=status,
            units_loaded=load.loaded,
            units_unchanged=load.unchanged,
            units_rejected=load.rejected,
            error_count=bad_rows or len(errors),
            message="\n".join(summary) or None,
        )
    )
    return replace(load, status=status)
