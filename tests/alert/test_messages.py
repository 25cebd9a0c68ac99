"""What a leader reads (issue 18): each channel's message for alerts opened, changed and
resolved in the demo store carries the stored figures in the plan's units, the Chinese wording
of the change, and the link to the month's report; every number is checked against the store."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.header import decode_header, make_header
from typing import Any

import pytest
from sqlalchemy import Engine

from jzplan.alert.channels import Channel, env_resolver, message_key
from jzplan.alert.delivery import notify
from jzplan.alert.facts import TargetFacts, message_facts
from jzplan.alert.messages import figures
from jzplan.core.periods import Period
from jzplan.core.states import TargetStatus
from jzplan.reference.catalog import Catalog
from jzplan.reference.display import in_display_unit, number
from jzplan.reference.plan import Plan
from jzplan.report.markdown import display_unit
from jzplan.store.progress import read_progress
from jzplan.store.tracking import AlertEvent, read_alert_events
from tests.alert.receivers import http_receiver, mail_parts, smtp_receiver

BASE = "http://intranet.example/jzplan/reports"
# (dedup key, action, period) of the demo's transitions: opened, changed, resolved, and a
# ceiling and a missing submission that arrived
PICKED = [
    ("target:A03:behind", "opened", "2013-02"),  # 亿元, seasonal pace
    ("target:T-WCJ-06:behind", "opened", "2013-02"),  # ceiling ‰
    ("target:P02:at_risk", "resolved", "2013-04"),  # with the next: 由预警转为滞后 (count 家)
    ("target:P02:behind", "opened", "2013-04"),
    ("target:I02e:at_risk", "resolved", "2013-03"),  # 已恢复正常, linear pace
    ("missing:LWJ:2013-05", "resolved", "2013-06"),  # 已报送
]


@pytest.fixture(scope="module")
def picked(demo_year: Engine) -> list[AlertEvent]:
    by_key = {(e.dedup_key, e.action, e.period): e for e in read_alert_events(demo_year)}
    return [by_key[k] for k in PICKED]


@dataclass(frozen=True)
class Stored:
    """One target's stored row of a period, in the plan's unit (what the test expects)."""

    label: str
    unit: str
    row: dict[str, Any]

    def shown(self, column: str) -> float:
        value = in_display_unit(self.row[column], self.row["unit"], self.unit)
        assert value is not None
        return value

    def amount(self, value: float) -> str:
        return f"{number(value)}{self.unit}"


def stored(store: Engine, plan: Plan, catalog: Catalog, target_id: str, period: str) -> Stored:
    t = plan.target(target_id)
    [row] = [
        r
        for r in read_progress(store, Period.parse(period)).to_dict("records")
        if r["target_id"] == target_id
    ]
    unit = display_unit(t, catalog)
    assert unit
    return Stored(t.label, unit, row)


def expected_lines(
    store: Engine, plan: Plan, catalog: Catalog
) -> dict[str, tuple[bool, list[str]]]:
    """Per target label: whether it is listed as resolved, and the fragments its line must
    hold, computed from the store."""
    out: dict[str, tuple[bool, list[str]]] = {}
    # opened, behind on the seasonal pace: actual, completion, pace, points, gap in 亿元
    a03 = stored(store, plan, catalog, "A03", "2013-02")
    assert a03.row["pace_model"] == "seasonal" and a03.row["status"] == TargetStatus.BEHIND
    actual, pace = a03.shown("actual"), a03.shown("expected_seasonal")
    target = a03.shown("target_value")
    pct = a03.row["completion_pct"]
    out[a03.label] = (
        False,
        [
            f"【严重】焦作新区「{a03.label}」滞后（新增滞后）",
            f"累计 {a03.amount(actual)}",
            f"完成年度目标 {pct:.1f}%",
            f"按季节进度应达 {a03.amount(pace)}（{pace / target * 100:.1f}%）",
            f"慢于季节进度 {pace / target * 100 - pct:.1f} 个百分点",
            f"差 {a03.amount(pace - actual)}",
        ],
    )
    # a ceiling: the cap and how far over, no completion rate
    wcj = stored(store, plan, catalog, "T-WCJ-06", "2013-02")
    actual, pace = wcj.shown("actual"), wcj.shown("expected_seasonal")
    assert wcj.unit == "‰" and actual > pace
    out[wcj.label] = (
        False,
        [
            f"【严重】文昌街道「{wcj.label}」滞后（新增滞后）",
            f"本期 {wcj.amount(actual)}，上限 {wcj.amount(wcj.shown('target_value'))}",
            f"按季节进度应不超过 {wcj.amount(pace)}，超出 {wcj.amount(actual - pace)}",
        ],
    )
    # changed 预警 → 滞后, a count: whole numbers
    p02 = stored(store, plan, catalog, "P02", "2013-04")
    assert p02.row["pace_model"] == "linear"
    actual, pace = p02.shown("actual"), p02.shown("expected")
    pct = p02.row["completion_pct"]
    target = p02.shown("target_value")
    out[p02.label] = (
        False,
        [
            f"【严重】焦作新区「{p02.label}」滞后（由预警转为滞后）",
            f"累计 {round(actual)}家，完成年度目标 {pct:.1f}%",
            f"按时间进度应达 {round(pace)}家（{pace / target * 100:.1f}%）",
            f"慢于时间进度 {pace / target * 100 - pct:.1f} 个百分点，差 {round(pace - actual)}家",
        ],
    )
    # resolved to normal: its figures now, ahead of pace
    i02e = stored(store, plan, catalog, "I02e", "2013-03")
    assert i02e.row["status"] == TargetStatus.ON_TRACK
    actual, pace = i02e.shown("actual"), i02e.shown("expected")
    target = i02e.shown("target_value")
    pct = i02e.row["completion_pct"]
    out[i02e.label] = (
        True,
        [
            f"焦作新区「{i02e.label}」已恢复正常（原预警）",
            f"累计 {i02e.amount(actual)}，完成年度目标 {pct:.1f}%",
            f"快于时间进度 {pct - pace / target * 100:.1f} 个百分点",
        ],
    )
    out["李万街道"] = True, ["李万街道 2013-05 月报已报送"]
    return out


def _line(text: str, label: str) -> str:
    [line] = [s for s in text.splitlines() if label in s]
    return line


def _sections(text: str) -> tuple[str, str]:
    """The text under the new-or-changed heading and under the resolved one."""
    opened, _, resolved = text.partition("已解除 2 条")
    return opened, resolved


def check_message(text: str, expected: dict[str, tuple[bool, list[str]]]) -> None:
    opened, resolved = _sections(text)
    assert "新增或变化 3 条" in opened
    for label, (is_resolved, fragments) in expected.items():
        assert text.count(label) == 1, label  # a change of status is one line
        line = _line(resolved if is_resolved else opened, label)
        for fragment in fragments:
            assert fragment in line, (fragment, line)


def _channels(smtp_port: int) -> list[Channel]:
    return [
        Channel.model_validate(c)
        for c in (
            {"name": "hook", "type": "webhook", "url": {"env": "HOOK"}},
            {"name": "ding", "type": "dingtalk", "url": {"env": "DING"}},
            {"name": "wecom", "type": "wecom", "url": {"env": "WECOM"}},
            {"name": "mail", "type": "email", "smtp_host": "127.0.0.1", "smtp_port": smtp_port,
             "sender": "jzplan@jzxq.gov.cn", "recipients": ["mubiaoban@jzxq.gov.cn"]},
        )
    ]  # fmt: skip


@pytest.fixture
def received(
    demo_year: Engine, picked: list[AlertEvent], monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    """The picked transitions delivered once to each channel, with the reports served."""
    monkeypatch.setenv("JZPLAN_REPORT_BASE_URL", BASE + "/")
    facts = message_facts(demo_year, picked)
    with http_receiver() as http, smtp_receiver() as smtp:
        env = {
            "HOOK": f"{http.url}/hook",
            "DING": f"{http.url}/robot/send",
            "WECOM": f"{http.url}/cgi-bin/webhook/send",
        }
        results = notify(picked, _channels(smtp.port), env_resolver(env), facts=facts)
        assert [r.status for r in results] == ["sent"] * 4
        by_path = {r.path: r for r in http.requests}
        [mail] = smtp.messages
        yield {
            "hook": by_path["/hook"],
            "ding": by_path["/robot/send"].body["markdown"]["text"],
            "wecom": by_path["/cgi-bin/webhook/send"].body["markdown"]["content"],
            "mail": mail,
        }


LINKS = [f"{BASE}/progress-{p}.html" for p in ("2013-02", "2013-03", "2013-04", "2013-06")]


@pytest.mark.parametrize("channel", ["hook", "ding", "wecom"])
def test_each_robot_and_the_webhook_read_the_stored_figures(
    received: dict[str, Any], channel: str, demo_year: Engine, plan: Plan, catalog: Catalog
) -> None:
    text = received["hook"].body["text"] if channel == "hook" else received[channel]
    check_message(text, expected_lines(demo_year, plan, catalog))
    for url in LINKS:  # a Markdown link per period, to the served report
        assert f"查看月报：[{url}]({url})" in text
    assert "file:" not in text


def test_the_email_reads_the_same_in_plain_text_and_html(
    received: dict[str, Any], demo_year: Engine, plan: Plan, catalog: Catalog
) -> None:
    mail = received["mail"]
    assert mail.get_content_type() == "multipart/alternative"
    parts = mail_parts(mail)
    assert set(parts) == {"text/plain", "text/html"}
    plain, html = parts["text/plain"], parts["text/html"]
    check_message(plain, expected_lines(demo_year, plan, catalog))
    assert not re.search(r"[*\\#\[\]]", plain)  # no Markdown syntax, no escapes
    for url in LINKS:
        assert f"查看月报：{url}" in plain
        assert f'<a href="{url}">{url}</a>' in html
    assert html.count("<li>") == len(PICKED) - 1  # the change is one line
    assert "<strong>已解除 2 条</strong>" in html
    subject = str(make_header(decode_header(mail["Subject"])))
    assert subject == "焦作新区目标跟踪预警（2013-02、2013-03、2013-04、2013-06）"
    assert mail["Date"] and mail["Message-ID"]


def test_the_webhook_and_the_email_carry_the_messages_key(
    received: dict[str, Any], picked: list[AlertEvent]
) -> None:
    """Derived from the channel and the transitions: a resend of the same message has the
    same key (the receiver can drop it), another channel or set of transitions another."""
    ids = [e.id for e in picked]
    hook, mail = received["hook"], received["mail"]
    key = message_key("hook", ids)
    assert hook.headers["idempotency-key"] == hook.body["idempotency_key"] == key
    assert message_key("hook", reversed(ids)) == key != message_key("hook", ids[1:])
    assert mail["Message-ID"] == f"<jzplan.{message_key('mail', ids)}@jzxq.gov.cn>"


def test_no_link_unless_the_reports_are_served_over_http(
    demo_year: Engine, picked: list[AlertEvent], monkeypatch: pytest.MonkeyPatch
) -> None:
    from jzplan.alert.messages import digest

    monkeypatch.delenv("JZPLAN_REPORT_BASE_URL", raising=False)
    _, body = digest(picked, facts=message_facts(demo_year, picked))
    assert "查看月报" not in body
    monkeypatch.setenv("JZPLAN_REPORT_BASE_URL", "file:///srv/reports")
    _, body = digest(picked, facts=message_facts(demo_year, picked))
    assert "查看月报" not in body and "file:" not in body


def test_rankings_and_reported_targets_read_their_note_and_no_row_keeps_the_message(
    demo_year: Engine, plan: Plan
) -> None:
    from jzplan.alert.messages import digest

    events = [e for e in read_alert_events(demo_year, ["2013-03"]) if e.target_id == "P01"]
    events += [
        AlertEvent(999, "target:A03:behind", "opened", "2011-05", "target_status", "critical",
                   "JZXQ", "A03", "焦作新区「全社会固定资产投资96.2亿元」滞后"),
    ]  # fmt: skip
    facts = message_facts(demo_year, events)
    _, body = digest(events, facts=facts)
    [row] = [
        r
        for r in read_progress(demo_year, Period(2013, 3)).to_dict("records")
        if r["target_id"] == "P01"
    ]
    label = plan.target("P01").label
    assert f"- 【严重】焦作新区「{label}」滞后（新增滞后）：{row['note']}" in body
    assert "- 【严重】焦作新区「全社会固定资产投资96.2亿元」滞后\n" in body  # as before


def test_a_digest_says_whether_its_months_figures_are_released(engine: Engine) -> None:
    """暂 until the month is released (审核发布), then 正式 with its version, who and when."""
    from datetime import UTC, datetime

    from jzplan.alert.messages import digest
    from jzplan.core.settings import Settings
    from jzplan.core.states import MonthAction, MonthState
    from jzplan.store.month_states import mark_produced, read_month, record_move

    june = Period(2013, 6)
    events = [AlertEvent(1, "missing:LWJ:2013-06", "opened", "2013-06", "missing_submission",
                         "critical", "LWJ", None, "李万街道 2013-06 月报未报")]  # fmt: skip
    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    def body() -> str:
        return digest(events, facts=message_facts(engine, events, settings))[1]

    assert "数据：2013-06 暂（采集中）" in body()
    at = datetime(2013, 7, 10, 2, 0, tzinfo=UTC)
    mark_produced(engine, june, actor="monthly-progress", at=at)
    assert "数据：2013-06 暂（待审核）" in body()
    record_move(engine, read_month(engine, june), MonthAction.RELEASE, MonthState.RELEASED,
                actor="张三", note="审核通过", at=at)  # fmt: skip
    assert "数据：2013-06 正式（第1版，张三 于 2013-07-10 发布）" in body()


def test_alert_figures_of_people_are_whole() -> None:
    """A level in 人 (新增就业), not a count: its pace still reads in whole people."""
    f = TargetFacts(
        "宁郭镇", "新增就业800人", "level", ">=", "人", 800.0, 800.0, 300.0, 350.4, "季节进度",
        37.5, None, TargetStatus.BEHIND, None, None,
    )  # fmt: skip
    assert figures(f) == (
        "累计 300人，完成年度目标 37.5%；按季节进度应达 350人（43.8%），"
        "慢于季节进度 6.3 个百分点，差 50人"
    )
