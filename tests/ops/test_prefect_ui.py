"""`make ui`'s server, started by the same code (`jzplan.ops.prefect_ui.start_ui`) on a free
port with PREFECT_HOME in a temporary folder: it survives garbage requests and a burst of
logged warnings, its UI calls the API on its own port, and `ui stop` ends what it started.

`prefect server start --background` died on the first warning it logged (a stray TLS request)
because its output went to a pipe nobody read; these tests send exactly that."""

from __future__ import annotations

import os
import socket
import sqlite3
import ssl
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest

from jzplan.ops.health import report_text, run_checks
from jzplan.ops.prefect_ui import (
    SERVER,
    WORKER,
    UiConfig,
    client_api,
    server_healthy,
    start_ui,
    stop_ui,
)
from jzplan.ops.processes import Started, is_running, pid_file, read_started
from jzplan.store.db import check_store_reachable, init_store

pytestmark = pytest.mark.server


@dataclass(frozen=True)
class RunningUi:
    config: UiConfig
    server: Started
    worker: Started
    database_url: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _environ(home: Path) -> dict[str, str]:
    """This process's environment without another server's address, warnings logged."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return environ | {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        "DO_NOT_TRACK": "1",
    }


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningUi]:
    tmp = tmp_path_factory.mktemp("ui")
    config = UiConfig(
        port=_free_port(),
        pool="jzplan-test",
        prefect_home=tmp / "prefect",
        log_dir=tmp / "log",
        run_dir=tmp / "run",
    )
    database_url = f"sqlite:///{tmp / 'jzplan.db'}"
    init_store(database_url)
    try:
        # deployments are covered by tests/flows/test_deployments.py: not deployed here
        start_ui(config, _environ(config.prefect_home), deploy=False)
        server, worker = read_started(config.run_dir, SERVER), read_started(config.run_dir, WORKER)
        assert server is not None and worker is not None
        yield RunningUi(config, server, worker, database_url)
    finally:
        stop_ui(config)  # a no-op when test_ui_stop_ends_what_ui_started has run


def _send(port: int, data: bytes) -> None:
    """Send raw bytes and read whatever comes back until the server closes (it may close,
    or reset, before it has read them all)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            while s.recv(65536):
                pass
        except OSError:
            pass


def _tls_hello(port: int) -> None:
    """A real TLS ClientHello to the plain-HTTP port (what `curl -k https://…` sends)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        pytest.raises((ssl.SSLError, OSError)),
        context.wrap_socket(raw, server_hostname="127.0.0.1"),
    ):
        pass


def test_server_survives_garbage_and_a_burst_of_warnings(ui: RunningUi) -> None:
    port = ui.config.port
    for _ in range(3):
        _tls_hello(port)
    _send(port, bytes(range(256)) * 64)  # raw binary
    _send(port, b"GET /\r\n\r\n")  # HTTP/0.9
    _send(port, b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 1_000_000 + b"\r\n\r\n")
    _send(port, b"")  # connect, send nothing, close
    for i in range(200):  # 200 "Invalid HTTP request received" warnings
        _send(port, b"\x16\x03\x01 not http %d\r\n\r\n" % i)

    assert server_healthy(ui.config.api_url)
    assert is_running(ui.server) and is_running(ui.worker)
    log = ui.config.server_log.read_text(encoding="utf-8", errors="replace")
    assert log.count("Invalid HTTP request received") >= 200  # the warnings were written
    checks = run_checks(ui.config, ui.database_url, check_store_reachable)
    # everything up but the deployments (not deployed here): `jzplan doctor` says just that
    assert [c.what for c in checks if not c.ok] == ["部署"], report_text(checks)


def test_ui_calls_the_api_on_its_own_port(ui: RunningUi) -> None:
    assert ui.config.port != 4200
    base = ui.config.api_url.removesuffix("/api")
    settings = httpx.get(f"{base}/ui-settings", timeout=10).json()
    assert settings["api_url"] == f"http://127.0.0.1:{ui.config.port}/api"


# A run by hand in a new process, as `jzplan run` is: PREFECT_API_URL unset, make ui's server
# found by its PID file and /api/health (a process of its own: its log and event workers would
# otherwise keep this session's test server from stopping once the ui server is gone)
BY_HAND = """
import sys
from dataclasses import replace
from pathlib import Path
from prefect import flow
from flows.server import prefect_server
from jzplan.ops.prefect_ui import UiConfig

@flow(name="jzplan-test-by-hand", persist_result=False)
def by_hand() -> int:
    return 1

config = replace(UiConfig(), port=int(sys.argv[1]), run_dir=Path(sys.argv[2]))
waited = []
with prefect_server(config) as ready:
    ready(meanwhile=lambda: waited.append("meanwhile"))
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY
    print("heartbeats:", PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value())
    assert by_hand.with_options(flow_run_name=sys.argv[3])() == 1
print("server module imported:", any(m.startswith("prefect.server") for m in sys.modules))
print("work done while the server booted:", waited)
"""


def _by_hand(
    port: int, run_dir: Path, run_name: str, home: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    """BY_HAND in a new process, with no PREFECT_API_URL (and ``env``); it must succeed,
    without ever importing Prefect's server module (what a client run needs not)."""
    done = subprocess.run(
        [sys.executable, "-c", BY_HAND, str(port), str(run_dir), run_name],
        env=_environ(home) | env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "server module imported: False" in done.stdout
    return done


def test_a_run_by_hand_uses_the_server_ui_started(ui: RunningUi, tmp_path: Path) -> None:
    """No PREFECT_API_URL: a flow run inside ``prefect_server`` (what ``jzplan run`` and
    ``make demo`` do) goes to the server ``make ui`` started, and says so; PREFECT_API_URL
    wins when set; with no server up, the temporary one is announced."""
    run_name = f"by-hand-{uuid.uuid4().hex[:8]}"
    done = _by_hand(ui.config.port, ui.config.run_dir, run_name, tmp_path / "prefect")
    assert f"Prefect 服务器：{ui.config.api_url}（make ui 启动" in done.stderr
    # a running server: nothing to do meanwhile; a run by hand sends no heartbeats
    assert "work done while the server booted: []" in done.stdout
    assert "heartbeats: None" in done.stdout
    found = httpx.post(
        f"{ui.config.api_url}/flow_runs/filter",
        json={"flow_runs": {"name": {"any_": [run_name]}}},
        timeout=10,
    ).json()
    assert [r["state_type"] for r in found] == ["COMPLETED"]

    assert client_api(ui.config, "http://127.0.0.1:9/api")[0] == "http://127.0.0.1:9/api"
    url, line = client_api(replace(ui.config, run_dir=tmp_path), None)
    assert url is None and "临时服务器" in line


def test_a_run_by_hand_with_no_server_boots_the_temporary_one_meanwhile(tmp_path: Path) -> None:
    """No server answers: ``prefect_server`` boots Prefect's temporary server in the
    background while the caller imports and does its ``meanwhile`` work, and the flow runs on
    it once ``ready()``; heartbeats configured explicitly are kept."""
    done = _by_hand(
        _free_port(),
        tmp_path / "run",
        "by-hand",
        tmp_path / "prefect",
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY="60",
    )
    assert "本次启动临时服务器" in done.stderr
    assert "work done while the server booted: ['meanwhile']" in done.stdout
    assert "heartbeats: 60" in done.stdout


# a short run of many tasks on the temporary server, then exit (the server is stopped)
MANY_TASKS = """
from prefect import flow, task
from flows.server import prefect_server

@task
def step(i: int) -> int:
    return i

@flow(name="jzplan-test-many-tasks", persist_result=False)
def many() -> int:
    return sum(step(i) for i in range(20))

with prefect_server() as ready:
    ready()
    print(many())
"""


def test_the_temporary_server_records_the_whole_run_before_it_stops(tmp_path: Path) -> None:
    """At exit the run waits until the temporary server has recorded what it sent, then stops
    it: every task run reaches the server's database (the history a server started later on
    that PREFECT_HOME shows), with no flush cancelled on the terminal. Stopped at once, 1-5 of
    these 20 task runs were recorded and "Error flushing … events" printed after exit."""
    home = tmp_path / "prefect"
    # the server inherits the pipes: run() returns once it has exited, its database final
    done = subprocess.run(
        [sys.executable, "-c", MANY_TASKS],
        env=_environ(home), cwd=Path(__file__).resolve().parents[2],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == str(sum(range(20)))
    assert "Error flushing" not in done.stderr
    with sqlite3.connect(home / "prefect.db") as db:
        states = db.execute("SELECT state_type, count(*) FROM task_run GROUP BY 1").fetchall()
    assert states == [("COMPLETED", 20)]


def test_a_first_boot_is_waited_for_two_minutes_unless_configured(tmp_path: Path) -> None:
    """A PREFECT_HOME's first boot creates and migrates its database (18-19 s on a quiet
    2-core machine here, more under load): with no timeout configured, as in an operator's
    shell, the temporary server is waited for 120 s, not Prefect's 20 s; a configured
    timeout is kept."""
    code = "from flows.server import startup_timeout; print(startup_timeout())"

    def timeout(**env: str) -> float:
        done = subprocess.run(
            [sys.executable, "-c", code],
            env=_environ(tmp_path / "prefect") | env,
            cwd=Path(__file__).resolve().parents[2],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        return float(done.stdout.strip())

    assert timeout() == 120.0
    assert timeout(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="45") == 45.0


def test_ui_stop_ends_what_ui_started(ui: RunningUi) -> None:
    said = stop_ui(ui.config)

    assert [line.split("：")[0] for line in said] == [WORKER, SERVER]
    assert not is_running(ui.server) and not is_running(ui.worker)
    for name in (SERVER, WORKER):
        assert not pid_file(ui.config.run_dir, name).exists()
    assert not server_healthy(ui.config.api_url, timeout=2.0)
    checks = run_checks(ui.config, ui.database_url, check_store_reachable)
    assert not checks[0].ok and "无应答" in checks[0].detail


def test_doctor_says_what_is_down_and_exits_1(tmp_path: Path) -> None:
    """Nothing listens on the port: one line per check, 故障 for the server, exit 1."""
    port = _free_port()
    environ = _environ(tmp_path) | {"JZPLAN_DATABASE_URL": f"sqlite:///{tmp_path / 'no.db'}"}
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("jzplan")),
            "doctor",
            "--port",
            str(port),
            "--run-dir",
            str(tmp_path / "run"),
            "--log-dir",
            str(tmp_path / "log"),
        ],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=False,
    )
    lines = done.stdout.splitlines()
    assert done.returncode == 1, done.stderr
    assert lines[0] == f"故障  Prefect 服务器：http://127.0.0.1:{port}/api/health 无应答"
    assert any(line.startswith("故障  数据库：数据库文件不存在") for line in lines)
    assert lines[-1] == "6 项故障" and "Traceback" not in done.stderr
