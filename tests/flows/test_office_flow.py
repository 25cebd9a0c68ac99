"""The office loop under the session's Prefect server: the monthly run writes and queues a
receipt per received file (delivery failing or skipped never fails the month), and the
deadline-reminder flow sends exactly one reminder to each unit still missing, through its own
channel, and none again on a rerun."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from email.header import decode_header, make_header
from pathlib import Path

import pytest

from flows.reminder import deadline_reminder, due_period
from jzplan.core.settings import Settings
from jzplan.core.states import MessageKind, MessageStatus
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store.db import make_engine
from jzplan.store.lifecycle import accept_submission
from jzplan.store.office_messages import read_messages
from jzplan.store.reference import sync_reference
from jzplan.store.submissions import record_submission, reject_submission
from tests.alert.receivers import http_receiver, smtp_receiver
from tests.conftest import REPO_ROOT, observation_frame
from tests.flows.conftest import MonthRun

pytestmark = pytest.mark.flow


def test_the_monthly_run_writes_a_receipt_for_every_file(august_on_sqlite: MonthRun) -> None:
    receipts = august_on_sqlite.summary["receipts"]
    assert receipts["written"] == 9  # 8 forms and 重点工作进展.csv
    sent_to = receipts["receipts"]
    # 约1300 is held as a question, but the 更正 filed later is the month's file: the first
    # file's receipt says it was not taken and asks nothing
    assert sent_to["宁郭镇_2013年08月_月报.xlsx"] == ["NGZ", "已接收"]
    assert sent_to["宁郭镇_2013年08月_月报(更正).xlsx"][0] == "NGZ"
    assert sent_to["重点工作进展.csv"][0] == "JZXQ"  # the area office's file
    # no office channel resolves in the test environment: skipped and reported, month done
    assert set(receipts["delivered"]["skipped"]) == {v[0] for v in sent_to.values()}
    folder = Path(august_on_sqlite.database_url.removeprefix("sqlite:///")).parent
    body = (folder / "receipts" / "2013-08" / "NGZ-宁郭镇_2013年08月_月报.md").read_text("utf-8")
    assert body.startswith("### 【回执】宁郭镇") and "**已接收**" in body
    assert "未采用（已有填报日期更晚的报表）" in body and "#### 待确认" not in body
    engine = make_engine(august_on_sqlite.database_url)
    try:
        stored = read_messages(engine, kind=MessageKind.RECEIPT)
    finally:
        engine.dispose()
    assert len(stored) == 9 and {m.status for m in stored} == {MessageStatus.SKIPPED}


def _seed(url: str, catalog: Catalog, plan: Plan) -> None:
    """宁郭镇 and 阳庙镇 have an accepted March form; 苏家作乡's was returned."""
    engine = make_engine(url)
    try:
        sync_reference(engine, catalog, plan)
        now = datetime(2013, 4, 2, tzinfo=UTC)
        for n, unit in enumerate(["NGZ", "YMZ", "SJZ"], 1):
            sid = record_submission(
                engine, sha256=f"{n:064d}", file_name=f"{unit}.xlsx", archive_path="x",
                arrival_period=due_period(Settings(), now), received_at=now, org_unit=unit,
                period="2013-03", filed_on=None,
            )  # fmt: skip
            if unit != "SJZ":
                accept_submission(engine, sid, observation_frame(unit, "2013-03", {"gdp": 1.0}))
            else:
                reject_submission(engine, sid, [])
    finally:
        engine.dispose()


def test_the_reminder_goes_once_to_each_unit_still_missing(
    flow_env: Path, database_url: str, catalog: Catalog, plan: Plan,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    _seed(database_url, catalog, plan)
    units = [u.code for u in catalog.reporting_units]
    channels = flow_env / "channels.yaml"
    channels.write_text(
        "offices:\n"
        + "".join(
            f"  {u}: [{{name: {u}, type: wecom, url: {{env: TEST_{u}_URL}}}}]\n" for u in units
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("JZPLAN_ALERT_CHANNELS_FILE", str(channels))
    with http_receiver() as http:
        for u in units:
            monkeypatch.setenv(f"TEST_{u}_URL", f"{http.url}/{u}?key=k")
        first = deadline_reminder(period="2013-03")
        missing = [u for u in units if u not in ("NGZ", "YMZ")]
        assert first["missing_units"] == missing and first["queued"] == len(missing) == 5
        assert first["delivered"] == {"sent": 5, "skipped": [], "pending": []}
        assert sorted(r.path for r in http.requests) == sorted(f"/{u}" for u in missing)
        by_path = {r.path: r.body["markdown"]["content"] for r in http.requests}
        assert "苏家作乡" in by_path["/SJZ"] and "被退回" in by_path["/SJZ"]
        assert "请于 **2013年4月5日17时** 前报送" in by_path["/LWJ"]  # the configured deadline

        again = deadline_reminder(period="2013-03")  # a rerun (or a retry): nothing new
        assert again["queued"] == 0 and again["delivered"] == {
            "sent": 0,
            "skipped": [],
            "pending": [],
        }
        assert len(http.requests) == 5
    engine = make_engine(database_url)
    try:
        sent = read_messages(engine, kind=MessageKind.REMINDER, status=MessageStatus.SENT)
        assert sorted(m.org_unit for m in sent) == sorted(missing)
    finally:
        engine.dispose()


def test_a_months_receipts_reach_each_offices_loopback_once(
    flow_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A monthly run with a defective file (宁郭镇's 约1300) and a good one (李万街道's): each
    receipt reaches its own office, the defective one naming the cell first; a rerun of the
    month sends nothing again."""
    from flows.monthly import monthly_progress

    inbox = flow_env / "inbox"
    (inbox / "2013-08").mkdir(parents=True)
    for name in ("宁郭镇_2013年08月_月报.xlsx", "李万街道_2013年08月_月报.xlsx"):
        shutil.copy(REPO_ROOT / "data" / "inbox" / "2013-08" / name, inbox / "2013-08" / name)
    channels = flow_env / "channels.yaml"
    channels.write_text(
        "offices:\n"
        "  NGZ: [{name: ngz, type: wecom, url: {env: TEST_NGZ_URL}}]\n"
        "  LWJ: [{name: lwj, type: email, smtp_host: 127.0.0.1, smtp_port: %d,\n"
        "         sender: jzplan@jzxq.gov.cn, recipients: [lwj@jzxq.gov.cn]}]\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("JZPLAN_ALERT_CHANNELS_FILE", str(channels))
    with http_receiver() as http, smtp_receiver() as smtp:
        channels.write_text(channels.read_text("utf-8") % smtp.port, encoding="utf-8")
        monkeypatch.setenv("TEST_NGZ_URL", f"{http.url}/ngz?key=k")
        first = monthly_progress(period="2013-08", inbox_dir=str(inbox))
        assert first["receipts"]["delivered"] == {"sent": 2, "skipped": [], "pending": []}
        [ngz] = http.requests
        text = ngz.body["markdown"]["content"]
        # the file name as Markdown text: its underscores escaped
        assert text.startswith(
            "### 【回执】宁郭镇｜宁郭镇\\_2013年08月\\_月报.xlsx｜已接收·有待确认"
        )
        first_item = next(line for line in text.splitlines() if line.startswith("1. "))
        assert "第 10 行 E 列" in first_item and "约1300" in first_item
        [mail] = smtp.messages
        assert smtp.envelopes[0][1] == ["lwj@jzxq.gov.cn"]
        assert "已接收" in str(make_header(decode_header(mail["Subject"])))

        again = monthly_progress(period="2013-08", inbox_dir=str(inbox))
        assert again["receipts"]["delivered"] == {"sent": 0, "skipped": [], "pending": []}
        assert len(http.requests) == 1 and len(smtp.messages) == 1
    receipts = flow_env / "receipts" / "2013-08"
    assert sorted(p.name for p in receipts.iterdir()) == [
        "LWJ-李万街道_2013年08月_月报.md",
        "NGZ-宁郭镇_2013年08月_月报.md",
    ]
