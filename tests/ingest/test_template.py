"""``jzplan template``: the blank form, its cell validation, and a filled copy round-tripping."""

from __future__ import annotations

import math
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
    assert ws["A2"].value == "填报单位：宁郭镇" and ws["F2"].value == "报告期：2013年1-3月"
    assert (ws["D5"].value, ws["E5"].value) == ("本月", "1-3月累计")
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
    ws[f"A{last}"] = "填报人：赵六"
    ws[f"E{last}"] = "填报日期：2013年4月2日"
    wb.save(out)

    parsed = parse_submission(out, catalog)
    assert parsed.issues == []
    assert (parsed.org_unit, parsed.period, parsed.filed_by) == ("YMZ", Period(2013, 3), "赵六")
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
