"""prefect.yaml builds real deployments whose schedules fall on the configured local day.

``prefect --no-prompt deploy --all`` runs against the session's Prefect test server; the server
then schedules runs, and each run's start, read in the schedule's timezone, must match the
cron of prefect.yaml, and the monthly run must default to the month before it.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.settings import PREFECT_API_URL
from prefect.workers.process import ProcessWorker

from flows.monthly import default_period
from jzplan.core.periods import Period
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.flow

CONFIG = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
RUNS = 4
# The server schedules at most 100 days ahead (PREFECT_API_SERVICES_SCHEDULER_MAX_SCHEDULED_TIME)
# whatever min_runs asks: a monthly cron gets 4 runs only early in its cycle, always 3
MONTHLY_RUNS_AHEAD = 3


def _pools() -> set[str]:
    return {d["work_pool"]["name"] for d in CONFIG["deployments"]}


async def _create_pools() -> None:
    template = ProcessWorker.get_default_base_job_template()
    async with get_client() as client:
        for name in _pools():
            await client.create_work_pool(
                WorkPoolCreate(name=name, type="process", base_job_template=template),
                overwrite=True,
            )


async def _deployments() -> dict[str, Any]:
    async with get_client() as client:
        found = {}
        for d in CONFIG["deployments"]:
            flow_name = _flow_name(d["entrypoint"])
            found[d["name"]] = await client.read_deployment_by_name(f"{flow_name}/{d['name']}")
        return found


async def _scheduled_starts(deployment_id: Any, runs: int) -> list[datetime]:
    async with get_client() as client:
        response = await client._client.post(
            f"/deployments/{deployment_id}/schedule", json={"min_runs": runs}
        )
        response.raise_for_status()
        flow_runs = await client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
            ),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
        )
    return [r.expected_start_time for r in flow_runs if r.expected_start_time is not None]


def _flow_name(entrypoint: str) -> str:
    import importlib

    path, attr = entrypoint.split(":")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    return str(getattr(module, attr).name)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every deployment of prefect.yaml, registered by the real CLI on the test server."""
    import asyncio

    asyncio.run(_create_pools())
    env = {
        **os.environ,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT_HOME": str(tmp_path_factory.mktemp("deploy-home")),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    prefect = Path(sys.executable).with_name("prefect")
    done = subprocess.run(
        [str(prefect), "--no-prompt", "deploy", "--all"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return asyncio.run(_deployments())


def test_every_deployment_is_registered_as_configured(deployed: dict[str, Any]) -> None:
    for config in CONFIG["deployments"]:
        d = deployed[config["name"]]
        assert d.entrypoint == config["entrypoint"]
        assert d.work_pool_name == config["work_pool"]["name"]
        assert set(config["tags"]) <= set(d.tags)
        assert d.description and d.description.strip()
        assert d.parameters == (config.get("parameters") or {})
        # typed parameters: a month's schema carries the YYYY-MM pattern of flows.params.Month
        schema = d.parameter_openapi_schema
        months = {"period", "start", "end"} & set(schema.get("properties", {}))
        assert all("pattern" in str(schema["properties"][m]) for m in months)
        assert months or config["name"] in ("answer-held-row", "deliver-pending",
                                            "notify-operators")  # fmt: skip
        assert bool(d.schedules) == bool(config.get("schedules"))
    # the operators' notifier is not a jzplan run: its own failure must not notify again
    assert "jzplan" not in deployed["notify-operators"].tags


def test_one_monthly_run_at_a_time_the_next_enqueued(deployed: dict[str, Any]) -> None:
    """monthly-progress: a deployment concurrency limit of 1, a second run waits its turn
    (ENQUEUE) instead of being cancelled; deliver-pending drops the overlapping run."""
    limits = {
        name: (
            d.global_concurrency_limit.limit if d.global_concurrency_limit else None,
            d.concurrency_options.collision_strategy if d.concurrency_options else None,
        )
        for name, d in deployed.items()
    }
    assert limits["monthly-progress"] == (1, "ENQUEUE")
    assert limits["deliver-pending"] == (1, "CANCEL_NEW")
    assert limits["backfill"] == (None, None)


@pytest.mark.parametrize(
    "config",
    [d for d in CONFIG["deployments"] if d.get("schedules")],
    ids=lambda d: d["name"],
)
def test_next_runs_fall_on_the_configured_local_day(
    deployed: dict[str, Any], config: dict[str, Any]
) -> None:
    import asyncio

    (schedule,) = config["schedules"]
    tz = ZoneInfo(schedule["timezone"])
    minute, hour, day, _month, weekday = schedule["cron"].split()
    starts = asyncio.run(_scheduled_starts(deployed[config["name"]].id, RUNS))
    assert len(starts) >= MONTHLY_RUNS_AHEAD
    now = datetime.now(UTC)
    for start in starts:
        local = start.astimezone(tz)
        assert start > now
        if minute.startswith("*/"):  # every n minutes (deliver-pending)
            assert local.minute % int(minute[2:]) == 0, local
        else:
            assert local.minute == int(minute), local
        if hour != "*":
            assert local.hour == int(hour), local
        if day != "*":
            assert local.day == int(day), local
        if weekday != "*":
            assert local.isoweekday() % 7 == int(weekday) % 7, local
    if config["name"] == "monthly-progress":
        # one run a month, each processing the month before its scheduled local start
        months = [Period(s.astimezone(tz).year, s.astimezone(tz).month) for s in starts]
        assert all(b == a.next() for a, b in itertools.pairwise(months)), months
        for start, month in zip(starts, months, strict=True):
            assert default_period(start) == month.previous()


def test_the_reminder_is_next_scheduled_on_the_3rd_at_9_in_shanghai(
    deployed: dict[str, Any],
) -> None:
    import asyncio

    from flows.reminder import due_period
    from jzplan.core.settings import Settings

    shanghai = ZoneInfo("Asia/Shanghai")
    starts = asyncio.run(_scheduled_starts(deployed["deadline-reminder"].id, RUNS))
    nxt = starts[0].astimezone(shanghai)
    assert (nxt.day, nxt.hour, nxt.minute) == (3, 9, 0), nxt
    assert starts[0] > datetime.now(UTC)
    # each run reminds of the month before its local start
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    for start in starts:
        local = start.astimezone(shanghai)
        assert due_period(settings, start) == Period(local.year, local.month).previous()


def _waiting_runs(deployment_ids: list[Any]) -> list[Any]:
    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=deployment_ids)),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
            ),
        )


def test_scheduled_runs_carry_their_readable_names(deployed: dict[str, Any]) -> None:
    """Prefect's scheduler names a scheduled run at random (honest-skua) until it starts;
    ``jzplan name-runs`` (after deploy) and every scheduled flow's end name them as the flow
    will: monthly- the month before the local start, deadline- the month just due."""
    from flows.deadline import deadline_check
    from flows.deadline import due_period as deadline_due
    from flows.deliver import deliver_pending_flow
    from flows.monthly import monthly_progress
    from flows.reminder import deadline_reminder
    from flows.reminder import due_period as reminder_due
    from flows.run_names import name_upcoming_runs
    from jzplan.core.settings import Settings

    scheduled = {n: d for n, d in deployed.items() if d.schedules}
    assert set(scheduled) == {
        "monthly-progress", "deadline-check", "deadline-reminder", "deliver-pending"
    }  # fmt: skip
    ids = [d.id for d in scheduled.values()]
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    expected = {
        "monthly-progress": lambda start: f"monthly-{default_period(start)}",
        "deadline-check": lambda start: f"deadline-{deadline_due(settings, start)}",
        "deadline-reminder": lambda start: f"reminder-{reminder_due(settings, start)}",
        "deliver-pending": lambda start: (
            f"deliver-{start.astimezone(ZoneInfo(settings.timezone)):%Y-%m-%d-%H%M}"
        ),
    }
    by_id = {d.id: n for n, d in scheduled.items()}

    # the CLI, as make ui runs it after deploy: schedules the runs, then names every one
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    done = subprocess.run(
        [str(Path(sys.executable).with_name("jzplan")), "name-runs"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and "计划运行命名" in done.stdout, done.stdout + done.stderr
    runs = _waiting_runs(ids)
    assert len(runs) >= 3 * MONTHLY_RUNS_AHEAD
    for run in runs:
        assert run.name == expected[by_id[run.deployment_id]](run.expected_start_time), run

    # a run the scheduler adds later comes with a random name: the hook every scheduled flow
    # runs at its end names it
    assert all(f.on_completion_hooks == f.on_failure_hooks == [name_upcoming_runs]
               for f in (monthly_progress, deadline_check, deadline_reminder,
                         deliver_pending_flow))  # fmt: skip
    with get_client(sync_client=True) as client:
        client.update_flow_run(runs[0].id, name="honest-skua")
    # a run by hand (no deployment) leaves it: the scheduler adds runs as its own start
    by_hand = runs[0].model_copy(update={"deployment_id": None})
    name_upcoming_runs(monthly_progress, by_hand, runs[0].state)
    assert {r.id: r.name for r in _waiting_runs(ids)}[runs[0].id] == "honest-skua"
    name_upcoming_runs(monthly_progress, runs[0], runs[0].state)
    assert {r.id: r.name for r in _waiting_runs(ids)} == {r.id: r.name for r in runs}


def test_a_second_monthly_run_waits_for_the_first(deployed: dict[str, Any]) -> None:
    """The limit acts on the server: while one monthly run holds the slot, a second one a
    worker tries to start is held in AwaitingConcurrencySlot, and starts once the first ends.
    (Last in this file: the held run is a scheduled-type run until deleted.)"""
    from prefect.states import Completed, Pending, Running

    monthly = deployed["monthly-progress"].id
    with get_client(sync_client=True) as client:
        first = client.create_flow_run_from_deployment(monthly, parameters={"period": "2013-05"})
        second = client.create_flow_run_from_deployment(monthly, parameters={"period": "2013-06"})
        try:
            assert client.set_flow_run_state(first.id, Pending()).state.name == "Pending"
            client.set_flow_run_state(first.id, Running())
            held = client.set_flow_run_state(second.id, Pending())
            assert held.state is not None and held.state.name == "AwaitingConcurrencySlot"
            client.set_flow_run_state(first.id, Completed())
            assert client.set_flow_run_state(second.id, Pending()).state.name == "Pending"
        finally:
            for run in (first, second):
                client.delete_flow_run(run.id)
