"""How a message fits each channel (issue 18): robots' length limits met by numbered parts
(never a silent cut), email as multipart/alternative with inert HTML, and the SMTP server from
the JZPLAN_SMTP_* settings; real loopback receivers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jzplan.alert.channels import (
    CUT_MARK,
    WECOM_MAX_BYTES,
    Channel,
    env_resolver,
    load_channels,
    message_key,
    smtp_server,
    split_message,
    wecom_payloads,
)
from jzplan.alert.delivery import notify
from jzplan.alert.mail import SmtpDefaults
from jzplan.alert.messages import digest
from jzplan.core.settings import Settings
from jzplan.store.tracking import AlertEvent
from tests.alert.receivers import http_receiver, mail_parts, smtp_receiver
from tests.hostile_text import HOSTILE, assert_inert_html

REPO_ROOT = Path(__file__).resolve().parents[2]


def _events(n: int) -> list[AlertEvent]:
    """``n`` target alerts, each line about 150 bytes."""
    return [
        AlertEvent(i, f"target:T{i}:behind", "opened", "2013-06", "target_status", "critical",
                   "NGZ", None, f"宁郭镇「第{i:03d}号重点项目年度投资目标（含续建与新开工）」滞后")
        for i in range(1, n + 1)
    ]  # fmt: skip


def _channel(**kw: object) -> Channel:
    return Channel.model_validate(kw)


@pytest.mark.parametrize(
    ("kind", "limit", "field"),
    [("wecom", WECOM_MAX_BYTES, ("markdown", "content")),
     ("dingtalk", 20000, ("markdown", "text"))],
)  # fmt: skip
def test_a_long_digest_arrives_in_numbered_parts_each_within_the_limit(
    kind: str, limit: int, field: tuple[str, str]
) -> None:
    events = _events(200)
    with http_receiver() as http:
        [result] = notify(events, [_channel(name=kind, type=kind, url={"env": "U"})],
                          env_resolver({"U": f"{http.url}/robot"}))  # fmt: skip
        assert result.status == "sent" and result.alerts == 200
        bodies = [r.body[field[0]][field[1]] for r in http.requests]
    k = len(bodies)
    assert k > 1
    items: list[str] = []
    for i, body in enumerate(bodies, 1):
        assert len(body.encode("utf-8")) <= limit
        assert body.startswith(f"（{i}/{k}）\n")
        items += [line for line in body.splitlines() if line.startswith("- ")]
    wanted = [f"- 【严重】{e.message}" for e in events]
    assert items == wanted  # every line once, in order
    assert sum(b.count("焦作新区目标跟踪预警") for b in bodies) == 1  # the heading once
    if kind == "dingtalk":
        titles = [r.body["markdown"]["title"] for r in http.requests]
        assert titles == [f"焦作新区目标跟踪预警（2013-06）（{i}/{k}）" for i in range(1, k + 1)]


def test_a_line_longer_than_a_part_is_cut_with_a_visible_mark() -> None:
    body = "### 标题\n\n- " + "长" * 3000 + "\n- 短行\n"
    parts = split_message(body, WECOM_MAX_BYTES)
    assert all(len(p.encode()) <= WECOM_MAX_BYTES for p in parts)
    joined = "".join(parts)
    assert joined.count(CUT_MARK) == 1 and "- 短行" in joined


def test_a_part_that_fails_fails_the_channel_and_says_which() -> None:
    with http_receiver() as http:
        http.statuses = [200, 500]
        [result] = notify(_events(200), [_channel(name="wecom", type="wecom", url={"env": "U"})],
                          env_resolver({"U": http.url}))  # fmt: skip
    assert result.status == "failed"
    assert re.match(r"wecom: 第 2/\d+ 部分未送达（wecom: HTTP 500）", result.detail), result.detail


def test_email_is_multipart_and_its_html_is_inert() -> None:
    events = [
        AlertEvent(10 + i, f"validation:NGZ:{i}", "opened", "2013-06", "validation",
                   "critical", "NGZ", None, f"宁郭镇「{text}」")
        for i, text in enumerate(HOSTILE)
    ]  # fmt: skip
    with smtp_receiver() as smtp:
        channel = _channel(name="mail", type="email", smtp_host="127.0.0.1",
                           smtp_port=smtp.port, sender="jzplan@jzxq.gov.cn",
                           recipients=["mubiaoban@jzxq.gov.cn"])  # fmt: skip
        [result] = notify(events, [channel], env_resolver({}))
        assert result.status == "sent"
        [mail] = smtp.messages
    assert mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.get_payload()] == ["text/plain", "text/html"]
    parts = mail_parts(mail)
    html, plain = parts["text/html"], parts["text/plain"]
    items = re.findall(r"<li>(.*?)</li>", html, re.S)
    assert len(items) == len(HOSTILE)
    assert_inert_html("".join(items))
    assert "<script" not in html and "<img" not in html and "<a " not in html
    # the plain part shows the sender's text as written (a control character as \xNN), one
    # line per alert, without Markdown's escapes
    lines = [line for line in plain.splitlines() if line.startswith("- 【严重】宁郭镇「")]
    assert len(lines) == len(HOSTILE)
    assert "- 【严重】宁郭镇「<script>alert(1)</script>」" in lines
    assert "- 【严重】宁郭镇「[点我](http://x.example/a_b)」" in lines
    assert "**" not in plain.replace("**加粗**", "")


def test_the_smtp_server_comes_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The project's email channel sets no server: JZPLAN_SMTP_HOST and JZPLAN_SMTP_PORT
    (the loopback receiver's port) decide where it goes."""
    [email] = [c for c in load_channels(REPO_ROOT / "data/alerting/channels.yaml")
               if c.type == "email"]  # fmt: skip
    event = _events(1)
    with smtp_receiver() as smtp:
        monkeypatch.setenv("JZPLAN_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("JZPLAN_SMTP_PORT", str(smtp.port))
        monkeypatch.setenv("JZPLAN_SMTP_TLS", "none")
        monkeypatch.delenv("JZPLAN_SMTP_USER", raising=False)
        [result] = notify(event, [email], env_resolver({}))
        assert result.status == "sent", result.detail
        assert smtp.envelopes == [("jzplan@jzxq.gov.cn", ["mubiaoban@jzxq.gov.cn"])]
    monkeypatch.delenv("JZPLAN_SMTP_HOST")
    [result] = notify(event, [email], env_resolver({}))
    assert (result.status, result.detail) == ("skipped", "未配置 SMTP 服务器")


def test_a_channel_may_override_the_smtp_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JZPLAN_SMTP_HOST", "mail.example")
    monkeypatch.setenv("JZPLAN_SMTP_TLS", "ssl")
    monkeypatch.setenv("JZPLAN_SMTP_USER", "jzplan")
    monkeypatch.setenv("JZPLAN_SMTP_PASSWORD", "pw")
    monkeypatch.delenv("JZPLAN_SMTP_PORT", raising=False)
    defaults = SmtpDefaults.from_settings(Settings())
    resolve = env_resolver({"OWN": "own-pw"})
    plain = _channel(name="m", type="email")
    server = smtp_server(plain, resolve, defaults)
    assert server is not None
    assert (server.host, server.port, server.tls, server.username, server.password) == (
        "mail.example", 465, "ssl", "jzplan", "pw",
    )  # fmt: skip
    own = _channel(name="m", type="email", smtp_host="relay.example", smtp_port=2525,
                   tls="starttls", password={"env": "OWN"})  # fmt: skip
    server = smtp_server(own, resolve, defaults)
    assert server is not None
    assert (server.host, server.port, server.tls, server.password) == (
        "relay.example", 2525, "starttls", "own-pw",
    )  # fmt: skip
    legacy = _channel(name="m", type="email", starttls=True)
    assert smtp_server(legacy, resolve, SmtpDefaults("h")) == smtp_server(
        _channel(name="m", type="email", tls="starttls", smtp_port=587), resolve, SmtpDefaults("h")
    )


def test_the_webhook_gets_the_same_key_for_the_same_message() -> None:
    """At-least-once: a resend of the same transitions to the same channel carries the same
    Idempotency-Key (header and field), so the receiver can drop the duplicate."""
    events = _events(3)
    with http_receiver() as http:
        channel = _channel(name="hook", type="webhook", url={"env": "U"})
        for _ in range(2):
            notify(events, [channel], env_resolver({"U": http.url}))
        notify(events[:2], [channel], env_resolver({"U": http.url}))
    keys = [r.headers["idempotency-key"] for r in http.requests]
    assert [r.body["idempotency_key"] for r in http.requests] == keys
    assert keys[0] == keys[1] == message_key("hook", [3, 1, 2]) != keys[2]


def test_wecom_ats_people_with_plain_text_parts_of_at_most_2048_bytes() -> None:
    """WeCom @s by mobile only in text messages (2048 bytes, shown raw): the plain text, in
    parts, the people in the first part only."""
    _, body = digest(_events(40))
    payloads = wecom_payloads(body, ["13800000000"])
    assert len(payloads) > 1
    assert all(p["msgtype"] == "text" for p in payloads)
    contents = [p["text"]["content"] for p in payloads]
    assert all(len(c.encode()) <= 2048 for c in contents)
    assert [p["text"]["mentioned_mobile_list"] for p in payloads] == [["13800000000"]] + [[]] * (
        len(payloads) - 1
    )
    assert "**" not in "".join(contents) and "###" not in "".join(contents)
    assert sum(c.count("- 【严重】宁郭镇「") for c in contents) == 40
