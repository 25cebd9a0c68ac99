"""The channels of ``data/alerting/channels.yaml`` and how one message is sent through each: a
generic webhook, DingTalk and WeCom group robots, and email. Secrets are named there (an env var
or a Prefect Secret block) and resolved by an injected resolver; none is ever written in code or
config. A message longer than a robot accepts is sent in numbered parts, never cut silently."""

from __future__ import annotations

import base64
import hashlib
import hmac
import smtplib
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field

from jzplan.alert.mail import (
    DEFAULT_PORTS,
    SmtpDefaults,
    SmtpServer,
    TlsMode,
    email_message,
    markdown_plain,
    send_email,
)
from jzplan.alert.messages import event_spec
from jzplan.core.files import read_yaml
from jzplan.core.settings import Settings
from jzplan.core.states import AlertSeverity
from jzplan.store.tracking import AlertEvent

# What the robots accept in one message, in UTF-8 bytes: WeCom markdown content 4096, WeCom
# text content 2048 (the text message is how WeCom @s people), DingTalk markdown text 20000
WECOM_MAX_BYTES = 4096
WECOM_TEXT_MAX_BYTES = 2048
DINGTALK_MAX_BYTES = 20000
CUT_MARK = "…（超长已截断）"


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
    # email: unset fields come from JZPLAN_SMTP_* (settings); tls none | starttls | ssl
    smtp_host: str | SecretRef | None = None  # a name, or where to read it from
    smtp_port: int | None = None
    tls: TlsMode | None = None
    starttls: bool = False  # older spelling of tls: starttls
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
    # The operators' channels (IT office, 统计局 operators): a channel's delivery failure
    # (推送失败) goes here, never through the failing channel (jzplan.alert.operators)
    operators: list[Channel] = Field(default_factory=list)


def _channels_file(path: Path) -> ChannelsFile:
    if not path.is_file():
        return ChannelsFile()
    raw = read_yaml(path) or {}
    return ChannelsFile.model_validate(raw)


def load_channels(path: Path) -> list[Channel]:
    """The configured channels; a missing file means none."""
    return _channels_file(path).channels


def load_office_channels(path: Path) -> dict[str, list[Channel]]:
    """Each office's channels by org unit code (``offices:``); a missing file means none."""
    return _channels_file(path).offices


def load_operator_channels(path: Path) -> list[Channel]:
    """The operators' channels (``operators:``); a missing file means none."""
    return _channels_file(path).operators


Resolver = Callable[[SecretRef], str | None]


def env_resolver(environ: Mapping[str, str]) -> Resolver:
    """Resolve from environment variables only (Prefect blocks are added in tasks/notify.py)."""

    def resolve(ref: SecretRef) -> str | None:
        return environ.get(ref.env) if ref.env else None

    return resolve


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签: sign = urlencode(base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")))."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest_bytes = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest_bytes))
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}timestamp={timestamp_ms}&sign={sign}"


def message_key(channel: str, transition_ids: Iterable[int]) -> str:
    """The idempotency key of one message: the same channel and transitions, the same key."""
    text = f"{channel}|{','.join(str(i) for i in sorted(transition_ids))}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _nbytes(text: str) -> int:
    return len(text.encode("utf-8"))


def _cut(line: str, limit: int) -> str:
    """A line cut to ``limit`` bytes with a visible mark (at a character boundary)."""
    room = limit - _nbytes(CUT_MARK)
    return line.encode("utf-8")[: max(room, 0)].decode("utf-8", "ignore") + CUT_MARK


def split_message(body: str, limit: int) -> list[str]:
    """``body`` in parts of at most ``limit`` UTF-8 bytes, split at line boundaries and, when
    there is more than one, each headed （i/n）; a single line longer than a part is cut with
    a visible 「…（超长已截断）」. Every line is in exactly one part."""
    if _nbytes(body) <= limit:
        return [body]
    room = limit - _nbytes("（9999/9999）\n")
    parts: list[list[str]] = [[]]
    size = 0
    for line in body.rstrip("\n").split("\n"):
        if _nbytes(line) > room:
            line = _cut(line, room)
        if parts[-1] and size + _nbytes(line) + 1 > room:
            parts.append([])
            size = 0
        if not parts[-1] and not line.strip():
            continue  # no part starts with a blank line
        parts[-1].append(line)
        size += _nbytes(line) + 1
    n = len(parts)
    return [f"（{i}/{n}）\n" + "\n".join(p).rstrip("\n") + "\n" for i, p in enumerate(parts, 1)]


def webhook_payload(
    title: str, body: str, events: Sequence[AlertEvent], key: str | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "source": "jzplan",
        "title": title,
        "text": body,
        "alerts": [event_spec(e)[2] for e in events],
    }
    if key:
        payload["idempotency_key"] = key
    return payload


def _at_line(at_mobiles: Sequence[str]) -> str:
    return "".join(f"\n@{m}" for m in at_mobiles)


def dingtalk_payloads(title: str, body: str, at_mobiles: Sequence[str]) -> list[dict[str, Any]]:
    """One markdown message per part (DingTalk's 20000-byte text); the people are @-ed in the
    first part."""
    at = _at_line(at_mobiles)
    parts = split_message(body, DINGTALK_MAX_BYTES - _nbytes(at))
    n = len(parts)
    return [
        {
            "msgtype": "markdown",
            "markdown": {
                "title": title if n == 1 else f"{title}（{i}/{n}）",
                "text": part + (at if i == 1 else ""),
            },
            "at": {"atMobiles": list(at_mobiles) if i == 1 else [], "isAtAll": False},
        }
        for i, part in enumerate(parts, 1)
    ]


def dingtalk_payload(title: str, body: str, at_mobiles: Sequence[str]) -> dict[str, Any]:
    """The message of a body that fits in one part."""
    return dingtalk_payloads(title, body, at_mobiles)[0]


def wecom_payloads(body: str, at_mobiles: Sequence[str]) -> list[dict[str, Any]]:
    """Markdown messages of at most 4096 bytes; with people to @, text messages (the robot's
    only way to @ by mobile, 2048 bytes each) of the plain text, the people in the first."""
    if at_mobiles:
        parts = split_message(markdown_plain(body), WECOM_TEXT_MAX_BYTES)
        return [
            {
                "msgtype": "text",
                "text": {
                    "content": part,
                    "mentioned_mobile_list": list(at_mobiles) if i == 0 else [],
                },
            }
            for i, part in enumerate(parts)
        ]
    return [
        {"msgtype": "markdown", "markdown": {"content": part}}
        for part in split_message(body, WECOM_MAX_BYTES)
    ]


def wecom_payload(body: str, at_mobiles: Sequence[str]) -> dict[str, Any]:
    """The message of a body that fits in one part."""
    return wecom_payloads(body, at_mobiles)[0]


class DeliveryError(RuntimeError):
    """A channel refused or could not be reached; the message names the channel."""


def _post(
    client: httpx.Client,
    channel: Channel,
    url: str,
    payload: dict[str, Any],
    key: str | None = None,
) -> None:
    headers = {"Idempotency-Key": key} if key else None
    response = client.post(url, json=payload, headers=headers, timeout=channel.timeout_seconds)
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


def smtp_server(channel: Channel, resolve: Resolver, defaults: SmtpDefaults) -> SmtpServer | None:
    """The mail server of an email channel: its own fields, else the settings' (None: no
    host anywhere)."""
    host = _value(channel.smtp_host, resolve) or defaults.host
    if not host:
        return None
    tls: TlsMode = channel.tls or ("starttls" if channel.starttls else defaults.tls)
    user = (resolve(channel.username) if channel.username else None) or defaults.username
    password = (resolve(channel.password) if channel.password else None) or defaults.password
    port = channel.smtp_port or defaults.port or DEFAULT_PORTS[tls]
    return SmtpServer(host, port, tls, user, password, channel.timeout_seconds)


# why a channel sent nothing because it is switched off (enabled: false): a skip reason, in
# the words of send()'s own (未配置 URL, 未配置 SMTP 服务器)
DISABLED = "已停用"


def send(
    channel: Channel,
    title: str,
    body: str,
    resolve: Resolver,
    http: httpx.Client,
    *,
    events: Sequence[AlertEvent] = (),
    key: str | None = None,
    clock_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    smtp: SmtpDefaults | None = None,
) -> str | None:
    """Send one message (Markdown ``body``) through ``channel``: None when sent, or why it was
    skipped (no URL or SMTP host configured). Raises ``DeliveryError`` (or the transport's
    error) when any part of it failed, naming the part. ``key``: the message's idempotency key
    (the webhook's Idempotency-Key, the email's Message-ID; the robots have none). ``smtp``:
    the settings' mail server (read from the environment when not given)."""
    if channel.type == "email":
        server = smtp_server(channel, resolve, smtp or SmtpDefaults.from_settings(Settings()))
        if server is None:
            return "未配置 SMTP 服务器"
        if not channel.sender or not channel.recipients:
            raise DeliveryError(f"{channel.name}: sender and recipients are required")
        send_email(server, email_message(title, body, channel.sender, channel.recipients, key=key))
        return None
    url = resolve(channel.url) if channel.url else None
    if not url:
        return "未配置 URL"
    if channel.type == "webhook":
        _post(http, channel, url, webhook_payload(title, body, events, key), key)
        return None
    if channel.type == "dingtalk":
        payloads = dingtalk_payloads(title, body, channel.at_mobiles)
    else:
        payloads = wecom_payloads(body, channel.at_mobiles)
    secret = resolve(channel.secret) if channel.type == "dingtalk" and channel.secret else None
    for i, payload in enumerate(payloads, 1):
        signed = dingtalk_signed_url(url, secret, clock_ms()) if secret else url
        try:
            _post(http, channel, signed, payload)
        except SEND_ERRORS as exc:
            if len(payloads) == 1:
                raise
            raise DeliveryError(
                f"{channel.name}: 第 {i}/{len(payloads)} 部分未送达（{exc}）"
            ) from exc
    return None


# What a channel's transport raises when it refuses or cannot be reached
SEND_ERRORS = (DeliveryError, httpx.HTTPError, OSError, smtplib.SMTPException)
