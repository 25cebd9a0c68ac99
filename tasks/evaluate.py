"""Recompute a period from the store: totals, target progress and alerts."""

from __future__ import annotations

from collections.abc import Sequence

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import Connection

from jzplan.core.periods import Period
from jzplan.month.lines import counts_text, unit_names
from jzplan.month.refresh import LoadedBulk, PeriodOutcome, refresh_period
from jzplan.month.resources import Resources


# Retried because it writes to the database; the computation itself is deterministic.
@task(
    name="refresh-period",
    task_run_name="refresh-{period}",
    retries=2,
    retry_delay_seconds=2,
    cache_policy=NO_CACHE,
)
def refresh(
    resources: Resources,
    period: Period,
    as_of: Period,
    bind: Connection | None = None,
    bulks: Sequence[LoadedBulk] = (),
) -> PeriodOutcome:
    """With ``bind`` (a Connection in the month's transaction) the writes join that
    transaction; ``bulks``: the batch's bulk files just loaded, their figures in memory."""
    outcome = refresh_period(
        bind if bind is not None else resources.engine,
        catalog=resources.catalog,
        plan=resources.plan_for(period.year),
        period=period,
        thresholds=resources.thresholds,
        as_of=as_of,
        bulks=bulks,
    )
    get_run_logger().info(
        "%s：汇总 %s；目标进度 %s；告警 %s；未报 %s",
        period,
        counts_text(outcome.aggregates),
        counts_text(outcome.progress),
        counts_text(outcome.alerts),
        unit_names(resources.catalog, outcome.missing_units),
    )
    return outcome
