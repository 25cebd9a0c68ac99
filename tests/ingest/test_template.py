"""``jzplan template``: the blank standard form (head, foot, 情况说明, protection), its cell
validation, and a copy filled in as an office would round-tripping through the parser."""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from jzplan.cli import main
from jzplan.core.periods import Period
from jzplan.ingest.form_parser import parse_submission
from jzplan.ingest.template import FIRST_DATA_ROW, TemplateError, resolve_unit, write_template
from jzplan.reference.catalog import Catalog
from tests.ingest.corpus import figures

MARCH = Period(2013, 3)


def test_command_writes_the_blank_form(tmp_path: Path, catalog: Catalog, capsys) -> None:
    out = tmp_path / "宁郭镇_2013年03月_月报.xlsx"
    assert main(["template", "--unit", "NGZ", "--period", "2013-03", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)

    ws = openpyxl.load_workbook(out)["月报"]
    reports = catalog.unit("NGZ").reports
    assert ws["A5"].value == "填报单位：宁郭镇" and ws["D5"].value == "报告期：2013年1-3月"
    assert ws["F2"].value == "表号：焦新统月1表" and ws["F3"].value == "制定机关：焦作新区统计局"
    assert ws["F4"].value == "批准文号：—" and ws["F5"].value == "金额单位：见计量单位列"
    assert (ws["D7"].value, ws["E7"].value, ws["H6"].value) == ("本月", "1-3月累计", "情况说明")
    merged = [set(m.cells) for m in ws.merged_cells.ranges]  # no cell in two merges (Excel
    assert sum(map(len, merged)) == len(set().union(*merged))  # would call the file damaged)
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    for i, code in enumerate(reports):
        r = FIRST_DATA_ROW + i
        ind = catalog.indicator(code)
        assert (ws[f"B{r}"].value, ws[f"C{r}"].value) == (ind.name, ind.unit)
        assert ws[f"E{r}"].value is None
        rule = rules[f"D{r}:F{r}"]
        assert rule.type == "custom" and rule.showErrorMessage and ind.unit in rule.prompt
        assert (f"D{r}>=0" in rule.formula1) is (not ind.allows_negative), code
        assert (f"D{r}=INT(D{r})" in rule.formula1) is (ind.unit in ("人", "个")), code
    assert len(rules) == len(reports)

    # the blank form parses: right unit and month, every figure merely not filled in yet
    parsed = parse_submission(out, catalog)
    assert (parsed.org_unit, parsed.period, parsed.errors) == ("NGZ", Period(2013, 3), [])
    assert [i.code for i in parsed.issues] == ["missing_value"] * len(reports)


def test_filled_template_round_trips(tmp_path: Path, catalog: Catalog) -> None:
    out = write_template(tmp_path / "t.xlsx", catalog=catalog, unit="阳庙镇", period=MARCH)
    expected = figures(catalog, "YMZ")
    wb = openpyxl.load_workbook(out)
    ws = wb["月报"]
    for i, code in enumerate(catalog.unit("YMZ").reports):
        ytd, month = expected[code]
        r = FIRST_DATA_ROW + i
        ws[f"D{r}"] = "—" if month is None else month
        ws[f"E{r}"] = ytd
        ws[f"F{r}"] = ytd * 0.9
    last = FIRST_DATA_ROW + len(expected) + 1
    ws[f"G{last}"] = "赵六"  # 填表人
    ws[f"E{last + 1}"] = "2013年4月2日"  # 报出日期, as text
    wb.save(out)

    parsed = parse_submission(out, catalog)
    assert parsed.issues == []
    assert (parsed.org_unit, parsed.period, parsed.filed_by) == ("YMZ", Period(2013, 3), "赵六")
    assert parsed.filed_on == date(2013, 4, 2) and parsed.explanations == {}
    got = {r.indicator: (r.value, r.value_month) for r in parsed.frame.itertuples()}
    assert got.keys() == expected.keys()
    for code, (ytd, month) in expected.items():
        assert got[code][0] == ytd
        assert math.isnan(got[code][1]) if month is None else got[code][1] == month


def test_same_template_same_bytes_and_unknown_unit(tmp_path: Path, catalog: Catalog) -> None:
    a = write_template(tmp_path / "a.xlsx", catalog=catalog, unit="DIR", period=MARCH)
    b = write_template(tmp_path / "b.xlsx", catalog=catalog, unit="dir", period=MARCH)
    assert a.read_bytes() == b.read_bytes()
    with pytest.raises(TemplateError, match="未知的填报单位"):
        resolve_unit(catalog, "武陟县")
    with pytest.raises(TemplateError, match="没有月报表式"):
        resolve_unit(catalog, "JZXQ")
    assert main(["template", "--unit", "武陟县", "--period", "2013-03", "--out", "x.xlsx"]) == 2


def test_the_blank_form_asks_for_the_configured_deadline(catalog: Catalog, tmp_path: Path) -> None:
    """The note says the deadline the deadline check uses (the 5th, 17:00 by default), not the
    3rd the 2013 paper forms said; another setting, another note."""

    def note(path: Path) -> str:
        ws = openpyxl.load_workbook(path).worksheets[0]
        return next(
            str(c.value) for row in ws.iter_rows() for c in row if str(c.value).startswith("注：")
        )

    default = write_template(
        tmp_path / "a.xlsx", catalog=catalog, unit="NGZ", period=Period(2013, 3)
    )
    assert "请于次月5日17时前报送" in note(default)
    other = write_template(
        tmp_path / "b.xlsx", catalog=catalog, unit="NGZ", period=Period(2013, 3), deadline=(3, 9)
    )
    assert "请于次月3日9时前报送" in note(other)


def test_office_fills_head_foot_and_explanation(tmp_path: Path, catalog: Catalog) -> None:
    """Write → fill with openpyxl as an office would → parse: the sheet is locked but for the
    inputs; 报出日期 is the filing date; a 情况说明 is the row's explanation, still shown."""
    out = write_template(tmp_path / "宁郭镇_2013年03月_月报.xlsx", catalog=catalog, unit="NGZ",
                         period=MARCH)  # fmt: skip
    wb = openpyxl.load_workbook(out)
    ws = wb["月报"]
    reports = catalog.unit("NGZ").reports
    last = FIRST_DATA_ROW + len(reports)
    foot, below = last + 1, last + 2  # after a blank row

    # protected, no password; the inputs (and only they) unlocked
    assert ws.protection.sheet and not ws.protection.password
    inputs = {f"{c}{FIRST_DATA_ROW + i}" for i in range(len(reports)) for c in "DEFH"}
    inputs |= {f"C{foot}", f"E{foot}", f"G{foot}", f"C{below}", f"E{below}"}
    unlocked = {
        c.coordinate
        for row in ws.iter_rows()
        for c in row
        if not isinstance(c, openpyxl.cell.cell.MergedCell) and not c.protection.locked
    }
    assert unlocked == inputs
    assert ws[f"A{foot}"].value == "单位负责人：" and ws[f"D{below}"].value == "报出日期："
    labels = {str(c.value) for row in ws.iter_rows() for c in row if c.value}
    assert {"统计负责人：", "填表人：", "联系电话："} <= labels

    expected = figures(catalog, "NGZ")
    for i, code in enumerate(reports):
        ytd, month = expected[code]
        r = FIRST_DATA_ROW + i
        ws[f"D{r}"] = "—" if month is None else month
        ws[f"E{r}"] = ytd
    fai_row = FIRST_DATA_ROW + reports.index("fai")
    ws[f"H{fai_row}"] = "  市重点项目集中开工，投资较上月大幅增加  "
    ws[f"C{foot}"], ws[f"E{foot}"], ws[f"G{foot}"] = "李四", "王五", "赵六"
    ws[f"C{below}"] = "0391-1234567"
    ws[f"E{below}"] = datetime(2013, 4, 3)  # 报出日期, as a date cell
    wb.save(out)

    parsed = parse_submission(out, catalog)
    assert parsed.errors == [] and (parsed.org_unit, parsed.period) == ("NGZ", MARCH)
    assert (parsed.filed_by, parsed.filed_on) == ("赵六", date(2013, 4, 3))
    assert parsed.explanations == {"fai": "市重点项目集中开工，投资较上月大幅增加"}
    (note,) = parsed.issues  # the 情况说明 is a located note, not a remark beside the row
    assert (note.code, note.row, note.column, note.severity) == (
        "row_explanation",
        fai_row,
        "H",
        "warning",
    )
    assert "市重点项目集中开工" in note.message
    assert len(parsed.frame) == len(reports)


def test_the_head_comes_from_the_settings(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("JZPLAN_FORM_NUMBER", "焦新统月2表")
    monkeypatch.setenv("JZPLAN_FORM_APPROVAL", "焦统字〔2013〕1号")
    out = tmp_path / "form.xlsx"
    assert main(["template", "--unit", "NGZ", "--period", "2013-03", "--out", str(out)]) == 0
    ws = openpyxl.load_workbook(out)["月报"]
    assert (ws["F2"].value, ws["F4"].value) == ("表号：焦新统月2表", "批准文号：焦统字〔2013〕1号")
    assert ws["F3"].value == "制定机关：焦作新区统计局"
