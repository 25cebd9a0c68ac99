"""Waiting for a booting Prefect server asks its /health with one HTTP client: a client made
per question builds a TLS context each time (28.7 ms of CPU against 0.26 ms), which a run
polling every 0.1 s paid for with 1.6-2.8 s of CPU while its temporary server booted."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from flows.server import TemporaryServer
from jzplan.core.errors import OperatorError


@dataclass
class Booting:
    """A loopback /api/health that answers ``false`` ``booting`` times, then ``true``."""

    url: str
    booting: int
    asked: int = 0
    connections: set[int] = field(default_factory=set)


@pytest.fixture
def booting() -> Iterator[Booting]:
    state = Booting("", booting=4)

    class Health(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keeps a connection open for the next question

        def do_GET(self) -> None:
            state.asked += 1
            state.connections.add(self.client_address[1])
            body = b"true" if state.asked > state.booting else b"false"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _temporary(url: str, process: subprocess.Popen[bytes]) -> TemporaryServer:
    """A ``TemporaryServer`` on ``url`` whose process is ``process`` (not booted here)."""
    server = TemporaryServer.__new__(TemporaryServer)
    server.api_url, server.process, server._ready = url, process, False
    return server


def test_the_wait_for_the_temporary_server_asks_on_one_connection(booting: Booting) -> None:
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        done: list[str] = []
        _temporary(booting.url, alive).ready(meanwhile=lambda: done.append("meanwhile"))
    finally:
        alive.kill()
        alive.wait()
    assert done == ["meanwhile"]  # asked once before the work given for the wait
    assert booting.asked == booting.booting + 1
    assert len(booting.connections) == 1  # one client, its connection kept


def test_a_temporary_server_that_exits_while_booting_is_said(booting: Booting) -> None:
    booting.booting = 10**6  # never ready
    ended = subprocess.Popen([sys.executable, "-c", "raise SystemExit(7)"])
    ended.wait()
    with pytest.raises(OperatorError) as raised:
        _temporary(booting.url, ended).ready()
    assert raised.value.code == "temporary_server_failed"
    assert "进程退出，代码 7" in str(raised.value)
