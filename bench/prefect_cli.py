"""``jzplan run`` as an operator types it, on copies of a prepared store (bench.prefect_month).

Two cases per server, each on its own copy of the store before the month:

- **first run**: the month's files arrive in a store that has none of them (archive, parse,
  validate, load, recompute, publish: all the month's work);
- **re-run**: the same command once more on that copy, every file of the month now stored,
  as an operator re-runs a month (issue 22 measured this case: 20 s in a new process).

Every timed run starts on a quiet machine (``wait_quiet``), as an operator's run does: back
to back, a run's ``create_flow_run`` meets the server still writing the previous run's events
and task runs into its SQLite database; the server answers 503 (SQLITE_BUSY) and Prefect's
client sleeps 2 s before retrying. Measured 2026-12-06, warm runs of 2013-06: 3 of 8 back to
back took 2 s more; 0 of 12 with half a second of quiet before each.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.cpu_use import CpuUse, busy_cores_seconds, run_measured

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def store_env(folder: Path) -> dict[str, str]:
    """The settings of a store in ``folder``."""
    return {
        "JZPLAN_DATABASE_URL": f"sqlite:///{folder / 'jzplan.db'}",
        "JZPLAN_ARCHIVE_DIR": str(folder / "archive"),
        "JZPLAN_REPORT_DIR": str(folder / "reports"),
        "JZPLAN_DATA_DOCS_DIR": str(folder / "data_docs"),
    }


def fresh_copy(state: Path, folder: Path) -> dict[str, str]:
    """A copy of the prepared store (database and archive) in ``folder``; its settings."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.copy2(state / "jzplan.db", folder / "jzplan.db")
    shutil.copytree(state / "archive", folder / "archive")
    return store_env(folder)


def wait_quiet(limit: float = 10.0, cores: float = 0.15, window: float = 0.5) -> float:
    """Wait until the machine is quiet (under ``cores`` of CPU busy over ``window`` seconds:
    the Prefect server has written the previous run), at most ``limit`` seconds; the wait."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        before = busy_cores_seconds()
        time.sleep(window)
        if (busy_cores_seconds() - before) / window < cores:
            break
    return time.perf_counter() - started


def timed_process(argv: list[str], env: dict[str, str], what: str) -> tuple[float, Any]:
    """Run ``argv`` in a new process: its wall seconds and the finished process (output
    captured); its output shown and ``RuntimeError`` when it fails."""
    wall, proc, _ = measured_process(argv, env, what)
    return wall, proc


def measured_process(
    argv: list[str], env: dict[str, str], what: str, server_pid: int | None = None
) -> tuple[float, Any, CpuUse]:
    """``timed_process`` and where its CPU went (``bench.cpu_use``: the process, the ones it
    started, the running server ``server_pid`` until it is quiet again)."""
    wait_quiet()
    wall, proc, use = run_measured(argv, env, ROOT, server_pid=server_pid, settle=wait_quiet)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-8000:])
        raise RuntimeError(f"{what} failed ({proc.returncode})")
    return wall, proc, use


def cli(
    env: dict[str, str], period: str, server_pid: int | None = None
) -> tuple[float, str, CpuUse]:
    """``jzplan run --period`` in a new process: wall seconds, the line saying which
    Prefect server it used, and where its CPU went."""
    argv = [str(Path(PYTHON).with_name("jzplan")), "run", "--period", period]
    wall, proc, use = measured_process(argv, env, "jzplan run", server_pid)
    said = next((ln for ln in proc.stderr.splitlines() if ln.startswith("Prefect 服务器")), "")
    return wall, said, use


@dataclass
class _Pair:
    first: float
    again: float
    said: str
    first_use: CpuUse
    again_use: CpuUse


def _first_and_again(env: dict[str, str], period: str, server_pid: int | None = None) -> _Pair:
    first, said, first_use = cli(env, period, server_pid)
    again, _, again_use = cli(env, period, server_pid)
    return _Pair(first, again, said, first_use, again_use)


def _cpu_medians(uses: list[CpuUse], prefix: str) -> dict[str, float]:
    """The median of each part of ``uses`` (``CpuUse.as_dict``), by name."""
    rows = [u.as_dict(prefix) for u in uses]
    keys = sorted({k for r in rows for k in r})
    return {k: statistics.median(r.get(k, 0.0) for r in rows) for k in keys}


# the cases whose CPU cli_runs accounts for: the prefix of their results, what they are
CPU_CASES = (
    ("cli_running", "jzplan run, running server, first run"),
    ("cli_running_rerun", "jzplan run, running server, re-run"),
    ("cli_temporary", "jzplan run, temporary server, first run"),
    ("cli_temporary_rerun", "jzplan run, temporary server, re-run"),
)


def cpu_line(what: str, results: dict[str, float], prefix: str, cores: int) -> str:
    """One line of where a case's CPU went (medians), and the least wall time it allows on
    ``cores`` cores."""
    parts = [
        ("run", "the run"),
        ("helper", "its validation helper"),
        ("temporary_server", "its temporary Prefect server"),
        ("server", "the running Prefect server"),
        ("other", "other processes it started"),
    ]
    shown = ", ".join(
        f"{label} {results[f'{prefix}_cpu_{key}']:.2f} s"
        for key, label in parts
        if results.get(f"{prefix}_cpu_{key}")
    )
    total = results[f"{prefix}_cpu"]
    machine = results[f"{prefix}_cpu_machine"]
    return (
        f"{what}: CPU {total:.2f} s ({shown}; every core's busy time over its wall time "
        f"{machine:.2f} s): at least {total / cores:.2f} s on {cores} cores"
    )


def cli_runs(
    env: dict[str, str],
    state: Path,
    runs: Path,
    period: str,
    repeat: int,
    home: Path,
    server_pid: int | None = None,
) -> dict[str, float]:
    """``jzplan run`` on fresh copies of the store, each copy run twice (first run, re-run):
    ``repeat`` copies against the running server (PREFECT_API_URL; its process ``server_pid``,
    when known, for its CPU), then ``repeat`` with no
    server (Prefect's temporary one, on a PREFECT_HOME of its own whose database one untimed
    run creates first)."""
    out: dict[str, float] = {}
    running = [
        _first_and_again({**env, **fresh_copy(state, runs / f"cli-{i}")}, period, server_pid)
        for i in range(repeat)
    ]
    out["cli_running_median"] = statistics.median(r.first for r in running)
    out["cli_running_rerun_median"] = statistics.median(r.again for r in running)
    out |= _cpu_medians([r.first_use for r in running], "cli_running")
    out |= _cpu_medians([r.again_use for r in running], "cli_running_rerun")
    home.mkdir(parents=True, exist_ok=True)
    alone = {k: v for k, v in env.items() if k != "PREFECT_API_URL"} | {"PREFECT_HOME": str(home)}
    cli({**alone, **fresh_copy(state, runs / "cli-temp-setup")}, period)
    temporary = []
    for i in range(repeat):
        pair = _first_and_again({**alone, **fresh_copy(state, runs / f"cli-temp-{i}")}, period)
        if "临时服务器" not in pair.said:  # `make ui` runs here: that is what it used
            print(f"jzplan run with no PREFECT_API_URL: not timed, it said {pair.said!r}")
            return out
        temporary.append(pair)
    out["cli_temporary_median"] = statistics.median(t.first for t in temporary)
    out["cli_temporary_rerun_median"] = statistics.median(t.again for t in temporary)
    out |= _cpu_medians([t.first_use for t in temporary], "cli_temporary")
    out |= _cpu_medians([t.again_use for t in temporary], "cli_temporary_rerun")
    return out
