"""The pipeline watched, on the session's Prefect server: the automations are upserted by name
(twice gives one of each) and their triggers are what the settings say; a real failing run of
a deployment named monthly-progress, and a monthly run left unfinished past a short window,
make them run the notify-operators deployment, whose runs (executed here as a worker would)
reach the operators' loopback receiver in Chinese."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prefect import flow
from prefect.automations import Automation, EventTrigger, Posture, SendNotification
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.deployments import run_deployment
from prefect.events.actions import RunDeployment
from prefect.flow_engine import run_flow
from prefect.settings import PREFECT_UI_URL
from prefect.states import Completed, Pending, Running

from flows.automations import (
    COMPLETED,
    RETIRED,
    START_EVENTS,
    TAG,
    default_windows,
    ensure_automations,
    upsert_webhook_block,
)
from flows.notify import notify_operators
from jzplan.alert.watch import Windows
from jzplan.core.settings import Settings
from tests.alert.receivers import HttpReceiver, http_receiver

pytestmark = pytest.mark.flow

NAMES = {
    "jzplan-run-failed",
    "jzplan-run-crashed",
    "jzplan-monthly-late",
    "jzplan-deadline-check-late",
}
WAIT = 90  # a bound on waiting for the server, not a timing assertion


@flow(name="jzplan-broken-monthly", flow_run_name="monthly-2013-07")
def broken_monthly() -> None:
    raise RuntimeError("入库失败：数据库连接被拒绝")


@flow(name="jzplan-watched-monthly")
def watched_monthly() -> None:
    """Never executed: its runs are moved through their states by the test, as a worker's."""


@pytest.fixture
def operators(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpReceiver]:
    """The operators' channel (a webhook on loopback) as the only channel of channels.yaml."""
    channels = tmp_path / "channels.yaml"
    channels.write_text(
        "channels: []\noperators:\n  - name: operators-webhook\n    type: webhook\n"
        "    url: {env: JZPLAN_TEST_OPERATORS_URL}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("JZPLAN_ALERT_CHANNELS_FILE", str(channels))
    with http_receiver() as http:
        monkeypatch.setenv("JZPLAN_TEST_OPERATORS_URL", f"{http.url}/operators")
        yield http


@pytest.fixture
def notify_id() -> Iterator[UUID]:
    """The notify-operators deployment (as prefect.yaml registers it), and the project's
    automations deleted after the test: left on the session's server, they would react to
    the later flow tests' runs."""
    deployment_id = notify_operators.to_deployment(name="notify-operators").apply()
    yield deployment_id
    with get_client(sync_client=True) as client:
        for automation in client.read_automations():
            if automation.name in NAMES | set(RETIRED):
                client.delete_automation(automation.id)


def _notices(deployment_id: UUID) -> list[Any]:
    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
            ),
        )


def run_notices(deployment_id: UUID, done: Callable[[], bool]) -> list[Any]:
    """As a worker would: execute each notify-operators run the automations schedule, in this
    process, until ``done()`` (or the bound); returns their final states."""
    states: list[Any] = []
    seen: set[UUID] = set()
    deadline = time.monotonic() + WAIT
    while not done() and time.monotonic() < deadline:
        for run in _notices(deployment_id):
            if run.id not in seen:
                seen.add(run.id)
                states.append(run_flow(notify_operators, flow_run=run,
                                       parameters=run.parameters, return_type="state"))  # fmt: skip
        time.sleep(0.3)
    return states


def _watched_deployment(fn: Any) -> UUID:
    """A deployment named monthly-progress, tagged like prefect.yaml's."""
    return UUID(str(fn.to_deployment(name="monthly-progress", tags=[TAG, "monthly"]).apply()))


def test_created_twice_and_triggers_as_the_settings_say(notify_id: UUID) -> None:
    # what an earlier version left: an automation forwarding every alert event
    with http_receiver() as http:
        Automation(
            name=RETIRED[0],
            trigger=EventTrigger(expect={"jzplan.alert.opened"}, posture=Posture.Reactive,
                                 threshold=1, within=timedelta(0)),
            actions=[SendNotification(block_document_id=upsert_webhook_block(http.url),
                                      subject="x", body="y")],
        ).create()  # fmt: skip
    first = ensure_automations()
    assert first == {**dict.fromkeys(NAMES, "created"), RETIRED[0]: "deleted"}
    assert ensure_automations() == dict.fromkeys(NAMES, "updated")
    with get_client(sync_client=True) as client:
        found = sorted(a.name for a in client.read_automations() if a.name.startswith("jzplan-"))
    assert found == sorted(NAMES)

    late = Automation.read(name="jzplan-monthly-late")
    trigger = late.trigger
    assert isinstance(trigger, EventTrigger)
    assert trigger.posture == Posture.Proactive
    assert trigger.expect == {COMPLETED} and trigger.after == set(START_EVENTS)
    assert trigger.for_each == {"prefect.resource.id"}  # one window per run
    related = trigger.match_related.model_dump()  # type: ignore[union-attr]
    assert related == {"prefect.resource.role": "deployment",
                       "prefect.resource.name": "monthly-progress"}  # fmt: skip
    # cron 0 9 6 * * (prefect.yaml) to the due time 12:00 on the 6th (settings)
    assert trigger.within == timedelta(hours=3)
    deadline = Automation.read(name="jzplan-deadline-check-late").trigger
    assert isinstance(deadline, EventTrigger) and deadline.within == timedelta(hours=2)
    assert deadline.match_related.model_dump()["prefect.resource.name"] == "deadline-check"  # type: ignore[union-attr]
    for name in NAMES:  # each runs notify-operators, naming what it is about
        (action,) = Automation.read(name=name).actions
        assert isinstance(action, RunDeployment) and action.deployment_id == notify_id
        assert (
            action.parameters
            and action.parameters["flow_run_name"]["template"] == "{{ flow_run.name }}"
        )
        expect = Automation.read(name=name).trigger.expect  # type: ignore[union-attr]
        assert not any("jzplan.alert" in e for e in expect)
    # a later due hour widens the window
    later = Settings(_env_file=None, monthly_due_hour=15)  # type: ignore[call-arg]
    assert default_windows(later).monthly == timedelta(hours=6)


def test_a_failing_monthly_run_reaches_the_operators(
    notify_id: UUID, operators: HttpReceiver
) -> None:
    with http_receiver() as direct:
        ensure_automations(webhook_url=f"{direct.url}/direct")
        deployment_id = _watched_deployment(broken_monthly)
        run = run_deployment(deployment_id, timeout=0)
        # the worker's part: run the deployment's flow run in this process
        state = run_flow(broken_monthly, flow_run=run, return_type="state")
        assert state.is_failed()

        notices = run_notices(notify_id, lambda: bool(operators.requests and direct.requests))
        assert operators.requests, "notify-operators did not reach the operators' channel"
        assert all(s.is_completed() for s in notices), notices
        body = operators.requests[0].body
        assert body["title"] == "【运行失败】焦作新区目标跟踪：monthly-2013-07"
        text = body["text"]
        assert (
            "部署「monthly-progress」（流程「jzplan-broken-monthly」）的运行「monthly-2013-07」于"
            in text
        )
        assert "失败。\n原因：RuntimeError: 入库失败：数据库连接被拒绝\n" in text
        assert "处理：查看运行日志" in text
        assert f"查看运行：{PREFECT_UI_URL.value()}/runs/flow-run/{run.id}\n" in text
        # the server's own path (no worker needed) says it too
        assert direct.requests, "the server did not post to JZPLAN_OPERATOR_WEBHOOK_URL"
        assert direct.requests[0].body["title"] == "【运行失败】焦作新区目标跟踪：monthly-2013-07"


def test_a_monthly_run_unfinished_past_its_window_reaches_the_operators(
    notify_id: UUID, operators: HttpReceiver
) -> None:
    # the same automations with a 10-second window (the least Prefect accepts) for 3 hours
    ensure_automations(Windows(monthly=timedelta(seconds=10), deadline_check=timedelta(hours=2)))
    late = Automation.read(name="jzplan-monthly-late").trigger
    assert isinstance(late, EventTrigger) and late.within == timedelta(seconds=10)
    deployment_id = _watched_deployment(watched_monthly)
    with get_client(sync_client=True) as client:
        # one run that completes in its window, then one a worker takes and never finishes
        done = run_deployment(deployment_id, timeout=0, flow_run_name="monthly-2013-08")
        for new in (Pending(), Running(), Completed()):
            client.set_flow_run_state(done.id, new, force=True)
        stuck = run_deployment(deployment_id, timeout=0, flow_run_name="monthly-2013-09")
        client.set_flow_run_state(stuck.id, Pending(), force=True)

    run_notices(notify_id, lambda: bool(operators.requests))
    assert operators.requests, "the proactive automation did not fire"
    titles = [r.body["title"] for r in operators.requests]
    assert titles == ["【月报未按时完成】焦作新区目标跟踪：monthly-2013-09"], titles
    text = operators.requests[0].body["text"]
    assert "月报处理运行「monthly-2013-09」（计划" in text
    assert "仍未完成，当前状态：等待启动。按计划应于每月6日12时（Asia/Shanghai）前完成" in text
    assert "处理：未开始时检查工作进程" in text
