"""Which Prefect server a run started by hand uses (``jzplan run``/``deadline``/``backfill``,
``make demo``): the one that answers, else a temporary one, said on stderr.

The temporary server is the one Prefect's client would start on first use (the uvicorn
command of ``prefect.server.api.server.SubprocessASGIServer``, on the same PREFECT_HOME, its
factory ``flows.server_app.create_app``: Prefect's, imported without the cyclic collector),
but started here at once, before the run imports its flows, so that its ~5 s boot overlaps them,
and without importing Prefect's server module into the run's process (seconds of imports the
client itself never needs). The caller waits for it (``ready()``) before its first flow,
and may give ``ready`` work for the wait (``ready(meanwhile=...)``: a run imports Great
Expectations there, ~1 s it would otherwise pay after the server answered). At
exit, once it has recorded what the run sent (``wait_recorded``), it is sent SIGTERM and left
to finish its graceful shutdown on its own (Prefect's client waited up to 5 s for it): the
run's log and event workers have drained by then, as their exit handlers run before this
one's."""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx
import prefect
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
    get_current_settings,
    temporary_settings,
)

from jzplan.core.errors import OperatorError
from jzplan.core.procfs import cpu_seconds
from jzplan.ops.prefect_ui import UiConfig, client_api, server_healthy

if TYPE_CHECKING:
    from prefect.settings.legacy import Setting


@contextmanager
def prefect_server(config: UiConfig | None = None) -> Iterator[Ready]:
    """Run the flows inside against the Prefect server that answers (PREFECT_API_URL, else
    the one ``make ui`` started with ``config``), saying which on stderr; else a temporary
    server, booting meanwhile. Yields ``ready``: call it before the first flow."""
    configured = PREFECT_API_URL.value()
    url, said = client_api(config or UiConfig(), configured)
    print(said, file=sys.stderr, flush=True)
    if url is None:
        server = TemporaryServer.boot()
        with temporary_settings({PREFECT_API_URL: server.api_url, **hand_run_settings()}):
            yield server.ready
        return
    with temporary_settings({PREFECT_API_URL: url, **hand_run_settings()}):
        yield _ready


def hand_run_settings() -> dict[Any, Any]:
    """A run started by hand sends no flow-run heartbeats unless they are configured
    (PREFECT_FLOWS_HEARTBEAT_FREQUENCY, in the environment or the profile). Prefect's
    heartbeat thread sleeps in 1 s steps and the run's end waits for it: ~0.5 s more per
    flow run, for a signal that only a zombie-run automation reads, while the operator's
    terminal shows a run started by hand dying. Scheduled runs keep Prefect's default."""
    if _configured(PREFECT_FLOWS_HEARTBEAT_FREQUENCY):
        return {}
    return {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}


def _configured(setting: Setting) -> bool:
    """Whether ``setting`` is set (environment, profile or settings), not Prefect's default."""
    return setting.name in get_current_settings().to_environment_variables(exclude_unset=True)


# Prefect's default startup timeout (20 s) is for its own temporary server on a home it has
# booted before. This one may be a PREFECT_HOME's first boot, which creates and migrates its
# database first: 18.3-19.4 s on a quiet 2-core machine of this workplace (2026-12-07), over
# 20 s under load (a first `jzplan run` there stopped with temporary_server_failed).
FIRST_BOOT_TIMEOUT_SECONDS = 120.0


def startup_timeout() -> float:
    """How long ``ready`` waits for the temporary server: PREFECT_SERVER_EPHEMERAL_STARTUP_
    TIMEOUT_SECONDS when it is set (environment, profile or settings), else 120 s (the
    Makefile's too)."""
    if _configured(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS):
        return float(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
    return FIRST_BOOT_TIMEOUT_SECONDS


class Ready(Protocol):
    """Wait for the server; ``meanwhile`` is done while it boots (not at all if it answers)."""

    def __call__(self, meanwhile: Callable[[], None] | None = None) -> None: ...


def _ready(meanwhile: Callable[[], None] | None = None) -> None:
    """A running server is ready: there is no wait to fill."""


class TemporaryServer:
    """Prefect's API in a uvicorn process of its own on a free loopback port, until exit."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.process = self._start()
        self._ready = False

    @classmethod
    def boot(cls) -> TemporaryServer:
        server = cls()
        atexit.register(server.stop)
        return server

    def _start(self) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            **get_current_settings().to_environment_variables(exclude_unset=True),
            # as SubprocessASGIServer starts it: no UI, the ephemeral server's own settings
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
        }
        env.pop("PREFECT_API_URL", None)
        app_dir = str(Path(prefect.__file__).resolve().parents[1])
        return subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "--app-dir", app_dir,
                "--factory", "flows.server_app:create_app",
                "--host", "127.0.0.1", "--port", str(self.port),
                "--log-level", "error", "--lifespan", "on",
            ],
            env=env,
        )  # fmt: skip

    def ready(self, meanwhile: Callable[[], None] | None = None) -> None:
        """Wait until ``/health`` answers (``temporary_server_failed`` if the process exits
        or the startup timeout passes first), doing ``meanwhile`` first if it does not yet."""
        if self._ready:
            return
        timeout = startup_timeout()
        deadline = time.monotonic() + timeout
        # one client for every question (jzplan.ops.prefect_ui.server_healthy says why)
        with httpx.Client() as client:
            if meanwhile is not None and not server_healthy(self.api_url, 1.0, client):
                meanwhile()
            while not server_healthy(self.api_url, 1.0, client):
                self._check_booting(timeout, deadline)
                time.sleep(0.1)
        self._ready = True

    def _check_booting(self, timeout: float, deadline: float) -> None:
        """``temporary_server_failed`` when the process has exited or the time is up."""
        code = self.process.poll()
        if code is not None or time.monotonic() > deadline:
            why = f"进程退出，代码 {code}" if code is not None else f"{timeout:g} 秒内未应答"
            raise OperatorError(
                "temporary_server_failed",
                f"临时 Prefect 服务器 {self.api_url} 未能启动（{why}）；"
                "可先运行 make ui 启动常驻服务器，或设置 PREFECT_API_URL",
            )

    def stop(self) -> None:
        """Once the server has recorded what the run sent (``wait_recorded``), SIGTERM, not
        waited for: the server finishes its shutdown on its own."""
        if self.process.poll() is None:
            wait_recorded(self.process.pid)
            with suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)


def wait_recorded(
    pid: int, *, window: float = 0.2, busy: float = 0.1, limit: float = 10.0
) -> float:
    """Wait until the server ``pid`` is idle (under ``busy`` of a core over ``window``
    seconds), at most ``limit`` seconds; the wait. The run's client has sent its last events
    by then, but the server records task runs from them in the background: a SIGTERM while
    it still does loses them (cancelled mid-flush, 'Error flushing … events' on the
    terminal after the command returned; of a 20-task run only 1-5 task runs recorded, the
    last task of make demo's last month left RUNNING in the UI's history)."""
    started = time.monotonic()
    before = cpu_seconds(pid)
    while before is not None and time.monotonic() - started < limit:
        time.sleep(window)
        after = cpu_seconds(pid)
        if after is None or (after - before) / window < busy:
            break
        before = after
    return time.monotonic() - started


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
