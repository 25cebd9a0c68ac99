"""The project's notification automations, as code: created or updated by name (an upsert), so
running this twice leaves one of each. ``python -m flows.automations`` (or ``jzplan
automations``) with PREFECT_API_URL pointing at the server and JZPLAN_ALERT_WEBHOOK_URL set.

Each automation reacts to the ``jzplan.alert.*`` events the runs emit (jzplan.alert.messages) and
sends a notification through a CustomWebhookNotificationBlock the function also upserts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from prefect.automations import Automation, EventTrigger, Posture, SendNotification
from prefect.blocks.notifications import CustomWebhookNotificationBlock

from jzplan.alert.messages import EVENT_PREFIX
from jzplan.core.states import AlertAction, AlertSeverity

BLOCK_NAME = "jzplan-alert-webhook"


@dataclass(frozen=True, slots=True)
class AutomationSpec:
    name: str
    description: str
    event: str
    severity: AlertSeverity | None  # None: any


SPECS = (
    AutomationSpec(
        "jzplan-alert-critical",
        "焦作新区：新增严重预警（滞后、未完成、已逾期、未报、退回待改）时通知",
        f"{EVENT_PREFIX}.{AlertAction.OPENED}",
        AlertSeverity.CRITICAL,
    ),
    AutomationSpec(
        "jzplan-alert-warning",
        "焦作新区：新增一般预警（预警、有待确认、校验提示）时通知",
        f"{EVENT_PREFIX}.{AlertAction.OPENED}",
        AlertSeverity.WARNING,
    ),
    AutomationSpec(
        "jzplan-alert-resolved",
        "焦作新区：预警解除时通知",
        f"{EVENT_PREFIX}.{AlertAction.RESOLVED}",
        None,
    ),
)
SUBJECT = "焦作新区目标跟踪：{{ event.payload.message }}"
BODY = (
    "{{ event.payload.message }}\n"
    "报告期：{{ event.payload.period }}；级别：{{ event.payload.severity }}；"
    "类别：{{ event.payload.kind }}；编号：{{ event.payload.dedup_key }}"
)


def upsert_webhook_block(url: str, name: str = BLOCK_NAME) -> UUID:
    """The notification block the automations send through (JSON POST to ``url``)."""
    block = CustomWebhookNotificationBlock(
        name="jzplan",
        url=url,
        json_data={"title": "{{subject}}", "text": "{{body}}", "source": "jzplan"},
        allow_private_urls=True,
    )
    block_id = block.save(name, overwrite=True)
    return UUID(str(block_id))


def _automation(spec: AutomationSpec, block_id: UUID) -> Automation:
    match = {"prefect.resource.id": "jzplan.alert.*"}
    if spec.severity:
        match["jzplan.severity"] = str(spec.severity)
    return Automation(
        name=spec.name,
        description=spec.description,
        enabled=True,
        trigger=EventTrigger(
            expect={spec.event},
            match=match,
            posture=Posture.Reactive,
            threshold=1,
            within=timedelta(0),
        ),
        actions=[SendNotification(block_document_id=block_id, subject=SUBJECT, body=BODY)],
    )


def ensure_automations(webhook_url: str) -> dict[str, str]:
    """Create or update every automation of SPECS; returns name → created|updated."""
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
    return done


def main() -> None:
    url = os.environ.get("JZPLAN_ALERT_WEBHOOK_URL")
    if not url:
        raise SystemExit("设置 JZPLAN_ALERT_WEBHOOK_URL（通知接收地址）后再运行")
    for name, action in ensure_automations(url).items():
        print(f"{name}: {action}")


if __name__ == "__main__":
    main()
