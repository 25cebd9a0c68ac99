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

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

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


def _busy_cores_seconds() -> float:
    """CPU seconds this machine's cores have spent busy since boot (/proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # less idle, iowait


def wait_quiet(limit: float = 10.0, cores: float = 0.15, window: float = 0.5) -> float:
    """Wait until the machine is quiet (under ``cores`` of CPU busy over ``window`` seconds:
    the Prefect server has written the previous run), at most ``limit`` seconds; the wait."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        before = _busy_cores_seconds()
        time.sleep(window)
        if (_busy_cores_seconds() - before) / window < cores:
            break
    return time.perf_counter() - started


def timed_process(argv: list[str], env: dict[str, str], what: str) -> tuple[float, Any]:
    """Run ``argv`` in a new process: its wall seconds and the finished process (output
    captured); its output shown and ``RuntimeError`` when it fails."""
    wait_quiet()
    started = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-8000:])
        raise RuntimeError(f"{what} failed ({proc.returncode})")
    return wall, proc


def cli(env: dict[str, str], period: str) -> tuple[float, str]:
    """``jzplan run --period`` in a new process: wall seconds and the line saying which
    Prefect server it used."""
    argv = [str(Path(PYTHON).with_name("jzplan")), "run", "--period", period]
    wall, proc = timed_process(argv, env, "jzplan run")
    said = next((ln for ln in proc.stderr.splitlines() if ln.startswith("Prefect 服务器")), "")
    return wall, said


def _first_and_again(env: dict[str, str], period: str) -> tuple[float, float, str]:
    first, said = cli(env, period)
    again, _ = cli(env, period)
    return first, again, said


def cli_runs(
    env: dict[str, str], state: Path, runs: Path, period: str, repeat: int, home: Path
) -> dict[str, float]:
    """``jzplan run`` on fresh copies of the store, each copy run twice (first run, re-run):
    ``repeat`` copies against the running server (PREFECT_API_URL), then ``repeat`` with no
    server (Prefect's temporary one, on a PREFECT_HOME of its own whose database one untimed
    run creates first)."""
    out: dict[str, float] = {}
    running = [_first_and_again({**env, **fresh_copy(state, runs / f"cli-{i}")}, period)
               for i in range(repeat)]  # fmt: skip
    out["cli_running_median"] = statistics.median(r[0] for r in running)
    out["cli_running_rerun_median"] = statistics.median(r[1] for r in running)
    home.mkdir(parents=True, exist_ok=True)
    alone = {k: v for k, v in env.items() if k != "PREFECT_API_URL"} | {"PREFECT_HOME": str(home)}
    cli({**alone, **fresh_copy(state, runs / "cli-temp-setup")}, period)
    temporary = []
    for i in range(repeat):
        first, again, said = _first_and_again(
            {**alone, **fresh_copy(state, runs / f"cli-temp-{i}")}, period
        )
        if "临时服务器" not in said:  # `make ui` runs here: that is what it used
            print(f"jzplan run with no PREFECT_API_URL: not timed, it said {said!r}")
            return out
        temporary.append((first, again))
    out["cli_temporary_median"] = statistics.median(t[0] for t in temporary)
    out["cli_temporary_rerun_median"] = statistics.median(t[1] for t in temporary)
    return out
