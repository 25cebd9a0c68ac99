"""What leaders read, detail by detail (issue 20 item 5): whole things shown whole, ceilings as
控制在…以内 with their margin and chart ticks and targets formatted as the tables."""

from __future__ import annotations

import pandas as pd
import pytest

from jzplan.core.periods import Period
from jzplan.core.states import TargetStatus
from jzplan.reference.catalog import Catalog
from jzplan.reference.display import ceiling_margin, fmt_monthly_pace, fmt_value
from jzplan.reference.plan import Plan
from jzplan.report.data import TargetCourse
from jzplan.report.html import course_figure
from jzplan.report.markdown import row_cells
from jzplan.report.workbook import sheet_rows


def _row(**values: object) -> dict[str, object]:
    return {"status": "on_track", "provisional": False, "note": None, **values}


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (193.47, "个", "193个"),
        (178.53, "个", "179个"),
        (81.4, "家", "81家"),
        (370.83, "人", "371人"),
        (4649.4, "人", "4,649人"),
        (5.53, "‰", "5.53‰"),
        (782.83, "元", "782.83元"),
        (None, "个", "—"),
    ],
)
def test_whole_units_show_whole_numbers(value: float | None, unit: str, shown: str) -> None:
    assert fmt_value(value, unit, unit) == shown


@pytest.mark.parametrize(
    ("pace", "left", "lower", "shown"),
    [
        (1 / 6, 1.0, False, "共需1个"),  # 1 project in 6 months: not 0.17个 a month
        (2 / 6, 2.0, False, "共需2个"),
        (1.0, 6.0, False, "1个"),
        (7 / 6, 7.0, False, "2个"),  # rounded up: 1 a month would not reach it
        (0.0, -3.0, False, "0个"),  # already reached
        (2.5, 15.0, True, "2个"),  # a ceiling's allowance rounds down
        (None, None, False, "—"),
    ],
)
def test_monthly_pace_of_whole_things(
    pace: float | None, left: float | None, lower: bool, shown: str
) -> None:
    assert fmt_monthly_pace(pace, left, "个", "个", lower) == shown


def test_monthly_pace_of_amounts_is_unchanged() -> None:
    assert fmt_monthly_pace(782.8333, 4697.0, "元", "元", False) == "782.83元"


def test_count_row_in_the_table(plan: Plan, catalog: Catalog) -> None:
    """The June demo's 计划实施项目169个 and 苏家作乡引进1亿元以上项目1个 (issue 20)."""
    i02a = row_cells(
        plan.target("I02a"),
        catalog,
        _row(actual=161.0, target_value=169.0, unit="个", completion_pct=95.3, forecast=193.0,
             forecast_low=178.53, forecast_high=207.47, required_monthly=8 / 6),
    )  # fmt: skip
    assert i02a["年末预计"] == "193个（179个～207个）"
    assert i02a["剩余月均需完成"] == "2个"
    sjz = row_cells(
        plan.target("I03-SJZ"),
        catalog,
        _row(actual=0.0, target_value=1.0, unit="个", completion_pct=0.0, forecast=0.0,
             forecast_low=0.0, forecast_high=0.4, required_monthly=1 / 6),
    )  # fmt: skip
    assert sjz["年末预计"] == "0个"  # the range rounds to one value: none shown
    assert sjz["剩余月均需完成"] == "共需1个"


@pytest.mark.parametrize(
    ("actual", "cap", "shown"),
    [(5.3, 6.5, "低于上限1.2个千分点"), (6.8, 6.5, "超出上限0.3个千分点"), (6.5, 6.5, "等于上限")],
)
def test_ceiling_margin(actual: float, cap: float, shown: str) -> None:
    assert ceiling_margin(actual, cap, "‰", "‰") == shown


def test_ceiling_row_shows_its_margin_not_a_completion_rate(plan: Plan, catalog: Catalog) -> None:
    a12 = plan.target("A12")  # 人口自然增长率控制在6.5‰以内
    cells = row_cells(
        a12, catalog, _row(actual=5.504, target_value=6.5, unit="‰", completion_pct=84.7)
    )
    assert cells["目标值"] == "控制在6.5‰以内"
    assert cells["完成率"] == "低于上限1个千分点"  # 0.996 at two decimals
    assert "84.7" not in "".join(cells.values())


def test_ceiling_in_the_workbook(plan: Plan, catalog: Catalog) -> None:
    progress = pd.DataFrame(
        [_row(target_id="A12", actual=5.3, target_value=6.5, unit="‰", completion_pct=81.5)]
    )
    frame = sheet_rows(plan, catalog, Period(2013, 12), "JZXQ", progress, {}, {})
    a12 = frame.set_index("key").loc["A12"]
    assert pd.isna(a12["完成进度%"])
    assert a12["状态"] == "正常（低于上限1.2个千分点）"


def _course(plan: Plan, target_id: str, unit: str, target_value: float) -> TargetCourse:
    return TargetCourse(
        plan.target(target_id), unit, [9000.0], [1800.0] * 12, [None] * 12, target_value,
        None, None, None, TargetStatus.ON_TRACK,
    )  # fmt: skip


def test_chart_ticks_and_target_as_the_tables(plan: Plan) -> None:
    fig = course_figure(_course(plan, "A09", "元", 21955.8))
    y = fig["layout"]["yaxis"]
    assert y["tickformat"] == ",~f"  # 20,000, never 20k
    assert y["hoverformat"] == ",.2~f"
    assert fig["layout"]["separators"] == ".,"
    assert fig["layout"]["annotations"][0]["text"] == "年度目标 21,956元"
    whole = course_figure(_course(plan, "P02", "家", 100.0))
    assert whole["layout"]["yaxis"]["hoverformat"] == ",.0f"
    assert whole["layout"]["annotations"][0]["text"] == "年度目标 100家"
