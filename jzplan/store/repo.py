"""Reads and writes of each stage. Every write is idempotent and returns counts.

Functions take an Engine (a transaction of their own) or a Connection (joining the caller's
transaction when one is open); none creates an engine. Writes compare before they update, so
rerunning a month with the same input touches no row.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from jzplan.core.submissions import SubmissionIssue
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store.bulk_load import copy_rows, read_frame, read_values, same_floats
from jzplan.store.db import Bind, connect, transaction
from jzplan.store.models import (
    AGGREGATE_COLUMNS,
    AggregateRow,
    AlertRow,
    Base,
    IndicatorRow,
    ObservationRow,
    OrgUnitRow,
    SubmissionRow,
    TargetProgressRow,
    TargetRow,
    ValidationResultRow,
)

__all__ = [
    "LoadResult",
    "SubmissionRow",
    "current_observations",
    "dump_tables",
    "find_submission_by_sha",
    "load_submission",
    "read_aggregates",
    "read_alerts",
    "read_progress",
    "read_submissions",
    "record_submission",
    "reject_submission",
    "rejected_submissions",
    "submitted_units",
    "sync_alerts",
    "sync_reference",
    "write_aggregates",
    "write_progress",
    "write_validation_results",
]

Record = dict[str, Any]

_org_unit: Table = OrgUnitRow.__table__  # type: ignore[assignment]
_indicator: Table = IndicatorRow.__table__  # type: ignore[assignment]
_target: Table = TargetRow.__table__  # type: ignore[assignment]
_submission: Table = SubmissionRow.__table__  # type: ignore[assignment]
_observation: Table = ObservationRow.__table__  # type: ignore[assignment]
_validation: Table = ValidationResultRow.__table__  # type: ignore[assignment]
_aggregate: Table = AggregateRow.__table__  # type: ignore[assignment]
_progress: Table = TargetProgressRow.__table__  # type: ignore[assignment]
_alert: Table = AlertRow.__table__  # type: ignore[assignment]

PROGRESS_COLUMNS = (
    "target_id", "actual", "expected", "target_value", "unit", "completion_pct", "status",
    "provisional", "note",
)  # fmt: skip
# Optional in a written frame (seasonal pace, forecast, pace still needed: issue 5)
PROGRESS_EXTRA_FLOATS = (
    "expected_seasonal", "forecast", "forecast_low", "forecast_high", "required_monthly",
)  # fmt: skip
_PROGRESS_EXTRA = (*PROGRESS_EXTRA_FLOATS, "pace_model")
ALERT_COLUMNS = (
    "dedup_key", "kind", "severity", "org_unit", "target_id", "message", "first_seen",
    "last_seen", "resolved",
)  # fmt: skip


# --- value helpers ---------------------------------------------------------------------------


def _py(value: Any) -> Any:
    """A plain Python value for the driver: numpy scalars unwrapped, NaN/NA/NaT → None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def _opt_float(value: Any) -> float | None:
    v = _py(value)
    return None if v is None else float(v)


def _opt_str(value: Any) -> str | None:
    v = _py(value)
    return None if v is None else str(v)


def _same(a: Any, b: Any) -> bool:
    """Equality as stored: None equals None, floats compare exactly, bools as bools."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        try:
            return float(a) == float(b)
        except (TypeError, ValueError):
            return False
    return bool(a == b)


def _jsonable(value: Any) -> Any:
    """JSON as the database returns it: lists for tuples, None for NaN, str for the rest."""

    def clean(v: Any) -> Any:
        v = _py(v) if not isinstance(v, (dict, list, tuple)) else v
        if isinstance(v, dict):
            return {str(k): clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        if v is None or isinstance(v, (str, int, float, bool)):
            return v
        return str(v)

    return json.loads(json.dumps(clean(value), ensure_ascii=False))


def _records(frame: pd.DataFrame, columns: Sequence[str]) -> list[Record]:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks columns {missing}")
    return [
        {c: _py(v) for c, v in zip(columns, row, strict=True)}
        for row in frame[list(columns)].itertuples(index=False, name=None)
    ]


# --- generic changed-only upsert -------------------------------------------------------------


def _upsert_changed(
    conn: Connection,
    table: Table,
    keys: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    *,
    scope: Any = None,
    delete_missing: bool = False,
) -> dict[str, int]:
    """Insert new rows, update only rows whose values differ, optionally delete rows of
    ``scope`` (a WHERE clause) that ``rows`` no longer contain. Two statements at most each."""
    columns = list(rows[0]) if rows else []
    values = [c for c in columns if c not in keys]
    query = select(table)
    if scope is not None:
        query = query.where(scope)
    existing = {tuple(r[k] for k in keys): r for r in conn.execute(query).mappings()}

    seen: set[tuple[Any, ...]] = set()
    to_insert: list[Mapping[str, Any]] = []
    to_update: list[Record] = []
    unchanged = 0
    for row in rows:
        key = tuple(row[k] for k in keys)
        if key in seen:
            raise ValueError(f"{table.name}: duplicate key {key}")
        seen.add(key)
        old = existing.get(key)
        if old is None:
            to_insert.append(row)
        elif all(_same(old[c], row[c]) for c in values):
            unchanged += 1
        else:
            to_update.append(
                {**{f"k_{k}": row[k] for k in keys}, **{f"v_{c}": row[c] for c in values}}
            )
    if to_insert:
        conn.execute(insert(table), list(to_insert))
    if to_update:
        stmt = (
            update(table)
            .where(and_(*(table.c[k] == bindparam(f"k_{k}") for k in keys)))
            .values({c: bindparam(f"v_{c}") for c in values})
        )
        conn.execute(stmt, to_update)
    deleted = 0
    if delete_missing:
        stale = [r for k, r in existing.items() if k not in seen]
        if stale:
            pk = next(iter(table.primary_key.columns))
            ids = [r[pk.name] for r in stale]
            conn.execute(delete(table).where(pk.in_(ids)))
            deleted = len(ids)
    return {
        "inserted": len(to_insert),
        "updated": len(to_update),
        "deleted": deleted,
        "unchanged": unchanged,
    }


# --- reference data --------------------------------------------------------------------------


def sync_reference(bind: Bind, catalog: Catalog, plan: Plan) -> dict[str, int]:
    """Upsert org units, indicators and targets. Rows no longer in the files are kept.

    Returns totals (``inserted``, ``updated``, ``unchanged``) and per table
    (``org_unit_inserted`` …).
    """
    org_units = [
        {"code": u.code, "name": u.name, "kind": u.kind, "parent_code": u.parent}
        for u in (catalog.area, *catalog.units)  # the area first: units refer to it
    ]
    indicators = [
        {
            "code": i.code,
            "name": i.name,
            "unit": i.unit,
            "measure": i.measure,
            "direction": i.direction,
            "aggregation": i.aggregation,
            "weight_code": i.weight,
            "formula": i.formula,
            "group_name": i.group,
        }
        for i in catalog.indicators.values()
    ]
    targets = [
        {
            "id": t.id,
            "year": t.year,
            "group_name": t.group,
            "scope_code": t.scope,
            "indicator_code": t.indicator,
            "kind": t.kind,
            "label": t.label,
            "value": _opt_float(t.value),
            "unit": t.unit,
            "comparison": t.comparison,
            "baseline": _opt_float(t.baseline),
            "growth_pct": _opt_float(t.growth_pct),
            "deadline": t.deadline,
            "source": t.source,
        }
        for t in plan.targets
    ]
    counts: dict[str, int] = {"inserted": 0, "updated": 0, "unchanged": 0}
    with transaction(bind) as conn:
        for table, key, rows in (
            (_org_unit, "code", org_units),
            (_indicator, "code", indicators),
            (_target, "id", targets),
        ):
            result = _upsert_changed(conn, table, [key], rows)
            for name in ("inserted", "updated", "unchanged"):
                counts[f"{table.name}_{name}"] = result[name]
                counts[name] += result[name]
    return counts


# --- submissions -----------------------------------------------------------------------------


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
    arrival_period: str,
    received_at: datetime,
    org_unit: str | None,
    period: str | None,
    filed_on: date | None,
    status: str = "received",
    error_count: int = 0,
    message: str | None = None,
    size_bytes: int | None = None,
    source_path: str | None = None,
    file_format: str | None = None,
) -> int:
    """Insert a received (or rejected) file and return its id.

    A byte-identical file (same sha256) is a duplicate: the existing id comes back and
    nothing changes.
    """
    if status not in ("received", "rejected"):
        raise ValueError(f"a new submission is received or rejected, not {status!r}")
    values = {
        "sha256": sha256,
        "file_name": file_name,
        "archive_path": archive_path,
        "arrival_period": arrival_period,
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
            "details": _jsonable(v.get("details") or {}),
        }
        for v in validation
    ]
    with transaction(bind) as conn:
        return _upsert_changed(
            conn,
            _validation,
            ["submission_id", "rule"],
            rows,
            scope=_validation.c.submission_id == submission_id,
        )


def _observation_values(rows: Iterable[Any]) -> dict[str, tuple[Any, Any]]:
    return {str(r["indicator_code"]): (r["value"], r["value_month"]) for r in rows}


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
        sub = (
            conn.execute(select(_submission).where(_submission.c.id == submission_id))
            .mappings()
            .first()
        )
        if sub is None:
            raise KeyError(f"no submission {submission_id}")
        if sub["status"] == "superseded":
            raise ValueError(f"submission {submission_id} was superseded by a newer one")
        org_unit, period = sub["org_unit_code"], sub["period"]
        if org_unit is None or period is None:
            raise ValueError(f"submission {submission_id} has no org unit or period")

        records = _records(
            frame, ("org_unit", "period", "indicator", "value", "value_month", "row")
        )
        wrong = {(r["org_unit"], r["period"]) for r in records} - {(org_unit, period)}
        if wrong:
            raise ValueError(
                f"submission {submission_id} is {org_unit} {period}; frame has {sorted(wrong)}"
            )
        new_rows = [
            {
                "submission_id": submission_id,
                "org_unit_code": org_unit,
                "period": period,
                "indicator_code": str(r["indicator"]),
                "value": float(r["value"]) if r["value"] is not None else None,
                "value_month": _opt_float(r["value_month"]),
                "source_row": None if r["row"] is None else int(r["row"]),
            }
            for r in records
        ]
        if any(r["value"] is None for r in new_rows):
            raise ValueError(f"submission {submission_id}: a figure has no value")
        new = _observation_values(new_rows)
        if len(new) != len(new_rows):
            raise ValueError(f"submission {submission_id}: an indicator appears twice")

        # Figures current before this load: those of the accepted submission(s) of the unit
        # and period (this one, when it is loaded again).
        accepted = [
            int(i)
            for i in conn.scalars(
                select(_submission.c.id).where(
                    _submission.c.org_unit_code == org_unit,
                    _submission.c.period == period,
                    _submission.c.status == "accepted",
                )
            )
        ]
        old = _observation_values(
            conn.execute(
                select(_observation).where(_observation.c.submission_id.in_(accepted))
            ).mappings()
        )
        inserted = sum(1 for k in new if k not in old)
        updated = sum(1 for k, v in new.items() if k in old and not _same_pair(old[k], v))
        unchanged = sum(1 for k, v in new.items() if k in old and _same_pair(old[k], v))
        superseded = sum(1 for k in old if k not in new)
        result = LoadResult(inserted, updated, superseded, unchanged)

        own = _observation_values(
            conn.execute(
                select(_observation).where(_observation.c.submission_id == submission_id)
            ).mappings()
        )
        same_rows = own.keys() == new.keys() and all(_same_pair(own[k], new[k]) for k in new)
        if not same_rows:
            conn.execute(delete(_observation).where(_observation.c.submission_id == submission_id))
            if new_rows:
                conn.execute(insert(_observation), new_rows)
        if validation:
            write_validation_results(conn, submission_id, validation)

        others = [i for i in accepted if i != submission_id]
        if others:
            conn.execute(
                update(_submission).where(_submission.c.id.in_(others)).values(status="superseded")
            )
        if sub["status"] != "accepted":
            earlier = conn.scalar(
                select(func.count()).where(
                    _submission.c.org_unit_code == org_unit,
                    _submission.c.period == period,
                    _submission.c.status.in_(("accepted", "superseded")),
                    _submission.c.id != submission_id,
                )
            )
            conn.execute(
                update(_submission)
                .where(_submission.c.id == submission_id)
                .values(status="accepted", version=1 + int(earlier or 0))
            )
        return result


def _same_pair(a: tuple[Any, Any], b: tuple[Any, Any]) -> bool:
    return _same(a[0], b[0]) and _same(a[1], b[1])


def reject_submission(bind: Bind, submission_id: int, issues: Sequence[SubmissionIssue]) -> None:
    """Mark a submission rejected with its located Chinese messages, one validation row per
    failed rule. Unchanged values are not rewritten."""
    errors = sum(1 for i in issues if i.severity == "error")
    message = "\n".join(str(i) for i in issues) or None
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
        if tuple(sub) != ("rejected", errors, message):
            conn.execute(
                update(_submission)
                .where(_submission.c.id == submission_id)
                .values(status="rejected", error_count=errors, message=message)
            )
        if validation:
            write_validation_results(conn, submission_id, validation)


_OBSERVATION_COLUMNS = {
    "org_unit": (_observation.c.org_unit_code, "str"),
    "period": (_observation.c.period, "str"),
    "indicator": (_observation.c.indicator_code, "str"),
    "value": (_observation.c.value, "float64"),
    "value_month": (_observation.c.value_month, "float64"),
    "submission_id": (_observation.c.submission_id, "int64"),
}


def current_observations(
    bind: Bind,
    periods: Sequence[str],
    org_unit: str | None = None,
    *,
    org_units: Sequence[str] | None = None,
    ordered: bool = True,
    columns: Sequence[str] = tuple(_OBSERVATION_COLUMNS),
) -> pd.DataFrame:
    """Figures of accepted submissions only (of one unit, or of ``org_units``, if given):
    org_unit, period, indicator, value, value_month, submission_id (or only ``columns``),
    sorted unless ``ordered`` is false. Read at COPY speed (``jzplan.store.bulk_load.read_frame``):
    a national month is 4 million figures."""
    query = (
        select(*(_OBSERVATION_COLUMNS[c][0].label(c) for c in columns))
        .join(_submission, _submission.c.id == _observation.c.submission_id)
        .where(_submission.c.status == "accepted", _observation.c.period.in_(list(periods)))
    )
    if ordered:  # by unit, period, indicator; a national month's sort alone takes seconds
        query = query.order_by(
            _observation.c.org_unit_code, _observation.c.period, _observation.c.indicator_code
        )
    if org_unit is not None:
        query = query.where(_observation.c.org_unit_code == org_unit)
    if org_units is not None:
        query = query.where(_observation.c.org_unit_code.in_(list(org_units)))
    with connect(bind) as conn:
        frame = read_frame(conn, query, list(columns))
    return frame.astype({c: _OBSERVATION_COLUMNS[c][1] for c in columns})


def period_values(bind: Bind, period: str) -> pd.DataFrame:
    """The period's current figures as org_unit, indicator, value, unsorted: what the
    aggregation reads (``jzplan.store.bulk_load.read_values``: a national month in seconds)."""
    query = (
        select(_observation.c.org_unit_code, _observation.c.indicator_code, _observation.c.value)
        .join(_submission, _submission.c.id == _observation.c.submission_id)
        .where(_submission.c.status == "accepted", _observation.c.period == period)
    )
    with connect(bind) as conn:
        frame = read_values(conn, query)
    return frame.astype({"org_unit": "str", "indicator": "str", "value": "float64"})


def submitted_units(bind: Bind, period: str) -> set[str]:
    """Org units with an accepted submission for ``period``."""
    query = select(_submission.c.org_unit_code).where(
        _submission.c.period == period, _submission.c.status == "accepted"
    )
    with connect(bind) as conn:
        return {str(code) for code in conn.scalars(query) if code is not None}


def rejected_submissions(bind: Bind, period: str) -> list[tuple[str, str, str]]:
    """(org unit, file name, first located message) of the period's rejected files."""
    query = (
        select(_submission.c.org_unit_code, _submission.c.file_name, _submission.c.message)
        .where(
            _submission.c.period == period,
            _submission.c.status == "rejected",
            _submission.c.org_unit_code.is_not(None),
        )
        .order_by(_submission.c.id)
    )
    with connect(bind) as conn:
        return [
            (str(unit), str(name), (message or "").split("\n")[0])
            for unit, name, message in conn.execute(query)
        ]


SUBMISSION_COLUMNS = (
    "org_unit", "period", "arrival_period", "status", "file_name", "version", "message",
)  # fmt: skip


def read_submissions(bind: Bind, periods: Sequence[str]) -> pd.DataFrame:
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
        .where(_submission.c.period.in_(list(periods)))
        .order_by(_submission.c.arrival_period, _submission.c.id)
    )
    with connect(bind) as conn:
        rows = [tuple(r) for r in conn.execute(query)]
    return pd.DataFrame(rows, columns=list(SUBMISSION_COLUMNS))


# --- results ---------------------------------------------------------------------------------


# Above this many rows a period's aggregates are compared as frames and rewritten with COPY
BULK_AGGREGATE_ROWS = 20_000


def write_aggregates(bind: Bind, period: str, frame: pd.DataFrame) -> dict[str, int]:
    """Replace a period's aggregates with ``frame``, touching only rows that changed.

    Returns inserted, updated, deleted and unchanged counts. A large period (a province's or
    the country's hundreds of thousands of totals) is compared as frames and, if anything
    changed, rewritten with COPY (executemany on SQLite): the same counts, no row-by-row
    statements; unchanged, nothing is written.
    """
    if len(frame) > BULK_AGGREGATE_ROWS:
        return _write_aggregates_bulk(bind, period, frame)
    rows = [
        {
            "org_unit_code": str(r["org_unit"]),
            "period": period,
            "indicator_code": str(r["indicator"]),
            "value": _opt_float(r["value"]),
            "n_reported": int(r["n_reported"]),
            "n_expected": int(r["n_expected"]),
            "provisional": bool(r["provisional"]),
        }
        for r in _records(frame, AGGREGATE_COLUMNS)
    ]
    with transaction(bind) as conn:
        return _upsert_changed(
            conn,
            _aggregate,
            ["org_unit_code", "period", "indicator_code"],
            rows,
            scope=_aggregate.c.period == period,
            delete_missing=True,
        )


def _write_aggregates_bulk(bind: Bind, period: str, frame: pd.DataFrame) -> dict[str, int]:
    keys = ["org_unit", "indicator"]
    values = ["value", "n_reported", "n_expected", "provisional"]
    new = frame[keys + values].reset_index(drop=True)
    if new.duplicated(keys).any():
        raise ValueError(f"aggregate: duplicate (org unit, indicator) in {period}")
    with transaction(bind) as conn:
        old = read_aggregates(conn, [period])
        merged = new.merge(old[keys + values], on=keys, how="outer", suffixes=("", "_old"),
                           indicator=True)  # fmt: skip
        both = (merged["_merge"] == "both").to_numpy()
        same = both.copy()
        for col in values:
            a, b = merged[col].to_numpy(), merged[f"{col}_old"].to_numpy()
            if col == "value":
                same &= same_floats(a.astype(np.float64), b.astype(np.float64))
            else:
                same &= a == b
        counts = {
            "inserted": int((merged["_merge"] == "left_only").sum()),
            "updated": int((both & ~same).sum()),
            "deleted": int((merged["_merge"] == "right_only").sum()),
            "unchanged": int(same.sum()),
        }
        if counts["inserted"] or counts["updated"] or counts["deleted"]:
            conn.execute(delete(_aggregate).where(_aggregate.c.period == period))
            copy_rows(
                conn,
                _aggregate,
                pd.DataFrame(
                    {
                        "org_unit_code": new["org_unit"],
                        "period": period,
                        "indicator_code": new["indicator"],
                        "value": new["value"].astype("float64"),
                        "n_reported": new["n_reported"].astype("int64"),
                        "n_expected": new["n_expected"].astype("int64"),
                        "provisional": new["provisional"].astype(bool),
                    }
                ),
                repeat=("org_unit_code", "period"),
            )
        return counts


def read_aggregates(
    bind: Bind, periods: Sequence[str], *, org_units: Sequence[str] | None = None
) -> pd.DataFrame:
    """org_unit, period, indicator, value, n_reported, n_expected, provisional (of
    ``org_units`` only, if given)."""
    query = (
        select(
            _aggregate.c.org_unit_code.label("org_unit"),
            _aggregate.c.period,
            _aggregate.c.indicator_code.label("indicator"),
            _aggregate.c.value,
            _aggregate.c.n_reported,
            _aggregate.c.n_expected,
            _aggregate.c.provisional,
        )
        .where(_aggregate.c.period.in_(list(periods)))
        .order_by(_aggregate.c.period, _aggregate.c.org_unit_code, _aggregate.c.indicator_code)
    )
    if org_units is not None:
        query = query.where(_aggregate.c.org_unit_code.in_(list(org_units)))
    columns = ["org_unit", "period", "indicator", "value", "n_reported", "n_expected",
               "provisional"]  # fmt: skip
    with connect(bind) as conn:
        frame = read_frame(conn, query, columns)
    if frame["provisional"].dtype != bool:  # PostgreSQL's COPY writes booleans as t / f
        frame["provisional"] = frame["provisional"].isin([True, 1, "t", "true"])
    return frame.astype(
        {"value": "float64", "n_reported": "int64", "n_expected": "int64", "provisional": "bool"}
    )


def write_progress(bind: Bind, period: str, frame: pd.DataFrame) -> dict[str, int]:
    """Replace a period's target progress with ``frame``, touching only rows that changed.

    Returns inserted, updated, deleted and unchanged counts.
    """
    rows = [
        {
            "target_id": str(r["target_id"]),
            "period": period,
            "actual": _opt_float(r["actual"]),
            "expected": _opt_float(r["expected"]),
            "target_value": _opt_float(r["target_value"]),
            "unit": _opt_str(r["unit"]),
            "completion_pct": _opt_float(r["completion_pct"]),
            "status": str(r["status"]),
            "provisional": bool(r["provisional"]),
            "note": _opt_str(r["note"]),
            **{c: _opt_float(r.get(c)) for c in PROGRESS_EXTRA_FLOATS},
            "pace_model": _opt_str(r.get("pace_model")),
        }
        for r in _records(
            frame, [*PROGRESS_COLUMNS, *(c for c in _PROGRESS_EXTRA if c in frame.columns)]
        )
    ]
    with transaction(bind) as conn:
        return _upsert_changed(
            conn,
            _progress,
            ["target_id", "period"],
            rows,
            scope=_progress.c.period == period,
            delete_missing=True,
        )


def read_progress(bind: Bind, period: str) -> pd.DataFrame:
    """target_id, period and the columns of ``write_progress``, ordered by target id."""
    columns = [c for c in (*PROGRESS_COLUMNS, *_PROGRESS_EXTRA) if c != "target_id"]
    query = (
        select(_progress.c.target_id, _progress.c.period, *(_progress.c[c] for c in columns))
        .where(_progress.c.period == period)
        .order_by(_progress.c.target_id)
    )
    with connect(bind) as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["target_id", "period", *columns])
    return frame.astype(
        {
            "actual": "float64",
            "expected": "float64",
            "target_value": "float64",
            "completion_pct": "float64",
            "provisional": "bool",
            **dict.fromkeys(PROGRESS_EXTRA_FLOATS, "float64"),
        }
    )


# --- alerts ----------------------------------------------------------------------------------


def sync_alerts(
    bind: Bind,
    period: str,
    active: Sequence[Mapping[str, Any]],
    *,
    scope_kinds: set[str],
    in_scope: Callable[[str], bool] | None = None,
) -> dict[str, int]:
    """Bring alert state in line with the alerts active in ``period``.

    New causes open (first_seen = last_seen = period); open ones move last_seen forward and
    take the new message and severity; resolved ones that are active again reopen (first_seen
    kept) unless they were resolved after ``period``. Open alerts of ``scope_kinds`` (and,
    with ``in_scope``, of dedup keys it accepts) that are not active and were last seen no
    later than ``period`` are resolved at ``period``.

    Returns opened (including reopened), reopened, updated, resolved and unchanged counts.
    """
    wanted: dict[str, Record] = {}
    for a in active:
        key = str(a["dedup_key"])
        if key in wanted:
            raise ValueError(f"alert {key!r} is active twice")
        wanted[key] = {
            "dedup_key": key,
            "kind": str(a["kind"]),
            "severity": str(a["severity"]),
            "org_unit_code": _opt_str(a.get("org_unit")),
            "target_id": _opt_str(a.get("target_id")),
            "message": str(a["message"]),
        }
    counts = {"opened": 0, "reopened": 0, "updated": 0, "resolved": 0, "unchanged": 0}
    with transaction(bind) as conn:
        conditions: list[ColumnElement[bool]] = [
            _alert.c.resolved.is_(None) & _alert.c.kind.in_(sorted(scope_kinds))
        ]
        if wanted:
            conditions.append(_alert.c.dedup_key.in_(list(wanted)))
        existing = {
            str(r["dedup_key"]): r
            for r in conn.execute(select(_alert).where(or_(*conditions))).mappings()
        }
        to_insert: list[Record] = []
        to_update: list[Record] = []
        for key, new in wanted.items():
            old = existing.get(key)
            if old is None:
                to_insert.append({**new, "first_seen": period, "last_seen": period})
                counts["opened"] += 1
                continue
            if old["resolved"] is None and str(old["last_seen"]) > period:
                counts["unchanged"] += 1  # a rerun of an earlier month: keep the newer text
                continue
            target = {**new, "last_seen": max(str(old["last_seen"]), period)}
            if old["resolved"] is not None:
                if str(old["resolved"]) > period:
                    counts["unchanged"] += 1  # a rerun of a month before it was resolved
                    continue
                target["resolved"] = None
                counts["opened"] += 1
                counts["reopened"] += 1
            elif all(_same(old[c], v) for c, v in target.items()):
                counts["unchanged"] += 1
                continue
            else:
                counts["updated"] += 1
            target.setdefault("resolved", old["resolved"])
            to_update.append(target)
        resolved_keys = [
            key
            for key, old in existing.items()
            if key not in wanted
            and old["resolved"] is None
            and old["kind"] in scope_kinds
            and str(old["last_seen"]) <= period
            and (in_scope is None or in_scope(key))
        ]
        counts["resolved"] = len(resolved_keys)

        if to_insert:
            conn.execute(insert(_alert), [{**r, "resolved": None} for r in to_insert])
        if to_update:
            columns = [c for c in to_update[0] if c != "dedup_key"]
            stmt = (
                update(_alert)
                .where(_alert.c.dedup_key == bindparam("k_dedup_key"))
                .values({c: bindparam(f"v_{c}") for c in columns})
            )
            conn.execute(
                stmt,
                [
                    {"k_dedup_key": r["dedup_key"], **{f"v_{c}": r[c] for c in columns}}
                    for r in to_update
                ],
            )
        if resolved_keys:
            conn.execute(
                update(_alert).where(_alert.c.dedup_key.in_(resolved_keys)).values(resolved=period)
            )
    return counts


def read_alerts(bind: Bind, open_only: bool = False) -> pd.DataFrame:
    """Alerts ordered by dedup key: dedup_key, kind, severity, org_unit, target_id, message,
    first_seen, last_seen, resolved (None while open)."""
    query = select(
        _alert.c.dedup_key,
        _alert.c.kind,
        _alert.c.severity,
        _alert.c.org_unit_code.label("org_unit"),
        _alert.c.target_id,
        _alert.c.message,
        _alert.c.first_seen,
        _alert.c.last_seen,
        _alert.c.resolved,
    ).order_by(_alert.c.dedup_key)
    if open_only:
        query = query.where(_alert.c.resolved.is_(None))
    with connect(bind) as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=list(ALERT_COLUMNS))


# --- inspection ------------------------------------------------------------------------------


def dump_tables(bind: Bind) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered by primary key (by every column where a table has
    none, like the observation fact table): equal dumps mean nothing changed."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with connect(bind) as conn:
        for table in Base.metadata.sorted_tables:
            query = select(table).order_by(*(table.primary_key.columns or table.columns))
            out[table.name] = [tuple(r) for r in conn.execute(query)]
    return out
