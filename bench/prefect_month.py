"""How long one month's batch takes through ``monthly-progress`` with a Prefect server running.

Prints numbers; asserts nothing. Run: ``.venv/bin/python bench/prefect_month.py`` (options:
``--period 2013-06 --repeat 3 --api-url http://127.0.0.1:4200/api --state DIR --no-cold
--profile out.prof``), or call ``run()`` from another script.

What is measured
----------------
- A real Prefect server on loopback: ``prefect server start`` in a temporary ``PREFECT_HOME``
  (stopped at the end), or the one at ``--api-url``. Runs log to it and create their
  artifacts and events there, as scheduled runs do.
- The store before the month: a SQLite store, archive, reports and Data Docs built by running
  the real flows, in schedule order, for every month before ``--period`` (2012-01 onwards;
  in 2013 the deadline check, then the monthly run), then the month's own deadline check
  (17:00 on the 5th comes before the monthly run on the 6th). Built once per call (about a
  minute), or kept and reused with ``--state DIR``.
- Each timed run starts from a fresh copy of that store (SQLite file and archive; empty
  report and Data Docs folders), so every run does the month's real work: archive, parse and
  validate the seven forms (2013-06 also brings 李万街道's late May form), load, recompute
  every affected month (2013-06: May and June), alert, write the reports and Data Docs,
  publish artifacts, deliver alerts.
- **warm**: ``monthly_progress(period=...)`` called in one Python process that has imported
  everything and already run the flow twice (untimed warm-up runs; since 2026-12-06 two, not
  one: a process running months one after another starts its Data Docs helper process in its
  second run, ``jzplan.validate.docs_helper``), with the settings of a run by hand
  (``flows.server.hand_run_settings``: no flow-run heartbeats), sharing one Prefect client
  (since 2026-12-07; ``jzplan backfill``'s months share their parent flow's, ``make demo``'s
  theirs; a flow call making its own spends ~16 ms on a TLS context). A process runs
  months one after another only by hand (``jzplan backfill``, ``make demo``); a worker or a
  served deployment starts a new process per run (**cold**). The process starts as those
  commands do (``jzplan.core.process``: no cyclic collection during its imports, which are
  then frozen, and so is GE once the warm-up run imports it). The flow call to its return;
  also that process's CPU time over the call (``warm_cpu_median``, every thread of the
  process plus its Data Docs helper process's (``jzplan.validate.docs_helper``), not the
  server's), steadier than wall time on a shared machine. Each timed run is
  followed by the month's **re-run** on the same copy, every file of it now stored, as an
  operator re-runs a month (``warm_rerun_median``, ``warm_rerun_cpu_median``).
- **cold**: what a process worker does for a scheduled run: a new ``python -m prefect.engine``
  process per flow run of a deployment of the monthly entrypoint (``bench.prefect_engine``),
  to the process's exit (``cold``); the flow run itself as the server timed it
  (``cold_flow``), and the process's start to it (``cold_imports``). Until 2026-12-06 a
  script imported ``flows.monthly`` and called the flow: not the engine's path, which loads
  the entrypoint from its file after reading the run.
- **jzplan run**: the operator's command in a new process, with the running server and
  with Prefect's temporary one, each on a fresh copy and then again on it (re-run):
  ``bench.prefect_cli``. With where its CPU went (since 2026-12-07, ``bench.cpu_use``): the
  run, its validation helper, the temporary server it started or the running one (this
  bench's own; not one given with ``--api-url``): the least wall time that CPU allows on the
  machine's cores, whatever runs in parallel.
- Prefect's settings are its defaults (flow heartbeats on, logs to the API) in the cold
  runs, as in the scheduled deployment; the warm runs send no heartbeats, as runs by hand.
  (Until 2026-12-05 the warm runs kept the heartbeats: their wall time was the work rounded
  up to the next second, since the run's end waits for the heartbeat thread's 1 s sleep.)

Every timed run (warm, cold, ``jzplan run``) starts once the machine is quiet: the server has
written the previous run (``bench.prefect_cli.wait_quiet``, which says why).

Per stage: from the server's task runs of each timed run (the flow's own tasks:
``ingest-*`` in parallel, so their span, then ``load-*``, ``refresh-*``, ``report-*`` …);
``flow-other`` is the flow run's wall time not inside any of its tasks (opening the store,
the transaction, the engine's own start and finish). Medians over the runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
FIRST_MONTH = "2012-01"
PLAN_YEAR = 2013

if str(ROOT) not in sys.path:  # run as a script (as every child is): bench/ is on it, not ROOT
    sys.path.insert(0, str(ROOT))

from bench.prefect_cli import (  # noqa: E402
    CPU_CASES,
    cli_runs,
    cpu_line,
    fresh_copy,
    store_env,
    timed_process,
    wait_quiet,
)
from bench.prefect_engine import cold_runs  # noqa: E402

# --- the server ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _quiet_env(prefect_home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PREFECT_HOME=str(prefect_home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_SERVER_LOGGING_LEVEL="WARNING",
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    return env


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(api_url.rstrip("/") + "/health", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


@dataclass(frozen=True)
class Server:
    """A Prefect server's API address, and its process when this bench started it."""

    url: str
    pid: int | None = None


@contextlib.contextmanager
def prefect_server(home: Path, api_url: str | None) -> Iterator[Server]:
    """The given server, or a new one on a free loopback port, stopped on exit."""
    if api_url:
        if not _healthy(api_url):
            raise RuntimeError(f"no Prefect server answers at {api_url}")
        yield Server(api_url)
        return
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    log = (home / "server.log").open("wb")
    proc = subprocess.Popen(
        [PYTHON, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port),
         "--no-ui"],
        env={**_quiet_env(home), "PREFECT_API_URL": ""},
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Prefect server did not start; see {home / 'server.log'}")
            time.sleep(0.5)
        yield Server(url, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


# --- the store before the month ------------------------------------------------------------


def _months(first: str, last: str) -> list[str]:
    y, m = map(int, first.split("-"))
    ly, lm = map(int, last.split("-"))
    out = []
    while (y, m) <= (ly, lm):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _previous(period: str) -> str:
    y, m = map(int, period.split("-"))
    return f"{y - 1:04d}-12" if m == 1 else f"{y:04d}-{m - 1:02d}"


def _child(mode: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    """Run this script in a new process; it prints one JSON line last."""
    argv = [PYTHON, str(Path(__file__).resolve()), f"--child-{mode}", *args]
    wall, proc = timed_process(argv, env, f"bench child {mode}")
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_wall"] = wall
    return out


def prepare_state(state: Path, period: str, env: dict[str, str]) -> float:
    """The store as it is before ``period``'s monthly run; returns seconds taken (0: reused)."""
    marker = state / "prepared.json"
    if marker.exists() and json.loads(marker.read_text())["period"] == period:
        return 0.0
    if state.exists():
        shutil.rmtree(state)
    state.mkdir(parents=True)
    started = time.perf_counter()
    _child("setup", {**env, **store_env(state)}, period)
    marker.write_text(json.dumps({"period": period}))
    return time.perf_counter() - started


# --- children --------------------------------------------------------------------------------


def _setup_child(period: str) -> dict[str, Any]:
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flows.deadline import deadline_check
    from flows.monthly import monthly_progress
    from jzplan.core.settings import Settings
    from jzplan.store.db import init_store

    init_store(Settings().database_url)  # a new store is made explicitly, as `jzplan init` does
    # not timed: no heartbeats (about a second per flow run)
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        for month in _months(FIRST_MONTH, _previous(period)):
            if int(month[:4]) == PLAN_YEAR:
                deadline_check(period=month)
            monthly_progress(period=month)
        if int(period[:4]) == PLAN_YEAR:
            deadline_check(period=period)
    return {}


def _timed_flow(period: str, cpu: list[float] | None = None) -> tuple[float, str]:
    from flows.monthly import monthly_progress
    from jzplan.validate.docs_helper import shared_helper

    helper = shared_helper()  # the Data Docs helper's CPU counts as the run's
    wait_quiet()  # the server done with the previous run (bench.prefect_cli)
    started, cpu_started = time.perf_counter(), time.process_time() + helper.cpu_seconds()
    state = monthly_progress(period=period, return_state=True)
    state.result()  # raises if the run failed
    wall = time.perf_counter() - started
    if cpu is not None:
        cpu.append(time.process_time() + helper.cpu_seconds() - cpu_started)
    return wall, str(state.state_details.flow_run_id)


def _warm_child(
    period: str, state: str, runs: str, repeat: int, profile: str | None
) -> dict[str, Any]:
    from jzplan.core.process import imports_done, start_without_collecting

    # started as the `jzplan` command starts (`jzplan backfill` is a warm process): no cyclic
    # collection during the imports, then what they made frozen (jzplan.core.process); GE,
    # imported by the warm-up run, is frozen then too
    start_without_collecting()
    from prefect.context import SyncClientContext
    from prefect.settings import temporary_settings

    import flows.monthly  # noqa: F401  (everything imported before the first call)
    from flows.server import hand_run_settings

    imports_done()

    out: dict[str, Any] = {"walls": [], "flow_runs": [], "cpus": [], "rerun_walls": [],
                           "rerun_cpus": []}  # fmt: skip
    # a warm process is a run by hand; its runs share one Prefect client, as `jzplan
    # backfill`'s months share their parent flow's and `make demo`'s months theirs
    with temporary_settings(hand_run_settings()), SyncClientContext.get_or_create():
        _warm_runs(out, period, state, runs, repeat, profile)
    return out


# untimed runs first: the first imports GE and builds the clients; the second starts the Data
# Docs helper (jzplan.validate.docs_helper), as a process running months one after another
# has it from its third month on
_WARM_UPS = 2


def _warm_runs(
    out: dict[str, Any], period: str, state: str, runs: str, repeat: int, profile: str | None
) -> None:
    for i in range(repeat + _WARM_UPS + (1 if profile else 0)):
        os.environ.update(fresh_copy(Path(state), Path(runs) / f"warm-{i}"))
        if profile and i == repeat + _WARM_UPS:
            import cProfile

            prof = cProfile.Profile()
            prof.enable()
            wall, run_id = _timed_flow(period)
            prof.disable()
            prof.dump_stats(profile)
            out["profiled"] = wall
            continue
        cpu: list[float] = []
        wall, run_id = _timed_flow(period, cpu)
        again, _ = _timed_flow(period, cpu)  # the month re-run: every file of it stored
        if i == 0:
            out["warmup"] = wall  # imports done, GE context and clients not yet built
        elif i >= _WARM_UPS:
            out["walls"].append(wall)
            out["cpus"].append(cpu[0])
            out["flow_runs"].append(run_id)
            out["rerun_walls"].append(again)
            out["rerun_cpus"].append(cpu[1])


# --- stages from the server ------------------------------------------------------------------

_SUFFIX = re.compile(r"(-[A-Z]{2,4})?(-\d{4}-\d{2})?(-[0-9a-f]{3})?$")


def stage_of(task_run_name: str) -> str:
    """``ingest-NGZ-2013-06`` → ``ingest``, ``deliver-alerts-1a2`` → ``deliver-alerts``."""
    return _SUFFIX.sub("", task_run_name) or task_run_name


def stage_times(api_url: str, flow_run_id: str) -> dict[str, float]:
    """Seconds per stage of one flow run, from its task runs on the server."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(UUID(flow_run_id))
        tasks: list[Any] = []
        for _ in range(40):  # task runs reach the server through events: let them arrive
            tasks = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(flow_run_id)]))
            )
            if tasks and all(t.end_time is not None for t in tasks):
                break
            time.sleep(0.25)
    spans: dict[str, list[tuple[float, float]]] = {}
    for t in tasks:
        if t.start_time is None or t.end_time is None:
            continue
        spans.setdefault(stage_of(t.name), []).append(
            (t.start_time.timestamp(), t.end_time.timestamp())
        )
    out: dict[str, float] = {}
    for stage, intervals in spans.items():
        # parallel tasks (ingest-*): the stage's span; serial ones: their sum
        start, end = min(s for s, _ in intervals), max(e for _, e in intervals)
        out[stage] = min(end - start, sum(e - s for s, e in intervals))
    if flow_run.start_time and flow_run.end_time:
        total = (flow_run.end_time - flow_run.start_time).total_seconds()
        out["flow-run (server)"] = total
        covered = _union([iv for ivs in spans.values() for iv in ivs])
        out["flow-other"] = total - covered
    return out


def _union(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for s, e in sorted(intervals):
        if e <= end:
            continue
        total += e - max(s, end)
        end = e
    return total


def _median_stages(per_run: list[dict[str, float]]) -> dict[str, float]:
    keys = sorted({k for r in per_run for k in r})
    return {k: statistics.median(r.get(k, 0.0) for r in per_run) for k in keys}


# --- the benchmark ---------------------------------------------------------------------------


def run(
    period: str = "2013-06",
    repeat: int = 3,
    api_url: str | None = None,
    *,
    cold: bool = True,
    state_dir: Path | None = None,
    profile: str | None = None,
    verbose: bool = True,
) -> dict[str, float]:
    """Time ``repeat`` warm and ``repeat`` cold runs of ``period``; seconds by name."""

    def say(msg: str) -> None:
        if verbose:
            print(msg, flush=True)

    tmp = Path(tempfile.mkdtemp(prefix="bench-prefect-month-"))
    try:
        home = tmp / "prefect"
        home.mkdir()
        with prefect_server(home, api_url) as server:
            url = server.url
            say(f"Prefect server: {url}" + ("" if api_url else " (started for this run)"))
            env = {**_quiet_env(home), "PREFECT_API_URL": url,
                   "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING"}  # fmt: skip
            state = state_dir or tmp / "state"
            took = prepare_state(state, period, env)
            say(f"store before {period}: {state}" + (f" (built in {took:.0f} s)" if took else
                                                      " (reused)"))  # fmt: skip
            results: dict[str, float] = {}
            runs = tmp / "runs"

            warm = _child("warm", env, period, str(state), str(runs), str(repeat), profile or "")
            walls: list[float] = warm["walls"]
            say(f"warm first warm-up run (not counted): {warm['warmup']:.2f} s")
            for i, w in enumerate(walls, 1):
                results[f"warm_{i}"] = w
                say(f"warm run {i}: {w:.2f} s")
            results["warm_median"] = statistics.median(walls)
            say(f"warm median: {results['warm_median']:.2f} s")
            # this process's CPU time (all its threads, not the server's): steadier than the
            # wall time on a shared machine
            results["warm_cpu_median"] = statistics.median(warm["cpus"])
            say(f"warm median CPU time of the flow's process: {results['warm_cpu_median']:.2f} s")
            results["warm_rerun_median"] = statistics.median(warm["rerun_walls"])
            results["warm_rerun_cpu_median"] = statistics.median(warm["rerun_cpus"])
            say(f"warm re-run of the stored month: median {results['warm_rerun_median']:.2f} s"
                f" (CPU {results['warm_rerun_cpu_median']:.2f} s)")  # fmt: skip
            stage_runs = [stage_times(url, r) for r in warm["flow_runs"]]

            if cold:  # a worker's new process per run (bench.prefect_engine)
                results |= cold_runs(url, env, state, runs, period, repeat, say)
                say(f"cold median: {results['cold_median']:.2f} s (flow run "
                    f"{results['cold_flow_median']:.2f} s)")  # fmt: skip

            if cold:
                results |= cli_runs(
                    env, state, runs, period, repeat, tmp / "prefect-temporary", server.pid
                )
                nan = float("nan")
                say(f"jzplan run, new process: running server median "
                    f"{results['cli_running_median']:.2f} s (re-run "
                    f"{results['cli_running_rerun_median']:.2f} s), temporary server median "
                    f"{results.get('cli_temporary_median', nan):.2f} s (re-run "
                    f"{results.get('cli_temporary_rerun_median', nan):.2f} s)")  # fmt: skip
                for prefix, what in CPU_CASES:
                    if f"{prefix}_cpu" in results:
                        say(cpu_line(what, results, prefix, os.cpu_count() or 1))

            stages = _median_stages(stage_runs)
            say("per stage, warm runs (median seconds, from the server's task runs):")
            for name, secs in sorted(stages.items(), key=lambda kv: -kv[1]):
                say(f"  {name:<24} {secs:6.2f}")
                results[f"stage_{name}"] = secs
            if profile:
                say(f"cProfile of one more warm run ({warm['profiled']:.2f} s): {profile}")
        return results
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--period", default="2013-06")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--api-url", help="an already running server (default: start one)")
    parser.add_argument("--state", type=Path, help="keep the store before the month here, reuse")
    parser.add_argument("--no-cold", action="store_true", help="only the warm runs")
    parser.add_argument("--profile", help="cProfile one more warm run into this file")
    parser.add_argument("--child-setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-warm", action="store_true", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.child_setup or args.child_warm:
        if args.child_setup:
            out = _setup_child(rest[0])
        else:
            out = _warm_child(rest[0], rest[1], rest[2], int(rest[3]), rest[4] or None)
        print(json.dumps(out))
        return
    run(
        args.period,
        args.repeat,
        args.api_url,
        cold=not args.no_cold,
        state_dir=args.state,
        profile=args.profile,
    )


if __name__ == "__main__":
    main()
