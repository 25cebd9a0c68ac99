"""The pipeline watched, as code: Prefect automations that tell the operators, in Chinese,

- ``jzplan-run-failed`` / ``jzplan-run-crashed``: a run of any jzplan deployment (tag
  ``jzplan``) ended Failed or Crashed;
- ``jzplan-monthly-late``: a run of the ``monthly-progress`` deployment did not complete
  within the window from its scheduled start (09:00 on the 6th by its cron) to the due time
  (JZPLAN_MONTHLY_DUE_DAY/_HOUR, 12:00 on the 6th) — a proactive trigger: the absence of its
  ``prefect.flow-run.Completed`` event after its first Late, Pending or Running event;
- ``jzplan-deadline-check-late``: a ``deadline-check`` run did not complete within
  JZPLAN_DEADLINE_CHECK_GRACE_MINUTES of its start, likewise.

Each runs the ``notify-operators`` deployment (flows/notify.py) with what it knows of the run
as templated parameters; that flow sends through the operators' channels of channels.yaml
with the project's senders. With JZPLAN_OPERATOR_WEBHOOK_URL set, each also posts the notice
to that URL from the server itself (a webhook notification block), a path that needs no
worker: when the worker is down, the notify-operators run waits like every other run.

Created or updated by name (an upsert), so running this twice leaves one of each; the older
``jzplan-alert-*`` automations, which posted every alert event a second time beside the
digest, are deleted. ``jzplan automations`` (or ``python -m flows.automations``) with
PREFECT_API_URL pointing at the server, after ``prefect deploy --all``. Target alerts are never
sent from here: the runs deliver them once per channel (jzplan.alert.delivery).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import yaml
from prefect.automations import (
    Automation,
    EventTrigger,
    Posture,
    RunDeployment,
    SendNotification,
)
from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.client.orchestration import get_client
from prefect.events.actions import ActionTypes

from jzplan.alert.watch import PRODUCT, Windows, duration_text, watch_windows
from jzplan.core.errors import OperatorError
from jzplan.core.settings import PROJECT_ROOT, Settings
from jzplan.core.states import PipelineNotice

BLOCK_NAME = "jzplan-operator-webhook"
ENV_URL = "JZPLAN_OPERATOR_WEBHOOK_URL"
# every deployment of prefect.yaml carries it (not notify-operators), and so do their runs
TAG = "jzplan"
NOTIFY_DEPLOYMENT = "notify-operators/notify-operators"
MONTHLY = "monthly-progress"
DEADLINE_CHECK = "deadline-check"
# a run has started, or should have: its first of these opens its window (later ones do not
# move it); Late comes ~15 s after the scheduled start when no worker has taken it
START_EVENTS = frozenset(
    {"prefect.flow-run.Late", "prefect.flow-run.Pending", "prefect.flow-run.Running"}
)
COMPLETED = "prefect.flow-run.Completed"
# what earlier versions created: a second copy of every alert notification
RETIRED = ("jzplan-alert-critical", "jzplan-alert-warning", "jzplan-alert-resolved")

# what the automation knows of the run, rendered by the server when it fires: each a Jinja
# template whose output is kept as text (a bare "{{ x }}" string would be rendered through
# tojson, which fails on the run's UUID). No `ui_url` filter: Prefect 3.9 registers its
# filters only when a notification renders, so a run-deployment action using one fails
# (InvalidJinja) on a server that has sent no notification yet; notify-operators makes the
# link itself from the run's id.
RUN_TEMPLATES = {
    "flow_run_name": "{{ flow_run.name }}",
    "flow_run_id": "{{ flow_run.id }}",
    "flow_name": "{{ flow.name if flow else '' }}",
    "deployment_name": "{{ deployment.name if deployment else '' }}",
    "state": "{{ flow_run.state.name if flow_run.state else '' }}",
    "message": "{{ (flow_run.state.message or '') if flow_run.state else '' }}",
    "scheduled": "{{ flow_run.expected_start_time or '' }}",
    "occurred": "{{ event.occurred }}",
}
RUN_PARAMETERS = {
    name: {"__prefect_kind": "jinja", "template": template}
    for name, template in RUN_TEMPLATES.items()
}


@dataclass(frozen=True, slots=True)
class AutomationSpec:
    name: str
    description: str
    notice: PipelineNotice
    trigger: EventTrigger


def _state_trigger(event: str) -> EventTrigger:
    return EventTrigger(
        expect={event},
        match={"prefect.resource.id": "prefect.flow-run.*"},
        match_related={"prefect.resource.role": "tag", "prefect.resource.id": f"prefect.tag.{TAG}"},
        posture=Posture.Reactive,
        threshold=1,
        within=timedelta(0),
    )


def completion_trigger(deployment: str, within: timedelta) -> EventTrigger:
    """Fires when a run of ``deployment`` (by name) has not completed ``within`` after its
    first start event, one window per run."""
    return EventTrigger(
        after=set(START_EVENTS),
        expect={COMPLETED},
        for_each={"prefect.resource.id"},
        match={"prefect.resource.id": "prefect.flow-run.*"},
        match_related={"prefect.resource.role": "deployment", "prefect.resource.name": deployment},
        posture=Posture.Proactive,
        threshold=1,
        within=within,
    )


def specs(windows: Windows, settings: Settings) -> tuple[AutomationSpec, ...]:
    return (
        AutomationSpec(
            "jzplan-run-failed",
            f"{PRODUCT}：流程运行失败时通知运维人员",
            PipelineNotice.FAILED,
            _state_trigger("prefect.flow-run.Failed"),
        ),
        AutomationSpec(
            "jzplan-run-crashed",
            f"{PRODUCT}：流程运行崩溃（进程中断、内存不足等）时通知运维人员",
            PipelineNotice.CRASHED,
            _state_trigger("prefect.flow-run.Crashed"),
        ),
        AutomationSpec(
            "jzplan-monthly-late",
            f"{PRODUCT}：月报处理运行开始后 {duration_text(windows.monthly)}内未完成（"
            f"每月计划开始至{settings.monthly_due_day}日{settings.monthly_due_hour}时）时通知运维人员",
            PipelineNotice.MONTHLY_LATE,
            completion_trigger(MONTHLY, windows.monthly),
        ),
        AutomationSpec(
            "jzplan-deadline-check-late",
            f"{PRODUCT}：报送截止检查运行开始后 {duration_text(windows.deadline_check)}内未完成时"
            "通知运维人员",
            PipelineNotice.DEADLINE_CHECK_LATE,
            completion_trigger(DEADLINE_CHECK, windows.deadline_check),
        ),
    )


def monthly_cron(config_file: Path, settings: Settings) -> str:
    """The monthly deployment's cron in prefect.yaml (its timezone must be the settings')."""
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    for deployment in config.get("deployments") or []:
        if deployment.get("name") == MONTHLY and deployment.get("schedules"):
            schedule = deployment["schedules"][0]
            if schedule.get("timezone") != settings.timezone:
                raise OperatorError(
                    "watch_timezone_mismatch",
                    f"prefect.yaml 中 {MONTHLY} 的时区 {schedule.get('timezone')} 与 "
                    f"JZPLAN_TIMEZONE（{settings.timezone}）不一致，无法计算应完成的时限",
                )
            return str(schedule["cron"])
    raise OperatorError("watch_no_monthly_schedule", f"prefect.yaml 中没有 {MONTHLY} 的定时计划")


def default_windows(settings: Settings | None = None) -> Windows:
    settings = settings or Settings()
    return watch_windows(settings, monthly_cron(PROJECT_ROOT / "prefect.yaml", settings))


def upsert_webhook_block(url: str, name: str = BLOCK_NAME) -> UUID:
    """The server's own notification block (JSON POST of title and text to ``url``)."""
    block = CustomWebhookNotificationBlock(
        name="jzplan-operators",
        url=url,
        json_data={"title": "{{subject}}", "text": "{{body}}", "source": "jzplan"},
        allow_private_urls=True,
    )
    return UUID(str(block.save(name, overwrite=True)))


def direct_text(spec: AutomationSpec) -> tuple[str, str]:
    """Subject and body of the server's own webhook notice (Jinja, rendered by the server)."""
    title = {
        PipelineNotice.FAILED: "【运行失败】",
        PipelineNotice.CRASHED: "【运行崩溃】",
        PipelineNotice.MONTHLY_LATE: "【月报未按时完成】",
        PipelineNotice.DEADLINE_CHECK_LATE: "【截止检查未完成】",
    }[spec.notice]
    body = (
        f"{spec.description}。\n运行「{{{{ flow_run.name }}}}」，当前状态 "
        "{{ flow_run.state.name }}；{{ flow_run.state.message or '' }}\n"
        "{% set url = flow_run|ui_url %}{% if url %}查看：{{ url }}\n{% endif %}"
        "请检查工作进程和运行日志，修复后重跑该运行（同一文件不会重复入库）。"
    )
    return f"{title}{PRODUCT}：{{{{ flow_run.name }}}}", body


def build(spec: AutomationSpec, notify_id: UUID, block_id: UUID | None) -> Automation:
    actions: list[ActionTypes] = [
        RunDeployment(
            source="selected",
            deployment_id=notify_id,
            parameters={"kind": str(spec.notice), **RUN_PARAMETERS},
        )
    ]
    if block_id is not None:
        subject, body = direct_text(spec)
        actions.append(SendNotification(block_document_id=block_id, subject=subject, body=body))
    return Automation(
        name=spec.name,
        description=spec.description,
        enabled=True,
        trigger=spec.trigger,
        actions=actions,
    )


def notify_deployment_id() -> UUID:
    with get_client(sync_client=True) as client:
        try:
            return client.read_deployment_by_name(NOTIFY_DEPLOYMENT).id
        except Exception as exc:  # ObjectNotFound, or the server's 404 as another type
            raise OperatorError(
                "watch_no_notify_deployment",
                f"服务器上没有部署 {NOTIFY_DEPLOYMENT}：先运行 prefect --no-prompt deploy --all，"
                "再运行 jzplan automations",
            ) from exc


def remove_retired(names: tuple[str, ...] = RETIRED) -> list[str]:
    """Delete the automations of ``names`` that exist; returns those deleted."""
    deleted = []
    with get_client(sync_client=True) as client:
        for automation in client.read_automations():
            if automation.name in names:
                client.delete_automation(automation.id)
                deleted.append(automation.name)
    return sorted(deleted)


def ensure_automations(
    windows: Windows | None = None, webhook_url: str | None = None
) -> dict[str, str]:
    """Create or update every automation and delete the retired ones; returns name →
    created|updated|deleted. ``windows``: the settings' and prefect.yaml's unless given."""
    settings = Settings()
    windows = windows or default_windows(settings)
    notify_id = notify_deployment_id()
    block_id = upsert_webhook_block(webhook_url) if webhook_url else None
    done: dict[str, str] = {}
    for spec in specs(windows, settings):
        wanted = build(spec, notify_id, block_id)
        try:
            existing: Automation | None = Automation.read(name=spec.name)  # type: ignore[assignment]
        except ValueError:
            existing = None
        if existing is None:
            wanted.create()
            done[spec.name] = "created"
        else:
            wanted.id = existing.id
            wanted.update()
            done[spec.name] = "updated"
    for name in remove_retired():
        done[name] = "deleted"
    return done


LABELS = {"created": "已创建", "updated": "已更新", "deleted": "已删除（旧的预警转发）"}


def main() -> None:
    settings = Settings()
    windows = default_windows(settings)
    url = os.environ.get(ENV_URL) or None
    for name, action in ensure_automations(windows, url).items():
        print(f"{name}: {LABELS[action]}")
    print(f"月报应完成时限：开始后 {duration_text(windows.monthly)}；"
          f"截止检查：开始后 {duration_text(windows.deadline_check)}")  # fmt: skip
    print("通知经 notify-operators 部署发往 channels.yaml 的 operators 渠道"
          + (f"，并由服务器直接推送到 {ENV_URL}" if url else ""))  # fmt: skip


if __name__ == "__main__":
    main()
