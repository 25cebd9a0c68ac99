"""Delivery to real loopback receivers: generic webhook, DingTalk (signed), WeCom, email."""

from __future__ import annotations

import base64
import hashlib
import hmac
from email.header import decode_header, make_header
from typing import Any

import pytest
from markdown_it import MarkdownIt

from jzplan.alert.channels import Channel, SecretRef, dingtalk_signed_url, env_resolver
from jzplan.alert.delivery import emit_events, notify
from jzplan.alert.messages import digest
from jzplan.store.tracking import AlertEvent
from tests.alert.receivers import http_receiver, mail_parts, smtp_receiver
from tests.hostile_text import HOSTILE, assert_inert_html

EVENTS = [
    AlertEvent(1, "target:A03:behind", "opened", "2013-06", "target_status", "critical", "JZXQ",
               "A03", "焦作新区「全社会固定资产投资96.2亿元」滞后"),
    AlertEvent(2, "target:A07:at_risk", "resolved", "2013-06", "target_status", "warning", "JZXQ",
               "A07", "已解除：焦作新区「实际利用外商直接投资8000万美元」预警"),
    AlertEvent(3, "target:A07:behind", "opened", "2013-06", "target_status", "critical", "JZXQ",
               "A07", "焦作新区「实际利用外商直接投资8000万美元」滞后"),
    AlertEvent(4, "missing:LWJ:2013-05", "resolved", "2013-06", "missing_submission",
               "critical", "LWJ", None, "已解除：李万街道 2013-05 月报未报：未收到报表"),
    AlertEvent(5, "target:I06h:at_risk", "opened", "2013-06", "target_status", "warning",
               "JZXQ", "I06h", "焦作新区「开工建设新区老年福利中心」预警"),
]  # fmt: skip
SECRET = "SEC0123456789abcdef"


def _channel(**kw: Any) -> Channel:
    return Channel.model_validate(kw)


def test_digest_pairs_a_change_of_status_and_lists_resolutions() -> None:
    title, body = digest(EVENTS)
    assert title == "焦作新区目标跟踪预警（2013-06）"
    assert "新增或变化 3 条" in body
    assert "「实际利用外商直接投资8000万美元」滞后（由预警转为滞后）" in body
    assert "已解除 1 条" in body and "李万街道 2013-05 月报未报：未收到报表" in body
    assert body.count("A07") == 0 and body.count("外商直接投资") == 1  # one line for the change


def test_webhook_dingtalk_wecom_and_email_receive_one_digest_each() -> None:
    env = {
        "HOOK": "",
        "DING_SECRET": SECRET,
        "SMTP_PASS": "pw",
    }
    stamp = 1370217600000
    with http_receiver() as http, smtp_receiver() as smtp:
        env["HOOK"] = f"{http.url}/hook"
        env["DING"] = f"{http.url}/robot/send?access_token=tok"
        env["WECOM"] = f"{http.url}/cgi-bin/webhook/send?key=k1"
        channels = [
            _channel(name="hook", type="webhook", url={"env": "HOOK"}),
            _channel(name="ding", type="dingtalk", url={"env": "DING"},
                     secret={"env": "DING_SECRET"}, min_severity="critical",
                     at_mobiles=["13800000000"]),
            _channel(name="wecom", type="wecom", url={"env": "WECOM"}),
            _channel(name="mail", type="email", smtp_host="127.0.0.1", smtp_port=smtp.port,
                     sender="jzplan@jzxq.gov.cn", recipients=["mubiaoban@jzxq.gov.cn"]),
            _channel(name="unset", type="wecom", url={"env": "NOT_SET"}),
        ]  # fmt: skip
        results = notify(EVENTS, channels, env_resolver(env), clock_ms=lambda: stamp)

        assert [(r.channel, r.status, r.alerts) for r in results] == [
            ("hook", "sent", 5),
            ("ding", "sent", 3),  # critical only
            ("wecom", "sent", 5),
            ("mail", "sent", 5),
            ("unset", "skipped", 0),
        ]
        by_path = {r.path: r for r in http.requests}
        assert len(http.requests) == 3

        hook = by_path["/hook"].body
        assert hook["source"] == "jzplan" and len(hook["alerts"]) == 5
        assert hook["alerts"][0]["dedup_key"] == "target:A03:behind"

        ding = by_path["/robot/send"]
        assert ding.body["msgtype"] == "markdown"
        assert ding.body["at"] == {"atMobiles": ["13800000000"], "isAtAll": False}
        assert "严重" in ding.body["markdown"]["text"] and "预警" in ding.body["markdown"]["title"]
        assert "老年福利中心" not in ding.body["markdown"]["text"]  # a warning, below critical
        # the receiver checks DingTalk's signature the way DingTalk does
        assert ding.query["access_token"] == ["tok"] and ding.query["timestamp"] == [str(stamp)]
        expected = base64.b64encode(
            hmac.new(SECRET.encode(), f"{stamp}\n{SECRET}".encode(), hashlib.sha256).digest()
        ).decode()
        assert ding.query["sign"] == [expected]  # parse_qs undoes the URL encoding

        wecom = by_path["/cgi-bin/webhook/send"]
        assert wecom.query["key"] == ["k1"]
        assert wecom.body["msgtype"] == "markdown"
        assert "滞后" in wecom.body["markdown"]["content"]

        assert len(smtp.messages) == 1
        mail = smtp.messages[0]
        assert smtp.envelopes == [("jzplan@jzxq.gov.cn", ["mubiaoban@jzxq.gov.cn"])]
        subject = str(make_header(decode_header(mail["Subject"])))
        assert subject == "焦作新区目标跟踪预警（2013-06）"
        assert "全社会固定资产投资" in mail_parts(mail)["text/plain"]


@pytest.mark.parametrize(
    ("status", "reply", "detail"),
    [(200, {"errcode": 310000, "errmsg": "sign not match"}, "errcode 310000"),
     (500, {}, "HTTP 500")],
)  # fmt: skip
def test_a_refusing_robot_is_reported_failed(
    status: int, reply: dict[str, Any], detail: str
) -> None:
    with http_receiver() as http:
        http.status, http.reply = status, reply
        channel = _channel(name="ding", type="dingtalk", url={"env": "U"})
        [result] = notify(EVENTS, [channel], env_resolver({"U": f"{http.url}/robot/send"}))
    assert result.status == "failed" and detail in result.detail


def test_a_robot_answering_html_fails_alone_and_the_next_channel_is_sent() -> None:
    """A DingTalk endpoint answering 200 with an HTML page (a proxy's) is that channel's
    failure, named; the WeCom robot after it still gets the digest (before: JSONDecodeError
    stopped every channel)."""
    with http_receiver() as proxy, http_receiver() as robot:
        proxy.reply = "<html><body>认证页面</body></html>"
        channels = [
            _channel(name="ding", type="dingtalk", url={"env": "D"}),
            _channel(name="wecom", type="wecom", url={"env": "W"}),
        ]
        urls = {"D": f"{proxy.url}/robot/send", "W": f"{robot.url}/cgi-bin/webhook/send"}
        ding, wecom = notify(EVENTS, channels, env_resolver(urls))
        assert (ding.status, wecom.status) == ("failed", "sent")
        assert ding.detail.startswith("ding: 回复不是机器人的 JSON（text/html）")
        assert len(robot.requests) == 1


def test_no_events_nothing_sent() -> None:
    with http_receiver() as http:
        channel = _channel(name="hook", type="webhook", url={"env": "U"})
        [result] = notify([], [channel], env_resolver({"U": http.url}))
        assert result.status == "skipped" and http.requests == []


def test_signed_url_appends_timestamp_and_sign() -> None:
    url = dingtalk_signed_url("https://oapi.dingtalk.com/robot/send?access_token=t", "s", 1)
    assert url.startswith("https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=1&sign=")


def test_secrets_must_be_references_not_literals() -> None:
    with pytest.raises(ValueError):
        Channel.model_validate({"name": "x", "type": "webhook", "url": "https://x/?token=1"})
    assert Channel.model_validate(
        {"name": "x", "type": "webhook", "url": {"env": "X"}}
    ).url == SecretRef(env="X")


def test_emitter_is_injected_one_event_per_transition() -> None:
    seen: list[tuple[str, dict[str, str], dict[str, Any]]] = []

    def emitter(*, event: str, resource: dict[str, str], payload: dict[str, Any]) -> None:
        seen.append((event, resource, payload))

    assert emit_events(EVENTS, emitter) == [1, 2, 3, 4, 5]
    assert [s[0] for s in seen] == [
        "jzplan.alert.opened", "jzplan.alert.resolved", "jzplan.alert.opened",
        "jzplan.alert.resolved", "jzplan.alert.opened",
    ]  # fmt: skip
    assert seen[0][1]["prefect.resource.id"] == "jzplan.alert.target:A03:behind"
    assert seen[0][1]["jzplan.severity"] == "critical" and seen[0][2]["period"] == "2013-06"


def test_hostile_messages_reach_the_robots_inert() -> None:
    """Alert messages quoting a sender's text, delivered to DingTalk and WeCom receivers: one
    list line each, no tag, link or emphasis when the received Markdown is rendered."""
    events = [
        AlertEvent(10 + i, f"validation:NGZ:{i}", "opened", "2013-06", "validation",
                   "critical", "NGZ", None, f"宁郭镇「{text}」")
        for i, text in enumerate(HOSTILE)
    ]  # fmt: skip
    with http_receiver() as http:
        env = {"DING": f"{http.url}/robot/send", "WECOM": f"{http.url}/cgi-bin/webhook/send"}
        channels = [
            _channel(name="ding", type="dingtalk", url={"env": "DING"}),
            _channel(name="wecom", type="wecom", url={"env": "WECOM"}),
        ]
        results = notify(events, channels, env_resolver(env))
        assert [r.status for r in results] == ["sent", "sent"]
        received = {r.path: r.body for r in http.requests}
    ding = received["/robot/send"]["markdown"]["text"]
    wecom = received["/cgi-bin/webhook/send"]["markdown"]["content"]
    for body in (ding, wecom):
        items = [line for line in body.splitlines() if line.startswith("- ")]
        assert len(items) == len(HOSTILE)
        assert all(line.startswith("- 【严重】宁郭镇「") for line in items)
        assert "<script" not in body and "<!--" not in body and "](" not in body
        rendered = MarkdownIt("commonmark").enable("strikethrough").render("\n".join(items))
        assert_inert_html(rendered)  # the digest's own **新增** aside
        assert rendered.count("<li>") == len(HOSTILE)
