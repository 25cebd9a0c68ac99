"""Small pieces of a monthly run that are neither stages nor store writes."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from jzplan.core.periods import Period
from jzplan.core.states import IngestStatus
from jzplan.month.loading import IngestOutcome
from jzplan.store.db import Bind, connect
from jzplan.store.models import SubmissionRow


def stored_shas(bind: Bind) -> frozenset[str]:
    """The sha256 of every file the store has received, so preparing can skip them."""
    with connect(bind) as conn:
        return frozenset(str(s) for s in conn.scalars(select(SubmissionRow.sha256)))


def affected_periods(arrival: Period, outcomes: Iterable[IngestOutcome]) -> list[Period]:
    """The batch's month and every month an accepted file of the batch belongs to, in order."""
    periods = {arrival} | {
        Period.parse(o.period)
        for o in outcomes
        if o.status in (IngestStatus.ACCEPTED, IngestStatus.HELD) and o.period
    }
    return sorted(periods)
