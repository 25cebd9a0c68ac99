"""Long-running processes detached from the shell that starts them, each with a PID file.

A detached process reads /dev/null, writes stdout and stderr to its own log file (never a pipe
whose reader may exit: ``prefect server start --background`` died of that on its first logged
warning) and leads its own session, so closing the terminal or ending ``make`` leaves it
running. Its PID file records the command line, so ``stop_process`` never signals a process
that merely reuses the number."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jzplan.core.procfs import stat_fields


@dataclass(frozen=True)
class Started:
    """A process started detached: what its PID file says."""

    name: str
    pid: int
    argv: tuple[str, ...]
    log: Path


def pid_file(run_dir: Path, name: str) -> Path:
    return run_dir / f"{name}.pid"


def start_detached(
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    log: Path,
    run_dir: Path,
    cwd: Path | None = None,
) -> Started:
    """Start ``argv`` in its own session (stdin /dev/null, output appended to ``log``) and
    write ``<run_dir>/<name>.pid``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    run_dir.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        out.write(f"--- {stamp} start {name}: {' '.join(argv)}\n".encode())
        out.flush()
        child = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env=dict(env),
            cwd=cwd,
        )
    started = Started(name=name, pid=child.pid, argv=tuple(argv), log=log)
    pid_file(run_dir, name).write_text(
        json.dumps({"pid": started.pid, "argv": list(argv), "log": str(log)}), encoding="utf-8"
    )
    return started


def read_started(run_dir: Path, name: str) -> Started | None:
    """What ``<run_dir>/<name>.pid`` says, or None (no file, or not one of ours)."""
    try:
        data = json.loads(pid_file(run_dir, name).read_text(encoding="utf-8"))
        return Started(
            name=name, pid=int(data["pid"]), argv=tuple(data["argv"]), log=Path(data["log"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_running(started: Started) -> bool:
    """Whether the process is alive (not a zombie) and still runs the recorded command."""
    try:
        os.kill(started.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # a process of another user took the number
    fields = stat_fields(started.pid)  # the state letter first: Z a zombie
    if fields is not None and fields[0] == "Z":
        return False
    try:
        cmdline = Path(f"/proc/{started.pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False
    except OSError:
        return True  # no /proc here: the signal answered
    return cmdline.rstrip(b"\0").split(b"\0") == [a.encode() for a in started.argv]


def running(run_dir: Path, name: str) -> Started | None:
    """The process of ``<name>.pid`` when it is alive, else None."""
    started = read_started(run_dir, name)
    return started if started is not None and is_running(started) else None


def _reap(pid: int) -> None:
    """Collect the exit status when the process is our own child (a test's)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    # the process leads its session and group: its children (a worker's flow runs) go too
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def stop_process(run_dir: Path, name: str, grace_seconds: float = 10.0) -> str:
    """End the process of ``<name>.pid``: SIGTERM to its process group, SIGKILL after
    ``grace_seconds``; remove the PID file. Returns what happened, in Chinese."""
    started = read_started(run_dir, name)
    path = pid_file(run_dir, name)
    if started is None:
        return f"{name}：没有 PID 文件（{path}），未启动"
    if not is_running(started):
        path.unlink(missing_ok=True)
        return f"{name}：进程 {started.pid} 已不在运行，已删除 PID 文件"
    _signal_group(started.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline:
        _reap(started.pid)
        if not is_running(started):
            break
        time.sleep(0.2)
    how = "SIGTERM"
    if is_running(started):
        _signal_group(started.pid, signal.SIGKILL)
        how = f"SIGKILL（{grace_seconds:g} 秒内未退出）"
        deadline = time.monotonic() + grace_seconds
        while is_running(started) and time.monotonic() < deadline:
            _reap(started.pid)
            time.sleep(0.1)
    _reap(started.pid)
    path.unlink(missing_ok=True)
    return f"{name}：已停止进程 {started.pid}（{how}）"


def log_tail(log: Path, lines: int = 20) -> list[str]:
    """The last lines of a log file (empty when it does not exist)."""
    try:
        with log.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            text = f.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return text.splitlines()[-lines:]
