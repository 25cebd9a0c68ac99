"""The deadline-check flow under the session's Prefect server: nothing arrived, every unit is
alerted once, the alerts reach a loopback webhook and become Prefect events; the project's
notification automations are upserted (twice gives one of each)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.automations import SPECS, ensure_automations
from flows.deadline import deadline_check
from jzplan.store import tracking
from jzplan.store.alerts import read_alerts
from jzplan.store.db import make_engine
from tests.alert.receivers import http_receiver

pytestmark = pytest.mark.flow


def test_deadline_check_with_an_empty_inbox(
    flow_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = flow_env / "inbox"
    (empty / "2013-05").mkdir(parents=True)  # the month's batch folder, empty: nothing arrived
    channels = flow_env / "channels.yaml"
    channels.write_text(
        "channels:\n"
        "  - {name: hook, type: webhook, url: {env: TEST_HOOK_URL}}\n"
        "  - {name: wecom, type: wecom, url: {env: TEST_WECOM_URL}, min_severity: critical}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("JZPLAN_ALERT_CHANNELS_FILE", str(channels))
    with http_receiver() as http:
        monkeypatch.setenv("TEST_HOOK_URL", f"{http.url}/hook")
        monkeypatch.setenv("TEST_WECOM_URL", f"{http.url}/cgi-bin/webhook/send?key=k")
        first = deadline_check(period="2013-05", inbox_dir=str(empty))
        assert first["due"] == "2013-06-05T17:00:00+08:00"
        assert len(first["missing_units"]) == 7 and first["alerts"]["opened"] == 7
        assert first["delivered"]["emitted"] == 7 and first["delivered"]["notified"] == 7
        assert [r.path for r in http.requests] == ["/hook", "/cgi-bin/webhook/send"]
        assert len(http.requests[0].body["alerts"]) == 7
        assert "李万街道 2013-05 月报未报" in http.requests[1].body["markdown"]["content"]

        # The same check again (a retry, or the monthly run's view): nothing new is sent
        again = deadline_check(period="2013-05", inbox_dir=str(empty))
        assert again["alerts"]["unchanged"] == 7 and again["delivered"]["notified"] == 0
        assert len(http.requests) == 2

    engine = make_engine(os.environ["JZPLAN_DATABASE_URL"])
    try:
        open_alerts = read_alerts(engine, open_only=True)
        assert len(open_alerts) == 7
        assert tracking.pending_alert_events(engine, "emitted") == []
    finally:
        engine.dispose()


@pytest.fixture
def automations_removed_after() -> Iterator[None]:
    """The project's automations deleted after the test: left on the session's server, they
    fired on every alert event of the later flow tests, at a loopback webhook already closed,
    and the server's work made those runs about twice as long."""
    yield
    from prefect.client.orchestration import get_client

    names = {spec.name for spec in SPECS}
    with get_client(sync_client=True) as client:
        for automation in client.read_automations():
            if automation.name in names:
                client.delete_automation(automation.id)


def test_automations_upsert_is_idempotent_and_notify(automations_removed_after: None) -> None:
    from prefect.automations import Automation
    from prefect.client.orchestration import get_client
    from prefect.events import emit_event

    with http_receiver() as http:
        first = ensure_automations(f"{http.url}/auto")
        assert set(first.values()) <= {"created", "updated"}
        second = ensure_automations(f"{http.url}/auto")
        assert set(second.values()) == {"updated"}
        for spec in SPECS:
            found = Automation.read(name=spec.name)
            assert found.trigger.expect == {spec.event}  # type: ignore[union-attr]
        with get_client(sync_client=True) as client:
            names = [a.name for a in client.read_automations()]
        assert sorted(n for n in names if n.startswith("jzplan-")) == sorted(s.name for s in SPECS)

        # an alert event, as deliver_alerts emits it, reaches the webhook through the server
        emit_event(
            event="jzplan.alert.opened",
            resource={"prefect.resource.id": "jzplan.alert.target:A03:behind",
                      "jzplan.severity": "critical"},
            payload={"message": "焦作新区「全社会固定资产投资96.2亿元」滞后", "period": "2013-06",
                     "severity": "critical", "kind": "target_status",
                     "dedup_key": "target:A03:behind"},
        )  # fmt: skip
        deadline = time.monotonic() + 60  # a bound on waiting, not a timing assertion
        while not http.requests and time.monotonic() < deadline:
            time.sleep(0.2)
        assert http.requests, "the automation did not call the webhook"
        body = http.requests[0].body
        assert body["title"] == "焦作新区目标跟踪：焦作新区「全社会固定资产投资96.2亿元」滞后"
        assert "target:A03:behind" in body["text"]
