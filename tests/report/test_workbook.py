"""The monthly Excel workbook: written from the demo store and read back with openpyxl, every
figure checked against the stored progress and facts; the row builder on hand-made frames."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import Engine

from jzplan.core.periods import Period
from jzplan.core.states import TARGET_STATUS_LABELS
from jzplan.reference.catalog import Catalog, convert
from jzplan.reference.display import ceiling_margin
from jzplan.reference.plan import Plan, Target, TargetKind
from jzplan.report.workbook import build_workbook, sheet_rows, write_workbook
from jzplan.store.progress import read_progress
from jzplan.track.aggregate import Fact
from jzplan.track.history import month_facts

SHEETS = ["焦作新区", "苏家作乡", "宁郭镇", "阳庙镇", "李万街道", "文苑街道", "文昌街道"]
HEADER = ["指标", "单位", "年度目标", "累计", "完成进度%", "时间进度%", "同比增长%", "状态", "备注"]
FIGURE_KINDS = ("level", "growth", "ceiling", "count", "ratio", "ranking")
WHOLE = {"个", "家", "所", "条", "人", "位", "名"}
PERIODS = ("2013-01", "2013-06", "2013-12")
HEADING = re.compile(r"^[一二三四五六七八九十]、")


@pytest.fixture(scope="module")
def books(
    demo_year: Engine, plan: Plan, catalog: Catalog, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, openpyxl.Workbook]:
    out = {}
    folder = tmp_path_factory.mktemp("workbooks")
    for name in PERIODS:
        path = write_workbook(demo_year, plan, catalog, Period.parse(name), folder / f"{name}.xlsx")
        assert path == folder / f"{name}.xlsx"
        out[name] = openpyxl.load_workbook(path)
    return out


def data_rows(ws: Worksheet) -> Iterator[tuple[int, tuple[object, ...]]]:
    """Row number and values of every row below the header, group headings left out."""
    for r, values in enumerate(ws.iter_rows(min_row=3, values_only=True), start=3):
        if isinstance(values[0], str) and HEADING.match(values[0]) and not any(values[1:]):
            continue
        yield r, values


def absent(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def near(value: float | None) -> object:
    return None if value is None else pytest.approx(value, rel=1e-9, abs=1e-9)


def yoy(now: Fact | None, last: Fact | None) -> float | None:
    if now is None or last is None or last.value <= 0:
        return None
    return (now.value / last.value - 1) * 100


def test_sheets_in_catalog_order_without_the_direct_unit(
    books: dict[str, openpyxl.Workbook],
) -> None:
    for wb in books.values():
        assert wb.sheetnames == SHEETS


@pytest.mark.parametrize(
    ("period", "span"), [("2013-01", "1月"), ("2013-06", "1-6月"), ("2013-12", "1-12月")]
)
def test_title_header_and_frozen_panes(
    books: dict[str, openpyxl.Workbook], period: str, span: str
) -> None:
    for name in SHEETS:
        ws = books[period][name]
        assert ws["A1"].value == f"{name}2013年{span}主要指标完成情况"
        assert [str(r) for r in ws.merged_cells.ranges] == ["A1:I1"]
        header = [c.value for c in ws[2]]
        assert header == [f"{span}累计" if h == "累计" else h for h in HEADER]
        assert all(c.font.bold and c.fill.fgColor.rgb.endswith("DDEBF7") for c in ws[2])
        assert ws.freeze_panes == "B3"
        assert ws.column_dimensions["A"].width > ws.column_dimensions["B"].width


@pytest.mark.parametrize("period", ["2013-06", "2013-12"])
def test_target_rows_match_the_store(
    books: dict[str, openpyxl.Workbook],
    demo_year: Engine,
    plan: Plan,
    catalog: Catalog,
    period: str,
) -> None:
    p = Period.parse(period)
    progress = {r["target_id"]: r for r in read_progress(demo_year, period).to_dict("records")}
    now = month_facts(demo_year, p)
    last = month_facts(demo_year, Period(2012, p.month))
    checked = 0
    for unit in (catalog.area, *(u for u in catalog.units if u.kind != "直报")):
        rows = list(data_rows(books[period][unit.name]))
        targets = [t for t in plan.targets if t.scope == unit.code]
        assert len(rows) >= len(targets)
        for (_, cells), t in zip(rows, targets, strict=False):
            label, unit_cell, goal, ytd, done, time, growth, status, _ = cells
            row = progress[t.id]
            assert label == t.label
            want_status = TARGET_STATUS_LABELS[row["status"]] + (
                "（暂）" if row["provisional"] else ""
            )
            ceiling = t.kind == "ceiling"  # 控制在…以内: its margin, not a completion rate
            if ceiling:
                margin = ceiling_margin(row["actual"], row["target_value"], row["unit"], t.unit)
                want_status += f"（{margin}）"
            assert status == want_status
            if t.kind not in FIGURE_KINDS or t.indicator is None:
                assert (unit_cell, goal, ytd, done, time, growth) == (None,) * 6
                continue
            indicator = catalog.indicator(t.indicator)
            shown = indicator.unit if t.kind == "growth" else t.unit
            assert shown is not None
            assert unit_cell == shown
            assert goal == near(convert(row["target_value"], row["unit"], shown))
            assert ytd == near(convert(row["actual"], row["unit"], shown))
            no_done = ceiling or absent(row["completion_pct"])
            assert done == (None if no_done else near(row["completion_pct"]))
            flows = indicator.measure in ("flow", "per_capita") and t.kind != "ranking"
            assert time == (p.month / 12 * 100 if flows else None)
            key = (t.scope, t.indicator)
            no_growth = indicator.measure == "rate" or t.kind == "ranking"
            assert growth == (None if no_growth else near(yoy(now.get(key), last.get(key))))
            checked += 1
    assert checked == 79  # every quantitative target of the plan, on its unit's sheet


def test_figures_in_the_plans_units(books: dict[str, openpyxl.Workbook]) -> None:
    """Values read off the demo: 亿元 where the store holds 万元, places for a ranking."""
    rows = {cells[0]: cells for _, cells in data_rows(books["2013-12"]["焦作新区"])}
    assert rows["公共财政预算收入6.5亿元"][1:5] == ("亿元", 6.5, pytest.approx(6.695), 103.0)
    assert rows["公共财政预算收入翻一番"][1:4] == ("万元", 100200, 66950)
    assert rows["对外贸易出口总额4200万美元"][1:5] == ("万美元", 4200, 3276, 78.0)
    assert rows["进入全省产业集聚区前十快"][1:8] == ("位", 10, 8, None, None, None, "已完成")
    assert rows["建成国家高新区"][1:8] == (None, None, None, None, None, None, "已逾期")
    # a growth target: 年度目标 is the level the growth implies
    income = rows["城镇居民人均可支配收入实际增长15%"]
    assert income[1:4] == ("元", pytest.approx(21955.8), 22066)
    assert income[5] == 100.0


def test_time_progress_is_half_in_june(books: dict[str, openpyxl.Workbook]) -> None:
    rows = {cells[0]: cells for _, cells in data_rows(books["2013-06"]["焦作新区"])}
    assert rows["全社会固定资产投资96.2亿元"][5] == 50.0
    assert rows["农民人均纯收入实际增长15%"][5] == 50.0
    assert rows["规模以上企业总数突破100家"][5] is None  # a stock: no time progress
    assert rows["人口自然增长率控制在6.5‰以内"][5:7] == (None, None)  # a rate: neither


@pytest.mark.parametrize("period", ["2013-06", "2013-12"])
def test_township_form_indicators_without_a_target(
    books: dict[str, openpyxl.Workbook],
    demo_year: Engine,
    plan: Plan,
    catalog: Catalog,
    period: str,
) -> None:
    p = Period.parse(period)
    now = month_facts(demo_year, p)
    last = month_facts(demo_year, Period(2012, p.month))
    for unit in catalog.units:
        if unit.kind not in ("乡", "镇", "街道"):
            continue
        targets = [t for t in plan.targets if t.scope == unit.code]
        covered = {t.indicator for t in targets if t.kind in FIGURE_KINDS}
        codes = [c for c in unit.reports if c not in covered]
        rows = [cells for _, cells in data_rows(books[period][unit.name])][len(targets) :]
        assert [r[0] for r in rows] == [catalog.indicator(c).name for c in codes]
        for code, (_, unit_cell, goal, ytd, done, time, growth, status, remark) in zip(
            codes, rows, strict=True
        ):
            key = (unit.code, code)
            assert unit_cell == catalog.indicator(code).unit
            assert (goal, done, time, status, remark) == (None, None, None, None, None)
            assert ytd == near(now[key].value)
            assert growth == near(yoy(now[key], last.get(key)))


def test_growth_of_some_indicators(books: dict[str, openpyxl.Workbook], demo_year: Engine) -> None:
    now = month_facts(demo_year, Period(2013, 6))
    last = month_facts(demo_year, Period(2012, 6))

    def growth(unit: str, indicator: str) -> float:
        return (now[(unit, indicator)].value / last[(unit, indicator)].value - 1) * 100

    book = books["2013-06"]
    area = {cells[0]: cells[6] for _, cells in data_rows(book["焦作新区"])}
    assert area["规模以上工业增加值55亿元"] == pytest.approx(growth("JZXQ", "ind_va_above"))
    assert area["对外贸易出口总额4200万美元"] == pytest.approx(growth("JZXQ", "exports"))
    ngz = {cells[0]: cells[6] for _, cells in data_rows(book["宁郭镇"])}
    assert ngz["地区生产总值10.4亿元"] == pytest.approx(growth("NGZ", "gdp"))
    assert ngz["国税收入"] == pytest.approx(growth("NGZ", "national_tax"))
    assert ngz["死亡人口"] == pytest.approx(growth("NGZ", "deaths"))
    assert ngz["死亡人口"] != pytest.approx(growth("SJZ", "deaths"))


@pytest.mark.parametrize("period", PERIODS)
def test_number_formats(books: dict[str, openpyxl.Workbook], period: str) -> None:
    formats: set[tuple[str, str]] = set()
    for ws in books[period].worksheets:
        for r, cells in data_rows(ws):
            unit = cells[1]
            if unit is None:
                continue
            amount = "#,##0" if unit in WHOLE else "#,##0.00"
            for col in "CD":
                assert ws[f"{col}{r}"].number_format == amount
                formats.add((str(unit), amount))
            for col in "EFG":
                assert ws[f"{col}{r}"].number_format == "0.0"
            for col in "CDEFG":
                value = ws[f"{col}{r}"].value
                assert value is None or isinstance(value, int | float), (ws.title, r, value)
    assert ("亿元", "#,##0.00") in formats
    assert ("个", "#,##0") in formats


def test_missing_figures_are_blank_cells(books: dict[str, openpyxl.Workbook]) -> None:
    """January: the rankings have no place yet; milestones have no figure."""
    rows = {cells[0]: cells for _, cells in data_rows(books["2013-01"]["焦作新区"])}
    assert rows["进入全省产业集聚区前十快"][1:8] == ("位", 10, None, None, None, None, "无数据")
    assert rows["建成国家级孵化器"][1:8] == (None, None, None, None, None, None, "待报送")
    assert rows["全社会固定资产投资96.2亿元"][5] == pytest.approx(100 / 12)


@pytest.mark.parametrize("period", PERIODS)
def test_status_cells_are_coloured(books: dict[str, openpyxl.Workbook], period: str) -> None:
    red, amber, green, grey = "FFC7CE", "FFEB9C", "C6EFCE", "EDEDED"
    want = {"已完成": green, "正常": green, "预警": amber, "滞后": red, "未完成": red,
            "已逾期": red, "待报送": grey, "无数据": grey}  # fmt: skip
    seen = set()
    for ws in books[period].worksheets:
        for r, cells in data_rows(ws):
            if cells[7] is not None:
                label = str(cells[7]).split("（")[0]  # a ceiling's margin in brackets
                assert ws[f"H{r}"].fill.fgColor.rgb[-6:] == want[label], (ws.title, r)
                seen.add(label)
    assert len(seen) >= 3


def test_status_colours_cover_every_status(books: dict[str, openpyxl.Workbook]) -> None:
    seen = {
        str(c[7]).split("（")[0]
        for p in PERIODS
        for ws in books[p].worksheets
        for _, c in data_rows(ws)
    }
    assert {"已完成", "正常", "预警", "滞后", "未完成", "已逾期", "待报送", "无数据"} <= seen


def test_rows_per_sheet_in_december(books: dict[str, openpyxl.Workbook], plan: Plan) -> None:
    counts = {ws.title: sum(1 for _ in data_rows(ws)) for ws in books["2013-12"].worksheets}
    area_targets = sum(1 for t in plan.targets if t.scope == "JZXQ")
    assert counts["焦作新区"] == area_targets == 98
    # 宁郭镇: 1 + 5 targets; its form has 20 indicators, 6 of them shown by a target
    assert counts["宁郭镇"] == 6 + 14


# --- the row builder on hand-made frames -----------------------------------------------------


def _target(
    id: str,
    kind: TargetKind,
    indicator: str | None = None,
    value: float | None = None,
    unit: str | None = None,
) -> Target:
    return Target(
        id=id, year=2013, group="乡镇街道目标", scope="NGZ", kind=kind, label=id, source="",
        indicator=indicator, value=value, unit=unit,
    )  # fmt: skip


HAND_PLAN = Plan(
    year=2013,
    targets=(
        _target("财政收入1亿元", "level", indicator="local_fiscal_revenue", value=1.0, unit="亿元"),
        _target("地区生产总值10亿元", "level", indicator="gdp", value=10.0, unit="亿元"),
        _target(
            "农民人均纯收入增长10%", "growth", indicator="rural_net_income", value=10.0, unit="%"
        ),
        _target("建成一所学校", "milestone"),
    ),
    baselines=(),
)


def _progress() -> pd.DataFrame:
    nan = float("nan")
    rows = [
        ("财政收入1亿元", 2500.0, 10000.0, "万元", 25.0, "on_track", True),
        ("地区生产总值10亿元", nan, 1e1, "亿元", nan, "no_data", False),
        ("农民人均纯收入增长10%", 2000.0, 8800.0, "元", 22.7, "behind", False),
        ("建成一所学校", nan, nan, None, nan, "pending", False),
    ]
    columns = [
        "target_id",
        "actual",
        "target_value",
        "unit",
        "completion_pct",
        "status",
        "provisional",
    ]
    return pd.DataFrame(rows, columns=columns)


def test_row_builder_on_hand_made_frames(catalog: Catalog) -> None:
    now = {
        ("NGZ", "local_fiscal_revenue"): Fact(2500.0),
        ("NGZ", "rural_net_income"): Fact(2000.0),
        ("NGZ", "national_tax"): Fact(300.0),
        ("NGZ", "births"): Fact(40.0),
    }
    last = {
        ("NGZ", "local_fiscal_revenue"): Fact(2000.0),
        ("NGZ", "national_tax"): Fact(0.0),
        ("NGZ", "births"): Fact(50.0),
    }
    frame = sheet_rows(HAND_PLAN, catalog, Period(2013, 3), "NGZ", _progress(), now, last)
    assert list(frame.columns[:8]) == [
        "指标", "单位", "年度目标", "1-3月累计", "完成进度%", "时间进度%", "同比增长%", "状态",
    ]  # fmt: skip
    by_key = frame.set_index("key")
    assert frame["row_kind"].tolist()[:5] == ["group", "target", "target", "target", "target"]
    assert frame.loc[0, "指标"] == "一、乡镇街道目标"

    revenue = by_key.loc["财政收入1亿元"]
    assert revenue["单位"] == "亿元"
    assert revenue["年度目标"] == pytest.approx(1.0)
    assert revenue["1-3月累计"] == pytest.approx(0.25)
    assert revenue["时间进度%"] == pytest.approx(25.0)
    assert revenue["同比增长%"] == pytest.approx(25.0)
    assert revenue["状态"] == "正常（暂）"
    assert revenue["status"] == "on_track"

    gdp = by_key.loc["地区生产总值10亿元"]  # evaluated without a figure: blank, not 0
    assert gdp["年度目标"] == pytest.approx(10.0)
    assert pd.isna(gdp["1-3月累计"]) and pd.isna(gdp["完成进度%"])
    assert pd.isna(gdp["同比增长%"])
    assert gdp["状态"] == "无数据"

    income = by_key.loc["农民人均纯收入增长10%"]  # the growth's level, in the indicator's unit
    assert (income["单位"], income["年度目标"], income["1-3月累计"]) == ("元", 8800.0, 2000.0)
    assert pd.isna(income["同比增长%"])  # no figure last year

    school = by_key.loc["建成一所学校"]
    assert school[["年度目标", "1-3月累计", "完成进度%", "时间进度%"]].isna().all()
    assert school["状态"] == "待报送"

    # then the form's other indicators, under their own heading, figures only
    others = frame[frame["row_kind"] == "indicator"]
    assert frame.loc[others.index[0] - 1, "指标"] == "二、其他月报指标"
    assert "local_fiscal_revenue" not in set(others["key"])
    assert "gdp" not in set(others["key"])  # shown by its target, though without a figure
    tax = by_key.loc["national_tax"]
    assert (tax["指标"], tax["单位"], tax["1-3月累计"]) == ("国税收入", "万元", 300.0)
    assert pd.isna(tax["同比增长%"])  # last year's figure is 0
    assert by_key.loc["births"]["同比增长%"] == pytest.approx(-20.0)
    assert pd.isna(by_key.loc["deaths"]["1-3月累计"])  # on the form, not reported
    assert others[["年度目标", "完成进度%", "时间进度%"]].isna().all().all()

    # written out, a missing figure is an empty cell
    ws = build_workbook({"宁郭镇": frame}, Period(2013, 3))["宁郭镇"]
    written = {row[0]: row for row in ws.iter_rows(min_row=3, values_only=True)}
    assert written["地区生产总值10亿元"][1:] == ("亿元", 10, None, None, 25, None, "无数据", None)
    assert written["国税收入"][2:] == (None, 300, None, None, None, None, None)


def test_area_sheet_has_no_form_rows(catalog: Catalog) -> None:
    frame = sheet_rows(HAND_PLAN, catalog, Period(2013, 3), "JZXQ", _progress(), {}, {})
    assert frame.empty


def _check_print_setup(ws: Worksheet, title: str, repeated: str) -> None:
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert (int(ws.page_setup.fitToWidth), int(ws.page_setup.fitToHeight)) == (1, 0)
    assert ws.print_title_rows == repeated
    assert ws.oddHeader.center.text == title
    assert ws.oddFooter.center.text == "第 &P 页/共 &N 页"  # Excel's page and page count
    margins = ws.page_margins
    assert 0.5 <= margins.left == margins.right <= 1 and margins.top > margins.header > 0
    assert ws.print_options.horizontalCentered is True


@pytest.mark.parametrize("period", PERIODS)
def test_every_sheet_prints_a4_landscape_one_page_wide(
    books: dict[str, openpyxl.Workbook], period: str
) -> None:
    """Read back from the saved file: A4 landscape, fitted to one page wide (any number of
    pages down), the title and column header rows repeated, the title in the page header."""
    for name in SHEETS:
        ws = books[period][name]
        _check_print_setup(ws, str(ws["A1"].value), "$1:$2")


def test_change_sheet_prints_too(tmp_path: Path) -> None:
    from jzplan.report.versions_diff import CHANGES_TITLE, VersionHeader

    version = VersionHeader(heading="正式（第2版）", note="更正 & 复核", changes=[])
    wb = build_workbook({}, Period(2013, 6), version=version)
    path = tmp_path / "v2.xlsx"
    wb.save(path)
    ws = openpyxl.load_workbook(path)[CHANGES_TITLE]
    _check_print_setup(ws, "正式（第2版）", "$1:$1")
