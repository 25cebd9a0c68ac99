"""The writes of a bulk load, each a few statements over all units at once: the units'
current figures, superseding, the new submission rows, their figures and rejected rules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table, func, insert, select, text, update

from jzplan.core.states import IssueSeverity, SubmissionStatus, check_transition
from jzplan.core.submissions import SubmissionIssue
from jzplan.store.bulk_pairs import PAIR_KEYS, UnitPeriodPairs
from jzplan.store.fastread import read_frame
from jzplan.store.fastwrite import append_rows
from jzplan.store.models import ObservationRow, SubmissionRow, ValidationResultRow

_submission: Table = SubmissionRow.__table__  # type: ignore[assignment]
_observation: Table = ObservationRow.__table__  # type: ignore[assignment]
_result: Table = ValidationResultRow.__table__  # type: ignore[assignment]

# The observation columns a load writes (the table's own, without any key it generates)
OBSERVATION_COPY_COLUMNS: tuple[str, ...] = (
    "submission_id",
    "org_unit_code",
    "period",
    "indicator_code",
    "value",
    "value_month",
    "source_row",
)
MAX_MESSAGES = 20  # per rejected unit, in its submission row's message
_CHUNK = 1000
_CURRENT = (SubmissionStatus.ACCEPTED, SubmissionStatus.SUPERSEDED)


def check_moves(moves: Iterable[tuple[SubmissionStatus, SubmissionStatus]]) -> None:
    """``check_transition`` once per distinct (old, new) status pair of a set-wise write."""
    for old, new in sorted(set(moves)):
        check_transition(old, new)


def org_unit_codes(conn: Connection) -> set[str]:
    """Every unit code the store knows (through the DBAPI cursor: SQLAlchemy rows for a
    country's units are slow)."""
    raw: Any = conn.connection.driver_connection
    cur = raw.cursor()
    try:
        cur.execute("SELECT code FROM org_unit")
        return {str(code) for (code,) in cur.fetchall()}
    finally:
        cur.close()


def current_figures(conn: Connection, periods: Sequence[str], units: set[str]) -> pd.DataFrame:
    """The current (accepted) figures of ``periods``, restricted to ``units``."""
    columns = [*PAIR_KEYS, "indicator", "value", "value_month", "submission_id"]
    if not periods or not units:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    query = (
        select(
            _observation.c.org_unit_code, _observation.c.period, _observation.c.indicator_code,
            _observation.c.value, _observation.c.value_month, _observation.c.submission_id,
        )
        .join(_submission, _submission.c.id == _observation.c.submission_id)
        .where(
            _submission.c.status == SubmissionStatus.ACCEPTED,
            _observation.c.period.in_(list(periods)),
        )
    )  # fmt: skip
    frame = read_frame(conn, query, columns)
    frame = frame[frame["org_unit"].isin(units)]
    return frame.astype({"value": "float64", "value_month": "float64"})


def supersede(
    conn: Connection, current: pd.DataFrame, loading: Sequence[tuple[str, str]]
) -> list[int]:
    """Supersede the current (accepted) submission of each (unit, period) being loaded;
    their ids."""
    if current.empty:
        return []
    old_ids = current.set_index(PAIR_KEYS)["submission_id"].groupby(level=[0, 1]).first()
    ids = [int(old_ids.loc[k]) for k in loading if k in old_ids.index] if len(old_ids) else []
    if ids:  # ``current`` holds accepted submissions only
        check_moves([(SubmissionStatus.ACCEPTED, SubmissionStatus.SUPERSEDED)])
    for start in range(0, len(ids), _CHUNK):
        conn.execute(
            update(_submission)
            .where(_submission.c.id.in_(ids[start : start + _CHUNK]))
            .values(status=SubmissionStatus.SUPERSEDED)
        )
    return ids


def versions(conn: Connection, periods: Sequence[str]) -> dict[tuple[str, str], int]:
    """Accepted and superseded submissions so far per (unit, period)."""
    if not periods:
        return {}
    query = (
        select(_submission.c.org_unit_code, _submission.c.period, func.count())
        .where(_submission.c.period.in_(list(periods)), _submission.c.status.in_(_CURRENT))
        .group_by(_submission.c.org_unit_code, _submission.c.period)
    )
    return {(str(u), str(p)): int(n) for u, p, n in conn.execute(query)}


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What every submission row of a bulk file repeats."""

    sha256: str
    file_name: str
    archive_path: str
    arrival_period: str
    received_at: datetime
    source_path: str | None
    file_format: str | None
    bulk_file_id: int


def issue_text(issues: Sequence[SubmissionIssue], failed_rows: int) -> str:
    """A rejected unit's message: its first located issues, errors before warnings (an alert
    quotes the first line as the reason), and how many rows failed."""
    ordered = sorted(issues, key=lambda i: i.severity != IssueSeverity.ERROR)
    lines = [str(i) for i in ordered[:MAX_MESSAGES]]
    if failed_rows > len(lines):
        lines.append(f"本单位共有 {failed_rows} 行未通过校验（以上列出前 {len(lines)} 条）")
    return "\n".join(lines)


def submission_rows(
    facts: FileFacts,
    unit_sha: Any,
    loaded: Sequence[tuple[str, str]],
    rejected: Sequence[tuple[str, str]],
    known_versions: dict[tuple[str, str], int],
    messages: Sequence[str | None],
    failed: Sequence[int],
) -> pd.DataFrame:
    """One submission row per loaded pair (accepted, the next version), then per rejected
    pair (with its message and failed rows); every one is born received."""
    statuses = [SubmissionStatus.ACCEPTED] * len(loaded) + [SubmissionStatus.REJECTED] * len(
        rejected
    )
    check_moves((SubmissionStatus.RECEIVED, s) for s in set(statuses))
    pairs = [*loaded, *rejected]
    return pd.DataFrame(
        {
            "sha256": [unit_sha(facts.sha256, u, p) for u, p in pairs],
            "file_name": facts.file_name,
            "archive_path": facts.archive_path,
            "org_unit_code": [u for u, _ in pairs],
            "period": [p for _, p in pairs],
            "arrival_period": facts.arrival_period,
            "filed_on": None,
            "received_at": facts.received_at,
            "status": [str(s) for s in statuses],
            "version": [known_versions.get(k, 0) + 1 for k in loaded] + [1] * len(rejected),
            "error_count": [0] * len(loaded) + list(failed),
            "message": [None] * len(loaded) + list(messages),
            "size_bytes": None,
            "source_path": facts.source_path,
            "file_format": facts.file_format,
            "bulk_file_id": facts.bulk_file_id,
        },
        index=pd.RangeIndex(len(pairs)),
    )


def insert_submissions(conn: Connection, rows: pd.DataFrame) -> list[int]:
    """Insert submission rows, their new ids in the order given.

    The ids are a block after the largest id (the table locked by this transaction; on
    PostgreSQL the sequence is then moved past the block) and go in with the rows:
    RETURNING through insertmanyvalues, or nextval per row, is many times slower."""
    if rows.empty:
        return []
    if conn.dialect.name == "postgresql":
        # a block of ids after the largest, the table locked against other writers until the
        # transaction ends; the sequence is moved past it
        conn.execute(text("LOCK TABLE submission IN SHARE ROW EXCLUSIVE MODE"))
    start = int(conn.scalar(select(func.coalesce(func.max(_submission.c.id), 0))) or 0)
    ids = list(range(start + 1, start + 1 + len(rows)))
    # binary COPY / multi-row INSERT, not the ORM's insert
    append_rows(conn, _submission, rows.assign(id=ids))
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT setval(pg_get_serial_sequence('submission', 'id'), :last)"),
            {"last": ids[-1]},
        )
    return ids


def write_figures(
    conn: Connection,
    frame: pd.DataFrame,
    pairs: UnitPeriodPairs,
    loading: np.ndarray,
    ids: Sequence[int],
) -> int:
    """The figures of the loaded pairs (``loading``: their positions; ``ids``: their new
    submissions), text columns as codes into their distinct values; rows written."""
    if not len(loading):
        return 0
    pair_sid = np.zeros(len(pairs), dtype=np.int64)
    pair_sid[loading] = ids
    row_sid = pair_sid[pairs.pair_codes]
    rows = np.flatnonzero(row_sid)
    if np.count_nonzero(np.diff(row_sid[rows])) + 1 > len(loading):
        # a unit's rows apart in the file: together, one run per submission
        rows = rows[np.argsort(row_sid[rows], kind="stable")]
    indicator_codes, indicator_uniques = pd.factorize(frame["indicator"])
    out = pd.DataFrame(
        {
            "submission_id": row_sid[rows],
            "org_unit_code": pairs.categorical("unit", rows),
            "period": pairs.categorical("period", rows),
            "indicator_code": pd.Categorical.from_codes(
                indicator_codes[rows], categories=pd.Index(indicator_uniques)
            ),
            "value": frame["value"].to_numpy(np.float64)[rows],
            "value_month": frame["value_month"].to_numpy(np.float64)[rows],
            "source_row": frame["row"].to_numpy(np.int64)[rows],
        }
    )
    return append_rows(
        conn,
        _observation,
        out[list(OBSERVATION_COPY_COLUMNS)],
        repeat=("submission_id", "org_unit_code", "period"),
    )


def write_rejected_rules(
    conn: Connection,
    ids: Sequence[int],
    rejected: Sequence[tuple[str, str]],
    by_pair: dict[tuple[str, str], list[SubmissionIssue]],
) -> None:
    """Each rejected unit's failed rules, as a rejected township form has them."""
    result_rows: list[dict[str, Any]] = []
    for sid, pair in zip(ids, rejected, strict=True):
        by_rule: dict[str, list[SubmissionIssue]] = {}
        for issue in by_pair.get(pair, []):
            by_rule.setdefault(issue.rule or issue.code, []).append(issue)
        for rule, group in by_rule.items():
            result_rows.append(
                {"submission_id": sid, "rule": rule, "severity": "error", "success": False,
                 "checked": len(group), "failed": len(group),
                 "details": [{"file": i.file, "sheet": i.sheet, "row": i.row,
                              "column": i.column, "message": i.message} for i in group]}
            )  # fmt: skip
    if result_rows:
        conn.execute(insert(_result), result_rows)
