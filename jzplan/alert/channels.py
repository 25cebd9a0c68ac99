"""The channels of ``data/alerting/channels.yaml`` and how one message is sent through each: a
generic webhook, DingTalk and WeCom group robots, and email. Secrets are named there (an env var
or a Prefect Secret block) and resolved by an injected resolver; none is ever written in code or
config."""

from __future__ import annotations

import base64
import hashlib
import hmac
import smtplib
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field

from jzplan.alert.messages import event_spec
from jzplan.core.states import AlertSeverity
from jzplan.store.tracking import AlertEvent

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
    # The operators' channels (IT office, 统计局 operators): a channel's delivery failure
    # (推送失败) goes here, never through the failing channel (jzplan.alert.operators)
    operators: list[Channel] = Field(default_factory=list)


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
