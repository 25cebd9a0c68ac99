"""A submission's life: received → rejected | accepted → superseded, and what a correction changed.

Every received file is archived by sha256 with a metadata sidecar before it is parsed; the
submission row is recorded before validation. A corrected resubmission for the same unit and
month supersedes the accepted one (both are kept) and each figure that differs is written to
``submission_change`` in the same transaction as the load.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection, RowMapping, Table, delete, insert, select, update

from jzplan.core.periods import Period
from jzplan.core.states import SubmissionStatus, check_transition
from jzplan.core.submissions import SubmissionIssue
from jzplan.store.currency import (
    CURRENT,
    Contender,
    Reason,
    Settlement,
    Standing,
    fingerprint,
    settle,
    standing_issue,
)
from jzplan.store.db import Bind, connect, transaction
from jzplan.store.models import ObservationRow, SubmissionChangeRow, SubmissionRow
from jzplan.store.rows import period_key
from jzplan.store.submissions import LoadResult, compare_figures, load_submission, store_figures

CHANGE_COLUMNS = (
    "org_unit", "period", "old_submission_id", "new_submission_id", "indicator", "old_value",
    "new_value", "old_value_month", "new_value_month",
)  # fmt: skip

_submission: Table = SubmissionRow.__table__  # type: ignore[assignment]
_observation: Table = ObservationRow.__table__  # type: ignore[assignment]
_change: Table = SubmissionChangeRow.__table__  # type: ignore[assignment]


# --------------------------------------------------------------------------- changed figures


@dataclass(frozen=True, slots=True)
class FigureChange:
    """One figure a correction changed; None where the figure was absent on that side."""

    indicator: str
    old_value: float | None
    new_value: float | None
    old_value_month: float | None
    new_value_month: float | None


FigurePair = tuple[float | None, float | None]
Figures = Mapping[str, FigurePair]
# The statuses of a unit's checked files, whose order ``settle`` decides
CONTENDING = (SubmissionStatus.ACCEPTED, SubmissionStatus.SUPERSEDED, SubmissionStatus.HELD)
# Statuses of a file not yet settled: just received, or a pending correction applied
_NEW = (SubmissionStatus.RECEIVED, SubmissionStatus.PENDING_CORRECTION)


def _clean(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return None if math.isnan(f) else f


def diff_figures(old: Figures, new: Figures) -> list[FigureChange]:
    """Figures (value, month value) that differ between two submissions, by indicator."""
    changes: list[FigureChange] = []
    for code in sorted(set(old) | set(new)):
        o = old.get(code, (None, None))
        n = new.get(code, (None, None))
        o = (_clean(o[0]), _clean(o[1]))
        n = (_clean(n[0]), _clean(n[1]))
        if o != n:
            changes.append(FigureChange(code, o[0], n[0], o[1], n[1]))
    return changes


def frame_figures(frame: pd.DataFrame) -> dict[str, tuple[float | None, float | None]]:
    return {
        str(code): (_clean(value), _clean(month))
        for code, value, month in frame[["indicator", "value", "value_month"]].itertuples(
            index=False, name=None
        )
    }


@dataclass(frozen=True, slots=True)
class Acceptance:
    """A load and, for a correction, the submission it superseded and the changed figures;
    where the file stands (``jzplan.store.currency``) and its warning, if it is not current."""

    load: LoadResult
    superseded_id: int | None
    changes: tuple[FigureChange, ...]
    standing: Standing = CURRENT
    issue: SubmissionIssue | None = None


def accept_submission(
    bind: Bind,
    submission_id: int,
    frame: pd.DataFrame,
    validation: Sequence[Mapping[str, Any]] = (),
) -> Acceptance:
    """Store a received submission's figures and settle which file of its unit and month is
    current (``jzplan.store.currency.settle``: filing date, then receipt; a conflict holds
    both files). When it replaces the current one, audit each changed figure; all in one
    transaction (the caller's when ``bind`` is a Connection in one). Accepting an accepted
    submission again changes nothing."""
    with transaction(bind) as conn:
        sub = (
            conn.execute(select(_submission).where(_submission.c.id == submission_id))
            .mappings()
            .first()
        )
        if sub is None:
            raise KeyError(f"no submission {submission_id}")
        if sub["status"] == SubmissionStatus.ACCEPTED:  # a rerun: the same figures again
            return Acceptance(load_submission(conn, submission_id, frame, validation), None, ())
        check_transition(str(sub["status"]), SubmissionStatus.ACCEPTED)
        unit, period = sub["org_unit_code"], sub["period"]
        previous = _current_id(conn, unit, period)
        before = _figures(conn, [previous]).get(previous, {}) if previous is not None else {}
        new = {k: (_clean(v), _clean(m)) for k, (v, m) in store_figures(
            conn, submission_id, frame, validation
        ).items()}  # fmt: skip
        rows = _contender_rows(conn, unit, period, submission_id)
        figures = _figures(conn, [int(r["id"]) for r in rows])
        settled = settle(
            Contender(
                int(r["id"]), str(r["file_name"]), r["filed_on"], r["received_at"],
                str(r["arrival_period"]), fingerprint(figures.get(int(r["id"]), {})),
            )
            for r in rows
        )  # fmt: skip
        names = {int(r["id"]): str(r["file_name"]) for r in rows}
        _apply(conn, settled, {int(r["id"]): str(r["status"]) for r in rows}, names)
        standing = settled.standings[submission_id]
        current = None if settled.current is None else names[settled.current]
        issue = standing_issue(names[submission_id], standing, current)
        if settled.current != submission_id:
            if previous is not None and settled.current != previous:
                # the file current before was held by its batch-mate: its audit goes with it
                conn.execute(delete(_change).where(_change.c.new_submission_id == previous))
            unchanged = len(new) if standing.reason == Reason.IDENTICAL else 0
            return Acceptance(LoadResult(0, 0, 0, unchanged), None, (), standing, issue)
        changes: list[FigureChange] = []
        if previous is not None:
            changes = diff_figures(before, new)
            _audit(conn, sub, previous, submission_id, changes)
        return Acceptance(
            compare_figures(new, before),
            previous,
            tuple(changes),
            standing,
        )


def _current_id(conn: Connection, unit: str, period: str) -> int | None:
    current = conn.scalar(
        select(_submission.c.id).where(
            _submission.c.org_unit_code == unit,
            _submission.c.period == period,
            _submission.c.status == SubmissionStatus.ACCEPTED,
        )
    )
    return None if current is None else int(current)


def _contender_rows(conn: Connection, unit: str, period: str, received: int) -> list[RowMapping]:
    """The unit and month's checked files: current, superseded, held, and the one received."""
    query = select(
        _submission.c.id, _submission.c.file_name, _submission.c.filed_on,
        _submission.c.received_at, _submission.c.arrival_period, _submission.c.status,
    ).where(
        _submission.c.org_unit_code == unit,
        _submission.c.period == period,
        _submission.c.status.in_(CONTENDING) | (_submission.c.id == received),
    )  # fmt: skip
    return list(conn.execute(query).mappings())


def _figures(conn: Connection, ids: Sequence[int]) -> dict[int, dict[str, FigurePair]]:
    """Each submission's own figures by indicator."""
    out: dict[int, dict[str, FigurePair]] = {i: {} for i in ids}
    rows = conn.execute(
        select(
            _observation.c.submission_id,
            _observation.c.indicator_code,
            _observation.c.value,
            _observation.c.value_month,
        ).where(_observation.c.submission_id.in_(list(ids)))
    )
    for sid, code, value, month in rows:
        out[int(sid)][str(code)] = (_clean(value), _clean(month))
    return out


def _apply(
    conn: Connection, settled: Settlement, before: Mapping[int, str], names: Mapping[int, str]
) -> None:
    """Every status the settlement moved, demotions first (one accepted file per unit and
    month at any moment); a held file's message names the file it is held with."""
    current = None if settled.current is None else names[settled.current]
    moves = {i: s for i, s in settled.standings.items() if s.status != before[i]}
    for i, standing in sorted(moves.items(), key=lambda m: m[1].status == "accepted"):
        check_transition(before[i], standing.status)
        values: dict[str, Any] = {"status": standing.status}
        issue = standing_issue(names[i], standing, current)
        if issue is not None:
            values["message"] = str(issue)
        if standing.status == SubmissionStatus.HELD:  # never current: no version of its own
            values["version"] = 1
        elif standing.status == SubmissionStatus.ACCEPTED and before[i] in _NEW:
            values["version"] = 1 + sum(
                1 for j, s in before.items() if j != i and s in ("accepted", "superseded")
            )
        conn.execute(update(_submission).where(_submission.c.id == i).values(values))


def _audit(
    conn: Connection, sub: RowMapping, old: int, new: int, changes: Sequence[FigureChange]
) -> None:
    if not changes:
        return
    conn.execute(
        insert(_change),
        [
            {
                "org_unit_code": sub["org_unit_code"],
                "period": sub["period"],
                "old_submission_id": old,
                "new_submission_id": new,
                "indicator_code": c.indicator,
                "old_value": c.old_value,
                "new_value": c.new_value,
                "old_value_month": c.old_value_month,
                "new_value_month": c.new_value_month,
            }
            for c in changes
        ],
    )


def read_changes(
    bind: Bind, *, org_unit: str | None = None, period: Period | None = None
) -> pd.DataFrame:
    """The audit of corrections (``CHANGE_COLUMNS``), oldest first."""
    query = select(
        _change.c.org_unit_code,
        _change.c.period,
        _change.c.old_submission_id,
        _change.c.new_submission_id,
        _change.c.indicator_code,
        _change.c.old_value,
        _change.c.new_value,
        _change.c.old_value_month,
        _change.c.new_value_month,
    ).order_by(_change.c.new_submission_id, _change.c.indicator_code)
    if org_unit is not None:
        query = query.where(_change.c.org_unit_code == org_unit)
    if period is not None:
        query = query.where(_change.c.period == period_key(period))
    with connect(bind) as conn:
        rows = [tuple(r) for r in conn.execute(query)]
    frame = pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))
    return frame.astype(
        {c: "float64" for c in CHANGE_COLUMNS if c.startswith(("old_value", "new_value"))}
    )
