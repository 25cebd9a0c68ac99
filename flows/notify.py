"""``notify-operators``: what the pipeline's automations run (flows/automations.py) to tell the
operators that a run failed, crashed or did not complete in time, in Chinese, through the
operators' channels of channels.yaml with the project's own senders (DingTalk 加签, WeCom,
email, the webhook). The automation passes what it knows of the run as templated parameters.

Its deployment is deliberately not tagged ``jzplan``: a notice that cannot be sent fails this
run, and that failure must not fire the failure automation again (a loop)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.urls import url_for

from flows import entrypoint_imported
from flows.plain_flow import flow
from jzplan.alert.channels import Channel
from jzplan.alert.http import http_client
from jzplan.alert.watch import (
    RunFacts,
    notice_channels,
    notice_results_text,
    notice_text,
    send_notice,
)
from jzplan.core.settings import Settings
from jzplan.core.states import PipelineNotice
from tasks.notify import secret_resolver


class NoticeNotSent(RuntimeError):
    """Some operators' channel refused the notice (after the task's retries)."""


# Retried: it talks to the outside world. Each channel is its own task, so a retry resends
# only to the channel that failed.
@task(name="send-operator-notice", task_run_name="notice-{channel.name}", retries=2,
      retry_delay_seconds=10, cache_policy=NO_CACHE)  # fmt: skip
def send_to(channel: Channel, title: str, body: str, key: str) -> str:
    with http_client() as http:
        status = send_notice([channel], title, body, secret_resolver(), http, key=key)[channel.name]
    if status.startswith("failed"):
        raise NoticeNotSent(status)
    return status


@flow(name="notify-operators", flow_run_name="notify-{kind}-{flow_run_name}", log_prints=True)
def notify_operators(
    kind: PipelineNotice,
    flow_run_name: str,
    flow_name: str = "",
    deployment_name: str = "",
    state: str = "",
    message: str = "",
    scheduled: str = "",
    occurred: str = "",
    flow_run_id: str = "",
) -> dict[str, str]:
    """Send the operators one notice about the run ``flow_run_name`` (``kind``: failed,
    crashed, monthly-late, deadline-check-late); returns each channel's result."""
    settings = Settings()
    # the run in the UI: PREFECT_UI_URL where this runs (by default the API's address)
    url = (url_for("flow-run", obj_id=flow_run_id) or "") if flow_run_id else ""
    facts = RunFacts(flow_run_name, flow_name, deployment_name, state, message, scheduled,
                     occurred, url)  # fmt: skip
    title, body = notice_text(PipelineNotice(kind), facts, settings, datetime.now(UTC))
    # the same notice of the same run carries the same key (webhook header, email Message-ID)
    key = hashlib.sha256(f"{kind}|{flow_run_id or flow_run_name}".encode()).hexdigest()[:32]
    logger = get_run_logger()
    channels = notice_channels(settings.alert_channels_file)
    if not channels:
        logger.warning("未配置运维人员的通知渠道（channels.yaml 的 operators）：%s 未发出", title)
        return {}
    futures = {c.name: send_to.submit(c, title, body, key) for c in channels if c.enabled}
    results: dict[str, str] = {}
    for name, future in futures.items():
        future.wait()
        results[name] = str(future.result()) if future.state.is_completed() else "failed"
    logger.info("运维通知「%s」：%s", title, notice_results_text(results))
    failed = sorted(n for n, r in results.items() if r == "failed")
    if failed:
        raise NoticeNotSent(f"运维通知未送达：{'、'.join(failed)}")
    return results


# the last line: a worker's flow-run process has imported this deployment's entrypoint
# (jzplan.core.process)
entrypoint_imported()
