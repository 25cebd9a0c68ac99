"""Where the CPU of a timed process goes: the process, each process it starts, and a server.

Issue 22's six-township targets are seconds on a 2-core machine. A ``jzplan run`` there is
three processes at once: the run, its validation helper (``jzplan.validate.docs_helper``,
which imports Great Expectations and runs the suites) and the Prefect server (the running
one, or the temporary one the run starts). When their CPU time together is more than the
machine's cores can give in the target, no order of the work meets it: the run needs less
CPU, not more parallelism. ``run_measured`` times a process as ``bench.prefect_cli`` always
has, and adds that account (``CpuUse``).

Linux only (``/proc``); elsewhere the account is empty (zeros) and the timing unchanged.
The sampling costs the bench's own process 1.7 ms of CPU every 0.1 s (140 processes on the
machine): under 2% of a core, beside the run.

- **run**: the process itself, to its exit (read from ``/proc`` after it has ended and
  before it is reaped: its children's time not included).
- **helper** / **temporary server** / **other**: each process it started, and theirs (by
  parent, from ``/proc``, every 0.1 s), by its command line; its CPU as last seen before the
  run ended. A process that starts and ends between two samples is missed (none does in a
  run).
- **server**: the running server's (``server_pid``) CPU from the start to ``settle()``
  seconds after the end: it records the run's events after the run has returned.
- **machine**: every core's busy time over the run's wall time (``/proc/stat``), the
  machine's other load included.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from jzplan.core.procfs import cpu_seconds, stat_fields

# a started process's kind, by a part of its command line
KINDS = (("jzplan.validate.docs_helper", "helper"), ("uvicorn", "temporary server"))
SAMPLE_SECONDS = 0.1


@dataclass
class CpuUse:
    """CPU seconds of one timed process and what ran beside it (the module's docstring)."""

    run: float = 0.0
    started: dict[str, float] = field(default_factory=dict)  # kind -> CPU seconds
    server: float = 0.0
    machine: float = 0.0

    @property
    def total(self) -> float:
        """The run, what it started and the running server."""
        return self.run + sum(self.started.values()) + self.server

    def as_dict(self, prefix: str) -> dict[str, float]:
        out = {
            f"{prefix}_cpu": self.total,
            f"{prefix}_cpu_run": self.run,
            f"{prefix}_cpu_server": self.server,
            f"{prefix}_cpu_machine": self.machine,
        }
        for kind, seconds in self.started.items():
            out[f"{prefix}_cpu_{kind.replace(' ', '_')}"] = seconds
        return out


def busy_cores_seconds() -> float:
    """CPU seconds this machine's cores have spent busy since boot (/proc/stat; 0 elsewhere)."""
    try:
        with open("/proc/stat") as f:
            values = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return 0.0
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")  # less idle, iowait


def _parents() -> dict[int, int]:
    out: dict[int, int] = {}
    for name in os.listdir("/proc") if os.path.isdir("/proc") else []:
        fields = stat_fields(int(name)) if name.isdigit() else None
        if fields is not None and len(fields) > 1:
            out[int(name)] = int(fields[1])  # the parent's pid, after the state
    return out


def _descendants(root: int) -> list[int]:
    parents = _parents()
    found, frontier = [], {root}
    while frontier:
        children = [p for p, parent in parents.items() if parent in frontier]
        found += children
        frontier = set(children)
    return found


def _kind(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return "other"
    return next((kind for part, kind in KINDS if part in cmdline), "other")


def run_measured(
    argv: list[str],
    env: dict[str, str],
    cwd: Path,
    *,
    server_pid: int | None = None,
    settle: Callable[[], object] | None = None,
) -> tuple[float, subprocess.CompletedProcess[str], CpuUse]:
    """Run ``argv`` to its end (output captured): its wall seconds, the finished process and
    its ``CpuUse``; ``settle`` is called after it ends, before the running server's CPU is
    read (wait for the server to be quiet)."""
    use = CpuUse()
    server_before = cpu_seconds(server_pid) if server_pid else None
    seen: dict[int, tuple[str, float]] = {}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        machine_before = busy_cores_seconds()
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=err, text=True)
        while os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            for pid in _descendants(proc.pid):
                seconds = cpu_seconds(pid)
                if seconds is not None:
                    kind = seen[pid][0] if pid in seen else _kind(pid)
                    seen[pid] = (kind, seconds)
            time.sleep(SAMPLE_SECONDS)
        wall = time.perf_counter() - started
        use.machine = busy_cores_seconds() - machine_before
        use.run = cpu_seconds(proc.pid) or 0.0  # its own, read before it is reaped
        proc.returncode = os.waitstatus_to_exitcode(os.waitpid(proc.pid, 0)[1])
        for kind, seconds in seen.values():
            use.started[kind] = use.started.get(kind, 0.0) + seconds
        out.seek(0)
        err.seek(0)
        finished = subprocess.CompletedProcess(argv, proc.returncode, out.read(), err.read())
    if server_pid and server_before is not None:
        if settle is not None:
            settle()
        after = cpu_seconds(server_pid)
        use.server = (after - server_before) if after is not None else 0.0
    return wall, finished, use
