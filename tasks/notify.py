"""Tasks of target tracking: status submissions, the deadline check, and alert delivery."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import Connection

from jzplan.alert.channels import DeliveryError, Resolver, SecretRef
from jzplan.alert.deadlines import DeadlineOutcome, arrived_units, check_deadline, deadline_of
from jzplan.alert.delivery import deliver_pending
from jzplan.core.periods import Period
from jzplan.month.resources import Resources
from jzplan.month.runs import month_status
from jzplan.track.history import StatusLoad
from jzplan.validate.shared import SharedValidator


@task(name="load-status-submissions", task_run_name="status-{period}", retries=2,
      retry_delay_seconds=2, cache_policy=NO_CACHE)  # fmt: skip
def load_status(
    resources: Resources,
    inbox_dir: Path,
    period: Period,
    bind: Connection | None = None,
    validator: SharedValidator | None = None,
) -> StatusLoad:
    """With ``bind`` (the month's transaction) the rows join that transaction; ``validator``:
    the run's GE context, for the status suites (a new one when not given). Each file is
    archived and recorded in ``status_file``."""
    res = resources
    shared = validator or SharedValidator(res.settings.expectations_dir, res.catalog)
    loaded = month_status(res, inbox_dir, period, bind if bind is not None else res.engine, shared)
    logger = get_run_logger()
    for issue in loaded.issues:
        logger.warning(str(issue))
    outcomes = {name: str(o) for name, o in loaded.outcomes.items()}
    logger.info(
        "%s：重点工作进展与排名 %s；进展 %s；排名 %s",
        period, outcomes or "未收到", loaded.reports, loaded.rankings,
    )  # fmt: skip
    return loaded


@task(name="check-deadline", task_run_name="deadline-{period}", retries=2,
      retry_delay_seconds=2, cache_policy=NO_CACHE)  # fmt: skip
def check_submissions(resources: Resources, inbox_dir: Path, period: Period) -> DeadlineOutcome:
    due = deadline_of(resources.settings).of(period)
    outcome = check_deadline(
        resources.engine,
        catalog=resources.catalog,
        period=period,
        arrived=arrived_units(inbox_dir, period, resources.catalog, resources.settings.limits()),
        due=due,
    )
    names = "、".join(resources.catalog.unit(u).name for u in outcome.missing_units) or "无"
    get_run_logger().info(
        "%s 月报截止 %s：未报 %s；预警 %s", period, due.isoformat(), names, outcome.alerts
    )
    return outcome


def secret_resolver(environ: dict[str, str] | None = None) -> Resolver:
    """An env var first, then a Prefect Secret block of that name."""
    env = os.environ if environ is None else environ

    def resolve(ref: SecretRef) -> str | None:
        if ref.env and env.get(ref.env):
            return env[ref.env]
        if ref.block:
            from prefect.blocks.system import Secret

            try:
                return str(Secret.load(ref.block).get())  # type: ignore[union-attr]
            except ValueError:
                return None
        return None

    return resolve


def prefect_emitter(*, event: str, resource: dict[str, str], payload: dict[str, Any]) -> object:
    from prefect.events import emit_event

    return emit_event(event=event, resource=resource, payload=payload)


# Retried: it talks to the Prefect API and to the channels. Transitions are kept in the
# outbox until delivered, so a retry (or the next run) sends what did not go out.
@task(name="deliver-alerts", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def deliver_alerts(resources: Resources) -> dict[str, Any]:
    logger = get_run_logger()
    run = deliver_pending(
        resources.engine,
        prefect_emitter,
        resources.settings.alert_channels_file,
        secret_resolver(),
    )
    for r in run.results:
        logger.info("通知渠道 %s：%s（%d 条）%s", r.channel, r.status, r.alerts, r.detail)
    if run.failed:
        raise DeliveryError("；".join(f"{r.channel}: {r.detail}" for r in run.failed))
    summary = {"recorded": run.recorded, "emitted": run.emitted, "notified": run.notified,
               "channels": {r.channel: r.status for r in run.results}}  # fmt: skip
    logger.info("预警推送：%s", summary)
    return summary
