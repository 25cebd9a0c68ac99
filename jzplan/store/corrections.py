"""Pending corrections (待更正): checked files for a released month (or one beyond the
correction window), their figures stored under their own submission but not current, until
the month is reopened and they are settled like any received file (``accept_submission``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, Table, select, update

from jzplan.core.periods import Period
from jzplan.core.states import SubmissionStatus, check_transition
from jzplan.core.submissions import SubmissionIssue
from jzplan.store.db import Bind, connect
from jzplan.store.lifecycle import FigureChange, diff_figures
from jzplan.store.models import ObservationRow, SubmissionRow

_submission: Table = SubmissionRow.__table__  # type: ignore[assignment]
_observation: Table = ObservationRow.__table__  # type: ignore[assignment]
PENDING = SubmissionStatus.PENDING_CORRECTION


def hold_for_correction(conn: Connection, submission_id: int, issue: SubmissionIssue) -> None:
    """A received submission (its figures stored) becomes a pending correction, its message
    the reason (the month is released, or beyond the window)."""
    status = conn.scalar(select(_submission.c.status).where(_submission.c.id == submission_id))
    if status is None:
        raise KeyError(f"no submission {submission_id}")
    check_transition(str(status), PENDING)
    conn.execute(
        update(_submission)
        .where(_submission.c.id == submission_id)
        .values(status=PENDING, message=str(issue), version=1)
    )


def pending_ids(bind: Bind, period: Period) -> list[int]:
    """The month's pending corrections, in arrival order (the order they were recorded)."""
    query = (
        select(_submission.c.id)
        .where(_submission.c.period == str(period), _submission.c.status == PENDING)
        .order_by(_submission.c.id)
    )
    with connect(bind) as conn:
        return [int(i) for i in conn.scalars(query)]


def stored_frame(bind: Bind, submission_id: int) -> pd.DataFrame:
    """A submission's stored figures as a frame ``store_figures`` takes (its own rows again)."""
    query = select(
        _observation.c.org_unit_code, _observation.c.period, _observation.c.indicator_code,
        _observation.c.value, _observation.c.value_month, _observation.c.source_row,
    )  # fmt: skip
    query = query.where(_observation.c.submission_id == submission_id)
    query = query.order_by(_observation.c.indicator_code)
    with connect(bind) as conn:
        rows = [tuple(r) for r in conn.execute(query)]
    # plain values: frame_records reads NaN and None alike
    return pd.DataFrame(
        rows, columns=["org_unit", "period", "indicator", "value", "value_month", "row"]
    )


@dataclass(frozen=True, slots=True)
class PendingCorrection:
    """A pending correction and how its figures differ from the month's current (released)
    ones: ``changes`` old = released, new = proposed."""

    submission_id: int
    org_unit: str
    period: Period
    file_name: str
    arrival_period: str
    reason: str
    changes: tuple[FigureChange, ...]


def _figures(conn: Connection, ids: Sequence[int]) -> dict[str, tuple[float | None, float | None]]:
    query = select(
        _observation.c.indicator_code, _observation.c.value, _observation.c.value_month
    ).where(_observation.c.submission_id.in_(list(ids)))
    return {str(c): (v, m) for c, v, m in conn.execute(query)}


def pending_corrections(bind: Bind, period: Period | None = None) -> list[PendingCorrection]:
    """Every pending correction (of ``period``), in arrival order, with its differences from
    the figures current for its unit and month."""
    query = select(
        _submission.c.id, _submission.c.org_unit_code, _submission.c.period,
        _submission.c.file_name, _submission.c.arrival_period, _submission.c.message,
    )  # fmt: skip
    query = query.where(_submission.c.status == PENDING)
    query = query.order_by(_submission.c.period, _submission.c.id)
    if period is not None:
        query = query.where(_submission.c.period == str(period))
    out = []
    with connect(bind) as conn:
        for sid, unit, month, name, arrival, message in conn.execute(query).all():
            current = select(_submission.c.id).where(
                _submission.c.org_unit_code == unit,
                _submission.c.period == month,
                _submission.c.status == SubmissionStatus.ACCEPTED,
            )
            released = _figures(conn, [int(i) for i in conn.scalars(current)])
            proposed = _figures(conn, [int(sid)])
            out.append(
                PendingCorrection(
                    int(sid),
                    str(unit),
                    Period.parse(str(month)),
                    str(name),
                    str(arrival),
                    str(message or ""),
                    tuple(diff_figures(released, proposed)),
                )
            )
    return out
