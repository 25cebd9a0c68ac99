"""The deadline reminder (催报): before the deadline (the 3rd, 09:00 Asia/Shanghai, by
default) send each reporting unit without an accepted form for last month one reminder
through its own channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import get_run_logger
from prefect.runtime import flow_run

from flows import entrypoint_imported
from flows.params import Month, period_param, scheduled_start
from flows.plain_flow import flow
from flows.run_names import NAME_UPCOMING_RUNS
from flows.runner import untraversed
from jzplan.alert.reminders import reminder_period
from jzplan.core.periods import Period
from jzplan.core.settings import Settings
from jzplan.core.states import MessageKind
from jzplan.month.lines import unit_names
from jzplan.month.resources import open_resources
from tasks.office import deliver_office, queue_period_reminders


def due_period(settings: Settings, now: datetime | None = None) -> Period:
    """The month the (scheduled) start reminds about: the month before it, in the configured
    timezone; a retry of the same scheduled run reminds about the same month."""
    return reminder_period(scheduled_start() if now is None else now, settings.timezone)


def _run_name() -> str:
    period = flow_run.parameters.get("period") or str(due_period(Settings()))
    return f"reminder-{period}"


# the runs the scheduler adds meanwhile get their readable names (flows.run_names)
@flow(
    name="deadline-reminder",
    flow_run_name=_run_name,
    log_prints=True,
    on_completion=NAME_UPCOMING_RUNS,
    on_failure=NAME_UPCOMING_RUNS,
)
def deadline_reminder(period: Month | None = None) -> dict[str, Any]:
    """Remind every unit without an accepted form for ``period`` (default: last month), once.

    Args:
        period: 报告期 YYYY-MM；留空则为计划运行时间（北京时间）的上一个月
    """
    settings = Settings()
    p = period_param(period, lambda: due_period(settings))
    resources = open_resources(settings)
    try:
        res = untraversed(resources)
        run = queue_period_reminders(res, p)
        delivered = deliver_office(res, MessageKind.REMINDER)
        summary = {
            "period": str(p),
            "missing_units": run.missing,
            "queued": run.queued,
            "withdrawn": run.withdrawn,
            "delivered": delivered,
        }
        get_run_logger().info(
            "%s 催报完成：未报 %s；新发催报 %d 条，撤回 %d 条",
            p, unit_names(resources.catalog, run.missing), run.queued, run.withdrawn,
        )  # fmt: skip
        return summary
    finally:
        resources.close()


# the last line: a worker's flow-run process has imported this deployment's entrypoint
# (jzplan.core.process)
entrypoint_imported()
