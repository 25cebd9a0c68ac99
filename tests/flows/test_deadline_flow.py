"""The deadline-check flow under the session's Prefect server: nothing arrived, every unit is
alerted once, the alerts reach a loopback webhook and become Prefect events."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
