"""Each channel gets each alert transition exactly once (per-channel outbox, issue 18): a
webhook answering 500 for three deliveries makes none of the healthy channels receive the
digest twice, and once it answers it gets the transitions once; on each backend, with loopback
HTTP and SMTP receivers; the webhook waits out its backoff between attempts (an injected
clock, never a sleep)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import Engine, insert

from jzplan.alert.channels import env_resolver
from jzplan.alert.delivery import DeliveryRun, deliver_pending
from jzplan.store.models import AlertEventRow
from jzplan.store.tracking import pending_alert_events
from tests.alert.receivers import http_receiver, smtp_receiver

EVENTS = [
    ("target:A02:behind", "critical", "焦作新区「全社会固定资产投资」滞后"),
    ("target:A07:missed", "critical", "焦作新区「对外贸易出口总额」未完成"),
    ("target:A09:at_risk", "warning", "焦作新区「城镇居民人均可支配收入」预警"),
]


def _outbox(engine: Engine) -> None:
    rows = [
        {"dedup_key": key, "action": "opened", "period": "2013-06", "kind": "target_status",
         "severity": severity, "org_unit_code": "JZXQ", "target_id": key.split(":")[1],
         "message": message, "emitted": False, "notified": False}
        for key, severity, message in EVENTS
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(AlertEventRow), rows)


def _channels(path: Path, smtp_port: int) -> Path:
    path.write_text(
        yaml.safe_dump({"channels": [
            {"name": "webhook", "type": "webhook", "url": {"env": "HOOK"},
             "min_severity": "warning"},
            {"name": "dingtalk", "type": "dingtalk", "url": {"env": "DING"},
             "min_severity": "critical"},
            {"name": "email", "type": "email", "smtp_host": {"env": "SMTP"},
             "smtp_port": smtp_port, "sender": "jzplan@jzxq.gov.cn",
             "recipients": ["mubiaoban@jzxq.gov.cn"], "min_severity": "warning"},
        ]}, allow_unicode=True),
        encoding="utf-8",
    )  # fmt: skip
    return path


def test_a_failing_channel_never_makes_the_others_receive_twice(
    engine: Engine, tmp_path: Path
) -> None:
    _outbox(engine)
    emitted: list[str] = []

    def emitter(*, event: str, resource: dict[str, str], payload: dict[str, object]) -> object:
        emitted.append(event)
        return None

    with http_receiver() as hook, http_receiver() as ding, smtp_receiver() as smtp:
        channels = _channels(tmp_path / "channels.yaml", smtp.port)
        resolve = env_resolver({"HOOK": f"{hook.url}/hook", "DING": f"{ding.url}/robot/send",
                                "SMTP": "127.0.0.1"})  # fmt: skip
        t0 = datetime(2013, 7, 6, 1, 0, tzinfo=UTC)
        clock = [t0]  # the time the deliveries see

        def deliver(minutes: int) -> DeliveryRun:
            clock[0] = t0 + timedelta(minutes=minutes)
            return deliver_pending(engine, emitter, channels, resolve, now=lambda: clock[0])

        hook.status = 500
        for minutes in (0, 15, 45):  # three attempts while the webhook is down (15, 30 min)
            run = deliver(minutes)
            assert [(r.channel, r.status) for r in run.failed] == [("webhook", "failed")]
        # in backoff (60 min after its third failure): a delivery before then tries no one
        waiting = deliver(100)
        assert [r.status for r in waiting.results] == ["deferred", "skipped", "skipped"]
        assert len(hook.requests) == 3  # each run tried it again, with all three
        assert len(ding.requests) == 1 and len(smtp.messages) == 1  # once, not three times
        assert "对外贸易出口总额" in ding.requests[0].body["markdown"]["text"]
        # the critical transitions are still owed to the webhook: all three stay pending
        assert len(pending_alert_events(engine, "notified")) == 3

        hook.status = 200
        run = deliver(105)
        assert {r.channel: r.status for r in run.results} == {
            "webhook": "sent", "dingtalk": "skipped", "email": "skipped",
        }  # fmt: skip
        assert run.notified == 3 and pending_alert_events(engine, "notified") == []
        assert len(hook.requests) == 4 and len(hook.requests[-1].body["alerts"]) == 3

        again = deliver(105)
        assert again.results == [] and again.notified == 0
    # every channel holds each transition it wants exactly once
    assert (len(hook.requests) - 3, len(ding.requests), len(smtp.messages)) == (1, 1, 1)
    assert len(emitted) == 3  # Prefect events: emitted once each, on the first run
