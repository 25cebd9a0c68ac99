"""Readable names for scheduled runs (``monthly-2013-06``, ``deadline-2013-06``,
``reminder-2013-06``) from the moment they are scheduled.

Prefect's scheduler creates a deployment's runs ahead of time with random names
(``honest-skua``); a flow's ``flow_run_name`` is applied only when the run starts, and a
deployment cannot template the names of the runs its schedule creates (Prefect 3.9). So
``name_scheduled_runs`` asks the server to create the runs its scheduler would (the same
idempotency keys: no duplicates) and renames each scheduled one by the month its flow will
work on. It runs after ``prefect deploy`` (``jzplan name-runs``) and at the end of every
scheduled flow (``NAME_UPCOMING_RUNS`` hooks), when the scheduler's replacement of the run
that just started is due.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from prefect import Flow, State
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateName,
)
from prefect.client.schemas.objects import FlowRun
from prefect.flows import FlowStateHook
from prefect.logging import get_logger

from jzplan.alert.deadlines import deadline_of
from jzplan.alert.reminders import reminder_period
from jzplan.core.periods import Period, month_before
from jzplan.core.settings import Settings

# Flow name → (run name prefix, the month a run scheduled at ``start`` works on). The same
# rules as the flows' defaults (flows.monthly.default_period, flows.deadline.due_period,
# flows.reminder.due_period), on the scheduled start instead of the run's context.
MONTHLY_FLOWS: dict[str, tuple[str, Callable[[datetime, Settings], Period]]] = {
    "monthly-progress": ("monthly", lambda start, s: month_before(start, s.timezone)),
    "deadline-check": ("deadline", lambda start, s: deadline_of(s).period_due(start)),
    "deadline-reminder": ("reminder", lambda start, s: reminder_period(start, s.timezone)),
}
# deliver-pending (every 15 minutes) is named by its local scheduled start
DELIVER_FLOW = "deliver-pending"
SCHEDULED_FLOWS = [*MONTHLY_FLOWS, DELIVER_FLOW]
# Scheduled-type states a scheduled run waits in (not AwaitingRetry: a retry keeps its name)
WAITING = ["Scheduled", "Late"]


def deliver_run_name(start: datetime, settings: Settings) -> str:
    """deliver-YYYY-MM-DD-HHMM, the local time of the drain's scheduled start."""
    return f"deliver-{start.astimezone(ZoneInfo(settings.timezone)):%Y-%m-%d-%H%M}"


def scheduled_run_name(
    flow_name: str, parameters: Mapping[str, Any], start: datetime, settings: Settings
) -> str | None:
    """The name a run of ``flow_name`` scheduled at ``start`` gets when it starts; None for a
    flow that is not scheduled."""
    if flow_name == DELIVER_FLOW:
        return deliver_run_name(start, settings)
    entry = MONTHLY_FLOWS.get(flow_name)
    if entry is None:
        return None
    prefix, period_of = entry
    period = parameters.get("period") or str(period_of(start, settings))
    return f"{prefix}-{period}"


def name_scheduled_runs(settings: Settings | None = None, *, schedule: bool = True) -> int:
    """Rename every waiting scheduled run of the scheduled flows to its readable name (after
    asking the server to schedule their deployments' runs, unless ``schedule`` is False);
    returns how many runs were renamed."""
    settings = settings or Settings()
    renamed = 0
    scheduled = FlowFilter(name=FlowFilterName(any_=SCHEDULED_FLOWS))
    with get_client(sync_client=True) as client:
        # the deployments first: a server without scheduled ones (runs by hand) is one request
        deployments = [d for d in client.read_deployments(flow_filter=scheduled) if d.schedules]
        if not deployments:
            return 0
        flow_names = {f.id: f.name for f in client.read_flows(flow_filter=scheduled)}
        if schedule:
            for d in deployments:
                response = client.request(
                    "POST", "/deployments/{id}/schedule", path_params={"id": d.id}, json={}
                )
                response.raise_for_status()
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(
                id=DeploymentFilterId(any_=[d.id for d in deployments])
            ),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(name=FlowRunFilterStateName(any_=WAITING))
            ),
        )
        for run in runs:
            start = run.expected_start_time
            if not run.auto_scheduled or start is None or run.flow_id not in flow_names:
                continue
            name = scheduled_run_name(flow_names[run.flow_id], run.parameters, start, settings)
            if name and name != run.name:
                client.update_flow_run(run.id, name=name)
                renamed += 1
    return renamed


def name_upcoming_runs(flow: Flow[..., Any], flow_run: FlowRun, state: State) -> None:
    """A flow's completion/failure hook: name the runs the scheduler has added meanwhile.
    Never fails the run (a naming problem is logged). A run by hand (no deployment: ``jzplan
    run``, ``make demo``, a backfill's months) asks nothing: the scheduler adds a run when
    one of its own starts, not when one by hand does (22 ms of a warm run's 4 s here)."""
    if flow_run.deployment_id is None:
        return
    try:
        renamed = name_scheduled_runs()
    except Exception as exc:
        get_logger("jzplan.run_names").warning("计划运行未能命名：%s", exc)
        return
    if renamed:
        get_logger("jzplan.run_names").info("已为 %d 个计划运行命名", renamed)


# on_completion / on_failure of every scheduled flow
NAME_UPCOMING_RUNS: list[FlowStateHook[..., Any]] = [name_upcoming_runs]
