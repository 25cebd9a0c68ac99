"""One status per unit and month — 已报 / 有待确认 / 退回待改 / 未报 — the same in the store's
reading, the alerts, the report's grid and header and ``jzplan progress``, on SQLite and
PostgreSQL. March 2013 has a unit of each kind, plus a file of the March batch whose own
period cell says 1-2月 (rejected, shown in March) and, in June's batch, a late May form
(accepted, shown in May) and a rejected late May form (name and cell agree: May's)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, insert

from jzplan.alert.deadlines import Deadline, check_deadline
from jzplan.core.periods import Period
from jzplan.core.states import IssueSeverity, UnitMonthStatus
from jzplan.core.submissions import SubmissionIssue
from jzplan.ingest.form_writer import FormRow, write_form
from jzplan.month.ingesting import ingest_batch
from jzplan.month.refresh import refresh_period
from jzplan.month.runs import affected_periods
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.report.data import UNIT_MONTH_LABELS, ReportData, summarise, timeliness
from jzplan.report.html import write_report
from jzplan.report.markdown import standing_line, standing_text
from jzplan.store.alerts import ALERT_COLUMNS, read_alerts
from jzplan.store.models import HeldRowRow
from jzplan.store.reference import sync_reference
from jzplan.store.submissions import load_submission, record_submission, reject_submission
from jzplan.store.unit_months import unit_months, unit_statuses
from jzplan.track.progress import Thresholds
from jzplan.validate.validator import SubmissionValidator
from tests.conftest import observation_frame
from tests.ingest.corpus import figures
from tests.progress_frames import progress_of
from tests.store.tiny import tiny_plan

FEB, MARCH, MAY, JUNE = Period(2013, 2), Period(2013, 3), Period(2013, 5), Period(2013, 6)
UNITS = ["SJZ", "NGZ", "YMZ", "LWJ", "WYJ", "WCJ", "DIR"]
FIRST_ERROR = "[unknown_indicator] 文件 阳庙镇-2013年03月.xlsx，第 9 行：指标“某某收入”不在目录中"
MISMATCH = (
    "表内报告期“2013年1-2月”与文件名中的报告期“2013年1-3月”不一致（2013-02 / 2013-03）："
    "请核对报告期后重新报送"
)


def _file(engine: Engine, unit: str, name: str, own: str | None, arrival: Period, sha: str) -> int:
    return record_submission(
        engine,
        sha256=sha * 64,
        file_name=name,
        archive_path=f"archive/{sha}.xlsx",
        arrival_period=arrival,
        received_at=datetime(arrival.year, arrival.month, 28, tzinfo=UTC),
        org_unit=unit,
        period=own,
        filed_on=date(2013, 4, 2),
    )


def _accept(engine: Engine, unit: str, own: Period, arrival: Period, sha: str) -> int:
    sid = _file(engine, unit, f"{unit}-{own}.xlsx", str(own), arrival, sha)
    load_submission(engine, sid, observation_frame(unit, str(own), {"gdp": 1.0}))
    return sid


def _warning(code: str, file: str) -> SubmissionIssue:
    return SubmissionIssue(code, "应填指标未填", file, row=5, severity=IssueSeverity.WARNING)


@pytest.fixture
def month(engine: Engine, catalog: Catalog) -> Engine:
    sync_reference(engine, catalog, tiny_plan())
    for unit, sha in (("SJZ", "a"), ("WYJ", "b"), ("DIR", "c")):
        _accept(engine, unit, MARCH, MARCH, sha)
    asked = _accept(engine, "NGZ", MARCH, MARCH, "d")  # accepted, one row held as a question
    with engine.begin() as conn:
        conn.execute(
            insert(HeldRowRow.__table__),  # type: ignore[arg-type]
            [
                {
                    "submission_id": asked,
                    "org_unit_code": "NGZ",
                    "period": str(MARCH),
                    "sheet": "月报",
                    "row": 12,
                    "column": "B",
                    "code": "unknown_indicator",
                    "message": "指标“招商引资（实际到位资金）”不在目录中",
                    "name_written": "招商引资（实际到位资金）",
                    "status": "open",
                },
                {
                    "submission_id": asked,
                    "org_unit_code": "NGZ",
                    "period": str(MARCH),
                    "sheet": "月报",
                    "row": 13,
                    "column": "B",
                    "code": "unknown_indicator",
                    "message": "已舍弃",
                    "name_written": "备注",
                    "status": "discarded",
                },
            ],
        )
    name = "阳庙镇-2013年03月.xlsx"  # rejected: a warning listed first must not be the reason
    bad = _file(engine, "YMZ", name, str(MARCH), MARCH, "e")
    issues = [_warning("missing_indicator", name), _warning("missing_indicator", name)]
    issues.append(SubmissionIssue("unknown_indicator", "指标“某某收入”不在目录中", name, row=9))
    reject_submission(engine, bad, issues)
    name = "文昌街道-2013年03月.xlsx"  # in March's batch; its 报告期 cell says 1-2月
    mismatched = _file(engine, "WCJ", name, str(FEB), MARCH, "f")
    issue = SubmissionIssue("period_mismatch", MISMATCH, name, sheet="月报", row=3, column="B")
    reject_submission(engine, mismatched, [_warning("missing_indicator", name), issue])
    # June's batch: a late May form (accepted, May's) and a rejected one (name and cell agree)
    _accept(engine, "DIR", MAY, JUNE, "g")
    late = _file(engine, "WYJ", "文苑街道-2013年05月.xlsx", str(MAY), JUNE, "h")
    reject_submission(
        engine, late, [SubmissionIssue("bad_number", "“abc”不是数字", "文苑街道-2013年05月.xlsx")]
    )
    return engine


def test_each_unit_stands_in_one_of_four_words(month: Engine) -> None:
    march = unit_statuses(month, UNITS, MARCH)
    assert {u: str(um.status) for u, um in march.items()} == {
        "SJZ": "reported", "NGZ": "questions", "YMZ": "returned", "LWJ": "missing",
        "WYJ": "reported", "WCJ": "returned", "DIR": "reported",
    }  # fmt: skip
    assert march["NGZ"].open_questions == 1 and "1 行指标待确认" in march["NGZ"].detail
    assert march["YMZ"].returned[-1].reason == FIRST_ERROR
    assert march["YMZ"].misfiled is None
    wcj = march["WCJ"]
    assert wcj.misfiled is not None and wcj.misfiled.period == str(FEB)
    assert "表内报告期（2013-02）与所在批次不符" in wcj.detail and MISMATCH in wcj.detail
    # February does not count the March batch's file; May counts both late May forms
    assert unit_statuses(month, UNITS, FEB)["WCJ"].status == UnitMonthStatus.MISSING
    may = unit_statuses(month, UNITS, MAY)
    assert (may["DIR"].status, str(may["DIR"].timeliness)) == ("reported", "late")
    assert may["WYJ"].status == UnitMonthStatus.RETURNED and may["WYJ"].misfiled is None
    june = unit_statuses(month, UNITS, JUNE)
    assert {um.status for um in june.values()} == {UnitMonthStatus.MISSING}


def test_alerts_say_the_same_word_with_the_first_error(month: Engine, catalog: Catalog) -> None:
    outcome = refresh_period(
        month, catalog=catalog, plan=None, period=MARCH, thresholds=Thresholds()
    )
    assert outcome.missing_units == ["LWJ"]
    assert outcome.unit_months["WCJ"].status == UnitMonthStatus.RETURNED
    alerts = read_alerts(month, open_only=True).set_index("dedup_key")
    assert sorted(alerts.index) == [
        "held:NGZ:2013-03", "missing:LWJ:2013-03", "rejected:WCJ:2013-03", "rejected:YMZ:2013-03",
    ]  # fmt: skip
    assert dict(alerts["severity"]) == {
        "held:NGZ:2013-03": "warning", "missing:LWJ:2013-03": "critical",
        "rejected:WCJ:2013-03": "critical", "rejected:YMZ:2013-03": "critical",
    }  # fmt: skip
    text = dict(alerts["message"])
    assert text["missing:LWJ:2013-03"].startswith("李万街道 2013-03 月报未报")
    assert text["held:NGZ:2013-03"].startswith("宁郭镇 2013-03 月报有待确认：1 行指标待确认")
    assert text["rejected:YMZ:2013-03"] == (
        f"阳庙镇 2013-03 月报退回待改：阳庙镇-2013年03月.xlsx 已退回：{FIRST_ERROR}"
    )
    assert "missing_indicator" not in text["rejected:YMZ:2013-03"]
    wcj = text["rejected:WCJ:2013-03"]
    assert wcj.startswith("文昌街道 2013-03 月报退回待改：文昌街道-2013年03月.xlsx 随 2013-03 批次")
    assert "与所在批次不符" in wcj and MISMATCH in wcj
    # February's run raises nothing for the March batch's file
    refresh_period(month, catalog=catalog, plan=None, period=FEB, thresholds=Thresholds())
    feb = read_alerts(month, open_only=True)
    assert "rejected:WCJ:2013-02" not in set(feb["dedup_key"])
    assert "missing:WCJ:2013-02" in set(feb["dedup_key"])


def test_grid_header_and_progress_use_the_four_words(month: Engine, catalog: Catalog) -> None:
    grid = timeliness(unit_months(month, UNITS, [FEB, MARCH, MAY]))
    cell = grid.set_index(["org_unit", "period"])
    words = {u: UNIT_MONTH_LABELS[str(cell.loc[(u, "2013-03"), "state"])] for u in UNITS}
    assert words == {
        "SJZ": "已报", "NGZ": "有待确认", "YMZ": "退回待改", "LWJ": "未报", "WYJ": "已报",
        "WCJ": "退回待改", "DIR": "已报",
    }  # fmt: skip
    assert cell.loc[("WCJ", "2013-02"), "state"] == "missing"
    assert cell.loc[("DIR", "2013-05"), "timeliness"] == "late"
    assert cell.loc[("SJZ", "2013-03"), "timeliness"] == "on_time"
    assert cell.loc[("LWJ", "2013-03"), "timeliness"] == ""
    march = {u: um.status for u, um in unit_statuses(month, UNITS, MARCH).items()}
    header = "未报：李万街道；退回待改：阳庙镇、文昌街道；有待确认：宁郭镇"
    assert standing_line(catalog, march) == header
    printed = standing_text(month, catalog, MARCH)  # what `jzplan progress` prints
    assert header in printed
    assert "| 文昌街道 | 退回待改 |" in printed and "| 苏家作乡 | 已报 |" in printed
    assert "未按期" not in printed


def test_the_html_grid_shows_the_four_words(
    month: Engine, catalog: Catalog, plan: Plan, tmp_path: Path
) -> None:
    progress = progress_of(plan, {})
    data = ReportData(
        period=MARCH,
        progress=progress,
        summary=summarise(progress),
        courses=[],
        contributions=pd.DataFrame(columns=["target_id", "org_unit", "value", "share_pct"]),
        timeliness=timeliness(unit_months(month, UNITS, [FEB, MARCH, MAY])),
        warnings=pd.DataFrame(columns=list(ALERT_COLUMNS)),
        open_alerts=pd.DataFrame(columns=list(ALERT_COLUMNS)),
    )
    html = write_report(data, plan, catalog, tmp_path / "r.html").read_text(encoding="utf-8")
    grid = html[html.index('id="timeliness"') :]
    rows = dict(re.findall(r'<tr data-unit="(\w+)">(.*?)</tr>', grid, re.S))
    assert list(rows) == [u.code for u in catalog.reporting_units]
    march = r'<td class="t-(\w+)" data-period="2013-03" data-state="\1"[^>]*>([^<]+)</td>'
    found = {u: re.findall(march, row)[0][1] for u, row in rows.items()}
    assert found == {
        "SJZ": "已报", "NGZ": "有待确认", "YMZ": "退回待改", "LWJ": "未报", "WYJ": "已报",
        "WCJ": "退回待改", "DIR": "已报",
    }  # fmt: skip
    assert '<td class="t-reported late" data-period="2013-05"' in rows["DIR"]  # 迟报, marked
    legend = html[html.index('<p class="legend">') :].split("</p>")[0]
    assert all(w in legend for w in ("已报", "有待确认", "退回待改", "未报"))
    assert "按时" not in legend and "未按期" not in html


def test_the_deadline_check_calls_only_未报_missing(month: Engine, catalog: Catalog) -> None:
    due = Deadline().of(MARCH)
    outcome = check_deadline(month, catalog=catalog, period=MARCH, arrived=set(), due=due)
    assert outcome.missing_units == ["LWJ"]  # 阳庙镇 and 文昌街道 sent files: 退回待改
    assert set(read_alerts(month)["dedup_key"]) == {"missing:LWJ:2013-03"}
    feb = check_deadline(month, catalog=catalog, period=FEB, arrived={"SJZ"}, due=due)
    assert "WCJ" in feb.missing_units and "SJZ" not in feb.missing_units


def test_a_file_whose_cell_contradicts_its_batch_is_returned_in_that_batch(
    store: Engine, catalog: Catalog, validator: SubmissionValidator, tmp_path: Path
) -> None:
    """Read from real files: March's batch brings 文昌街道's form named 2013年03月 whose 报告期
    cell says 2013年1-2月 (rejected, period_mismatch) and 苏家作乡's late February form (name and
    cell agree: February's, 迟报)."""
    batch = tmp_path / "inbox" / "2013-03"
    batch.mkdir(parents=True)
    forms = [
        ("WCJ", FEB, "文昌街道_2013年03月_月报.xlsx"),
        ("SJZ", FEB, "苏家作乡_2013年02月_月报.xlsx"),
    ]
    for unit, own, name in forms:
        rows = [FormRow(c, ytd, m, None) for c, (ytd, m) in figures(catalog, unit).items()]
        write_form(
            batch / name, catalog=catalog, unit_code=unit, period=own, rows=rows,
            filed_by="王五", filed_on=date(2013, 4, 2),
        )  # fmt: skip
    outcomes = ingest_batch(
        tmp_path / "inbox", MARCH, engine=store, catalog=catalog, validator=validator,
        archive_dir=tmp_path / "archive", received_at=datetime(2013, 4, 3, tzinfo=UTC),
    )  # fmt: skip
    status = {o.org_unit: (str(o.status), o.period) for o in outcomes}
    assert status == {"WCJ": ("rejected", "2013-02"), "SJZ": ("accepted", "2013-02")}
    assert "period_mismatch" in next(o for o in outcomes if o.org_unit == "WCJ").codes
    assert [str(p) for p in affected_periods(MARCH, outcomes)] == ["2013-02", "2013-03"]
    for p in (FEB, MARCH):
        refresh_period(store, catalog=catalog, plan=None, period=p, thresholds=Thresholds())
    march = unit_statuses(store, ["WCJ", "SJZ"], MARCH)
    assert (march["WCJ"].status, march["SJZ"].status) == ("returned", "missing")
    feb = unit_statuses(store, ["WCJ", "SJZ"], FEB)
    assert (feb["WCJ"].status, feb["SJZ"].status, feb["SJZ"].timeliness) == (
        "missing", "reported", "late",
    )  # fmt: skip
    alerts = read_alerts(store, open_only=True).set_index("dedup_key")["message"]
    wcj = alerts["rejected:WCJ:2013-03"]
    assert "表内报告期（2013-02）与所在批次不符" in wcj and "[period_mismatch]" in wcj
    assert "rejected:WCJ:2013-02" not in alerts and "missing:WCJ:2013-03" not in alerts
