"""Receipts and reminders reach each office's own channel through the outbox, on SQLite and
PostgreSQL, with real loopback receivers: once each (a rerun sends nothing), a failed channel
retried by the next delivery, an office without a channel skipped and reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from sqlalchemy import Engine

from jzplan.alert.channels import env_resolver, load_office_channels
from jzplan.alert.office_delivery import deliver_office_messages
from jzplan.alert.outbox import DrainRun, drain_outboxes
from jzplan.alert.receipts import ReceivedFile
from jzplan.alert.reminders import ALREADY_REPORTED, queue_reminders
from jzplan.core.periods import Period
from jzplan.core.states import IngestStatus, MessageKind, MessageStatus, SubmissionStatus
from jzplan.core.submissions import SubmissionIssue
from jzplan.month.loading import IngestOutcome
from jzplan.month.receipts import issue_receipts, received_files
from jzplan.reference.catalog import Catalog
from jzplan.store.lifecycle import accept_submission
from jzplan.store.office_messages import read_messages
from jzplan.store.submissions import record_submission
from tests.alert.receivers import free_port, http_receiver, mail_parts, smtp_receiver
from tests.alert.test_receipts import FILE, HELD, history_error, missing, office_frame
from tests.conftest import observation_frame

MARCH = Period(2013, 3)
NOW = datetime(2013, 4, 6, 1, 0, tzinfo=UTC)

CHANNELS = """\
channels:
  - {name: area-hook, type: webhook, url: {env: AREA_HOOK}}
offices:
  NGZ:
    - {name: ngz-wecom, type: wecom, url: {env: NGZ_WECOM}}
  SJZ:
    - {name: sjz-mail, type: email, smtp_host: {env: SJZ_SMTP}, smtp_port: %(port)d,
       sender: jzplan@jzxq.gov.cn, recipients: [sjz@jzxq.gov.cn]}
  YMZ:
    - {name: ymz-ding, type: dingtalk, url: {env: YMZ_DING_NOT_SET}}
"""


def _write_channels(tmp_path: Path, smtp_port: int) -> Path:
    path = tmp_path / "channels.yaml"
    path.write_text(CHANNELS % {"port": smtp_port}, encoding="utf-8")
    return path


def test_the_projects_channels_file_names_an_office_channel_for_every_unit(
    catalog: Catalog,
) -> None:
    from tests.conftest import REPO_ROOT

    offices = load_office_channels(REPO_ROOT / "data" / "alerting" / "channels.yaml")
    assert {u.code for u in catalog.reporting_units} <= set(offices)
    for channels in offices.values():  # secrets named, never written
        assert all(c.url is None or c.url.env for c in channels)


def _files(catalog: Catalog) -> list[ReceivedFile]:
    return [
        ReceivedFile(FILE, "a" * 64, MARCH, loaded=False, org_unit="NGZ", period="2013-03",
                     issues=(*missing(15), history_error(catalog)), frame=office_frame()),
        ReceivedFile("苏家作乡.xlsx", "b" * 64, MARCH, loaded=True, org_unit="SJZ",
                     period="2013-03", questions=(HELD,)),
        ReceivedFile("阳庙镇.xlsx", "c" * 64, MARCH, loaded=True, org_unit="YMZ"),
        ReceivedFile("无名.xlsx", "d" * 64, MARCH, loaded=False,
                     issues=(SubmissionIssue("unreadable_file", "文件无法读取", "无名.xlsx"),)),
    ]  # fmt: skip


def test_each_receipt_reaches_its_office_once(
    engine: Engine, catalog: Catalog, tmp_path: Path
) -> None:
    with http_receiver() as http, smtp_receiver() as smtp:
        env = {"AREA_HOOK": f"{http.url}/area", "NGZ_WECOM": f"{http.url}/ngz?key=k",
               "SJZ_SMTP": "127.0.0.1"}  # fmt: skip
        channels = _write_channels(tmp_path, smtp.port)
        run = issue_receipts(engine, _files(catalog), catalog, tmp_path / "receipts", NOW)
        assert run.queued == 4 and len(run.paths) == 4
        assert (tmp_path / "receipts" / "2013-03" / "NGZ-宁郭镇2013年1-3月.md").is_file()
        results = deliver_office_messages(engine, channels, env_resolver(env), area="JZXQ", now=NOW)
        assert [(r.org_unit, r.status) for r in results] == [
            ("NGZ", MessageStatus.SENT),
            ("SJZ", MessageStatus.SENT),
            ("YMZ", MessageStatus.SKIPPED),  # its robot's URL resolves to nothing: reported
            ("JZXQ", MessageStatus.SENT),  # unit unreadable: the area office's channel
        ]
        assert [r.path for r in http.requests] == ["/ngz", "/area"]
        ngz = http.requests[0].body["markdown"]["content"]
        assert ngz.startswith("### 【回执】宁郭镇")
        first = next(line for line in ngz.splitlines() if line.startswith("1. "))
        assert (
            "第 12 行 D 列" in first and "填写 25840 万元" in first and "应为 13247 万元" in first
        )
        assert "本回执送区统计局（目标办）" in http.requests[1].body["text"]
        [mail] = smtp.messages
        assert smtp.envelopes[0][1] == ["sjz@jzxq.gov.cn"]
        assert "已接收·有待确认" in str(make_header(decode_header(mail["Subject"])))
        assert "招商引资（实际到位资金）" in mail_parts(mail)["text/plain"]

        # the month run again: the same files are stored duplicates, the outbox has them
        again = issue_receipts(engine, _files(catalog), catalog, tmp_path / "receipts", NOW)
        assert again.queued == 0
        assert (
            deliver_office_messages(engine, channels, env_resolver(env), area="JZXQ", now=NOW) == []
        )
        assert len(http.requests) == 2 and len(smtp.messages) == 1
    stored = {m.org_unit: m.status for m in read_messages(engine, kind=MessageKind.RECEIPT)}
    assert stored == {"NGZ": "sent", "SJZ": "sent", "YMZ": "skipped", "JZXQ": "sent"}


def test_a_failed_channel_keeps_the_receipt_pending_until_the_next_delivery(
    engine: Engine, catalog: Catalog, tmp_path: Path
) -> None:
    with http_receiver() as http:
        env = {"NGZ_WECOM": f"{http.url}/ngz?key=k"}
        channels = _write_channels(tmp_path, 25)
        issue_receipts(engine, _files(catalog)[:1], catalog, tmp_path / "r", NOW)
        http.reply = {"errcode": 93000, "errmsg": "invalid webhook url"}
        [failed] = deliver_office_messages(
            engine, channels, env_resolver(env), area="JZXQ", now=NOW
        )
        assert failed.failed and "errcode 93000" in failed.detail
        [pending] = read_messages(engine, status=MessageStatus.PENDING)
        assert pending.attempts == 1 and "93000" in (pending.detail or "")
        http.reply = {"errcode": 0, "errmsg": "ok"}
        # the channel waits out its backoff (15 minutes after a first failure): not tried
        [waiting] = deliver_office_messages(
            engine, channels, env_resolver(env), area="JZXQ", now=NOW + timedelta(minutes=14)
        )
        assert waiting.deferred and len(http.requests) == 1
        later = NOW + timedelta(minutes=15)
        [sent] = deliver_office_messages(
            engine, channels, env_resolver(env), area="JZXQ", now=later
        )
        assert sent.status == MessageStatus.SENT and len(http.requests) == 2
    assert read_messages(engine, status=MessageStatus.PENDING) == []


def test_deliver_pending_drains_the_office_outbox_and_tells_the_operators(
    engine: Engine, catalog: Catalog, tmp_path: Path
) -> None:
    """The deliver-pending deployment's body: an office robot answering HTML keeps its
    receipt pending and opens a 推送失败 alert for the operators; once the robot is back and
    its backoff over, the receipt goes once and the alert is resolved."""
    path = tmp_path / "channels.yaml"
    path.write_text(
        CHANNELS % {"port": 25} + "operators:\n  - {name: ops, type: webhook, url: {env: OPS}}\n",
        encoding="utf-8",
    )
    issue_receipts(engine, _files(catalog)[:1], catalog, tmp_path / "r", NOW)
    with http_receiver() as http:
        resolve = env_resolver({"NGZ_WECOM": f"{http.url}/ngz?key=k", "OPS": f"{http.url}/ops"})

        def drain(minutes: int) -> DrainRun:
            at = NOW + timedelta(minutes=minutes)
            return drain_outboxes(engine, lambda **_: None, path, resolve, area="JZXQ",
                                  now=lambda: at)  # fmt: skip

        http.reply = "<html>portal</html>"
        first = drain(0)
        assert first.office_pending == 1 and "ngz-wecom" in first.office[0].detail
        [opened] = [q.body for q in http.requests if q.path == "/ops"]
        [message] = [a["message"] for a in opened["alerts"]]
        assert "推送渠道「ngz-wecom」" in message and "1 条待补发" in message
        http.reply = {"errcode": 0, "errmsg": "ok"}
        assert drain(5).office[0].deferred  # backoff: not tried
        back = drain(15)
        assert [r.status for r in back.office] == [MessageStatus.SENT]
        assert back.alerts.failure_alerts["resolved"] == 1
        assert drain(30).office == []
    to_ngz = [q for q in http.requests if q.path == "/ngz"]
    assert len(to_ngz) == 2  # the refused attempt and the one that went through
    to_ops = [a["message"] for q in http.requests if q.path == "/ops" for a in q.body["alerts"]]
    assert len(to_ops) == 2 and to_ops[1].startswith("已解除")
    assert read_messages(engine, status=MessageStatus.PENDING) == []


def _accepted(engine: Engine, unit: str, status: SubmissionStatus, n: int) -> None:
    """A unit's form for March: accepted (its one figure loaded) or rejected."""
    rejected = status == SubmissionStatus.REJECTED
    sid = record_submission(engine, sha256=f"{n:064d}", file_name=f"{unit}.xlsx",
                            archive_path="x", arrival_period=MARCH, received_at=NOW,
                            org_unit=unit, period="2013-03", filed_on=None,
                            status=SubmissionStatus.REJECTED if rejected else
                            SubmissionStatus.RECEIVED)  # fmt: skip
    if not rejected:
        accept_submission(engine, sid, observation_frame(unit, "2013-03", {"gdp": 1.0}))


def test_reminders_go_once_to_each_unit_without_an_accepted_form(
    store: Engine, catalog: Catalog
) -> None:
    engine = store
    _accepted(engine, "NGZ", SubmissionStatus.ACCEPTED, 1)
    _accepted(engine, "SJZ", SubmissionStatus.REJECTED, 2)
    due = datetime(2013, 4, 5, 9, tzinfo=UTC)
    run = queue_reminders(engine, catalog, MARCH, due, NOW)
    expected = [u.code for u in catalog.reporting_units if u.code != "NGZ"]
    assert run.missing == expected and run.queued == len(expected) == 6
    by_unit = {m.org_unit: m for m in read_messages(engine, kind=MessageKind.REMINDER)}
    assert "被退回" in by_unit["SJZ"].body and "尚未收到" in by_unit["YMZ"].body
    assert "2013年4月5日9时" in by_unit["YMZ"].body
    assert queue_reminders(engine, catalog, MARCH, due, NOW).queued == 0  # a rerun: none
    _accepted(engine, "YMZ", SubmissionStatus.ACCEPTED, 3)  # reported since: withdrawn
    assert queue_reminders(engine, catalog, MARCH, due, NOW).withdrawn == 1
    [ymz] = [m for m in read_messages(engine, kind=MessageKind.REMINDER) if m.org_unit == "YMZ"]
    assert ymz.status == MessageStatus.SKIPPED and ymz.detail == ALREADY_REPORTED


def test_received_files_from_a_runs_outcomes(catalog: Catalog) -> None:
    error = SubmissionIssue("bad_period", "报告期与批次不符", "a.xlsx", "月报", 3, "B")
    outcomes = [
        IngestOutcome("a.xlsx", "a" * 64, 1, IngestStatus.REJECTED, "NGZ", "2013-02",
                      errors=1, messages=(str(error),), issues=(error,)),
        IngestOutcome("b.xlsx", "b" * 64, 2, IngestStatus.DUPLICATE, "SJZ", "2013-03"),
        IngestOutcome("c.xlsx", "c" * 64, 3, IngestStatus.HELD, "YMZ", "2013-03"),
    ]  # fmt: skip
    files = received_files(MARCH, outcomes)
    assert [(f.file, f.loaded, f.held) for f in files] == [
        ("a.xlsx", False, False),
        ("c.xlsx", True, True),  # a duplicate gets no second receipt
    ]
    assert files[0].issues == (error,) and files[1].notes == ("有待确认",)


@pytest.mark.parametrize("kind", [MessageKind.RECEIPT, MessageKind.REMINDER])
def test_delivery_of_one_kind_leaves_the_other_pending(
    engine: Engine, catalog: Catalog, tmp_path: Path, kind: MessageKind
) -> None:
    issue_receipts(engine, _files(catalog)[2:3], catalog, tmp_path / "r", NOW)
    queue_reminders(engine, catalog, MARCH, NOW, NOW)
    channels = _write_channels(tmp_path, 25)
    done = deliver_office_messages(
        engine, channels, env_resolver({}), area="JZXQ", now=NOW, kind=kind
    )
    left = read_messages(engine, status=MessageStatus.PENDING)
    assert done and {m.kind for m in left} == {k for k in MessageKind if k != kind}


def test_a_name_longer_than_any_column_is_queued_and_written(
    engine: Engine, catalog: Catalog, tmp_path: Path
) -> None:
    """A file rejected for its 300-character name still gets its receipt: the outbox's title
    and file name are cut to their columns, the file's name to what a file system allows."""
    name = "宁郭镇" + "长" * 297 + ".xlsx"
    f = ReceivedFile(name, "", MARCH, loaded=False, org_unit=None,
                     issues=(SubmissionIssue("text_too_long", "文件名过长", name),))  # fmt: skip
    run = issue_receipts(engine, [f], catalog, tmp_path / "r", NOW)
    [m] = read_messages(engine)
    assert run.queued == 1 and m.org_unit == "NGZ" and len(m.title) == 255
    assert m.file_name is not None and m.file_name.endswith("…") and name in m.body
    [path] = run.paths
    assert len(path.name.encode()) <= 255 and path.read_text("utf-8") == m.body


def test_an_office_with_a_failing_second_channel_gets_each_message_once_on_each(
    engine: Engine, catalog: Catalog, tmp_path: Path
) -> None:
    """宁郭镇 with a robot and a mailbox, the mail server down: the robot takes the receipt
    once; once the server is back and its backoff over, the mailbox gets it — the robot not
    again."""
    port = free_port()
    path = tmp_path / "channels.yaml"
    path.write_text(
        "offices:\n  NGZ:\n    - {name: ngz-wecom, type: wecom, url: {env: NGZ_WECOM}}\n"
        f"    - {{name: ngz-mail, type: email, smtp_host: 127.0.0.1, smtp_port: {port},\n"
        "       sender: jzplan@jzxq.gov.cn, recipients: [ngz@jzxq.gov.cn]}\n",
        encoding="utf-8",
    )
    issue_receipts(engine, _files(catalog)[:1], catalog, tmp_path / "r", NOW)
    with http_receiver() as http:
        resolve = env_resolver({"NGZ_WECOM": f"{http.url}/ngz?key=k"})
        [first] = deliver_office_messages(engine, path, resolve, area="JZXQ", now=NOW)
        assert first.failed and first.sent_by == ("ngz-wecom",)
        assert [name for name, _ in first.failed_by] == ["ngz-mail"]
        with smtp_receiver(port) as smtp:
            later = NOW + timedelta(minutes=15)
            [second] = deliver_office_messages(engine, path, resolve, area="JZXQ", now=later)
            assert second.status == MessageStatus.SENT and second.sent_by == ("ngz-mail",)
            assert deliver_office_messages(engine, path, resolve, area="JZXQ", now=later) == []
            mails = len(smtp.messages)
    assert (len(http.requests), mails) == (1, 1)


def test_a_reminder_held_back_by_an_outage_is_withdrawn_once_the_unit_reports(
    store: Engine, catalog: Catalog, tmp_path: Path
) -> None:
    engine = store
    path = tmp_path / "channels.yaml"
    path.write_text(
        "offices:\n"
        "  NGZ: [{name: ngz-wecom, type: wecom, url: {env: NGZ}}]\n"
        "  SJZ: [{name: sjz-wecom, type: wecom, url: {env: SJZ}}]\n",
        encoding="utf-8",
    )
    queue_reminders(engine, catalog, MARCH, NOW, NOW)
    with http_receiver() as http:
        resolve = env_resolver({"NGZ": f"{http.url}/ngz", "SJZ": f"{http.url}/sjz"})
        http.reply = "<html>portal</html>"
        first = drain_outboxes(engine, lambda **_: None, path, resolve, area="JZXQ",
                               now=lambda: NOW)  # fmt: skip
        assert {r.org_unit for r in first.office if r.failed} == {"NGZ", "SJZ"}
        _accepted(engine, "NGZ", SubmissionStatus.ACCEPTED, 1)  # 宁郭镇 reports meanwhile
        http.reply = {"errcode": 0, "errmsg": "ok"}
        later = NOW + timedelta(minutes=15)
        back = drain_outboxes(engine, lambda **_: None, path, resolve, area="JZXQ",
                              now=lambda: later)  # fmt: skip
        assert back.withdrawn == 1
        assert [(r.org_unit, r.status) for r in back.office if r.org_unit in ("NGZ", "SJZ")] == [
            ("SJZ", MessageStatus.SENT)
        ]
    assert sorted(q.path for q in http.requests) == ["/ngz", "/sjz", "/sjz"]  # NGZ's: refused
