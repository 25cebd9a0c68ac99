"""Alert state over consecutive months, the deadline check and status files, on SQLite and
PostgreSQL: one alert per cause, a new one on a change of status, transitions recorded once."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine

from jzplan.alert.deadlines import Deadline, arrived_units, check_deadline
from jzplan.alert.lifecycle import sync_alerts
from jzplan.alert.rules import as_records, target_alerts
from jzplan.core.periods import Period
from jzplan.ingest.status_files import parse_ranking_file, parse_status_file
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store import tracking
from jzplan.store.alerts import read_alerts
from jzplan.store.dump import dump_tables
from jzplan.store.tracking import ranking_lengths, status_report_lengths
from jzplan.track.progress import PROGRESS_COLUMNS
from tests.conftest import REPO_ROOT

INBOX = REPO_ROOT / "data" / "inbox"


def _progress(plan: Plan, statuses: dict[str, str]) -> pd.DataFrame:
    rows = [
        {c: None for c in PROGRESS_COLUMNS} | {"target_id": t.id, "provisional": False,
                                                "status": statuses.get(t.id, "on_track")}
        for t in plan.targets
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=PROGRESS_COLUMNS)


def _month(store: Engine, plan: Plan, catalog: Catalog, period: str, statuses: dict[str, str]):  # type: ignore[no-untyped-def]
    sync_alerts(
        store,
        Period.parse(period),
        as_records(target_alerts(_progress(plan, statuses), plan, catalog)),
        scope_kinds={"target_status", "milestone_overdue"},
    )
    recorded = tracking.record_alert_events(store)
    events = tracking.read_alert_events(store, [period])
    return recorded, sorted((e.action, e.dedup_key) for e in events)


def test_dedup_across_consecutive_months(store: Engine, plan: Plan, catalog: Catalog) -> None:
    # A03 at risk in Feb and Mar, behind in Apr and May, back on track in Jun
    assert _month(store, plan, catalog, "2013-02", {"A03": "at_risk"}) == (
        {"opened": 1, "resolved": 0},
        [("opened", "target:A03:at_risk")],
    )
    assert _month(store, plan, catalog, "2013-03", {"A03": "at_risk"}) == (
        {"opened": 0, "resolved": 0},
        [],
    )  # persisting: no new alert, nothing to deliver
    assert _month(store, plan, catalog, "2013-04", {"A03": "behind"})[1] == [
        ("opened", "target:A03:behind"),
        ("resolved", "target:A03:at_risk"),
    ]  # a change of status
    assert _month(store, plan, catalog, "2013-05", {"A03": "behind"})[1] == []
    assert _month(store, plan, catalog, "2013-06", {})[1] == [("resolved", "target:A03:behind")]
    # rerunning months changes nothing and records nothing
    before = dump_tables(store)
    for period, statuses in (("2013-05", {"A03": "behind"}), ("2013-06", {})):
        assert _month(store, plan, catalog, period, statuses)[0] == {"opened": 0, "resolved": 0}
    assert dump_tables(store) == before
    alerts = read_alerts(store).set_index("dedup_key")
    assert alerts.loc["target:A03:at_risk", ["first_seen", "last_seen", "resolved"]].tolist() == [
        "2013-02", "2013-03", "2013-04"
    ]  # fmt: skip
    # and an alert that comes back later is one more transition, delivered again
    assert _month(store, plan, catalog, "2013-07", {"A03": "behind"})[1] == [
        ("opened", "target:A03:behind")
    ]


def test_overdue_milestone_is_its_own_kind(store: Engine, plan: Plan, catalog: Catalog) -> None:
    _month(store, plan, catalog, "2013-07", {"C15": "overdue"})
    row = read_alerts(store).set_index("dedup_key").loc["target:C15:overdue"]
    assert row["kind"] == "milestone_overdue" and "已逾期" in row["message"]


def test_outbox_marks_what_was_delivered(store: Engine, plan: Plan, catalog: Catalog) -> None:
    _month(store, plan, catalog, "2013-02", {"A03": "behind", "A05": "at_risk"})
    pending = tracking.pending_alert_events(store, "notified")
    assert len(pending) == 2
    assert tracking.mark_alert_events(store, [pending[0].id], "notified") == 1
    assert [e.id for e in tracking.pending_alert_events(store, "notified")] == [pending[1].id]
    assert len(tracking.pending_alert_events(store, "emitted")) == 2


def test_deadline_check_alerts_when_nothing_arrived(
    store: Engine, catalog: Catalog, tmp_path: Path
) -> None:
    deadline = Deadline(day=5, hour=17, timezone="Asia/Shanghai")
    period = Period(2013, 5)
    due = deadline.of(period)
    assert due == datetime(2013, 6, 5, 17, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert deadline.period_due(datetime(2013, 6, 5, 17, tzinfo=ZoneInfo("Asia/Shanghai"))) == period
    assert deadline.period_due(datetime(2013, 6, 5, 8, 59, tzinfo=ZoneInfo("UTC"))) == Period(
        2013, 4
    )  # 16:59 in Shanghai: May is not due yet

    (tmp_path / "2013-05").mkdir()  # the batch folder exists, empty: nothing arrived
    empty = arrived_units(tmp_path, period, catalog)
    outcome = check_deadline(store, catalog=catalog, period=period, arrived=empty, due=due)
    reporting = [u.code for u in catalog.units if u.reports]
    assert outcome.missing_units == reporting and outcome.alerts["opened"] == len(reporting)

    # Files arrive for all but 李万街道 before a rerun: their alerts resolve, one stays
    for f in (INBOX / "2013-05").glob("*.xlsx"):
        shutil.copy(f, tmp_path / "2013-05" / f.name)
    arrived = arrived_units(tmp_path, period, catalog)
    assert arrived == set(reporting) - {"LWJ"}
    again = check_deadline(store, catalog=catalog, period=period, arrived=arrived, due=due)
    assert again.missing_units == ["LWJ"]
    assert (again.alerts["resolved"], again.alerts["unchanged"]) == (len(reporting) - 1, 1)
    opened = [e for e in tracking.read_alert_events(store) if e.action == "opened"]
    assert len(opened) == 0  # nothing recorded until the outbox is synced
    tracking.record_alert_events(store)
    lwj = [e for e in tracking.read_alert_events(store) if e.dedup_key == "missing:LWJ:2013-05"]
    assert [(e.action, e.period) for e in lwj] == [("opened", "2013-05")]


def test_bad_rows_are_located_and_left_out(plan: Plan, catalog: Catalog, tmp_path: Path) -> None:
    status = tmp_path / "重点工作进展.csv"
    status.write_text(
        "目标编号,进展状态,进展情况,报送单位,报送日期\n"
        "C15,已完成,通水,规划建设局,2013-07-03\n"
        "A01,已完成,不是节点目标,经发局,2013-07-03\n"
        "C08,差不多,?,党政办,2013-07-03\n"
        "C09,正常推进,推进中,党政办,2013-07-32\n",
        encoding="utf-8",
    )
    parsed = parse_status_file(status, Period(2013, 6), plan, lengths=status_report_lengths())
    assert [r.target_id for r in parsed.reports] == ["C15"]
    assert [(i.file, i.row, i.column, i.code) for i in parsed.issues] == [
        ("重点工作进展.csv", 3, "目标编号", "unknown_target"),
        ("重点工作进展.csv", 4, "进展状态", "unknown_status"),
        ("重点工作进展.csv", 5, "报送日期", "bad_date"),
    ]
    ranking = tmp_path / "排名.csv"
    ranking.write_text(
        "单位,排名指标,位次,参评总数,发布单位,发布日期\n"
        "焦作新区,全省产业集聚区发展速度位次,9,180,省联席办,2013-07-02\n"
        "焦作新区,全省城市新区经济总量位次,200,180,省联席办,2013-07-02\n"
        "不存在区,全省产业集聚区发展速度位次,1,180,省联席办,2013-07-02\n",
        encoding="utf-8",
    )
    parsed = parse_ranking_file(ranking, Period(2013, 6), catalog, lengths=ranking_lengths())
    assert [r.rank for r in parsed.rankings] == [9]
    assert len(parsed.errors) == 2 and "第 3 行" in parsed.errors[0]
    missing = tmp_path / "x.csv"
    missing.write_text("目标编号,状态\n", encoding="utf-8")
    lengths = status_report_lengths()
    assert "缺少列" in parse_status_file(missing, Period(2013, 6), plan, lengths=lengths).errors[0]
