"""What an alert notification says: the Prefect event of one transition and the digest of a
batch of transitions (title and Markdown body), in Chinese."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jzplan.core.markup import md_escape
from jzplan.core.states import AlertAction, AlertKey, AlertSeverity, TargetStatus
from jzplan.store.tracking import AlertEvent

SEVERITY_RANK = {AlertSeverity.WARNING: 1, AlertSeverity.CRITICAL: 2}
EVENT_PREFIX = "jzplan.alert"


def event_spec(e: AlertEvent) -> tuple[str, dict[str, str], dict[str, Any]]:
    """(event name, resource, payload) of the Prefect event for one transition."""
    resource = {
        "prefect.resource.id": f"{EVENT_PREFIX}.{e.dedup_key}",
        "prefect.resource.name": e.message,
        "jzplan.kind": e.kind,
        "jzplan.severity": e.severity,
        "jzplan.period": e.period,
    }
    if e.org_unit:
        resource["jzplan.org-unit"] = e.org_unit
    if e.target_id:
        resource["jzplan.target"] = e.target_id
    payload = {
        "dedup_key": e.dedup_key,
        "action": e.action,
        "period": e.period,
        "kind": e.kind,
        "severity": e.severity,
        "org_unit": e.org_unit,
        "target_id": e.target_id,
        "message": e.message,
    }
    return f"{EVENT_PREFIX}.{e.action}", resource, payload


def severity_label(severity: str) -> str:
    """The Chinese word of a stored severity; the value itself when it is not one."""
    try:
        return AlertSeverity(severity).label
    except ValueError:
        return severity


def severity_rank(severity: str) -> int:
    """How loud a stored severity is (0 for a value that is not one)."""
    try:
        return SEVERITY_RANK[AlertSeverity(severity)]
    except ValueError:
        return 0


def _target_status(event: AlertEvent) -> TargetStatus | None:
    """The status a target alert's event is about (the store's key read back at the edge)."""
    return AlertKey.parse(event.dedup_key).target_status


def digest(events: Sequence[AlertEvent], title: str = "焦作新区目标跟踪预警") -> tuple[str, str]:
    """(title, Markdown body) of one notification for a batch of transitions. A target whose
    status changed (one alert resolved, another opened) is one line: 由预警转为滞后."""
    opened = [e for e in events if e.action == AlertAction.OPENED]
    resolved = [e for e in events if e.action == AlertAction.RESOLVED]
    changed_from: dict[str, TargetStatus | None] = {}
    for e in resolved:
        if e.target_id and any(o.target_id == e.target_id for o in opened):
            changed_from[e.target_id] = _target_status(e)
    periods = sorted({md_escape(e.period) for e in events})
    lines = [f"### {title}（{'、'.join(periods)}）", ""]
    if opened:
        lines.append(f"**新增或变化 {len(opened)} 条**")
        for e in opened:
            text = md_escape(e.message)
            if e.target_id in changed_from:
                before, now = changed_from[e.target_id], _target_status(e)
                text += f"（由{before.label if before else ''}转为{now.label if now else ''}）"
            lines.append(f"- 【{severity_label(e.severity)}】{text}")
        lines.append("")
    plain_resolved = [e for e in resolved if e.target_id not in changed_from]
    if plain_resolved:
        lines.append(f"**已解除 {len(plain_resolved)} 条**")
        lines += [f"- {md_escape(e.message.removeprefix('已解除：'))}" for e in plain_resolved]
        lines.append("")
    return f"{title}（{'、'.join(periods)}）", "\n".join(lines).rstrip() + "\n"
