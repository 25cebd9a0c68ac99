"""Delivering alert transitions: Prefect events (through an injected emitter) and notifications
to the channels of ``data/alerting/channels.yaml`` — a generic webhook, DingTalk and WeCom
group robots, and email. Secrets are named there (an env var or a Prefect Secret block) and
resolved by an injected resolver; none is ever written in code or config."""

from __future__ import annotations

import base64
import hashlib
import hmac
import smtplib
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field

from jzplan.core.markup import md_escape
from jzplan.core.states import AlertAction, AlertKey, AlertSeverity, TargetStatus
from jzplan.store import tracking
from jzplan.store.alert_deliveries import delivered_to, record_deliveries
from jzplan.store.db import Bind
from jzplan.store.tracking import AlertEvent

SEVERITY_RANK = {AlertSeverity.WARNING: 1, AlertSeverity.CRITICAL: 2}
EVENT_PREFIX = "jzplan.alert"
# WeCom robots reject markdown content over 4096 bytes; DingTalk's limit is larger (20000)
WECOM_MAX_BYTES = 4096


class SecretRef(BaseModel):
    """Where a secret comes from: an environment variable, else a Prefect Secret block."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    env: str | None = None
    block: str | None = None


class Channel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: Literal["webhook", "dingtalk", "wecom", "email"]
    enabled: bool = True
    min_severity: AlertSeverity = AlertSeverity.WARNING
    url: SecretRef | None = None  # webhook, dingtalk, wecom: the URL holds the token
    secret: SecretRef | None = None  # dingtalk: signing secret (加签), optional
    at_mobiles: list[str] = Field(default_factory=list)  # dingtalk/wecom: people to @
    smtp_host: str | SecretRef | None = None  # a name, or where to read it from
    smtp_port: int = 25
    starttls: bool = False
    username: SecretRef | None = None
    password: SecretRef | None = None
    sender: str | None = None
    recipients: list[str] = Field(default_factory=list)
    timeout_seconds: float = 10.0


class ChannelsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channels: list[Channel] = Field(default_factory=list)
    # Each office's own channels (receipts 回执, reminders 催报), by org unit code; the
    # area's code is the area office (区统计局/目标办), which falls back to ``channels``
    offices: dict[str, list[Channel]] = Field(default_factory=dict)


def _channels_file(path: Path) -> ChannelsFile:
    if not path.is_file():
        return ChannelsFile()
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return ChannelsFile.model_validate(raw)


def load_channels(path: Path) -> list[Channel]:
    """The configured channels; a missing file means none."""
    return _channels_file(path).channels


def load_office_channels(path: Path) -> dict[str, list[Channel]]:
    """Each office's channels by org unit code (``offices:``); a missing file means none."""
    return _channels_file(path).offices


Resolver = Callable[[SecretRef], str | None]


def env_resolver(environ: Mapping[str, str]) -> Resolver:
    """Resolve from environment variables only (Prefect blocks are added in tasks/notify.py)."""

    def resolve(ref: SecretRef) -> str | None:
        return environ.get(ref.env) if ref.env else None

    return resolve


# --- what is said ----------------------------------------------------------------------------


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


class Emitter(Protocol):
    def __call__(
        self, *, event: str, resource: dict[str, str], payload: dict[str, Any]
    ) -> object: ...


def emit_events(events: Sequence[AlertEvent], emitter: Emitter) -> list[int]:
    """Emit one Prefect event per transition; returns the ids emitted."""
    done: list[int] = []
    for e in events:
        name, resource, payload = event_spec(e)
        emitter(event=name, resource=resource, payload=payload)
        done.append(e.id)
    return done


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


# --- channels --------------------------------------------------------------------------------


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签: sign = urlencode(base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")))."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest_bytes = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest_bytes))
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}timestamp={timestamp_ms}&sign={sign}"


def webhook_payload(title: str, body: str, events: Sequence[AlertEvent]) -> dict[str, Any]:
    return {
        "source": "jzplan",
        "title": title,
        "text": body,
        "alerts": [event_spec(e)[2] for e in events],
    }


def dingtalk_payload(title: str, body: str, at_mobiles: Sequence[str]) -> dict[str, Any]:
    text = body + "".join(f"\n@{m}" for m in at_mobiles)
    return {
        "msgtype": "markdown",
        "markdown": {"title": title, "text": text},
        "at": {"atMobiles": list(at_mobiles), "isAtAll": False},
    }


def wecom_payload(body: str, at_mobiles: Sequence[str]) -> dict[str, Any]:
    content = body
    while len(content.encode()) > WECOM_MAX_BYTES:
        content = content[: len(content) * 9 // 10].rstrip() + "\n…"
    if at_mobiles:
        # markdown messages cannot @ by mobile; the text message is the robot's way to do it
        return {
            "msgtype": "text",
            "text": {"content": content, "mentioned_mobile_list": list(at_mobiles)},
        }
    return {"msgtype": "markdown", "markdown": {"content": content}}


class DeliveryError(RuntimeError):
    """A channel refused or could not be reached; the message names the channel."""


def _post(client: httpx.Client, channel: Channel, url: str, payload: dict[str, Any]) -> None:
    response = client.post(url, json=payload, timeout=channel.timeout_seconds)
    if response.status_code // 100 != 2:
        raise DeliveryError(f"{channel.name}: HTTP {response.status_code}")
    if channel.type in ("dingtalk", "wecom"):
        # both robots answer 200 with {"errcode": 0, "errmsg": "ok"} or an error code; any
        # other answer (a proxy's HTML page, a captive portal) is this channel's failure
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            kind = response.headers.get("content-type", "").split(";")[0] or "无类型"
            raise DeliveryError(f"{channel.name}: 回复不是机器人的 JSON（{kind}），视为未送达")
        if body.get("errcode") != 0:
            raise DeliveryError(
                f"{channel.name}: errcode {body.get('errcode')} {body.get('errmsg')}"
            )


def _value(value: str | SecretRef | None, resolve: Resolver) -> str | None:
    return resolve(value) if isinstance(value, SecretRef) else value


def _email(channel: Channel, host: str, resolve: Resolver, title: str, body: str) -> None:
    if not channel.sender or not channel.recipients:
        raise DeliveryError(f"{channel.name}: sender and recipients are required")
    msg = EmailMessage()
    msg["Subject"] = title
    msg["From"] = channel.sender
    msg["To"] = ", ".join(channel.recipients)
    msg.set_content(body)
    with smtplib.SMTP(host, channel.smtp_port, timeout=channel.timeout_seconds) as s:
        if channel.starttls:
            s.starttls()
        user = resolve(channel.username) if channel.username else None
        if user:
            password = resolve(channel.password) if channel.password else None
            s.login(user, password or "")
        s.send_message(msg)


@dataclass(frozen=True, slots=True)
class ChannelResult:
    channel: str
    status: str  # sent | skipped | failed
    alerts: int = 0
    detail: str = ""


def send(
    channel: Channel,
    title: str,
    body: str,
    resolve: Resolver,
    http: httpx.Client,
    *,
    events: Sequence[AlertEvent] = (),
    clock_ms: Callable[[], int] = lambda: int(time.time() * 1000),
) -> str | None:
    """Send one message through ``channel``: None when sent, or why it was skipped (no URL or
    SMTP host configured). Raises ``DeliveryError`` (or the transport's error) on failure."""
    if channel.type == "email":
        host = _value(channel.smtp_host, resolve)
        if not host:
            return "no smtp host"
        _email(channel, host, resolve, title, body)
        return None
    url = resolve(channel.url) if channel.url else None
    if not url:
        return "no url"
    if channel.type == "webhook":
        payload = webhook_payload(title, body, events)
    elif channel.type == "dingtalk":
        secret = resolve(channel.secret) if channel.secret else None
        if secret:
            url = dingtalk_signed_url(url, secret, clock_ms())
        payload = dingtalk_payload(title, body, channel.at_mobiles)
    else:
        payload = wecom_payload(body, channel.at_mobiles)
    _post(http, channel, url, payload)
    return None


# What a channel's transport raises when it refuses or cannot be reached
SEND_ERRORS = (DeliveryError, httpx.HTTPError, OSError, smtplib.SMTPException)


def notify(
    events: Sequence[AlertEvent],
    channels: Iterable[Channel],
    resolve: Resolver,
    *,
    client: httpx.Client | None = None,
    clock_ms: Callable[[], int] = lambda: int(time.time() * 1000),
) -> list[ChannelResult]:
    """One digest per enabled channel with the transitions at or above its severity.

    A channel whose URL or host is not configured is skipped (and says so); one that fails
    does not stop the others — the caller decides what a failure means (retry).
    """
    results: list[ChannelResult] = []
    own_client = client is None
    http = client or httpx.Client()
    try:
        for ch in channels:
            if not ch.enabled:
                results.append(ChannelResult(ch.name, "skipped", detail="disabled"))
                continue
            wanted = [
                e for e in events if severity_rank(e.severity) >= SEVERITY_RANK[ch.min_severity]
            ]
            if not wanted:
                results.append(ChannelResult(ch.name, "skipped", detail="nothing to send"))
                continue
            title, body = digest(wanted)
            try:
                skipped = send(ch, title, body, resolve, http, events=wanted, clock_ms=clock_ms)
            except SEND_ERRORS as exc:
                results.append(ChannelResult(ch.name, "failed", len(wanted), str(exc)))
                continue
            if skipped:
                results.append(ChannelResult(ch.name, "skipped", detail=skipped))
            else:
                results.append(ChannelResult(ch.name, "sent", len(wanted)))
    finally:
        if own_client:
            http.close()
    return results


@dataclass(frozen=True, slots=True)
class DeliveryRun:
    """What one delivery did: transitions recorded in the outbox, emitted as events,
    notified to every channel that wants them (those a failed channel still owes stay
    pending), and each channel's result."""

    recorded: dict[str, int]
    emitted: int
    notified: int
    results: list[ChannelResult]

    @property
    def failed(self) -> list[ChannelResult]:
        return [r for r in self.results if r.status == "failed"]


def deliver_pending(
    bind: Bind,
    emitter: Emitter,
    channels_file: Path,
    resolve: Resolver,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> DeliveryRun:
    """Record the alerts' new transitions in the outbox, emit the pending ones as events and
    send the pending notifications, each channel only what it does not have yet
    (``alert_delivery``). A transition stays pending while a channel that wants it has failed;
    the retry (or the next run) sends it to that channel alone, never again to the others."""
    recorded = tracking.record_alert_events(bind)
    to_emit = tracking.pending_alert_events(bind, "emitted")
    emitted = tracking.mark_alert_events(bind, emit_events(to_emit, emitter), "emitted")
    to_notify = tracking.pending_alert_events(bind, "notified")
    if not to_notify:
        return DeliveryRun(recorded, emitted, 0, [])
    have = delivered_to(bind, [e.id for e in to_notify])
    results: list[ChannelResult] = []
    owed: set[int] = set()  # transitions a failed channel still has to get
    with httpx.Client() as http:
        for ch in load_channels(channels_file):
            rank = SEVERITY_RANK[ch.min_severity]
            mine = (e for e in to_notify if (e.id, ch.name) not in have)
            wanted = [e for e in mine if severity_rank(e.severity) >= rank]
            [result] = notify(wanted, [ch], resolve, client=http)
            results.append(result)
            if result.status == "sent":
                record_deliveries(bind, ch.name, [e.id for e in wanted], now())
            elif result.status == "failed":
                owed.update(e.id for e in wanted)
    done = [e.id for e in to_notify if e.id not in owed]
    notified = tracking.mark_alert_events(bind, done, "notified")
    return DeliveryRun(recorded, emitted, notified, results)
