"""``jzplan doctor`` / ``make ui-status``: what is up — the Prefect server, its UI's API
address, the worker, the work pool, the deployments and the store — in Chinese, with the
last lines of a log when something is down."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from jzplan.core.errors import OperatorError
from jzplan.ops.prefect_ui import SERVER, WORKER, UiConfig
from jzplan.ops.processes import log_tail, read_started, running

TIMEOUT = 5.0


@dataclass(frozen=True)
class Check:
    """One line of the health report."""

    what: str
    ok: bool
    detail: str
    log: tuple[str, ...] = field(default=())


def _get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=TIMEOUT)
    except httpx.HTTPError:
        return None


def _post(url: str, body: dict[str, Any]) -> httpx.Response | None:
    try:
        return httpx.post(url, json=body, timeout=TIMEOUT)
    except httpx.HTTPError:
        return None


def _tail(path: Path) -> tuple[str, ...]:
    return tuple(log_tail(path, 15))


def check_server(config: UiConfig) -> Check:
    answer = _get(f"{config.api_url}/health")
    if answer is None or answer.status_code != 200:
        said = "无应答" if answer is None else f"HTTP {answer.status_code}"
        started = read_started(config.run_dir, SERVER)
        pid = f"；PID 文件记录进程 {started.pid}" if started else ""
        return Check(
            "Prefect 服务器",
            False,
            f"{config.api_url}/health {said}{pid}",
            _tail(config.server_log),
        )
    alive = running(config.run_dir, SERVER)
    pid = f"，进程 {alive.pid}" if alive else "（非 make ui 启动，无 PID 文件）"
    return Check("Prefect 服务器", True, f"正在应答 {config.api_url}{pid}")


def check_ui_settings(config: UiConfig) -> Check:
    """The UI calls the API at ``/ui-settings``'s ``api_url``: it must be this server."""
    base = config.api_url.removesuffix("/api")
    answer = _get(f"{base}/ui-settings")
    if answer is None or answer.status_code != 200:
        return Check("UI 的 API 地址", False, f"{base}/ui-settings 无应答")
    said = str(answer.json().get("api_url"))
    port = f":{config.port}/api"
    if not said.endswith(port):
        return Check(
            "UI 的 API 地址",
            False,
            f"UI 调用 {said}，不是本服务器的端口 {config.port}（PREFECT_UI_API_URL）",
        )
    return Check("UI 的 API 地址", True, f"{said}（UI：{said.removesuffix('/api')}）")


def check_worker(config: UiConfig) -> Check:
    """The worker's process (PID file) and the workers the server sees online in the pool."""
    answer = _post(f"{config.api_url}/work_pools/{config.pool}/workers/filter", {})
    online = (
        sum(1 for w in answer.json() if w.get("status") == "ONLINE")
        if answer is not None and answer.status_code == 200
        else 0
    )
    started = read_started(config.run_dir, WORKER)
    if started is None:
        ok = online > 0
        return Check(
            "worker",
            ok,
            f"无 PID 文件；服务器上在线的 worker {online} 个",
            () if ok else _tail(config.worker_log),
        )
    alive = running(config.run_dir, WORKER)
    if alive is None:
        return Check("worker", False, f"进程 {started.pid} 已不在运行", _tail(started.log))
    return Check("worker", True, f"进程 {alive.pid} 在运行；服务器上在线的 worker {online} 个")


def check_pool(config: UiConfig) -> Check:
    answer = _get(f"{config.api_url}/work_pools/{config.pool}")
    if answer is None or answer.status_code != 200:
        said = "服务器无应答" if answer is None else "不存在"
        return Check("工作池", False, f"{config.pool} {said}")
    return Check("工作池", True, f"{config.pool}（{answer.json().get('type')}）")


def check_deployments(config: UiConfig) -> Check:
    body = {"work_pools": {"name": {"any_": [config.pool]}}}
    answer = _post(f"{config.api_url}/deployments/count", body)
    if answer is None or answer.status_code != 200:
        return Check("部署", False, "无法读取部署数（服务器无应答）")
    count = int(answer.json())
    return Check("部署", count > 0, f"工作池 {config.pool} 上有 {count} 个部署")


def check_store(database_url: str, reachable: Callable[[str], None]) -> Check:
    from jzplan.store.db import shown_url

    try:
        reachable(database_url)
    except OperatorError as exc:
        return Check("数据库", False, exc.message)
    return Check("数据库", True, f"可连接 {shown_url(database_url)}")


def run_checks(
    config: UiConfig, database_url: str, reachable: Callable[[str], None]
) -> list[Check]:
    server = check_server(config)
    if not server.ok:
        down = "服务器未应答，未检查"
        rest = [Check(what, False, down) for what in ("UI 的 API 地址", "工作池", "部署")]
        return [server, *rest, check_worker(config), check_store(database_url, reachable)]
    return [
        server,
        check_ui_settings(config),
        check_worker(config),
        check_pool(config),
        check_deployments(config),
        check_store(database_url, reachable),
    ]


def report_text(checks: list[Check]) -> str:
    lines = []
    for c in checks:
        lines.append(f"{'正常' if c.ok else '故障'}  {c.what}：{c.detail}")
        lines.extend(f"    | {line}" for line in c.log)
    down = sum(1 for c in checks if not c.ok)
    lines.append("全部正常" if not down else f"{down} 项故障")
    return "\n".join(lines)
