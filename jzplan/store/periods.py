"""Which months the store holds anything for: what a run recomputes after an earlier month."""

from __future__ import annotations

from sqlalchemy import Table, select, union

from jzplan.core.periods import Period
from jzplan.store.db import Bind, connect
from jzplan.store.models import AggregateRow, SubmissionRow, TargetProgressRow

_TABLES: tuple[Table, ...] = (
    SubmissionRow.__table__,  # type: ignore[assignment]
    AggregateRow.__table__,
    TargetProgressRow.__table__,
)


def stored_periods(bind: Bind, year: int) -> list[Period]:
    """The months of ``year`` with a submission, an aggregate or a target's progress row in the
    store (what has been run or received), in order."""
    prefix = f"{year:04d}-%"
    query = union(*(select(t.c.period).where(t.c.period.like(prefix)) for t in _TABLES))
    with connect(bind) as conn:
        found = {str(p) for p in conn.scalars(query) if p is not None}
    return sorted(Period.parse(p) for p in found)
