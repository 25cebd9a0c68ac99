"""The deadline check: at the submission deadline (17:00 on the 5th, Asia/Shanghai, by
default) alert on every reporting unit whose form for last month has not arrived."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import get_run_logger
from prefect.runtime import flow_run

from flows import entrypoint_imported
from flows.params import Month, period_param, scheduled_start
from flows.plain_flow import flow
from flows.run_names import NAME_UPCOMING_RUNS
from flows.runner import untraversed
from jzplan.alert.deadlines import deadline_of
from jzplan.core.periods import Period
from jzplan.core.settings import Settings
from jzplan.ingest.inbox import batch_folder
from jzplan.month.lines import deadline_line
from jzplan.month.resources import open_resources
from tasks.notify import check_submissions, deliver_alerts


def due_period(settings: Settings, now: datetime | None = None) -> Period:
    """The month whose deadline has just passed at the (scheduled) start; a retry of the
    same scheduled run checks the same month."""
    return deadline_of(settings).period_due(scheduled_start() if now is None else now)


def _run_name() -> str:
    period = flow_run.parameters.get("period") or str(due_period(Settings()))
    return f"deadline-{period}"


# the runs the scheduler adds meanwhile get their readable names (flows.run_names)
@flow(
    name="deadline-check",
    flow_run_name=_run_name,
    log_prints=True,
    on_completion=NAME_UPCOMING_RUNS,
    on_failure=NAME_UPCOMING_RUNS,
)
def deadline_check(period: Month | None = None, inbox_dir: str | None = None) -> dict[str, Any]:
    """Alert on missing submissions of ``period`` (default: the month just due) and deliver
    the alerts; works when nothing arrived at all.

    Args:
        period: 报告期 YYYY-MM；留空则为刚到报送截止时间的月份
        inbox_dir: 收件箱目录，其下每月一个 YYYY-MM 文件夹；留空则用 JZPLAN_INBOX_DIR
    """
    settings = Settings()
    p = period_param(period, lambda: due_period(settings))
    inbox = Path(inbox_dir) if inbox_dir else settings.inbox_dir
    batch_folder(inbox, p)  # a missing batch folder is the operator's error, not 7 alerts
    resources = open_resources(settings)
    try:
        outcome = check_submissions(untraversed(resources), inbox, p)
        delivered = deliver_alerts(untraversed(resources))
        summary = {
            "period": str(p),
            "due": outcome.due.isoformat(),
            "missing_units": outcome.missing_units,
            "alerts": outcome.alerts,
            "delivered": delivered,
        }
        get_run_logger().info(deadline_line(resources.catalog, summary))
        return summary
    finally:
        resources.close()


# the last line: a worker's flow-run process has imported this deployment's entrypoint
# (jzplan.core.process)
entrypoint_imported()
