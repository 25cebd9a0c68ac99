"""``make ui``: a local Prefect server, the process work pool, the deployments of
``prefect.yaml`` and a worker; ``make ui-stop`` ends exactly the processes it started.

The server and the worker run detached (``jzplan.ops.processes``): output to
``<log_dir>/server.log`` and ``worker.log``, PID files in ``run_dir``. The server is told its
UI's API address (``PREFECT_UI_API_URL``), so a port other than 4200 gives a working UI.
Prefect is driven through its CLI (``python -m prefect``), never imported here."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from jzplan.core.errors import OperatorError
from jzplan.core.settings import PROJECT_ROOT
from jzplan.ops.processes import (
    Started,
    is_running,
    log_tail,
    running,
    start_detached,
    stop_process,
)

SERVER = "server"
WORKER = "worker"


@dataclass(frozen=True)
class UiConfig:
    """Where the server listens, which pool its worker serves, where logs and PIDs go."""

    host: str = "127.0.0.1"
    port: int = 4200
    pool: str = "jzplan"
    prefect_home: Path = PROJECT_ROOT / "var" / "prefect"
    log_dir: Path = PROJECT_ROOT / "var" / "log"
    run_dir: Path = PROJECT_ROOT / "var" / "run"
    project_dir: Path = PROJECT_ROOT
    # The API address the browser's UI calls; default http://<host>:<port>/api
    ui_api_url: str | None = None
    startup_timeout_seconds: float = 180.0
    stop_grace_seconds: float = 10.0

    @property
    def api_url(self) -> str:
        """Where local clients (deploy, the worker, doctor) reach the API."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        host = "[::1]" if host == "::" else (f"[{host}]" if ":" in host else host)
        return f"http://{host}:{self.port}/api"

    @property
    def browser_api_url(self) -> str:
        return self.ui_api_url or f"http://{_url_host(self.host)}:{self.port}/api"

    @property
    def server_log(self) -> Path:
        return self.log_dir / "server.log"

    @property
    def worker_log(self) -> Path:
        return self.log_dir / "worker.log"

    @property
    def setup_log(self) -> Path:
        return self.log_dir / "setup.log"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _prefect(*args: str) -> list[str]:
    return [sys.executable, "-m", "prefect", *args]


def server_env(config: UiConfig, environ: Mapping[str, str]) -> dict[str, str]:
    """The server's environment: the caller's, plus its home, address and UI API URL."""
    return dict(environ) | {
        "PREFECT_HOME": str(config.prefect_home),
        "PREFECT_SERVER_API_HOST": config.host,
        "PREFECT_SERVER_API_PORT": str(config.port),
        "PREFECT_UI_API_URL": config.browser_api_url,
        "PREFECT_API_URL": config.api_url,
    }


def client_env(config: UiConfig, environ: Mapping[str, str]) -> dict[str, str]:
    """Deploy's and the worker's environment: the caller's (flow runs inherit its JZPLAN_*)
    pointed at this server."""
    return dict(environ) | {
        "PREFECT_HOME": str(config.prefect_home),
        "PREFECT_API_URL": config.api_url,
    }


def _check_port_free(config: UiConfig) -> None:
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((config.host, config.port))
        except OSError as exc:
            raise OperatorError(
                "ui_port_in_use",
                f"端口 {config.host}:{config.port} 已被占用（{exc.strerror}）："
                "请换一个 UI_PORT，或先停止占用它的程序",
            ) from exc


def server_healthy(api_url: str, timeout: float = 5.0, client: httpx.Client | None = None) -> bool:
    """Whether ``<api_url>/health`` answers 200 ``true``. A loop asking again and again
    passes one ``client`` for all its questions: ``httpx.get`` makes a client each time, and
    with it a TLS context (28.7 ms of CPU a question, 0.26 ms with the client kept; measured
    2026-12-07). A temporary server's boot polled every 0.1 s so cost its run 1.6-2.8 s of
    CPU, on the 2-core machine the booting server and the validation helper share."""
    try:
        url = f"{api_url}/health"
        answer = (client or httpx).get(url, timeout=timeout)
    except httpx.HTTPError:
        return False
    return answer.status_code == 200 and answer.json() is True


def client_api(config: UiConfig, configured: str | None) -> tuple[str | None, str]:
    """The Prefect API a run started here (``jzplan run``, ``deadline``, ``backfill``, ``make
    demo``) uses, and the line telling the operator which: ``configured`` (PREFECT_API_URL)
    when set; else the server ``make ui`` started, when its PID file's process lives and its
    /health answers; else None: Prefect starts a temporary server for the process, whose runs
    only a server started later on the same PREFECT_HOME shows."""
    if configured:
        return configured, f"Prefect 服务器：{configured}（PREFECT_API_URL）"
    if running(config.run_dir, SERVER) is not None and server_healthy(config.api_url, 2.0):
        ui = config.browser_api_url.removesuffix("/api")
        return config.api_url, f"Prefect 服务器：{config.api_url}（make ui 启动，运行记录见 {ui}）"
    return None, (
        "Prefect 服务器：未发现运行中的服务器（未设 PREFECT_API_URL，make ui 未启动），"
        "本次启动临时服务器，运行结束即停止"
    )


def wait_until_healthy(config: UiConfig, server: Started) -> None:
    """Poll ``/api/health`` until it answers; fail early when the server process exits."""
    deadline = time.monotonic() + config.startup_timeout_seconds
    with httpx.Client() as client:
        while not server_healthy(config.api_url, timeout=2.0, client=client):
            _check_starting(config, server, deadline)
            time.sleep(0.5)


def _check_starting(config: UiConfig, server: Started, deadline: float) -> None:
    """``wait_until_healthy``'s checks between two questions: the process lives, the time is
    not up."""
    if not is_running(server):
        tail = "\n".join(log_tail(config.server_log))
        raise OperatorError(
            "ui_server_died",
            f"Prefect 服务器（进程 {server.pid}）启动时退出，见 {config.server_log}：\n{tail}",
        )
    if time.monotonic() > deadline:
        raise OperatorError(
            "ui_server_timeout",
            f"Prefect 服务器 {config.startup_timeout_seconds:g} 秒内未应答 "
            f"{config.api_url}/health，见 {config.server_log}",
        )


def _run_step(config: UiConfig, env: Mapping[str, str], argv: list[str], what: str) -> None:
    """A short Prefect CLI step, its output appended to setup.log."""
    config.log_dir.mkdir(parents=True, exist_ok=True)
    with config.setup_log.open("ab") as out:
        out.write(f"--- {' '.join(argv)}\n".encode())
        out.flush()
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env),
            cwd=config.project_dir,
            check=False,
        )
    if done.returncode != 0:
        tail = "\n".join(log_tail(config.setup_log))
        raise OperatorError(
            "ui_setup_failed",
            f"{what}失败（退出码 {done.returncode}），见 {config.setup_log}：\n{tail}",
        )


def _ensure(
    config: UiConfig,
    name: str,
    argv: list[str],
    env: dict[str, str],
    log: Path,
    before: Callable[[], None] = lambda: None,
) -> tuple[Started, bool]:
    """The process ``name`` of ``run_dir`` if it runs, else ``before()`` and a new one
    started detached; True when it was started now."""
    already = running(config.run_dir, name)
    if already is not None:
        return already, False
    before()
    started = start_detached(
        name, argv, env=env, log=log, run_dir=config.run_dir, cwd=config.project_dir
    )
    return started, True


def start_server(config: UiConfig, environ: Mapping[str, str]) -> tuple[Started, bool]:
    """The server of ``run_dir`` if it runs, else a new one; True when it was started now."""

    def before() -> None:
        _check_port_free(config)
        config.prefect_home.mkdir(parents=True, exist_ok=True)

    argv = _prefect("server", "start", "--host", config.host, "--port", str(config.port))
    return _ensure(config, SERVER, argv, server_env(config, environ), config.server_log, before)


def start_worker(config: UiConfig, environ: Mapping[str, str]) -> tuple[Started, bool]:
    """The worker of ``run_dir`` if it runs, else a new one; True when it was started now."""
    argv = _prefect("worker", "start", "--pool", config.pool, "--type", "process")
    return _ensure(config, WORKER, argv, client_env(config, environ), config.worker_log)


def start_ui(config: UiConfig, environ: Mapping[str, str], *, deploy: bool = True) -> list[str]:
    """Server, work pool, deployments (``deploy``) and worker; returns what was done."""
    said: list[str] = []
    server, new = start_server(config, environ)
    said.append(
        f"Prefect 服务器：进程 {server.pid} {'已启动' if new else '已在运行'}，"
        f"日志 {config.server_log}"
    )
    wait_until_healthy(config, server)
    env = client_env(config, environ)
    _run_step(
        config,
        env,
        _prefect("work-pool", "create", config.pool, "--type", "process", "--overwrite"),
        f"创建工作池 {config.pool} ",
    )
    said.append(f"工作池 {config.pool}：已就绪")
    if deploy:
        _run_step(config, env, _prefect("--no-prompt", "deploy", "--all"), "部署 prefect.yaml ")
        said.append("部署：prefect.yaml 的全部部署已更新")
        # scheduled runs carry their month's name from the start (flows/run_names.py)
        _run_step(config, env, [sys.executable, "-m", "jzplan.cli", "name-runs"], "命名计划运行 ")
        said.append("计划运行：已按月份命名")
    worker, new = start_worker(config, environ)
    said.append(
        f"worker：进程 {worker.pid} {'已启动' if new else '已在运行'}，日志 {config.worker_log}"
    )
    ui = config.browser_api_url.removesuffix("/api")
    said.append(f"Prefect UI：{ui}（状态：make ui-status；停止：make ui-stop）")
    return said


def stop_ui(config: UiConfig) -> list[str]:
    """The worker, then the server, each by its PID file; returns what was stopped."""
    return [
        stop_process(config.run_dir, name, config.stop_grace_seconds) for name in (WORKER, SERVER)
    ]
