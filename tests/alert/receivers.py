"""Real receivers on loopback: an HTTP server recording JSON posts, an SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class Received:
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class HttpReceiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    # a dict is answered as JSON; a str as an HTML page (a proxy's, a portal's)
    reply: dict[str, Any] | str = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    status: int = 200
    # statuses of the next requests, in order (then ``status``)
    statuses: list[int] = field(default_factory=list)


@contextmanager
def http_receiver() -> Iterator[HttpReceiver]:
    """A threading HTTP server on 127.0.0.1 (a free port) answering every POST with
    ``reply`` (DingTalk and WeCom robots answer ``{"errcode": 0, "errmsg": "ok"}``)."""
    state = HttpReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            parsed = urlparse(self.path)
            state.requests.append(
                Received(
                    parsed.path,
                    parse_qs(parsed.query),
                    json.loads(raw.decode("utf-8")),
                    {k.lower(): v for k, v in self.headers.items()},
                )
            )
            html = isinstance(state.reply, str)
            data = (
                state.reply if isinstance(state.reply, str) else json.dumps(state.reply)
            ).encode()
            self.send_response(state.statuses.pop(0) if state.statuses else state.status)
            self.send_header("Content-Type", "text/html" if html else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    """A loopback port nobody listens on (a closed port: an SMTP server that is down)."""
    with socket.socket() as probe:  # aiosmtpd's start() cannot use port 0
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SmtpReceiver:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)


@contextmanager
def smtp_receiver(port: int | None = None) -> Iterator[SmtpReceiver]:
    """An SMTP server on 127.0.0.1: on ``port`` (one that was closed: the server is back), or
    a free one."""
    from aiosmtpd.controller import Controller

    state = SmtpReceiver("127.0.0.1", port or free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            state.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            state.messages.append(message_from_bytes(envelope.content))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=state.port)
    controller.start()
    try:
        yield state
    finally:
        controller.stop()


def mail_parts(message: Message) -> dict[str, str]:
    """The text parts of a received email by content type (text/plain, text/html), decoded."""
    parts: dict[str, str] = {}
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            charset = part.get_content_charset() or "utf-8"
            parts[part.get_content_type()] = payload.decode(charset)
    return parts
