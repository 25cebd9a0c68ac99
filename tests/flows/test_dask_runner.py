"""JZPLAN_TASK_RUNNER=dask runs the per-submission tasks on a local Dask cluster (prefect-dask)
and the month ends exactly as with the default thread runner.

August 2013 has a defective file and its correction: rejection, acceptance and the order of
loading (serial, by file name, in the month's transaction) must all come out the same.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from distributed import LocalCluster

from flows.monthly import monthly_progress
from jzplan.store.db import make_engine
from tests.flows.conftest import MonthRun
from tests.ops.natural import differences, natural_dump

pytestmark = pytest.mark.flow

PERIOD = "2013-08"


def _run(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> tuple[dict[str, Any], Any]:
    with monkeypatch.context() as m:
        for key, value in env.items():
            m.setenv(key, value)
        summary = monthly_progress(period=PERIOD)
        engine = make_engine(os.environ["JZPLAN_DATABASE_URL"])
        try:
            return summary, natural_dump(engine)
        finally:
            engine.dispose()


def test_dask_cluster_gives_the_default_runners_results(
    flow_env: Path, august_on_sqlite: MonthRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the thread runner's run of the month on SQLite (shared with test_monthly_flow)
    summary = august_on_sqlite.summary
    reference = make_engine(august_on_sqlite.database_url)
    try:
        dump = natural_dump(reference)
    finally:
        reference.dispose()
    assert (summary["rejected"], summary["accepted"], summary["stale"]) == (0, 7, 1)

    # Two workers as threads of this process: a process cluster costs ~5 s of imports a worker.
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        dask_summary, dask_dump = _run(
            monkeypatch,
            {"JZPLAN_TASK_RUNNER": "dask", "JZPLAN_DASK_ADDRESS": cluster.scheduler_address},
        )
        # keys of the tasks the cluster computed (key, start, finish, ...)
        computed = {
            str(t[0])
            for t in cluster.scheduler.transition_log
            if t[2] == "memory" and str(t[0]).startswith("prepare")
        }
    assert len(computed) == summary["files"], computed  # every file went through the cluster
    assert differences(dump, dask_dump) == {}
    for key in ("files", "accepted", "rejected", "duplicates", "recomputed", "missing_units"):
        assert dask_summary[key] == summary[key], key
