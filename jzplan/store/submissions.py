"""The submission table: a received file recorded, rejected or loaded, and reads of it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, RowMapping, Table, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from jzplan.core.periods import Period
from jzplan.core.states import SubmissionStatus
from jzplan.core.submissions import SubmissionIssue
from jzplan.store.db import Bind, connect, transaction
from jzplan.store.models import ObservationRow, SubmissionRow, ValidationResultRow
from jzplan.store.rows import (
    Record,
    frame_records,
    json_value,
    optional_float,
    period_key,
    same_value,
    upsert_changed,
)

_submission: Table = SubmissionRow.__table__  # type: ignore[assignment]
_observation: Table = ObservationRow.__table__  # type: ignore[assignment]
_validation: Table = ValidationResultRow.__table__  # type: ignore[assignment]

# An indicator's figures: (value, monthly value)
Figures = Mapping[str, tuple[Any, Any]]


@dataclass(frozen=True, slots=True)
class LoadResult:
    """Figures of a loaded submission compared with the figures current before the load.

    inserted: indicators with no current figure before; updated: figures whose value or
    monthly value changed; unchanged: equal figures; superseded: figures that were current
    and that the new submission no longer reports (they stop being current).
    """

    inserted: int
    updated: int
    superseded: int
    unchanged: int


def find_submission_by_sha(bind: Bind, sha256: str) -> SubmissionRow | None:
    """The submission of a byte-identical file, detached from any session, or None."""
    with connect(bind) as conn, Session(conn) as session:
        row = session.scalars(select(SubmissionRow).where(SubmissionRow.sha256 == sha256)).first()
        if row is not None:
            session.expunge(row)
        return row


def record_submission(
    bind: Bind,
    *,
    sha256: str,
    file_name: str,
    archive_path: str,
    arrival_period: Period,
    received_at: datetime,
    org_unit: str | None,
    period: str | None,
    filed_on: date | None,
    status: SubmissionStatus = SubmissionStatus.RECEIVED,
    error_count: int = 0,
    message: str | None = None,
    size_bytes: int | None = None,
    source_path: str | None = None,
    file_format: str | None = None,
) -> int:
    """Insert a received (or rejected) file and return its id.

    A byte-identical file (same sha256) is a duplicate: the existing id comes back and
    nothing changes. ``period`` is the file's own text (a rejected file's may be no period).
    """
    if status not in (SubmissionStatus.RECEIVED, SubmissionStatus.REJECTED):
        raise ValueError(f"a new submission is received or rejected, not {status!r}")
    values = {
        "sha256": sha256,
        "file_name": file_name,
        "archive_path": archive_path,
        "arrival_period": period_key(arrival_period),
        "received_at": received_at,
        "org_unit_code": org_unit,
        "period": period,
        "filed_on": filed_on,
        "status": status,
        "version": 1,
        "error_count": error_count,
        "message": message,
        "size_bytes": size_bytes,
        "source_path": source_path,
        "file_format": file_format,
    }
    by_sha = select(_submission.c.id).where(_submission.c.sha256 == sha256)
    with transaction(bind) as conn:
        existing = conn.scalar(by_sha)
        if existing is not None:
            return int(existing)
        # ON CONFLICT DO NOTHING: a concurrent run recording the same file wins quietly
        dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        stmt = (
            dialect_insert(_submission)
            .values(values)
            .on_conflict_do_nothing(index_elements=["sha256"])
            .returning(_submission.c.id)
        )
        new_id = conn.scalar(stmt)
        if new_id is None:
            new_id = conn.scalar(by_sha)
        assert new_id is not None
        return int(new_id)


def write_validation_results(
    bind: Bind, submission_id: int, validation: Iterable[Mapping[str, Any]]
) -> dict[str, int]:
    """Upsert one row per rule of a submission ({rule, severity, success, checked, failed,
    details}); rules not given are left as they are."""
    rows = [
        {
            "submission_id": submission_id,
            "rule": str(v["rule"]),
            "severity": str(v.get("severity", "error")),
            "success": bool(v["success"]),
            "checked": int(v.get("checked", 0)),
            "failed": int(v.get("failed", 0)),
            "details": json_value(v.get("details") or {}),
        }
        for v in validation
    ]
    with transaction(bind) as conn:
        return upsert_changed(
            conn,
            _validation,
            ["submission_id", "rule"],
            rows,
            scope=_validation.c.submission_id == submission_id,
        )


def _observation_values(rows: Iterable[Any]) -> dict[str, tuple[Any, Any]]:
    return {str(r["indicator_code"]): (r["value"], r["value_month"]) for r in rows}


def _same_pair(a: tuple[Any, Any], b: tuple[Any, Any]) -> bool:
    return same_value(a[0], b[0]) and same_value(a[1], b[1])


def load_submission(
    bind: Bind,
    submission_id: int,
    frame: pd.DataFrame,
    validation: Sequence[Mapping[str, Any]] = (),
) -> LoadResult:
    """Write a submission's figures and validation results and make it the current version
    of its (org unit, period), all in one transaction.

    The observations of this submission are replaced (delete and insert), earlier accepted
    submissions of the same (org unit, period) become superseded. Loading an accepted
    submission again with the same figures touches no row. A superseded submission stays
    superseded: its figures are not loaded over the newer ones (ValueError).
    """
    with transaction(bind) as conn:
        sub = _loadable_submission(conn, submission_id)
        new_rows = _observation_rows(sub, frame)
        new = _observation_values(new_rows)
        if len(new) != len(new_rows):
            raise ValueError(f"submission {submission_id}: an indicator appears twice")
        accepted = _accepted_ids(conn, sub["org_unit_code"], sub["period"])
        result = _compare(new, _figures_of(conn, accepted))
        _replace_figures(conn, submission_id, new_rows, new)
        if validation:
            write_validation_results(conn, submission_id, validation)
        _make_current(conn, sub, [i for i in accepted if i != submission_id])
        return result


def store_figures(
    conn: Connection,
    submission_id: int,
    frame: pd.DataFrame,
    validation: Sequence[Mapping[str, Any]] = (),
) -> dict[str, tuple[Any, Any]]:
    """Write a submission's own figures and validation results without making it current
    (``jzplan.store.lifecycle.accept_submission`` decides that); its figures by indicator."""
    sub = _loadable_submission(conn, submission_id)
    new_rows = _observation_rows(sub, frame)
    new = _observation_values(new_rows)
    if len(new) != len(new_rows):
        raise ValueError(f"submission {submission_id}: an indicator appears twice")
    _replace_figures(conn, submission_id, new_rows, new)
    if validation:
        write_validation_results(conn, submission_id, validation)
    return new


def compare_figures(new: Figures, old: Figures) -> LoadResult:
    """A submission's figures against those current before it."""
    return _compare(new, old)


def _loadable_submission(conn: Connection, submission_id: int) -> RowMapping:
    """The submission's row; KeyError if there is none, ValueError if it cannot be loaded."""
    sub = (
        conn.execute(select(_submission).where(_submission.c.id == submission_id))
        .mappings()
        .first()
    )
    if sub is None:
        raise KeyError(f"no submission {submission_id}")
    if sub["status"] == SubmissionStatus.SUPERSEDED:
        raise ValueError(f"submission {submission_id} was superseded by a newer one")
    if sub["org_unit_code"] is None or sub["period"] is None:
        raise ValueError(f"submission {submission_id} has no org unit or period")
    return sub


def _observation_rows(sub: RowMapping, frame: pd.DataFrame) -> list[Record]:
    """The frame's figures as observation rows of the submission (all of its unit and period)."""
    submission_id, org_unit, period = sub["id"], sub["org_unit_code"], sub["period"]
    records = frame_records(
        frame, ("org_unit", "period", "indicator", "value", "value_month", "row")
    )
    wrong = {(r["org_unit"], r["period"]) for r in records} - {(org_unit, period)}
    if wrong:
        raise ValueError(
            f"submission {submission_id} is {org_unit} {period}; frame has {sorted(wrong)}"
        )
    rows = [
        {
            "submission_id": submission_id,
            "org_unit_code": org_unit,
            "period": period,
            "indicator_code": str(r["indicator"]),
            "value": float(r["value"]) if r["value"] is not None else None,
            "value_month": optional_float(r["value_month"]),
            "source_row": None if r["row"] is None else int(r["row"]),
        }
        for r in records
    ]
    if any(r["value"] is None for r in rows):
        raise ValueError(f"submission {submission_id}: a figure has no value")
    return rows


def _accepted_ids(conn: Connection, org_unit: str, period: str) -> list[int]:
    """The accepted submission(s) of a unit and period: whose figures are current."""
    query = select(_submission.c.id).where(
        _submission.c.org_unit_code == org_unit,
        _submission.c.period == period,
        _submission.c.status == SubmissionStatus.ACCEPTED,
    )
    return [int(i) for i in conn.scalars(query)]


def _figures_of(conn: Connection, submission_ids: Sequence[int]) -> dict[str, tuple[Any, Any]]:
    query = select(_observation).where(_observation.c.submission_id.in_(submission_ids))
    return _observation_values(conn.execute(query).mappings())


def _compare(new: Figures, old: Figures) -> LoadResult:
    """The new figures against those current before the load."""
    inserted = sum(1 for k in new if k not in old)
    updated = sum(1 for k, v in new.items() if k in old and not _same_pair(old[k], v))
    unchanged = sum(1 for k, v in new.items() if k in old and _same_pair(old[k], v))
    superseded = sum(1 for k in old if k not in new)
    return LoadResult(inserted, updated, superseded, unchanged)


def _replace_figures(
    conn: Connection, submission_id: int, rows: Sequence[Record], new: Figures
) -> None:
    """The submission's own figures become ``rows``, unless they already are."""
    own = _figures_of(conn, [submission_id])
    if own.keys() == new.keys() and all(_same_pair(own[k], new[k]) for k in new):
        return
    conn.execute(delete(_observation).where(_observation.c.submission_id == submission_id))
    if rows:
        conn.execute(insert(_observation), list(rows))


def _make_current(conn: Connection, sub: RowMapping, others: Sequence[int]) -> None:
    """Supersede the unit's other accepted submissions and accept this one (next version)."""
    if others:
        conn.execute(
            update(_submission)
            .where(_submission.c.id.in_(others))
            .values(status=SubmissionStatus.SUPERSEDED)
        )
    if sub["status"] == SubmissionStatus.ACCEPTED:
        return
    earlier = conn.scalar(
        select(func.count()).where(
            _submission.c.org_unit_code == sub["org_unit_code"],
            _submission.c.period == sub["period"],
            _submission.c.status.in_((SubmissionStatus.ACCEPTED, SubmissionStatus.SUPERSEDED)),
            _submission.c.id != sub["id"],
        )
    )
    conn.execute(
        update(_submission)
        .where(_submission.c.id == sub["id"])
        .values(status=SubmissionStatus.ACCEPTED, version=1 + int(earlier or 0))
    )


def reject_submission(bind: Bind, submission_id: int, issues: Sequence[SubmissionIssue]) -> None:
    """Mark a submission rejected with its located Chinese messages, one validation row per
    failed rule. Unchanged values are not rewritten."""
    errors = sum(1 for i in issues if i.severity == "error")
    # the errors that rejected the file first: alerts and the report quote the first line,
    # which was often one of 15–18 missing_indicator warnings
    ordered = sorted(issues, key=lambda i: i.severity != "error")
    message = "\n".join(str(i) for i in ordered) or None
    by_rule: dict[str, list[SubmissionIssue]] = {}
    for issue in issues:
        by_rule.setdefault(issue.rule or issue.code, []).append(issue)
    validation = [
        {
            "rule": rule,
            "severity": "error" if any(i.severity == "error" for i in group) else "warning",
            "success": False,
            "checked": len(group),
            "failed": len(group),
            "details": {
                "issues": [
                    {
                        "code": i.code,
                        "file": i.file,
                        "sheet": i.sheet,
                        "row": i.row,
                        "column": i.column,
                        "message": i.message,
                    }
                    for i in group
                ]
            },
        }
        for rule, group in by_rule.items()
    ]
    with transaction(bind) as conn:
        sub = conn.execute(
            select(_submission.c.status, _submission.c.error_count, _submission.c.message).where(
                _submission.c.id == submission_id
            )
        ).first()
        if sub is None:
            raise KeyError(f"no submission {submission_id}")
        if tuple(sub) != (SubmissionStatus.REJECTED, errors, message):
            conn.execute(
                update(_submission)
                .where(_submission.c.id == submission_id)
                .values(status=SubmissionStatus.REJECTED, error_count=errors, message=message)
            )
        if validation:
            write_validation_results(conn, submission_id, validation)


def submitted_units(bind: Bind, period: Period) -> set[str]:
    """Org units with an accepted submission for ``period``."""
    query = select(_submission.c.org_unit_code).where(
        _submission.c.period == period_key(period),
        _submission.c.status == SubmissionStatus.ACCEPTED,
    )
    with connect(bind) as conn:
        return {str(code) for code in conn.scalars(query) if code is not None}


def held_submissions(bind: Bind, period: Period) -> dict[str, list[str]]:
    """Units whose files of ``period`` are held against each other (有待确认): their names."""
    query = (
        select(_submission.c.org_unit_code, _submission.c.file_name)
        .where(
            _submission.c.period == period_key(period),
            _submission.c.status == SubmissionStatus.HELD,
        )
        .order_by(_submission.c.file_name)
    )
    out: dict[str, list[str]] = {}
    with connect(bind) as conn:
        for unit, name in conn.execute(query):
            out.setdefault(str(unit), []).append(str(name))
    return out


SUBMISSION_COLUMNS = (
    "org_unit", "period", "arrival_period", "status", "file_name", "version", "message",
)  # fmt: skip


def read_submissions(bind: Bind, periods: Sequence[Period]) -> pd.DataFrame:
    """Every file received for the given reporting periods, in arrival order (SUBMISSION_COLUMNS:
    a report's timeliness grid reads when each unit's form came and what became of it)."""
    query = (
        select(
            _submission.c.org_unit_code,
            _submission.c.period,
            _submission.c.arrival_period,
            _submission.c.status,
            _submission.c.file_name,
            _submission.c.version,
            _submission.c.message,
        )
        .where(_submission.c.period.in_([period_key(p) for p in periods]))
        .order_by(_submission.c.arrival_period, _submission.c.id)
    )
    with connect(bind) as conn:
        rows = [tuple(r) for r in conn.execute(query)]
    return pd.DataFrame(rows, columns=list(SUBMISSION_COLUMNS))
