"""What `make demo` prints: units by name, status counts in one order, alerts as 告警 (预警
is a status's name)."""

from __future__ import annotations

import pandas as pd

from flows.demo import alert_count_line
from jzplan.core.periods import Period
from jzplan.core.states import StatusFileOutcome
from jzplan.month.lines import counts_text, deadline_line, monthly_line, run_lines, unit_names
from jzplan.reference.catalog import Catalog

SUMMARY = {
    "files": 6, "accepted": 6, "rejected": 0, "duplicates": 0, "recomputed": ["2013-05"],
    "missing_units": ["LWJ"], "unit_months": {"LWJ": "missing", "NGZ": "returned"},
    # as value_counts ordered a month: by count
    "status_counts": {"on_track": 99, "behind": 26, "at_risk": 10, "no_data": 1, "achieved": 1},
}  # fmt: skip


def test_monthly_line_names_units_and_orders_statuses(catalog: Catalog) -> None:
    line = monthly_line(catalog, Period(2013, 5), SUMMARY)
    assert line == (
        "monthly-2013-05：文件 6，接收 6，退回 0，重复 0，重算 2013-05；未报 李万街道；"
        "退回待改 宁郭镇；已完成 1，正常 99，预警 10，滞后 26，无数据 1"
    )
    assert "LWJ" not in line


def test_unit_names(catalog: Catalog) -> None:
    assert unit_names(catalog, ["SJZ", "LWJ"]) == "苏家作乡、李万街道"
    assert unit_names(catalog, []) == "无"


def test_alert_count_is_not_a_status_word() -> None:
    alerts = pd.DataFrame({"resolved": ["2013-04", None, None]})
    assert alert_count_line(137, alerts) == "共 137 项目标；告警 3 条（未解除 2 条）"


def test_a_run_lists_the_files_to_look_at_and_where_its_reports_are(catalog: Catalog) -> None:
    summary = {
        **SUMMARY, "files": 8, "accepted": 5, "rejected": 1,
        "unit_months": {"LWJ": "missing", "NGZ": "returned", "WCJ": "questions"},
        "outcomes": [
            {"file": "宁郭镇_2013年05月_月报.xlsx", "status": "rejected",
             "codes": ["period_mismatch", "value_out_of_range"]},
            {"file": "文昌街道_2013年05月_月报.xlsx", "status": "accepted", "codes": []},
            {"file": "旧表.xlsx", "status": "duplicate", "codes": []},
            {"file": "链接.xlsx", "status": "refused", "codes": ["symlink"]},
            {"file": "阳庙镇_2013年04月_月报.xlsx", "status": "correction", "codes": []},
        ],
        "locked": ["2013-04"], "report": "/r/progress-2013-05.html",
        "workbook": "/r/progress-2013-05.xlsx", "data_docs": "/d/2013-05/index.html",
        "receipts": {"written": 8},
    }  # fmt: skip
    lines = run_lines(catalog, Period(2013, 5), summary)
    assert lines[0].startswith("monthly-2013-05：文件 8，接收 5，退回 1，")
    assert "；退回待改 宁郭镇；有待确认 文昌街道；" in lines[0]
    assert lines[1:] == [
        "需处理的文件（原因见各文件的回执）：",
        "  宁郭镇_2013年05月_月报.xlsx：已退回（period_mismatch、value_out_of_range）",
        "  链接.xlsx：已拒收（symlink）",
        "  阳庙镇_2013年04月_月报.xlsx：待更正（该月已发布）",
        "已发布、本次未重算：2013-04",
        "HTML 月报：/r/progress-2013-05.html",
        "Excel 报表：/r/progress-2013-05.xlsx",
        "校验结果（Data Docs）：/d/2013-05/index.html",
        "回执：8 份",
    ]
    assert not any("{" in line or "'" in line for line in lines)  # no dict as Python writes it


def test_a_deadline_line_names_the_late_units(catalog: Catalog) -> None:
    summary = {"period": "2013-05", "due": "2013-06-05T17:00:00+08:00", "missing_units": ["SJZ"]}
    assert (
        deadline_line(catalog, summary) == "deadline-2013-05：截止 2013-06-05 17:00，未报 苏家作乡"
    )


def test_counts_read_as_words_in_their_own_order() -> None:
    counts = {"inserted": 79, "updated": 0, "deleted": 0, "unchanged": 2}
    assert counts_text(counts) == "新增 79，更新 0，删除 0，未变 2"
    assert counts_text({"opened": 4, "reopened": 1, "resolved": 6}) == "新增 4，重新打开 1，解除 6"
    assert counts_text({}) == "无"
    assert all(o.label for o in StatusFileOutcome)
