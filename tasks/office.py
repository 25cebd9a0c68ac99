"""Tasks of the office loop: each run's receipts (回执), the reminder (催报), and their
delivery through each office's own channel (the ``office_message`` outbox)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import Connection

from jzplan.alert.backoff import delivery_backoff
from jzplan.alert.channels import Resolver
from jzplan.alert.deadlines import deadline_of
from jzplan.alert.office_delivery import OfficeResult, deliver_office_messages
from jzplan.alert.reminders import ReminderRun, queue_reminders
from jzplan.core.periods import Period
from jzplan.core.states import MessageKind, MessageStatus
from jzplan.month.lines import unit_names
from jzplan.month.loading import IngestOutcome
from jzplan.month.prepare import PreparedFile
from jzplan.month.receipts import queue_receipts, received_files, write_receipts
from jzplan.month.resources import Resources
from jzplan.reference.catalog import Catalog
from jzplan.store.office_messages import read_messages
from jzplan.track.history import StatusLoad
from tasks.notify import secret_resolver


# In the month's transaction (``bind``), not retried there: run_locked retries the month
@task(name="queue-receipts", task_run_name="receipts-{arrival}", cache_policy=NO_CACHE)
def queue_batch_receipts(
    resources: Resources,
    arrival: Period,
    outcomes: Sequence[IngestOutcome],
    prepared: Sequence[PreparedFile],
    status: StatusLoad,
    bind: Connection,
) -> int:
    """Every received file's receipt, addressed to its office, queued in the outbox."""
    files = received_files(arrival, outcomes, prepared, status)
    receipts, queued = queue_receipts(bind, files, resources.catalog, datetime.now(UTC))
    logger = get_run_logger()
    for r in receipts:
        logger.info("回执 %s → %s：%s", r.file, r.unit_name, r.status.label)
    return queued


# Retried: it writes files; they are written from the outbox, alike each time
@task(name="write-receipts", task_run_name="receipt-files-{arrival}", retries=2,
      retry_delay_seconds=2, cache_policy=NO_CACHE)  # fmt: skip
def write_batch_receipts(resources: Resources, arrival: Period) -> dict[str, Any]:
    """The batch's receipts as Markdown next to the reports, and where each one goes."""
    paths = write_receipts(resources.engine, arrival, resources.settings.receipts_dir)
    messages = read_messages(resources.engine, kind=MessageKind.RECEIPT, period=str(arrival))
    get_run_logger().info("%s 回执 %d 份：%s", arrival, len(paths), resources.settings.receipts_dir)
    return {
        "written": len(paths),
        "receipts": {m.file_name: [m.org_unit, m.title.rsplit("｜", 1)[-1]] for m in messages},
    }


@task(name="queue-reminders", task_run_name="reminders-{period}", retries=2,
      retry_delay_seconds=2, cache_policy=NO_CACHE)  # fmt: skip
def queue_period_reminders(resources: Resources, period: Period) -> ReminderRun:
    """One reminder per unit without an accepted form for ``period`` (once: the outbox)."""
    due = deadline_of(resources.settings).of(period)
    run = queue_reminders(resources.engine, resources.catalog, period, due, datetime.now(UTC))
    names = unit_names(resources.catalog, run.missing)
    get_run_logger().info(
        "%s 催报（截止 %s）：未报 %s；新增 %d 条，撤回 %d 条",
        period, due.isoformat(), names, run.queued, run.withdrawn,
    )  # fmt: skip
    return run


def office_notes(
    kind: MessageKind | None, results: Sequence[OfficeResult], catalog: Catalog
) -> list[tuple[int, str]]:
    """A log line (level, text) for each office message that did not go out. A failure is a
    warning (deliver-pending retries it); an office with no channel configured is reported
    at INFO, not as a warning: not an error (data/alerting/channels.yaml), and the shipped
    file configures none, so every run of a new install would warn once per office."""
    label = _label(kind)
    notes: list[tuple[int, str]] = []
    for r in results:
        unit = catalog.org_units[r.org_unit].name
        if r.status == MessageStatus.SKIPPED:
            notes.append(
                (logging.INFO, f"{label} 未送达 {unit}：本单位未配置可用的渠道（{r.detail}）")
            )
        elif r.deferred:
            notes.append((logging.INFO, f"{label} 暂缓 {unit}：{r.detail}"))
        elif r.failed:
            notes.append(
                (
                    logging.WARNING,
                    f"{label} 发送失败 {unit}：{r.detail}（留待 deliver-pending 重试）",
                )
            )
    return notes


def log_office(
    kind: MessageKind | None, results: Sequence[OfficeResult], catalog: Catalog
) -> dict[str, Any]:
    """Each office message that did not go out, named in the log; the summary's counts."""
    logger = get_run_logger()
    for level, line in office_notes(kind, results, catalog):
        logger.log(level, line)
    return {
        "sent": sum(r.status == MessageStatus.SENT for r in results),
        "skipped": sorted({r.org_unit for r in results if r.status == MessageStatus.SKIPPED}),
        "pending": sorted({r.org_unit for r in results if r.failed}),
    }


# Retried: it talks to the store. A channel's failure is not the task's: the message stays in
# the outbox, the channel waits out its backoff and deliver-pending sends it, nothing twice.
@task(name="deliver-office-messages", task_run_name="deliver-{kind}", retries=2,
      retry_delay_seconds=5, cache_policy=NO_CACHE)  # fmt: skip
def deliver_office(
    resources: Resources, kind: MessageKind, secrets: Resolver | None = None
) -> dict[str, Any]:
    """Send the outbox's messages of ``kind``; ``secrets``: the run's resolver (one listing
    of the server's Secret blocks per run, ``tasks.notify.secret_resolver``)."""
    settings = resources.settings
    results = deliver_office_messages(
        resources.engine,
        settings.alert_channels_file,
        secrets or secret_resolver(),
        area=resources.catalog.area.code,
        now=datetime.now(UTC),
        kind=kind,
        backoff=delivery_backoff(settings),
    )
    summary = log_office(kind, results, resources.catalog)
    get_run_logger().info(office_line(kind, summary, resources.catalog))
    return summary


def office_line(kind: MessageKind | None, summary: dict[str, Any], catalog: Catalog) -> str:
    """One delivery of office messages in one line of the run's log: sent, the offices with
    no channel configured and those whose channel failed (retried by deliver-pending), by name."""
    line = f"{_label(kind)}推送：已送达 {summary['sent']} 条"
    for label, key in (("未配置渠道", "skipped"), ("待重试", "pending")):
        if summary[key]:
            line += f"；{label} {unit_names(catalog, summary[key])}"
    return line


def _label(kind: MessageKind | None) -> str:
    """The messages' name: one kind's, or both (the outbox drain sends both)."""
    return kind.label if kind else "回执、催报"
