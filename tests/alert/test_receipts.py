"""Receipts (回执) in the office's own terms: errors first, in the unit the office wrote, then
the held rows with the closest names, then warnings collapsed, then what to do; addressed to
the unit the file names, else the unit in its file name, else the area office."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from jzplan.alert.receipts import Addressing, ReceivedFile, address, render_receipt
from jzplan.core.periods import Period
from jzplan.core.states import IssueSeverity, ReceiptStatus
from jzplan.core.submissions import HeldRow, ParsedSubmission, SubmissionIssue
from jzplan.reference.catalog import Catalog
from jzplan.validate.messages import locate_issue

MARCH = Period(2013, 3)
FILE = "宁郭镇2013年1-3月.xlsx"


def office_frame() -> pd.DataFrame:
    """Two figures as parsed: 实际利用市外资金 written 25840 万元 (canonical 亿元), 社零 in 亿元."""
    return pd.DataFrame(
        {
            "org_unit": ["NGZ", "NGZ"],
            "period": ["2013-03", "2013-03"],
            "indicator": ["external_funds", "retail_sales"],
            "value": [2.584, 3.1],
            "value_month": [0.912, 1.0],
            "unit": ["亿元", "亿元"],
            "raw_unit": ["万元", "亿元"],
            "sheet": ["月报", "月报"],
            "row": [12, 14],
            "column": ["D", "D"],
        }
    )


def history_error(catalog: Catalog) -> SubmissionIssue:
    """The history suite's error as jzplan.validate.messages words it (in 亿元)."""
    frame = office_frame().assign(prev_value=[1.2593, 2.0])
    parsed = ParsedSubmission(path=Path(FILE), sha256="a" * 64, org_unit="NGZ", period=MARCH)
    rule, message = "month_not_ytd_difference", "本月数不等于本年累计减上月累计"
    return locate_issue(parsed, frame, 0, rule, message, IssueSeverity.ERROR, catalog)


def missing(n: int) -> list[SubmissionIssue]:
    return [
        SubmissionIssue("missing_indicator", f"缺少应填指标：指标{i}", FILE,
                        severity=IssueSeverity.WARNING)
        for i in range(n)
    ]  # fmt: skip


HELD = HeldRow(sheet="月报", row=20, column="B", code="unknown_indicator",
               message="指标名称无法识别", name="招商引资（实际到位资金）", unit="万元",
               value="6780", hints=("招商引资到位资金", "招商引资到位资金（省外）"))  # fmt: skip


def test_a_returned_file_lists_its_error_first_in_the_unit_the_office_wrote(
    catalog: Catalog,
) -> None:
    error = history_error(catalog)
    # the history checks quote the figures in the unit the office wrote (万元), not the
    # store's 亿元 (2.584, 1.3247)
    assert "25840 万元" in error.message and "13247 万元" in error.message
    issues = (*missing(15), error)  # as the suites list them: warnings before the error
    f = ReceivedFile(FILE, "a" * 64, MARCH, loaded=False, org_unit="NGZ", period="2013-03",
                     issues=issues, frame=office_frame())  # fmt: skip
    r = render_receipt(f, catalog)
    assert (r.org_unit, r.addressing, r.status) == (
        "NGZ",
        Addressing.CONTENT,
        ReceiptStatus.RETURNED,
    )
    assert r.title == f"【回执】宁郭镇｜{FILE}｜退回"
    body = r.body
    first_error = body.index("工作表「月报」 第 12 行 D 列")
    assert first_error < body.index("15 项应填指标未填") < body.index("改正上述错误后")
    line = body[first_error:].splitlines()[0]
    assert "「实际利用市外资金」，填写 25840 万元" in line
    assert "本月数 9120 万元，上月累计 12593 万元，本月数应为 13247 万元" in line
    assert "2.584" not in body and "亿元" not in body
    assert body.count("缺少应填指标") == 0  # 15 warnings, one line


def test_held_rows_make_the_status_questions_with_the_closest_names(catalog: Catalog) -> None:
    f = ReceivedFile(FILE, "b" * 64, MARCH, loaded=True, org_unit="NGZ", period="2013-03",
                     issues=tuple(missing(2)), questions=(HELD,), frame=office_frame())  # fmt: skip
    r = render_receipt(f, catalog)
    assert r.status == ReceiptStatus.QUESTIONS and r.title.endswith("已接收·有待确认")
    held = r.body.index("#### 待确认：1 行")
    assert held < r.body.index("#### 提示") < r.body.index("回复本回执")
    assert "第 20 行 B 列｜「招商引资（实际到位资金）」，累计 6780 万元：指标名称无法识别" in r.body
    assert "最接近的指标：招商引资到位资金、招商引资到位资金（省外）" in r.body
    assert "2 项应填指标未填" in r.body


def test_a_clean_file_is_accepted_with_nothing_to_do(catalog: Catalog) -> None:
    f = ReceivedFile(FILE, "c" * 64, MARCH, loaded=True, org_unit="NGZ", period="2013-03")
    r = render_receipt(f, catalog)
    assert r.status == ReceiptStatus.ACCEPTED and "**已接收**" in r.body
    assert "#### 错误" not in r.body and "- 无需处理。" in r.body


def test_a_file_for_a_released_month_is_kept_as_a_correction(catalog: Catalog) -> None:
    why = "2013年1-2月的数据已于 2013-03-10 由 张三 审核发布（第1版）：……作为待审核的更正保存"
    f = ReceivedFile(FILE, "f" * 64, MARCH, loaded=True, org_unit="NGZ", period="2013-02",
                     correction=True, notes=(why,))  # fmt: skip
    r = render_receipt(f, catalog)
    assert r.status == ReceiptStatus.CORRECTION
    assert r.title.endswith("｜已接收·作为更正待审核") and f"- {why}" in r.body
    assert "- 无需重新报送：区统计局审核更正、重新开放该月后即采用本文件的数字" in r.body


def test_a_single_warning_keeps_its_location(catalog: Catalog) -> None:
    w = SubmissionIssue("mom_jump", "环比变动过大", FILE, "月报", 14, "D",
                        severity=IssueSeverity.WARNING)  # fmt: skip
    f = ReceivedFile(FILE, "d" * 64, MARCH, loaded=True, org_unit="NGZ", issues=(w, w, w))
    assert "- 3 处环比变动超出本单位正常区间" in render_receipt(f, catalog).body
    f1 = ReceivedFile(FILE, "d" * 64, MARCH, loaded=True, org_unit="NGZ", issues=(w,))
    assert "- 工作表「月报」 第 14 行 D 列：环比变动过大" in render_receipt(f1, catalog).body


@pytest.mark.parametrize(
    ("file", "org_unit", "expected"),
    [
        ("月报.xlsx", "SJZ", ("SJZ", Addressing.CONTENT)),
        ("宁郭镇3月.xlsx", None, ("NGZ", Addressing.FILE_NAME)),
        ("2013-03_YMZ.xls", None, ("YMZ", Addressing.FILE_NAME)),
        ("NGZ-YMZ.xlsx", None, ("JZXQ", Addressing.AREA)),  # two units named: not guessed
        ("unknown.csv", None, ("JZXQ", Addressing.AREA)),
        ("重点工作进展.csv", None, ("JZXQ", Addressing.AREA)),
    ],
)
def test_address(
    catalog: Catalog, file: str, org_unit: str | None, expected: tuple[str, Addressing]
) -> None:
    assert address(file, org_unit, catalog) == expected


def test_a_file_without_a_readable_unit_says_where_it_was_sent(catalog: Catalog) -> None:
    unreadable = SubmissionIssue("unreadable_file", "文件无法读取", "宁郭镇.xlsx")
    by_name = ReceivedFile("宁郭镇.xlsx", "e" * 64, MARCH, loaded=False, issues=(unreadable,))
    r = render_receipt(by_name, catalog)
    assert r.org_unit == "NGZ" and "本回执按文件名送达宁郭镇" in r.body
    assert r.path(Path("/r")) == Path("/r/2013-03/NGZ-宁郭镇.md")
    r2 = render_receipt(ReceivedFile("x.xlsx", "", MARCH, loaded=False), catalog)
    assert r2.org_unit == "JZXQ" and "本回执送区统计局（目标办）" in r2.body
    assert r2.dedup_key.startswith("receipt:2013-03:name:")  # an entry not read: by its name
