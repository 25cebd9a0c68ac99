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
from sqlalchemy import Table, insert, select

from jzplan.core.periods import Period
from jzplan.core.states import SubmissionStatus, check_transition
from jzplan.store.db import Bind, connect, transaction
from jzplan.store.models import ObservationRow, SubmissionChangeRow, SubmissionRow
from jzplan.store.rows import period_key
from jzplan.store.submissions import LoadResult, load_submission

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


Figures = Mapping[str, tuple[float | None, float | None]]


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
    """A load and, for a correction, the submission it superseded and the changed figures."""

    load: LoadResult
    superseded_id: int | None
    changes: tuple[FigureChange, ...]


def accept_submission(
    bind: Bind,
    submission_id: int,
    frame: pd.DataFrame,
    validation: Sequence[Mapping[str, Any]] = (),
) -> Acceptance:
    """Load a received submission's figures (making it current) and, when it corrects an
    accepted one, audit each changed figure, all in one transaction (the caller's when
    ``bind`` is a Connection in one). Accepting an accepted submission again changes nothing."""
    with transaction(bind) as conn:
        sub = (
            conn.execute(select(_submission).where(_submission.c.id == submission_id))
            .mappings()
            .first()
        )
        if sub is None:
            raise KeyError(f"no submission {submission_id}")
        check_transition(str(sub["status"]), SubmissionStatus.ACCEPTED)
        previous = conn.scalar(
            select(_submission.c.id)
            .where(
                _submission.c.org_unit_code == sub["org_unit_code"],
                _submission.c.period == sub["period"],
                _submission.c.status == SubmissionStatus.ACCEPTED,
                _submission.c.id != submission_id,
            )
            .order_by(_submission.c.id.desc())
        )
        before: dict[str, tuple[float | None, float | None]] = {}
        if previous is not None:
            rows = conn.execute(
                select(
                    _observation.c.indicator_code, _observation.c.value, _observation.c.value_month
                ).where(_observation.c.submission_id == previous)
            )
            before = {str(c): (_clean(v), _clean(m)) for c, v, m in rows}
        load = load_submission(conn, submission_id, frame, validation)
        changes: list[FigureChange] = []
        if previous is not None and sub["status"] != SubmissionStatus.ACCEPTED:
            changes = diff_figures(before, frame_figures(frame))
            if changes:
                conn.execute(
                    insert(_change),
                    [
                        {
                            "org_unit_code": sub["org_unit_code"],
                            "period": sub["period"],
                            "old_submission_id": int(previous),
                            "new_submission_id": submission_id,
                            "indicator_code": c.indicator,
                            "old_value": c.old_value,
                            "new_value": c.new_value,
                            "old_value_month": c.old_value_month,
                            "new_value_month": c.new_value_month,
                        }
                        for c in changes
                    ],
                )
        return Acceptance(load, None if previous is None else int(previous), tuple(changes))


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
