"""The pipeline's automations on the session's Prefect server: upserted by name (twice gives
one of each), the retired alert-forwarding ones deleted, and a failing jzplan run reaches the
operators' loopback webhook in Chinese."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from prefect import flow, tags
from prefect.automations import Automation, EventTrigger, Posture, SendNotification
from prefect.client.orchestration import get_client

from flows.automations import RETIRED, SPECS, TAG, ensure_automations, upsert_webhook_block
from tests.alert.receivers import http_receiver

pytestmark = pytest.mark.flow


@pytest.fixture
def automations_removed_after() -> Iterator[None]:
    """The project's automations deleted after the test: left on the session's server, they
    would react to the later flow tests' runs at a loopback webhook already closed."""
    yield
    names = {spec.name for spec in SPECS} | set(RETIRED)
    with get_client(sync_client=True) as client:
        for automation in client.read_automations():
            if automation.name in names:
                client.delete_automation(automation.id)


def _jzplan_automations() -> list[str]:
    with get_client(sync_client=True) as client:
        return sorted(a.name for a in client.read_automations() if a.name.startswith("jzplan-"))


@flow(name="jzplan-broken-step", flow_run_name="broken-2013-07")
def broken_step() -> None:
    raise RuntimeError("入库失败：数据库连接被拒绝")


def test_run_failures_reach_the_operators_and_alerts_are_not_forwarded(
    automations_removed_after: None,
) -> None:
    with http_receiver() as http:
        url = f"{http.url}/operators"
        # what an earlier version left: an automation forwarding every alert event
        Automation(
            name=RETIRED[0],
            trigger=EventTrigger(expect={"jzplan.alert.opened"}, posture=Posture.Reactive,
                                 threshold=1, within=timedelta(0)),
            actions=[SendNotification(block_document_id=upsert_webhook_block(url),
                                      subject="x", body="y")],
        ).create()  # fmt: skip

        first = ensure_automations(url)
        assert first == {**{s.name: "created" for s in SPECS}, RETIRED[0]: "deleted"}
        second = ensure_automations(url)
        assert second == {s.name: "updated" for s in SPECS}
        assert _jzplan_automations() == sorted(s.name for s in SPECS)
        for spec in SPECS:  # run states only: target alerts are the digest's, never here
            found = Automation.read(name=spec.name)
            assert found.trigger.expect == {spec.event}  # type: ignore[union-attr]
            assert not any(e.startswith("jzplan.alert") for e in found.trigger.expect)  # type: ignore[union-attr]

        with tags(TAG):  # as every run of a jzplan deployment is tagged
            state = broken_step(return_state=True)
        assert state.is_failed()
        deadline = time.monotonic() + 60  # a bound on waiting, not a timing assertion
        while not http.requests and time.monotonic() < deadline:
            time.sleep(0.2)
        assert http.requests, "the automation did not call the operators' webhook"
        body = http.requests[0].body
        assert body["title"] == "【运行失败】焦作新区目标跟踪：broken-2013-07"
        assert "流程「jzplan-broken-step」的运行「broken-2013-07」失败" in body["text"]
        assert "入库失败：数据库连接被拒绝" in body["text"]
