"""Detached processes of `make ui` (jzplan.ops.processes): own session, output in a log file,
stdin /dev/null, a PID file; stopped by their PID file only, never a stranger that reuses the
number. Real child processes (a sleeping Python)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from jzplan.ops.processes import (
    is_running,
    pid_file,
    read_started,
    running,
    start_detached,
    stop_process,
)

SLEEPER = [
    sys.executable,
    "-c",
    "import sys, time; print('stdin:', repr(sys.stdin.read()), flush=True); time.sleep(600)",
]


def test_detached_process_has_its_session_log_and_pid_file(tmp_path: Path) -> None:
    log = tmp_path / "log" / "sleeper.log"
    started = start_detached("sleeper", SLEEPER, env=dict(os.environ), log=log, run_dir=tmp_path)
    try:
        assert running(tmp_path, "sleeper") == started
        assert os.getsid(started.pid) == started.pid  # leads its own session
        assert read_started(tmp_path, "sleeper") == started
        deadline = time.monotonic() + 60
        while "stdin: ''" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        said = stop_process(tmp_path, "sleeper", grace_seconds=10)
    assert said == f"sleeper：已停止进程 {started.pid}（SIGTERM）"
    assert not is_running(started)
    assert not pid_file(tmp_path, "sleeper").exists()
    assert "stdin: ''\n" in log.read_text()  # stdin /dev/null: read '' at once; output in the log


def test_stop_leaves_a_process_that_reuses_the_pid_alone(tmp_path: Path) -> None:
    other = start_detached(
        "other", SLEEPER, env=dict(os.environ), log=tmp_path / "o.log", run_dir=tmp_path
    )
    try:
        # a stale PID file of "worker" whose number now belongs to another command
        pid_file(tmp_path, "worker").write_text(
            json.dumps({"pid": other.pid, "argv": ["prefect", "worker"], "log": "w.log"})
        )
        said = stop_process(tmp_path, "worker")
        assert said == f"worker：进程 {other.pid} 已不在运行，已删除 PID 文件"
        assert is_running(other)
        assert stop_process(tmp_path, "worker") == (
            f"worker：没有 PID 文件（{pid_file(tmp_path, 'worker')}），未启动"
        )
    finally:
        stop_process(tmp_path, "other")
    assert not is_running(other)
