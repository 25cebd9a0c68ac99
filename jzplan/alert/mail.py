"""Email for alerts, receipts and reminders: a Markdown message as multipart/alternative (plain
text without Markdown syntax, and HTML rendered by markdown-it with raw HTML off), and the SMTP
connection (host, port, TLS mode, login) from settings unless the channel sets its own."""

from __future__ import annotations

import html
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

from jzplan.core.settings import Settings

TlsMode = Literal["none", "starttls", "ssl"]
DEFAULT_PORTS: dict[str, int] = {"none": 25, "starttls": 587, "ssl": 465}


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where and how to send: host, port, TLS mode and the login (None: no login)."""

    host: str
    port: int
    tls: TlsMode = "none"
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a log line
    timeout_seconds: float = 10.0


@dataclass(frozen=True, slots=True)
class SmtpDefaults:
    """The SMTP settings (JZPLAN_SMTP_*) an email channel uses where it sets nothing."""

    host: str | None = None
    port: int | None = None
    tls: TlsMode = "none"
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpDefaults:
        password = settings.smtp_password
        return cls(
            settings.smtp_host or None,
            settings.smtp_port,
            settings.smtp_tls,
            settings.smtp_user or None,
            password.get_secret_value() if password is not None else None,
        )


def _renderer() -> MarkdownIt:
    # "default": CommonMark with tables and strikethrough, raw HTML off, no linkify
    return MarkdownIt("default", {"html": False})


def markdown_html(title: str, body: str) -> str:
    """The Markdown body as a small HTML page (text from senders was escaped in the Markdown;
    raw HTML is off in the renderer as well)."""
    rendered = _renderer().render(body)
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body>\n{rendered}</body></html>\n"
    )


def _inline_text(token: Token) -> str:
    out: list[str] = []
    href: str | None = None
    start = 0
    for child in token.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif child.type == "image":
            out.append(child.content)
        elif child.type == "link_open":
            href, start = str(child.attrs.get("href", "")), len(out)
        elif child.type == "link_close" and href is not None:
            text = "".join(out[start:])
            out[start:] = [href if text in ("", href) else f"{text} {href}"]
            href = None
    return "".join(out)


def markdown_plain(body: str) -> str:
    """The Markdown body as plain text: headings and paragraphs as lines, list items with
    ``- ``, table rows with `` | ``, links as their URL; no Markdown syntax, no escapes."""
    lines: list[str] = []
    depth = 0
    item: list[str] = []  # the marker of the list item being filled ("- " or "1. ")
    ordered: list[int] = []
    row: list[str] | None = None
    for tok in _renderer().parse(body):
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
            ordered.append(0 if tok.type == "ordered_list_open" else -1)
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
            ordered.pop()
            if depth == 0:
                lines.append("")
        elif tok.type == "list_item_open":
            if ordered[-1] >= 0:
                ordered[-1] += 1
                item.append(f"{ordered[-1]}. ")
            else:
                item.append("- ")
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close" and row is not None:
            lines.append(" | ".join(row))
            row = None
        elif tok.type == "table_close":
            lines.append("")
        elif tok.type == "inline":
            text = _inline_text(tok)
            if row is not None:
                row.append(text)
            elif item:
                indent = "  " * (depth - 1)
                lines.append(indent + item.pop() + text.replace("\n", "\n" + indent + "  "))
            else:
                lines.append(text)
                if depth == 0:
                    lines.append("")
        elif tok.type in ("fence", "code_block"):
            lines += [*tok.content.rstrip("\n").split("\n"), ""]
        elif tok.type == "hr":
            lines += ["————", ""]
    return "\n".join(lines).strip() + "\n"


def email_message(
    title: str,
    body: str,
    sender: str,
    recipients: Sequence[str],
    *,
    key: str | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """multipart/alternative: text/plain and text/html of one Markdown message. ``key``: the
    message's idempotency key, made its Message-ID (the same message, the same id)."""
    msg = EmailMessage()
    msg["Subject"] = title
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    domain = sender.rpartition("@")[2] or "jzplan.local"
    msg["Message-ID"] = f"<jzplan.{key}@{domain}>" if key else make_msgid("jzplan", domain)
    msg.set_content(markdown_plain(body))
    msg.add_alternative(markdown_html(title, body), subtype="html")
    return msg


def send_email(server: SmtpServer, msg: EmailMessage) -> None:
    """Send through ``server``: plain, STARTTLS or SMTP over TLS (SMTP_SSL), then log in when a
    user is set."""
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if server.tls == "ssl":
        smtp = smtplib.SMTP_SSL(
            server.host, server.port, timeout=server.timeout_seconds, context=context
        )
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout_seconds)
    with smtp as s:
        if server.tls == "starttls":
            s.starttls(context=context)
        if server.username:
            s.login(server.username, server.password or "")
        s.send_message(msg)
