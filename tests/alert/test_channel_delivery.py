"""Each channel gets each alert transition exactly once (per-channel outbox, issue 18), through
real faults on loopback receivers, on each backend: the webhook answering 500 for three
attempts, the DingTalk robot answering 200 with an HTML page, the SMTP server down (its port
closed) — then every receiver back. A failing channel waits out its backoff (an injected
clock, never a sleep), the healthy ones never receive twice, and the operators are told of
each failing channel (推送失败) and of its recovery, never through the failing channel."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, insert

from jzplan.alert.backoff import Backoff
from jzplan.alert.channels import env_resolver
from jzplan.alert.delivery import DeliveryRun, deliver_pending
from jzplan.store.alerts import read_alerts
from jzplan.store.channel_states import acquire_lease, read_channel_states
from jzplan.store.models import AlertEventRow
from jzplan.store.tracking import pending_alert_events
from tests.alert.receivers import HttpReceiver, free_port, http_receiver, smtp_receiver

EVENTS = [
    ("target:A02:behind", "critical", "焦作新区「全社会固定资产投资」滞后"),
    ("target:A07:missed", "critical", "焦作新区「对外贸易出口总额」未完成"),
    ("target:A09:at_risk", "warning", "焦作新区「城镇居民人均可支配收入」预警"),
]
T0 = datetime(2013, 7, 6, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
HTML = "<html><body>Portal login</body></html>"


def outbox(engine: Engine) -> None:
    rows = [
        {"dedup_key": key, "action": "opened", "period": "2013-06", "kind": "target_status",
         "severity": severity, "org_unit_code": "JZXQ", "target_id": key.split(":")[1],
         "message": message, "emitted": False, "notified": False}
        for key, severity, message in EVENTS
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(AlertEventRow), rows)


def channels_file(path: Path, smtp_port: int, *, operators: bool = True) -> Path:
    content: dict[str, Any] = {"channels": [
        {"name": "webhook", "type": "webhook", "url": {"env": "HOOK"},
         "min_severity": "warning"},
        {"name": "dingtalk", "type": "dingtalk", "url": {"env": "DING"},
         "min_severity": "critical"},
        {"name": "email", "type": "email", "smtp_host": {"env": "SMTP"},
         "smtp_port": smtp_port, "sender": "jzplan@jzxq.gov.cn",
         "recipients": ["mubiaoban@jzxq.gov.cn"], "min_severity": "warning"},
    ]}  # fmt: skip
    if operators:
        content["operators"] = [{"name": "ops", "type": "webhook", "url": {"env": "OPS"}}]
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return path


class Clock:
    """The time deliveries see; a test moves it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def at(self, minutes: float) -> Clock:
        self.now = T0 + timedelta(minutes=minutes)
        return self


def no_emitter(*, event: str, resource: dict[str, str], payload: dict[str, object]) -> object:
    return None


def alert_lines(r: HttpReceiver, path: str) -> list[str]:
    """The alert messages of every request to ``path`` (the webhook's ``alerts`` list)."""
    return [a["message"] for q in r.requests if q.path == path for a in q.body["alerts"]]


def test_every_channel_gets_each_transition_once_through_faults_and_backoff(
    engine: Engine, tmp_path: Path
) -> None:
    outbox(engine)
    clock = Clock(T0)
    smtp_port = free_port()  # nobody listens: the mail server is down
    channels = channels_file(tmp_path / "channels.yaml", smtp_port)
    with http_receiver() as hook, http_receiver() as ding, http_receiver() as ops:
        resolve = env_resolver({"HOOK": f"{hook.url}/hook", "DING": f"{ding.url}/robot/send",
                                "SMTP": "127.0.0.1", "OPS": f"{ops.url}/ops"})  # fmt: skip

        def deliver(minutes: float) -> DeliveryRun:
            backoff = Backoff(timedelta(minutes=15), timedelta(hours=6))
            return deliver_pending(
                engine, no_emitter, channels, resolve, now=clock.at(minutes), backoff=backoff
            )

        hook.status, ding.reply = 500, HTML
        first = deliver(0)
        assert {r.channel: r.status for r in first.results} == dict.fromkeys(
            ("webhook", "dingtalk", "email"), "failed"
        )
        # each failure names its channel; the HTML reply is DingTalk's failure, not a crash
        details = {r.channel: r.detail for r in first.results}
        assert "HTTP 500" in details["webhook"] and "text/html" in details["dingtalk"]
        assert first.pending == {"webhook": 3, "dingtalk": 2, "email": 3}
        # the operators are told at once, one 推送失败 per channel, through their own channel
        assert {r.channel: r.status for r in first.operators} == {"ops": "sent"}
        told = alert_lines(ops, "/ops")
        assert len(told) == 3 and all("推送失败" in m for m in told)
        [hook_alert] = [m for m in told if "「webhook」" in m]
        assert "2013-07-06 09:00" in hook_alert and "3 条待补发" in hook_alert
        assert "HTTP 500" in hook_alert
        open_ops = read_alerts(engine, open_only=True)
        assert (
            sorted(open_ops[open_ops["kind"] == "delivery_failure"]["severity"]) == ["critical"] * 3
        )

        # in backoff: a run a minute later tries no one
        waiting = deliver(1)
        assert {r.status for r in waiting.results} == {"deferred"}
        assert (len(hook.requests), len(ding.requests)) == (1, 1)
        # the backoff is over: tried again, failing again (the webhook's second and third 500)
        assert {r.status for r in deliver(15).results} == {"failed"}
        assert deliver(30).results[0].status == "deferred"  # 15 min, then 30
        assert {r.status for r in deliver(45).results} == {"failed"}
        assert len(hook.requests) == 3 and len(ding.requests) == 3
        states = read_channel_states(engine)
        assert states["webhook"].failures == 3
        assert states["webhook"].next_attempt_at == T0 + timedelta(minutes=45 + 60)
        assert len(alert_lines(ops, "/ops")) == 3  # told once per outage, not per attempt

        # every receiver back; the next attempt is due at +105 min
        hook.status, ding.reply = 200, {"errcode": 0, "errmsg": "ok"}
        with smtp_receiver(smtp_port) as smtp:
            assert {r.status for r in deliver(60).results} == {"deferred"}
            back = deliver(105)
            assert {r.channel: r.status for r in back.results} == dict.fromkeys(
                ("webhook", "dingtalk", "email"), "sent"
            )
            assert back.pending == {} and pending_alert_events(engine, "notified") == []
            again = deliver(120)
            assert again.results == [] and again.notified == 0
            mails = list(smtp.messages)

    # exactly once per channel: the webhook's one 2xx body holds all three, DingTalk its two
    # critical ones, the mailbox one digest
    assert [len(q.body["alerts"]) for q in hook.requests] == [3, 3, 3, 3]  # 3 refused, 1 taken
    assert "对外贸易出口总额" in ding.requests[-1].body["markdown"]["text"]
    assert len(mails) == 1
    # the operators: each outage opened once and resolved once, never through the failing one
    told = alert_lines(ops, "/ops")
    assert len(told) == 6 and len(set(told)) == 6
    assert sum("推送失败" in m and not m.startswith("已解除") for m in told) == 3
    assert sum(m.startswith("已解除") for m in told) == 3
    assert not any("推送失败" in str(q.body) for q in hook.requests)
    ops_alerts = read_alerts(engine)
    ops_alerts = ops_alerts[ops_alerts["kind"] == "delivery_failure"]
    assert len(ops_alerts) == 3 and ops_alerts["resolved"].notna().all()
    assert all(s.failures == 0 for s in read_channel_states(engine).values())


def test_without_operators_the_failure_goes_to_the_other_area_channels(
    engine: Engine, tmp_path: Path
) -> None:
    outbox(engine)
    clock = Clock(T0)
    with http_receiver() as hook, http_receiver() as ding, smtp_receiver() as smtp:
        channels = channels_file(tmp_path / "channels.yaml", smtp.port, operators=False)
        resolve = env_resolver({"HOOK": f"{hook.url}/hook", "DING": f"{ding.url}/robot/send",
                                "SMTP": "127.0.0.1"})  # fmt: skip
        deliver: Callable[[float], DeliveryRun] = lambda m: deliver_pending(  # noqa: E731
            engine, no_emitter, channels, resolve, now=clock.at(m)
        )
        hook.status = 500
        first = deliver(0)
        assert [(r.channel, r.status) for r in first.failed] == [("webhook", "failed")]
        assert {r.channel: r.status for r in first.operators} == {
            "dingtalk": "sent", "email": "sent",
        }  # fmt: skip
        hook.status = 200
        back = deliver(15)
        assert [r.status for r in back.results] == ["sent", "skipped", "skipped"]
        assert {r.channel for r in back.operators} == {"dingtalk", "email"}
    # the webhook: its three transitions once (after one refused attempt), no 推送失败 at all
    assert [len(q.body["alerts"]) for q in hook.requests] == [3, 3]
    assert not any("推送失败" in str(q.body) for q in hook.requests)
    # DingTalk: the targets' digest, the failure, its resolution — one each
    texts = [q.body["markdown"]["text"] for q in ding.requests]
    assert len(texts) == 3 and "推送失败" in texts[1] and "已解除" in texts[2]
    assert len(smtp.messages) == 3


def test_one_delivery_at_a_time(engine: Engine, tmp_path: Path) -> None:
    """A delivery that finds another one under way (the month's and the drain's at once)
    sends nothing, so no channel gets a transition twice; a lease left by a killed delivery
    expires."""
    outbox(engine)
    with http_receiver() as hook, smtp_receiver() as smtp:
        channels = channels_file(tmp_path / "channels.yaml", smtp.port, operators=False)
        resolve = env_resolver({"HOOK": f"{hook.url}/hook", "SMTP": "127.0.0.1"})
        assert acquire_lease(engine, "a-killed-run", T0, timedelta(minutes=10))
        busy = deliver_pending(engine, no_emitter, channels, resolve, now=lambda: T0)
        assert busy.busy and busy.results == [] and hook.requests == []
        later = T0 + timedelta(minutes=10)
        done = deliver_pending(engine, no_emitter, channels, resolve, now=lambda: later)
        assert not done.busy and done.notified == 3
        assert len(hook.requests) == 1 and len(smtp.messages) == 1
        # released at the end: the next delivery at the same moment runs (and finds nothing)
        assert not deliver_pending(engine, no_emitter, channels, resolve, now=lambda: later).busy


def test_a_dead_process_lease_is_taken_over_at_once(engine: Engine) -> None:
    """A run killed during its delivery leaves the lease; its rerun on the same host finds the
    holder's process gone and delivers now, not ten minutes later. A live holder (this test's
    own parent) and another host's holder keep theirs until it expires."""
    import os
    import subprocess
    import sys

    from jzplan.store.channel_states import holder_gone, lease_holder, release_lease

    host = lease_holder().split(":")[0]
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    gone = f"{host}:{dead.stdout.strip()}:x"
    alive = f"{host}:{os.getppid()}:x"
    elsewhere = f"another-host:{dead.stdout.strip()}:x"
    assert holder_gone(gone) and not holder_gone(alive) and not holder_gone(elsewhere)
    for holder, taken in ((alive, False), (elsewhere, False), (gone, True)):
        assert acquire_lease(engine, holder, T0, timedelta(minutes=10))
        assert acquire_lease(engine, "next", T0, timedelta(minutes=10)) is taken
        release_lease(engine, "next" if taken else holder)
