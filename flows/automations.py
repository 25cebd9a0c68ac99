"""The pipeline's automations, as code: a run of any jzplan deployment (tag ``jzplan``) that
fails or crashes sends the operators a Chinese notification. Created or updated by name (an
upsert), so running this twice leaves one of each; the older ``jzplan-alert-*`` automations,
which posted every alert event a second time beside the digest, are deleted.
``python -m flows.automations`` (or ``jzplan automations``) with PREFECT_API_URL pointing at
the server and JZPLAN_OPERATOR_WEBHOOK_URL set.

Target alerts are never sent from here: the runs deliver them once per channel (the outbox,
jzplan.alert.delivery). A run that does not happen at all (late: the monthly run not done by
the 6th at noon) needs a proactive trigger; that is left to the approval/locking issue.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from prefect.automations import Automation, EventTrigger, Posture, SendNotification
from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.client.orchestration import get_client

BLOCK_NAME = "jzplan-operator-webhook"
ENV_URL = "JZPLAN_OPERATOR_WEBHOOK_URL"
TAG = "jzplan"  # every deployment of prefect.yaml carries it, and so do their runs
# what earlier versions created: a second copy of every alert notification
RETIRED = ("jzplan-alert-critical", "jzplan-alert-warning", "jzplan-alert-resolved")


@dataclass(frozen=True, slots=True)
class AutomationSpec:
    name: str
    description: str
    event: str  # the flow run's state event
    word: str  # what happened, in the notification


SPECS = (
    AutomationSpec(
        "jzplan-run-failed",
        "焦作新区目标跟踪：流程运行失败时通知运维人员",
        "prefect.flow-run.Failed",
        "失败",
    ),
    AutomationSpec(
        "jzplan-run-crashed",
        "焦作新区目标跟踪：流程运行崩溃（进程中断、内存不足等）时通知运维人员",
        "prefect.flow-run.Crashed",
        "崩溃",
    ),
)


def subject(spec: AutomationSpec) -> str:
    return f"【运行{spec.word}】焦作新区目标跟踪：{{{{ flow_run.name }}}}"


def body(spec: AutomationSpec) -> str:
    return (
        f"流程「{{{{ flow.name }}}}」的运行「{{{{ flow_run.name }}}}」{spec.word}。\n"
        "原因：{{ flow_run.state.message or '未说明' }}\n"
        "{% set url = flow_run|ui_url %}{% if url %}查看：{{ url }}\n{% endif %}"
        "请检查运行日志；修复后可在界面上重跑该运行（同一文件不会重复入库）。"
    )


def upsert_webhook_block(url: str, name: str = BLOCK_NAME) -> UUID:
    """The notification block the automations send through (JSON POST to ``url``)."""
    block = CustomWebhookNotificationBlock(
        name="jzplan-operators",
        url=url,
        json_data={"title": "{{subject}}", "text": "{{body}}", "source": "jzplan"},
        allow_private_urls=True,
    )
    block_id = block.save(name, overwrite=True)
    return UUID(str(block_id))


def _automation(spec: AutomationSpec, block_id: UUID) -> Automation:
    return Automation(
        name=spec.name,
        description=spec.description,
        enabled=True,
        trigger=EventTrigger(
            expect={spec.event},
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related={
                "prefect.resource.role": "tag",
                "prefect.resource.id": f"prefect.tag.{TAG}",
            },
            posture=Posture.Reactive,
            threshold=1,
            within=timedelta(0),
        ),
        actions=[
            SendNotification(block_document_id=block_id, subject=subject(spec), body=body(spec))
        ],
    )


def remove_retired(names: tuple[str, ...] = RETIRED) -> list[str]:
    """Delete the automations of ``names`` that exist; returns those deleted."""
    deleted = []
    with get_client(sync_client=True) as client:
        for automation in client.read_automations():
            if automation.name in names:
                client.delete_automation(automation.id)
                deleted.append(automation.name)
    return sorted(deleted)


def ensure_automations(webhook_url: str) -> dict[str, str]:
    """Create or update every automation of SPECS and delete the retired ones; returns
    name → created|updated|deleted."""
    block_id = upsert_webhook_block(webhook_url)
    done: dict[str, str] = {}
    for spec in SPECS:
        wanted = _automation(spec, block_id)
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
    url = os.environ.get(ENV_URL)
    if not url:
        raise SystemExit(f"设置 {ENV_URL}（运维人员的通知接收地址）后再运行")
    for name, action in ensure_automations(url).items():
        print(f"{name}: {LABELS[action]}")


if __name__ == "__main__":
    main()
