"""The operators' alert (推送失败, ``AlertKind.DELIVERY_FAILURE``): one per outage of a channel,
opened when it fails and resolved when it delivers again, kept in the alert table like every
alert. It goes to the operators' channels (``operators:`` in channels.yaml; without them, the
area's channels) — never through the channel that is failing."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from jzplan.alert.channels import Channel
from jzplan.alert.lifecycle import sync_alerts
from jzplan.core.periods import Period
from jzplan.core.states import AlertKey, AlertKind, AlertSeverity
from jzplan.store.channel_states import ChannelState
from jzplan.store.db import Bind
from jzplan.store.tracking import AlertEvent

KIND = AlertKind.DELIVERY_FAILURE


def failure_key(state: ChannelState) -> AlertKey:
    """One key per outage: the channel and the minute it began (UTC)."""
    since = (state.failing_since or datetime(1970, 1, 1, tzinfo=UTC)).astimezone(UTC)
    return AlertKey.delivery(state.channel, since.strftime("%Y%m%dT%H%MZ"))


def failure_message(state: ChannelState, pending: int, timezone: str) -> str:
    """What the operators read: the channel, since when, how much waits, the last error."""
    tz = ZoneInfo(timezone)

    def local(t: datetime | None) -> str:
        return t.astimezone(tz).strftime("%Y-%m-%d %H:%M") if t else "未知"

    return (
        f"推送渠道「{state.channel}」自 {local(state.failing_since)} 起推送失败"
        f"（已连续失败 {state.failures} 次），{pending} 条待补发；"
        f"最近错误：{state.last_error or '未知'}；下次重试 {local(state.next_attempt_at)}"
    )


def sync_failure_alerts(
    bind: Bind,
    states: Mapping[str, ChannelState],
    pending: Mapping[str, int],
    at: datetime,
    *,
    configured: Collection[str],
    timezone: str,
) -> dict[str, int]:
    """Open an operators' alert for every configured channel that is failing and resolve
    those of channels that deliver again (or are no longer configured); counts as
    ``sync_alerts``."""
    local = at.astimezone(ZoneInfo(timezone))
    active = [
        {
            "dedup_key": str(failure_key(s)),
            "kind": KIND,
            "severity": AlertSeverity.CRITICAL,
            "org_unit": None,
            "target_id": None,
            "message": failure_message(s, pending.get(name, 0), timezone),
        }
        for name, s in sorted(states.items())
        if s.failing and name in configured
    ]
    return sync_alerts(bind, Period(local.year, local.month), active, scope_kinds={KIND})


def failing_channel(event: AlertEvent) -> str:
    """The channel an operators' alert is about."""
    return AlertKey.parse(event.dedup_key).parts[0]


def operator_route(
    event: AlertEvent, operators: Sequence[Channel], area: Sequence[Channel]
) -> list[Channel]:
    """Where an operators' alert goes: the operators' channels, else the area's, never the
    channel it is about."""
    failing = failing_channel(event)
    return [c for c in operators if c.name != failing] or [c for c in area if c.name != failing]
