"""The outbox drain (``deliver-pending``, every 15 minutes): office messages (回执, 催报) and
alert transitions still owed to a channel are sent once that channel's backoff is over, and
the operators are told of a channel that fails (推送失败) and of its recovery."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows import entrypoint_imported
from flows.params import scheduled_start
from flows.plain_flow import flow
from flows.run_names import NAME_UPCOMING_RUNS, deliver_run_name
from flows.runner import untraversed
from jzplan.alert.backoff import delivery_backoff
from jzplan.alert.outbox import drain_outboxes
from jzplan.core.settings import Settings
from jzplan.month.resources import Resources, open_resources
from tasks.notify import delivery_line, log_delivery, prefect_emitter, secret_resolver
from tasks.office import log_office, office_line


def _run_name() -> str:
    return deliver_run_name(scheduled_start(), Settings())


# Retried: it talks to the store and the Prefect API; a channel's failure is not the task's
@task(name="drain-outboxes", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def drain(resources: Resources) -> dict[str, Any]:
    settings = resources.settings
    run = drain_outboxes(
        resources.engine,
        prefect_emitter,
        settings.alert_channels_file,
        secret_resolver(),
        area=resources.catalog.area.code,
        now=lambda: datetime.now(UTC),
        backoff=delivery_backoff(settings),
        timezone=settings.timezone,
    )
    office = log_office(None, run.office, resources.catalog)
    alerts = log_delivery(run.alerts)
    logger = get_run_logger()
    logger.info(office_line(None, office, resources.catalog) + f"；撤回 {run.withdrawn} 条")
    logger.info(delivery_line(run.alerts))
    return {"office": office | {"withdrawn": run.withdrawn}, "alerts": alerts}


@flow(
    name="deliver-pending",
    flow_run_name=_run_name,
    log_prints=True,
    on_completion=NAME_UPCOMING_RUNS,
    on_failure=NAME_UPCOMING_RUNS,
)
def deliver_pending_flow() -> dict[str, Any]:
    """Send what the outboxes still owe: receipts, reminders and alert changes, each channel
    once its backoff (after a failure) is over; open or resolve the operators' 推送失败 alerts."""
    resources = open_resources(Settings())
    try:
        return drain(untraversed(resources))
    finally:
        resources.close()


# the last line: a worker's flow-run process has imported this deployment's entrypoint
# (jzplan.core.process)
entrypoint_imported()
