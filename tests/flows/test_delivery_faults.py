"""A channel outage never fails the month (issue 18), on each backend under the session's
Prefect server: the monthly run with every channel failing (the webhook answering 500, the
DingTalk robot answering HTML, the SMTP port closed) completes, says what is pending and tells
the operators; with the receivers back, the ``deliver-pending`` flow drains the outbox — each
channel gets each transition exactly once — and resolves the operators' alerts."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from flows.deliver import deliver_pending_flow
from flows.monthly import monthly_progress
from jzplan.store.alerts import read_alerts
from jzplan.store.db import make_engine
from jzplan.store.tracking import pending_alert_events, read_alert_events
from tests.alert.receivers import free_port, http_receiver, smtp_receiver
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.flow

FILES = ("宁郭镇_2013年08月_月报.xlsx", "李万街道_2013年08月_月报.xlsx")
AREA = ("webhook", "dingtalk", "email")


def _channels(path: Path, smtp_port: int) -> Path:
    path.write_text(yaml.safe_dump({
        "channels": [
            {"name": "webhook", "type": "webhook", "url": {"env": "TEST_HOOK"}},
            {"name": "dingtalk", "type": "dingtalk", "url": {"env": "TEST_DING"},
             "min_severity": "critical"},
            {"name": "email", "type": "email", "smtp_host": "127.0.0.1", "smtp_port": smtp_port,
             "sender": "jzplan@jzxq.gov.cn", "recipients": ["mubiaoban@jzxq.gov.cn"]},
        ],
        "operators": [{"name": "ops", "type": "webhook", "url": {"env": "TEST_OPS"}}],
    }, allow_unicode=True), encoding="utf-8")  # fmt: skip
    return path


def test_an_outage_leaves_the_month_complete_and_deliver_pending_drains_it(
    flow_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = flow_env / "inbox"
    (inbox / "2013-08").mkdir(parents=True)
    for name in FILES:
        shutil.copy(REPO_ROOT / "data" / "inbox" / "2013-08" / name, inbox / "2013-08" / name)
    smtp_port = free_port()  # the mail server is down
    monkeypatch.setenv("JZPLAN_ALERT_CHANNELS_FILE", str(_channels(flow_env / "c.yaml", smtp_port)))
    # a backoff shorter than a flow run: the drain below finds every channel due (its timing
    # is tested with an injected clock in tests/alert/test_channel_delivery.py)
    monkeypatch.setenv("JZPLAN_DELIVERY_BACKOFF_FIRST_MINUTES", "0.0001")
    with http_receiver() as hook, http_receiver() as ding, http_receiver() as ops:
        monkeypatch.setenv("TEST_HOOK", f"{hook.url}/hook")
        monkeypatch.setenv("TEST_DING", f"{ding.url}/robot/send")
        monkeypatch.setenv("TEST_OPS", f"{ops.url}/ops")
        hook.status, ding.reply = 500, "<html>portal</html>"

        state = monthly_progress(period="2013-08", inbox_dir=str(inbox), return_state=True)
        assert state.is_completed()  # the month's data work stands
        delivered = state.result()["alerts_delivered"]  # type: ignore[index]
        assert delivered["channels"] == dict.fromkeys(AREA, "failed")
        pending = delivered["pending"]
        assert set(pending) == set(AREA) and pending["webhook"] >= pending["dingtalk"] > 0
        told = [a["message"] for q in ops.requests for a in q.body["alerts"]]
        assert len(told) == 3 and all("推送失败" in m for m in told)

        hook.status, ding.reply = 200, {"errcode": 0, "errmsg": "ok"}
        with smtp_receiver(smtp_port) as smtp:
            drained = deliver_pending_flow()
            assert drained["alerts"]["channels"] == dict.fromkeys(AREA, "sent")
            assert drained["alerts"]["pending"] == {}
            again = deliver_pending_flow()
            assert again["alerts"]["notified"] == 0 and again["alerts"]["channels"] == {}
            mails = len(smtp.messages)

    engine = make_engine(os.environ["JZPLAN_DATABASE_URL"])
    try:
        transitions = [e for e in read_alert_events(engine) if e.kind != "delivery_failure"]
        assert pending_alert_events(engine, "notified") == []
        ops_alerts = read_alerts(engine)
    finally:
        engine.dispose()
    # exactly once per channel: the webhook's one accepted body holds every transition
    assert len(hook.requests) == 2  # refused by the month, taken by the drain
    assert sorted(a["dedup_key"] for a in hook.requests[1].body["alerts"]) == sorted(
        e.dedup_key for e in transitions
    )
    assert len(ding.requests) == 2 and mails == 1
    told = [a["message"] for q in ops.requests for a in q.body["alerts"]]
    assert len(told) == 6 and sum(m.startswith("已解除") for m in told) == 3
    failures = ops_alerts[ops_alerts["kind"] == "delivery_failure"]
    assert len(failures) == 3 and failures["resolved"].notna().all()
