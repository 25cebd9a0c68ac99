"""Reads of the observation fact table: the current (accepted) figures of a period."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Table, or_, select

from jzplan.core.periods import Period
from jzplan.core.states import SubmissionStatus
from jzplan.store.db import Bind, connect
from jzplan.store.fastread import read_frame, read_values
from jzplan.store.models import ObservationRow, SubmissionRow
from jzplan.store.rows import period_key

_submission: Table = SubmissionRow.__table__  # type: ignore[assignment]
_observation: Table = ObservationRow.__table__  # type: ignore[assignment]

OBSERVATION_READ_COLUMNS = {
    "org_unit": (_observation.c.org_unit_code, "str"),
    "period": (_observation.c.period, "str"),
    "indicator": (_observation.c.indicator_code, "str"),
    "value": (_observation.c.value, "float64"),
    "value_month": (_observation.c.value_month, "float64"),
    "submission_id": (_observation.c.submission_id, "int64"),
}


def bulk_file_units(bind: Bind, bulk_file_id: int, period: Period) -> set[str]:
    """The units whose current figures of ``period`` came in the bulk file ``bulk_file_id``."""
    query = select(_submission.c.org_unit_code).where(
        _submission.c.bulk_file_id == bulk_file_id,
        _submission.c.status == SubmissionStatus.ACCEPTED,
        _submission.c.period == period_key(period),
    )
    with connect(bind) as conn:
        return {str(u) for u in conn.scalars(query)}


def current_observations(
    bind: Bind,
    periods: Sequence[Period],
    org_unit: str | None = None,
    *,
    org_units: Sequence[str] | None = None,
    ordered: bool = True,
    columns: Sequence[str] = tuple(OBSERVATION_READ_COLUMNS),
) -> pd.DataFrame:
    """Figures of accepted submissions only (of one unit, or of ``org_units``, if given):
    org_unit, period, indicator, value, value_month, submission_id (or only ``columns``),
    sorted unless ``ordered`` is false. Read at COPY speed (``jzplan.store.fastread.read_frame``):
    a national month is 4 million figures."""
    query = (
        select(*(OBSERVATION_READ_COLUMNS[c][0].label(c) for c in columns))
        .join(_submission, _submission.c.id == _observation.c.submission_id)
        .where(
            _submission.c.status == SubmissionStatus.ACCEPTED,
            _observation.c.period.in_([period_key(p) for p in periods]),
        )
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
    return frame.astype({c: OBSERVATION_READ_COLUMNS[c][1] for c in columns})


def period_values(
    bind: Bind, period: Period, *, except_bulk_files: Sequence[int] = ()
) -> pd.DataFrame:
    """The period's current figures as org_unit, indicator, value, unsorted: what the
    aggregation reads (``jzplan.store.fastread.read_values``: a national month in seconds);
    with ``except_bulk_files``, those of submissions from other files only."""
    query = (
        select(_observation.c.org_unit_code, _observation.c.indicator_code, _observation.c.value)
        .join(_submission, _submission.c.id == _observation.c.submission_id)
        .where(
            _submission.c.status == SubmissionStatus.ACCEPTED,
            _observation.c.period == period_key(period),
        )
    )
    if except_bulk_files:
        query = query.where(
            or_(
                _submission.c.bulk_file_id.is_(None),
                _submission.c.bulk_file_id.not_in(list(except_bulk_files)),
            )
        )
    with connect(bind) as conn:
        frame = read_values(conn, query)
    return frame.astype({"org_unit": "str", "indicator": "str", "value": "float64"})
