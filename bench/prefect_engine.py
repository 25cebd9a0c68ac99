"""A scheduled run as a worker runs it: a new ``python -m prefect.engine`` process per run.

Prefect's process worker starts, for each flow run of a deployment, ``python -m
prefect.engine`` in the project's folder with the run's id in ``PREFECT__FLOW_RUN_ID``; the
engine reads the run, loads the deployment's entrypoint (``flows/monthly.py:
monthly_progress``, as prefect.yaml names it) from its file and runs it. Here the bench's
server holds a deployment of that entrypoint (no work pool: nothing else picks its runs up),
each cold run is a flow run of it for the month, and the engine process is started as the
worker starts it. What a worker adds around the process (polling for the run, its own log
lines) is not timed.

Timed, per run: the process's wall time (``cold``); the flow run from its start to its end
as the server recorded them (``cold_flow``); and the process start to the flow run's start
(``cold_imports``: the interpreter, Prefect, reading the run, importing the entrypoint).
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

from bench.prefect_cli import fresh_copy, timed_process

ENTRYPOINT = "flows/monthly.py:monthly_progress"


@contextlib.contextmanager
def _client(api_url: str) -> Iterator[Any]:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        yield client


def deployment(api_url: str) -> UUID:
    """A deployment of the monthly run's entrypoint on the server, without a work pool."""
    with _client(api_url) as client:
        flow_id = client.create_flow_from_name("monthly-progress")
        deployment_id: UUID = client.create_deployment(
            flow_id=flow_id, name="bench-cold", entrypoint=ENTRYPOINT
        )
    return deployment_id


def engine_run(
    api_url: str, deployment_id: UUID, env: dict[str, str], period: str
) -> dict[str, float]:
    """One flow run of ``period`` through a new engine process; its times (module doc)."""
    with _client(api_url) as client:
        flow_run = client.create_flow_run_from_deployment(
            deployment_id, parameters={"period": period}
        )
    run_env = {**env, "PREFECT__FLOW_RUN_ID": str(flow_run.id)}
    wall, _ = timed_process([sys.executable, "-m", "prefect.engine"], run_env, "prefect.engine")
    # the process's start in wall-clock time, as the server stamps runs (timed_process waits
    # for a quiet machine first: a time taken before it is not the start)
    process_started = time.time() - wall
    with _client(api_url) as client:
        done = client.read_flow_run(flow_run.id)
    if done.state is None or not done.state.is_completed():
        raise RuntimeError(f"cold run {flow_run.id}: {done.state}")
    assert done.start_time is not None and done.end_time is not None
    return {
        "cold": wall,
        "cold_flow": (done.end_time - done.start_time).total_seconds(),
        "cold_imports": done.start_time.timestamp() - process_started,
    }


def cold_runs(
    api_url: str, env: dict[str, str], state: Path, runs: Path, period: str, repeat: int,
    say: Callable[[str], None] = print,
) -> dict[str, float]:  # fmt: skip
    """``repeat`` cold runs, each on a fresh copy of the store before the month; medians."""
    deployment_id = deployment(api_url)
    out: list[dict[str, float]] = []
    for i in range(1, repeat + 1):
        one = engine_run(api_url, deployment_id, {**env, **fresh_copy(state, runs / f"cold-{i}")},
                         period)  # fmt: skip
        out.append(one)
        say(f"cold run {i}: {one['cold']:.2f} s (before the flow run {one['cold_imports']:.2f} s,"
            f" flow run {one['cold_flow']:.2f} s)")  # fmt: skip
    return {f"{k}_median": statistics.median(o[k] for o in out) for k in out[0]}
