"""Loading a prepared file into the store: record the submission, run the history suite
against the store as it is, then accept (load its figures) or reject it, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, Table, select
from sqlalchemy.exc import SQLAlchemyError

from jzplan.alert.explanations import accept_with_explanations
from jzplan.core.periods import Period
from jzplan.core.states import IngestStatus, IssueSeverity, SubmissionStatus
from jzplan.core.submissions import ParsedSubmission, SubmissionIssue
from jzplan.month.holds import CorrectionPolicy, hold_checked, refuse_locked_bulk
from jzplan.month.prepare import (
    PreparedFile,
    crashed,
    fitted,
    row_lengths,
    stored_names,
)
from jzplan.store.bulk_load import find_bulk_file, load_bulk
from jzplan.store.currency import STALE_CODE, Reason, Standing
from jzplan.store.db import Bind, transaction
from jzplan.store.models import SubmissionRow
from jzplan.store.questions import store_questions
from jzplan.store.submissions import (
    find_submission_by_sha,
    record_submission,
    reject_submission,
    write_validation_results,
)
from jzplan.validate.history_checks import OutlierSettings
from jzplan.validate.results import ValidationReport
from jzplan.validate.shared import Suites
from jzplan.validate.store_checks import checked_against_store, write_validation_documents

_submission: Table = SubmissionRow.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What happened to one file: accepted, rejected, duplicate (seen before, byte for byte)
    or refused (not read: ``file`` is then its escaped name within the inbox)."""

    file: str
    sha256: str
    submission_id: int
    status: IngestStatus
    org_unit: str | None
    period: str | None
    errors: int = 0
    warnings: int = 0
    messages: tuple[str, ...] = ()
    rules_checked: int = 0
    rules_failed: int = 0
    inserted: int = 0
    updated: int = 0
    superseded: int = 0
    unchanged: int = 0
    changes: int = 0  # figures a correction changed (rows written to submission_change)
    supersedes: int | None = None  # the accepted submission this one replaced
    # A bulk file (jzplan.ingest.bulk): submission_id is 0; its units are submissions of their own
    bulk_file_id: int | None = None
    units: int = 0  # (unit, period) pairs in the bulk file
    units_rejected: int = 0
    units_unchanged: int = 0
    # the located findings behind ``messages`` (a form's; a file's receipt quotes them)
    issues: tuple[SubmissionIssue, ...] = ()

    @property
    def codes(self) -> list[str]:
        """The codes of its issues, sorted."""
        return sorted({m[1 : m.index("]")] for m in self.messages if m.startswith("[")})

    def summary(self) -> dict[str, object]:
        """The file, its status and the codes of its issues, for a run's summary."""
        return {"file": self.file, "status": str(self.status), "codes": self.codes}


def load_prepared(
    prepared: PreparedFile,
    *,
    bind: Bind,
    arrival: Period,
    received_at: datetime,
    validator: Suites | None = None,
    outlier: OutlierSettings | None = None,
    against_store: ValidationReport | None = None,
    policy: CorrectionPolicy | None = None,
) -> IngestOutcome:
    """Record and load (or reject) a prepared file in one transaction (the caller's when
    ``bind`` is a Connection in one). A file seen before, by sha256, is a no-op; with
    ``policy``, a form for a released (or too old) month is kept as a pending correction.

    With ``validator``, the history suite runs here, against the store as it is inside this
    transaction (a late or corrected earlier month loaded just before is already there);
    ``against_store`` is its report when ``validate_history`` ran it just before."""
    path = prepared.path
    if prepared.refused is not None:
        return refused_outcome(prepared.refused)
    with transaction(bind) as conn:
        seen = duplicate_outcome(conn, path, prepared.sha256)
        if seen is not None:
            return seen
        parsed = prepared.parsed
        if parsed is None:
            raise RuntimeError(f"{path.name}: prepared as already stored, but the store lacks it")
        if parsed.bulk:  # one for a released month is returned whole, not held (yet)
            prepared = refuse_locked_bulk(conn, prepared, arrival, policy)
            return load_bulk_file(prepared, parsed, conn, arrival, received_at, validator, outlier)
        return load_form(
            prepared, parsed, conn, arrival, received_at, validator, outlier, against_store, policy
        )


def duplicate_outcome(conn: Connection, path: Path, sha: str) -> IngestOutcome | None:
    """The outcome of a file the store already has (a form or a bulk file), by sha256."""
    seen = find_submission_by_sha(conn, sha)
    if seen is not None:
        return IngestOutcome(
            path.name, sha, seen.id, IngestStatus.DUPLICATE, seen.org_unit_code, seen.period
        )
    bulk_id = find_bulk_file(conn, sha)
    if bulk_id is not None:
        return IngestOutcome(
            path.name, sha, 0, IngestStatus.DUPLICATE, None, None, bulk_file_id=bulk_id
        )
    return None


def load_form(
    prepared: PreparedFile,
    parsed: ParsedSubmission,
    conn: Connection,
    arrival: Period,
    received_at: datetime,
    validator: Suites | None = None,
    outlier: OutlierSettings | None = None,
    against_store: ValidationReport | None = None,
    policy: CorrectionPolicy | None = None,
) -> IngestOutcome:
    """A township form, in the caller's transaction: recorded, checked, then accepted,
    rejected or kept as a pending correction (``jzplan.month.holds``)."""
    path, sha = prepared.path, prepared.sha256
    names = _names(prepared)
    submission_id = record_submission(
        conn,
        sha256=sha,
        file_name=names["file_name"],
        archive_path=names["archive_path"],
        source_path=names["source_path"],
        arrival_period=arrival,
        received_at=received_at,
        org_unit=parsed.org_unit,
        period=period_text(parsed.period),
        filed_on=parsed.filed_on,
        size_bytes=prepared.size_bytes,
        file_format=prepared.file_format,
    )
    issues = list(prepared.issues)
    results = list(prepared.results)
    documents = list(prepared.documents)
    if (
        against_store is None
        and validator is not None
        and not any(i.severity == IssueSeverity.ERROR for i in issues)
    ):
        try:
            against_store = validator.here(checked_against_store, conn, parsed, outlier)
        except SQLAlchemyError:
            raise  # the month's transaction fails with its real cause, no retry inside it
        except Exception as exc:  # the suite crashed on this file: it is rejected, with why
            issues.extend(crashed(prepared, exc).issues)
    if against_store is not None:
        issues.extend(against_store.issues)
        results.extend(r.as_row() for r in against_store.results)
        documents.extend(against_store.documents)
    write_validation_documents(conn, submission_id, documents)
    errors = [i for i in issues if i.severity == IssueSeverity.ERROR]
    common = {
        "file": path.name,
        "sha256": sha,
        "submission_id": submission_id,
        "org_unit": parsed.org_unit,
        "period": period_text(parsed.period),
        **findings(issues),
        "rules_checked": len(results),
        "rules_failed": sum(1 for r in results if not r["success"]),
    }
    if errors:
        reject_submission(conn, submission_id, issues)
        write_validation_results(conn, submission_id, results)  # the passed rules too
        return IngestOutcome(status=IngestStatus.REJECTED, **common)  # type: ignore[arg-type]
    held = hold_checked(conn, submission_id, parsed, results, arrival, received_at, policy)
    if held is not None and (common := common | findings([*issues, held])):  # kept aside
        return IngestOutcome(status=IngestStatus.PENDING_CORRECTION, **common)  # type: ignore[arg-type]
    accepted = accept_with_explanations(conn, submission_id, parsed, results, received_at)
    store_questions(conn, submission_id, parsed.questions)  # a rerun adds none
    if accepted.issue is not None:  # not current: held with a batch-mate, or a stale draft
        common |= findings([*issues, accepted.issue])
    return IngestOutcome(
        status=ingest_status(accepted.standing),
        inserted=accepted.load.inserted,
        updated=accepted.load.updated,
        superseded=accepted.load.superseded,
        unchanged=accepted.load.unchanged,
        changes=len(accepted.changes),
        supersedes=accepted.superseded_id,
        **common,  # type: ignore[arg-type]
    )


def findings(issues: Sequence[SubmissionIssue]) -> dict[str, object]:
    """An outcome's counts, messages and located issues."""
    return {
        "errors": sum(i.severity == IssueSeverity.ERROR for i in issues),
        "warnings": sum(i.severity == IssueSeverity.WARNING for i in issues),
        "messages": tuple(str(i) for i in issues),
        "issues": tuple(issues),
    }


def ingest_status(standing: Standing) -> IngestStatus:
    """What a run did with a checked form, by where it stands among its unit's files."""
    if standing.status == SubmissionStatus.HELD:
        return IngestStatus.HELD
    if standing.status == SubmissionStatus.SUPERSEDED and standing.reason != Reason.IDENTICAL:
        return IngestStatus.STALE
    return IngestStatus.ACCEPTED  # current, or the same figures as the current file


def restate(conn: Connection, outcomes: Sequence[IngestOutcome]) -> list[IngestOutcome]:
    """The batch's outcomes as the store ends them: a form accepted first and then held with
    a batch-mate loaded after it is reported held, one a later-filed batch-mate replaced is
    reported stale, each with its warning."""
    ids = [o.submission_id for o in outcomes if o.status == IngestStatus.ACCEPTED]
    query = select(_submission.c.id, _submission.c.status, _submission.c.message).where(
        _submission.c.id.in_([i for i in ids if i]),
        _submission.c.status.in_((SubmissionStatus.HELD, SubmissionStatus.SUPERSEDED)),
    )
    moved: dict[int, tuple[IngestStatus, str]] = {}
    for i, status, message in conn.execute(query):
        if status == SubmissionStatus.HELD:
            moved[int(i)] = (IngestStatus.HELD, str(message or ""))
        elif str(message or "").startswith(f"[{STALE_CODE}]"):  # not an identical batch-mate
            moved[int(i)] = (IngestStatus.STALE, str(message))
    return [
        replace(
            o,
            status=moved[o.submission_id][0],
            warnings=o.warnings + 1,
            messages=(*o.messages, moved[o.submission_id][1]),
            inserted=0,
            updated=0,
            superseded=0,
            changes=0,
            supersedes=None,
        )
        if o.status == IngestStatus.ACCEPTED and o.submission_id in moved
        else o
        for o in outcomes
    ]


def load_order(prepared: Sequence[PreparedFile]) -> list[PreparedFile]:
    """The batch in name order, except that the checked forms of one unit and month take
    their places in filing-date order (then name): whatever order the files came in, they
    load alike, and a final loads after its draft (``jzplan.store.currency`` decides which
    is current either way; the order makes the store's ids and audit the same)."""
    ordered = sorted(prepared, key=lambda p: (p.path.name, p.sha256))
    groups: dict[tuple[str, str], list[int]] = {}
    for i, p in enumerate(ordered):
        parsed = p.parsed
        if parsed is None or parsed.bulk or parsed.org_unit is None or parsed.period is None:
            continue
        if any(x.severity == IssueSeverity.ERROR for x in p.issues):
            continue
        groups.setdefault((parsed.org_unit, str(parsed.period)), []).append(i)
    out = list(ordered)
    for places in groups.values():
        members = sorted(
            (ordered[i] for i in places),
            key=lambda p: (_filed_on(p) or date.min, p.path.name, p.sha256),
        )
        for i, p in zip(places, members, strict=True):
            out[i] = p
    return out


def _filed_on(prepared: PreparedFile) -> date | None:
    return None if prepared.parsed is None else prepared.parsed.filed_on


def load_bulk_file(
    prepared: PreparedFile,
    parsed: ParsedSubmission,
    conn: Connection,
    arrival: Period,
    received_at: datetime,
    validator: Suites | None = None,
    outlier: OutlierSettings | None = None,
) -> IngestOutcome:
    """A bulk file: its units loaded or rejected one by one, in the caller's transaction;
    with ``validator``, the history suite first runs against the store as it is now."""
    path = prepared.path
    issues, results = list(prepared.issues), list(prepared.results)
    errors = [i for i in issues if i.severity == IssueSeverity.ERROR]
    # a reading error or a table-level rule (no row to blame) rejects the whole file
    parsed_rows = {i.row for i in parsed.issues if i.severity == IssueSeverity.ERROR}
    rowless = any(i.row is None for i in errors)
    bad_lines = [r for r in parsed_rows if r is not None]
    first_line = int(parsed.frame["row"].iloc[0]) if len(parsed.frame) else 0
    error_rows = np.union1d(
        prepared.error_rows, np.asarray(bad_lines, dtype=np.int64) - first_line
    ).astype(np.int64)
    if validator is not None and not (rowless or parsed.frame.empty):
        try:
            against_store = validator.here(checked_against_store, conn, parsed, outlier)
        except SQLAlchemyError:
            raise  # the month's transaction fails with its real cause, no retry inside it
        except Exception as exc:  # the suite crashed on this file: rejected whole, with why
            issues.extend(crashed(prepared, exc).issues)
            rowless = True
        else:
            issues.extend(against_store.issues)
            results.extend(r.as_row() for r in against_store.results)
            error_rows = np.union1d(error_rows, against_store.error_rows).astype(np.int64)
        errors = [i for i in issues if i.severity == IssueSeverity.ERROR]
    names = _names(prepared)
    loaded = load_bulk(
        conn,
        sha256=prepared.sha256,
        file_name=names["file_name"],
        archive_path=names["archive_path"],
        source_path=names["source_path"],
        arrival_period=arrival,
        received_at=received_at,
        frame=parsed.frame,
        error_rows=error_rows,
        issues=issues,
        file_rejected=rowless or parsed.frame.empty,
        results=results,
        size_bytes=prepared.size_bytes,
        file_format=prepared.file_format,
    )
    return IngestOutcome(
        file=path.name,
        sha256=prepared.sha256,
        submission_id=0,
        status=(
            IngestStatus.ACCEPTED if loaded.loaded or loaded.unchanged else IngestStatus.REJECTED
        ),
        org_unit=None,
        period=period_text(parsed.period),
        errors=len(errors),
        warnings=sum(1 for i in issues if i.severity == IssueSeverity.WARNING),
        messages=tuple(str(i) for i in issues[:50]),
        rules_checked=len(results),
        rules_failed=sum(1 for r in results if not r["success"]),
        inserted=loaded.inserted,
        superseded=loaded.superseded,
        bulk_file_id=loaded.bulk_file_id,
        units=loaded.units,
        units_rejected=loaded.rejected,
        units_unchanged=loaded.unchanged,
    )


def refused_outcome(issue: SubmissionIssue) -> IngestOutcome:
    """An inbox entry that was not read (``jzplan.ingest.inbox.scan_batch``): no bytes, no
    submission row, its reason as the one message."""
    return IngestOutcome(
        file=issue.file,
        sha256="",
        submission_id=0,
        status=IngestStatus.REFUSED,
        org_unit=None,
        period=None,
        errors=1,
        messages=(str(issue),),
        issues=(issue,),
    )


def _names(prepared: PreparedFile) -> dict[str, str]:
    """The file's names as its row records them: fitted to the columns, for a name too long
    has already rejected the file with its reason (``jzplan.month.prepare.name_issues``)."""
    lengths = row_lengths(prepared.parsed is not None and prepared.parsed.bulk)
    names = stored_names(prepared.path, prepared.archive_path)
    names.setdefault("archive_path", str(prepared.archive_path))
    return {column: fitted(value, lengths.get(column)) for column, value in names.items()}


def period_text(period: Period | None) -> str | None:
    """A parsed file's period as the store and the outcome write it."""
    return None if period is None else str(period)
