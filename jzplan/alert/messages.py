"""What an alert notification says: the Prefect event of one transition and the digest of a
batch of transitions (title and Markdown body), in Chinese: for a target, its figures of the
alert's period (``jzplan.alert.facts``), the change of status, and a link to the month's report."""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from typing import Any

from jzplan.alert.facts import MessageFacts, TargetFacts
from jzplan.core.markup import md_escape
from jzplan.core.states import AlertAction, AlertKey, AlertKind, AlertSeverity, TargetStatus
from jzplan.reference.display import WHOLE_UNITS, number
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


def _amount(value: float, f: TargetFacts) -> str:
    shown = f"{round(value):,}" if f.kind == "count" or f.unit in WHOLE_UNITS else number(value)
    return f"{shown}{f.unit or ''}"


def _gap(f: TargetFacts) -> float | None:
    """How far the actual is on the wrong side of the pace, in the target's unit (None: not)."""
    if f.actual is None or f.pace is None:
        return None
    gap = f.actual - f.pace if f.comparison == "<=" else f.pace - f.actual
    return gap if gap > 1e-9 * max(1.0, abs(f.pace)) else None


def figures(f: TargetFacts) -> str:
    """The target's figures as one clause, e.g. 累计 2.84亿元，完成年度目标 2.9%；按季节进度
    应达 4.39亿元（4.6%），慢于季节进度 1.6 个百分点，差 1.55亿元. Milestones, qualitative
    targets and rankings: the stored note (截止、进展、位次)."""
    if f.actual is None or f.kind in ("milestone", "qualitative", "ranking"):
        return md_escape(f.note) if f.note else ""
    gap = _gap(f)
    if f.comparison == "<=":  # a ceiling: no completion rate, the cap and how far over pace
        parts = [f"本期 {_amount(f.actual, f)}"]
        if f.target_value is not None:
            parts.append(f"上限 {_amount(f.target_value, f)}")
        text = "，".join(parts)
        if f.pace is not None:
            text += f"；按{f.pace_name}应不超过 {_amount(f.pace, f)}"
            text += f"，超出 {_amount(gap, f)}" if gap else ""
        return text
    parts = [f"累计 {_amount(f.actual, f)}"]
    if f.completion_pct is not None:
        parts.append(f"完成年度目标 {f.completion_pct:.1f}%")
    text = "，".join(parts)
    if f.growth_pct is not None and f.goal is not None:
        points = f.growth_pct - f.goal
        text += (
            f"；同比增长 {f.growth_pct:.1f}%（目标 {number(f.goal)}%），"
            f"{'高于' if points >= 0 else '低于'}目标增速 {abs(points):.1f} 个百分点"
        )
        if f.pace is not None and gap:
            text += f"，按目标增速应达 {_amount(f.pace, f)}，差 {_amount(gap, f)}"
        return text
    if f.pace is not None:
        pace_pct = f.pace_pct
        share = f"（{pace_pct:.1f}%）" if pace_pct is not None else ""
        text += f"；按{f.pace_name}应达 {_amount(f.pace, f)}{share}"
        if f.completion_pct is not None and pace_pct is not None:
            points = f.completion_pct - pace_pct
            if abs(points) < 0.05:
                text += f"，与{f.pace_name}持平"
            else:
                way = "快于" if points > 0 else "慢于"
                text += f"，{way}{f.pace_name} {abs(points):.1f} 个百分点"
        text += f"，差 {_amount(gap, f)}" if gap else ""
    return text


def _change(before: TargetStatus | None, now: TargetStatus | None) -> str:
    """由预警转为滞后, or 新增滞后 when there is no earlier status to speak of."""
    label = now.label if now else ""
    if before is None or before == now or before in (TargetStatus.NO_DATA, TargetStatus.PENDING):
        return f"新增{label}"
    return f"由{before.label}转为{label}"


def _head(f: TargetFacts, word: str) -> str:
    return f"{md_escape(f.scope)}「{md_escape(f.label)}」{word}"


# What the office does about an alert of each kind (target alerts carry their figures instead)
TO_DO = {
    AlertKind.MISSING_SUBMISSION: "请督促该单位尽快报送",
    AlertKind.REJECTED_SUBMISSION: "请该单位按退回原因修改后重新报送",
}


def opened_line(e: AlertEvent, before: TargetStatus | None, facts: MessageFacts) -> str:
    """One new or changed alert: ``before`` is the status of an alert of the same target that
    resolved in the same batch (由预警转为滞后)."""
    head = f"- 【{severity_label(e.severity)}】"
    now = _target_status(e)
    f = facts.target(e.target_id, e.period)
    if f is None:  # no stored figures (or not a target): the alert's own message
        text = md_escape(e.message)
        if before is not None:
            text += f"（{_change(before, now)}）"
        elif e.kind in TO_DO:
            text += f"，{TO_DO[AlertKind(e.kind)]}"
        return head + text
    change = _change(before if before is not None else f.previous, now)
    text = _head(f, now.label if now else "") + f"（{change}）"
    clause = figures(f)
    return head + text + (f"：{clause}" if clause else "")


def resolved_line(e: AlertEvent, facts: MessageFacts) -> str:
    """One resolved alert: 已恢复正常 / 已完成 with the target's figures now, 已报送 for a
    submission that arrived; otherwise the alert's message, marked 已解除."""
    was = _target_status(e)
    f = facts.target(e.target_id, e.period)
    key = AlertKey.parse(e.dedup_key)
    if f is not None:
        now = f.status
        if now == TargetStatus.ACHIEVED:
            word = "已完成"
        elif now == TargetStatus.ON_TRACK:
            word = "已恢复正常"
        else:
            word = f"已解除（现为{now.label}）" if now else "已解除"
        text = _head(f, word) + (f"（原{was.label}）" if was else "")
        clause = figures(f)
        return f"- {text}" + (f"：{clause}" if clause else "")
    name = facts.unit_names.get(e.org_unit or "")
    if e.kind == AlertKind.MISSING_SUBMISSION and name and len(key.parts) > 1:
        return f"- {md_escape(name)} {md_escape(key.parts[1])} 月报已报送"
    return f"- {md_escape(e.message.removeprefix('已解除：'))}（已解除）"


def report_url(base_url: str | None, period: str) -> str | None:
    """The month's report under JZPLAN_REPORT_BASE_URL; None unless it is served over http(s)
    (never a file:// link in a chat message)."""
    if not base_url or urllib.parse.urlsplit(base_url).scheme not in ("http", "https"):
        return None
    url = f"{base_url.rstrip('/')}/progress-{period}.html"
    return urllib.parse.quote(url, safe=":/?#@!$&'*+,;=%~-._")


def _link_text(url: str) -> str:
    """A URL (already percent-encoded) as a link's literal text."""
    return "".join("\\" + c if c in "\\`*_[]!|~" else "&amp;" if c == "&" else c for c in url)


def digest(
    events: Sequence[AlertEvent],
    title: str = "焦作新区目标跟踪预警",
    facts: MessageFacts | None = None,
) -> tuple[str, str]:
    """(title, Markdown body) of one notification for a batch of transitions. A target whose
    status changed in a period (one alert resolved, another opened) is one line: 由预警转为
    滞后; resolved alerts are listed apart (已解除 N 条); with ``facts``, each target's figures,
    and a link to each period's report when the reports are served."""
    facts = facts or MessageFacts()
    opened = [e for e in events if e.action == AlertAction.OPENED]
    resolved = [e for e in events if e.action == AlertAction.RESOLVED]
    opened_keys = {(o.target_id, o.period) for o in opened if o.target_id}
    changed_from: dict[tuple[str | None, str], TargetStatus | None] = {
        (e.target_id, e.period): _target_status(e)
        for e in resolved
        if (e.target_id, e.period) in opened_keys
    }
    periods = sorted({e.period for e in events})
    shown_periods = "、".join(md_escape(p) for p in periods)
    lines = [f"### {title}（{shown_periods}）", ""]
    # what the figures are: 正式 once the month is released (审核发布), else 暂
    lines += [f"数据：{md_escape(p)} {md_escape(facts.figures[p])}" for p in periods
              if p in facts.figures]  # fmt: skip
    if any(p in facts.figures for p in periods):
        lines.append("")
    if opened:
        lines.append(f"**新增或变化 {len(opened)} 条**")
        lines += [opened_line(e, changed_from.get((e.target_id, e.period)), facts) for e in opened]
        lines.append("")
    plain_resolved = [e for e in resolved if (e.target_id, e.period) not in changed_from]
    if plain_resolved:
        lines.append(f"**已解除 {len(plain_resolved)} 条**")
        lines += [resolved_line(e, facts) for e in plain_resolved]
        lines.append("")
    for p in periods:
        url = report_url(facts.report_base_url, p)
        if url:
            lines += [f"查看月报：[{_link_text(url)}]({url})", ""]
    return f"{title}（{shown_periods}）", "\n".join(lines).rstrip() + "\n"
