"""Tasks of target tracking: status submissions, the deadline check, and alert delivery."""

from __future__ import annotations

import contextvars
import os
import threading
from concurrent.futures import Future
from contextlib import suppress
from pathlib import Path
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import Connection

from jzplan.alert.backoff import delivery_backoff
from jzplan.alert.channels import Resolver, SecretRef
from jzplan.alert.deadlines import DeadlineOutcome, arrived_units, check_deadline, deadline_of
from jzplan.alert.delivery import ChannelResult, DeliveryRun, deliver_pending
from jzplan.alert.office_delivery import office_owed
from jzplan.core.periods import Period
from jzplan.core.states import ChannelStatus
from jzplan.ingest.status_files import TableFindings
from jzplan.month.lines import counts_text, unit_names
from jzplan.month.resources import Resources
from jzplan.month.runs import month_status
from jzplan.track.history import StatusLoad
from jzplan.validate.shared import Ahead, SharedValidator


@task(name="load-status-submissions", task_run_name="status-{period}", retries=2,
      retry_delay_seconds=2, cache_policy=NO_CACHE)  # fmt: skip
def load_status(
    resources: Resources,
    inbox_dir: Path,
    period: Period,
    bind: Connection | None = None,
    validator: SharedValidator | None = None,
    ahead: Ahead[dict[str, TableFindings]] | None = None,
) -> StatusLoad:
    """With ``bind`` (the month's transaction) the rows join that transaction; ``validator``:
    the run's GE context, for the status suites (a new one when not given); ``ahead``: the
    files' findings begun in the run's helper (``jzplan.month.status_ahead``). Each file is
    archived and recorded in ``status_file``."""
    res = resources
    shared = validator or SharedValidator(res.settings.expectations_dir, res.catalog)
    target = bind if bind is not None else res.engine
    loaded = month_status(res, inbox_dir, period, target, shared, ahead=ahead)
    logger = get_run_logger()
    for issue in loaded.issues:
        logger.warning(str(issue))
    files = "、".join(f"{name} {o.label}" for name, o in loaded.outcomes.items())
    logger.info(
        "%s：重点工作进展与排名 %s；进展 %s；排名 %s",
        period, files or "未收到", counts_text(loaded.reports), counts_text(loaded.rankings),
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
    names = unit_names(resources.catalog, outcome.missing_units)
    get_run_logger().info(
        "%s 月报截止 %s：未报 %s；告警 %s",
        period,
        due.isoformat(),
        names,
        counts_text(outcome.alerts),
    )
    return outcome


def secret_resolver(environ: dict[str, str] | None = None, *, listed: bool = False) -> Resolver:
    """An env var first, then a Prefect Secret block of that name. The resolver asks the
    server once which Secret blocks exist and reads only those, each once: a six-township
    month's deliveries name 12 blocks, each a round trip (most of them 404s) before.

    ``listed``: ask at once, on a background thread, so that the answer is there when the
    first block is read (a monthly run makes its resolver at its start and delivers at its
    end: the listing, 40-80 ms on a server busy with the run's own events, is then off the
    run's path); a failure of it is raised where the first block is read, as without."""
    env = os.environ if environ is None else environ
    blocks: dict[str, str | None] = {}
    listing: Future[set[str]] | None = _list_in_background() if listed else None
    existing: set[str] | None = None

    def block(name: str) -> str | None:
        nonlocal existing
        if existing is None:
            existing = listing.result() if listing is not None else secret_block_names()
        if name not in blocks:
            from prefect.blocks.system import Secret

            blocks[name] = None
            if name in existing:
                with suppress(ValueError):  # removed since it was listed
                    blocks[name] = str(Secret.load(name).get())  # type: ignore[union-attr]
        return blocks[name]

    def resolve(ref: SecretRef) -> str | None:
        if ref.env and env.get(ref.env):
            return env[ref.env]
        return block(ref.block) if ref.block else None

    return resolve


def _list_in_background() -> Future[set[str]]:
    """``secret_block_names`` on a daemon thread, in the caller's context (its Prefect
    settings and client)."""
    future: Future[set[str]] = Future()
    context = contextvars.copy_context()

    def work() -> None:
        try:
            future.set_result(context.run(secret_block_names))
        except BaseException as exc:  # raised to whoever reads the first block
            future.set_exception(exc)

    threading.Thread(target=work, name="jzplan-secret-listing", daemon=True).start()
    return future


def secret_block_names() -> set[str]:
    """The names of the Secret blocks on the Prefect server, in one request (none when the
    server has no Secret block type registered)."""
    import httpx
    from prefect.client.orchestration import get_client

    try:
        with get_client(sync_client=True) as client:
            documents = client.read_block_documents_by_type("secret", include_secrets=False)
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code == 404:
            return set()
        raise
    return {d.name for d in documents if d.name}


def prefect_emitter(*, event: str, resource: dict[str, str], payload: dict[str, Any]) -> object:
    from prefect.events import emit_event

    return emit_event(event=event, resource=resource, payload=payload)


def channel_line(result: ChannelResult) -> str:
    """One channel's result as the run's log says it: 通知渠道 wecom：未发送（0 条），未配置 URL."""
    detail = f"，{result.detail}" if result.detail else ""
    return f"通知渠道 {result.channel}：{result.status.label}（{result.alerts} 条）{detail}"


def delivery_line(run: DeliveryRun) -> str:
    """What one delivery did, in one line of the run's log (its summary stays the task's
    result): the alerts opened and resolved, events emitted, transitions notified, owed."""
    opened, resolved = run.recorded.get("opened", 0), run.recorded.get("resolved", 0)
    line = (
        f"告警推送：新增 {opened} 条，解除 {resolved} 条；"
        f"事件 {run.emitted} 个，通知 {run.notified} 条"
    )
    owed = sum(run.pending.values())
    return (
        line
        + (f"；待补发 {owed} 条" if owed else "")
        + ("（另一次推送进行中）" if run.busy else "")
    )


def log_delivery(run: DeliveryRun) -> dict[str, Any]:
    """Each channel's result in the log (a failure named, as a warning) and the summary: what
    went out, and what each channel still owes."""
    logger = get_run_logger()
    if run.busy:
        logger.info("另一次推送正在进行，本次未推送；待发内容由 deliver-pending 补发")
    for r in (*run.results, *run.operators):
        line = channel_line(r)
        if r.status == ChannelStatus.FAILED:
            logger.warning("%s；留在待发队列，退避后由 deliver-pending 重试", line)
        else:
            logger.info(line)
    if run.pending:
        logger.warning(
            "告警待补发：%s",
            "；".join(f"{name} {n} 条" for name, n in sorted(run.pending.items())),
        )
    return {"recorded": run.recorded, "emitted": run.emitted, "notified": run.notified,
            "channels": {r.channel: r.status.value for r in run.results},
            "operators": {r.channel: r.status.value for r in run.operators},
            "failure_alerts": {k: v for k, v in run.failure_alerts.items() if v},
            "pending": run.pending, "busy": run.busy}  # fmt: skip


# Retried: it talks to the Prefect API and the store. A channel's failure is not the task's:
# it is logged, left in the outbox with backoff and reported to the operators (推送失败); the
# deliver-pending deployment sends it later. Transitions are kept until delivered.
@task(name="deliver-alerts", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def deliver_alerts(resources: Resources, secrets: Resolver | None = None) -> dict[str, Any]:
    """Deliver the run's new and resolved alerts; ``secrets``: the run's resolver, shared
    with its other deliveries (``secret_resolver``)."""
    settings, engine = resources.settings, resources.engine
    run = deliver_pending(
        engine,
        prefect_emitter,
        settings.alert_channels_file,
        secrets or secret_resolver(),
        backoff=delivery_backoff(settings),
        timezone=settings.timezone,
        also_owed=office_owed(engine, settings.alert_channels_file, resources.catalog.area.code),
    )
    summary = log_delivery(run)
    get_run_logger().info(delivery_line(run))
    return summary
