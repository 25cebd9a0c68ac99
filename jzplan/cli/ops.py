"""Command-line parts of operations: ``jzplan ui start|stop`` (``make ui``, ``make ui-stop``)
and ``jzplan doctor`` (``make ui-status``). Registered by ``jzplan.cli``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from jzplan.core.settings import Settings
from jzplan.ops.prefect_ui import UiConfig

COMMANDS = ("ui", "doctor")
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
