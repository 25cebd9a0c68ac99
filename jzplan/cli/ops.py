"""Command-line parts of operations: ``jzplan ui start|stop`` (``make ui``, ``make ui-stop``),
``jzplan doctor`` (``make ui-status``) and ``jzplan serve-reports``. Registered by
``jzplan.cli``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from jzplan.core.settings import Settings
from jzplan.ops.prefect_ui import UiConfig

COMMANDS = ("ui", "doctor", "serve-reports")
_DEFAULT = UiConfig()


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=_DEFAULT.host, help="服务器监听地址（UI_HOST）")
    parser.add_argument("--port", type=int, default=_DEFAULT.port, help="端口（UI_PORT）")
    parser.add_argument("--pool", default=_DEFAULT.pool, help="工作池（UI_POOL）")
    parser.add_argument("--log-dir", type=Path, default=_DEFAULT.log_dir, help="日志目录")
    parser.add_argument("--run-dir", type=Path, default=_DEFAULT.run_dir, help="PID 文件目录")


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    ui = sub.add_parser("ui", help="启动或停止本地 Prefect 服务器、工作池、部署与 worker")
    ui.add_argument("action", choices=("start", "stop"))
    _add_common(ui)
    ui.add_argument("--ui-api-url", help="浏览器中 UI 调用的 API 地址，默认 http://HOST:PORT/api")
    ui.add_argument("--no-deploy", action="store_true", help="不运行 prefect deploy --all")
    doctor = sub.add_parser("doctor", help="检查服务器、worker、工作池、部署与数据库是否正常")
    _add_common(doctor)
    from jzplan.ops.report_server import DEFAULT_HOST, DEFAULT_PORT

    serve = sub.add_parser("serve-reports", help="在本机用 HTTP 提供报告文件夹（含各月索引页）")
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"监听地址，默认 {DEFAULT_HOST}")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"端口，默认 {DEFAULT_PORT}")


def serve_reports(host: str, port: int) -> int:
    """Serve JZPLAN_REPORT_DIR until interrupted (Ctrl+C)."""
    from jzplan.ops.report_server import report_server, server_url

    report_dir = Settings().report_dir
    server = report_server(report_dir, host, port)
    print(
        f"报告服务已启动：{server_url(server)}（文件夹 {report_dir}；按 Ctrl+C 停止）", flush=True
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("报告服务已停止")
    finally:
        server.server_close()
    return 0


def _config(args: argparse.Namespace) -> UiConfig:
    home = os.environ.get("PREFECT_HOME")
    return UiConfig(
        host=args.host,
        port=args.port,
        pool=args.pool,
        prefect_home=Path(home) if home else _DEFAULT.prefect_home,
        log_dir=args.log_dir.resolve(),
        run_dir=args.run_dir.resolve(),
        ui_api_url=getattr(args, "ui_api_url", None) or None,
    )


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "serve-reports":
        return serve_reports(args.host, args.port)
    config = _config(args)
    if args.command == "doctor":
        from jzplan.ops.health import report_text, run_checks
        from jzplan.store.db import check_store_reachable

        checks = run_checks(config, Settings().database_url, check_store_reachable)
        print(report_text(checks))
        return 0 if all(c.ok for c in checks) else 1
    from jzplan.ops.prefect_ui import start_ui, stop_ui

    if args.action == "stop":
        said = stop_ui(config)
    else:
        said = start_ui(config, os.environ, deploy=not args.no_deploy)
    print("\n".join(said))
    return 0
