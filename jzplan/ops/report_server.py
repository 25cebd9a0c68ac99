"""``jzplan serve-reports``: the report folder served over HTTP by Python's own static server,
for an office without a web server. Only that folder is served (the handler maps every path
into it; ``..`` never leaves it)."""

from __future__ import annotations

import errno
import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from jzplan.core.errors import OperatorError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def report_server(
    report_dir: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT
) -> ThreadingHTTPServer:
    """A server (not yet serving) of ``report_dir`` at ``host:port``; OperatorError
    ``port_in_use`` when the port is taken, ``no_report_dir`` when the folder is missing."""
    if not report_dir.is_dir():
        raise OperatorError(
            "no_report_dir",
            f"报告文件夹不存在：{report_dir}；先运行 jzplan run 或 jzplan report，"
            "或检查 JZPLAN_REPORT_DIR",
        )
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(report_dir.resolve()))
    try:
        return ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise OperatorError(
                "port_in_use", f"端口 {port} 已被占用（{host}）：请用 --port 另选端口"
            ) from exc
        raise OperatorError(
            "serve_failed", f"无法在 {host}:{port} 上启动报告服务：{exc.strerror or exc}"
        ) from exc


def server_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}/"
