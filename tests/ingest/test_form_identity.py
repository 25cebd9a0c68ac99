"""A form's period and filing date (填报日期 or 报出日期) as offices write them."""

from __future__ import annotations

import unicodedata
from datetime import date

import openpyxl
import pytest

from jzplan.core.periods import Period
from jzplan.ingest.form_identity import period_from_text
from jzplan.ingest.form_parser import parse_submission
from jzplan.ingest.form_writer import write_form
from tests.ingest.formrows import form_rows
from tests.month.handforms import write_hand_form


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2013年3月", ("2013-03", True)),
        ("2013年1-3月", ("2013-03", True)),
        ("2013年1～3月份", ("2013-03", True)),
        ("2013.03", ("2013-03", True)),
        ("2013/3", ("2013-03", True)),
        ("2013年2-3月", (None, True)),
        ("2013年13月", (None, True)),
        ("三月", (None, False)),
    ],
)
def test_period_from_text(text, expected):
    period, recognised = period_from_text(unicodedata.normalize("NFKC", text))
    assert (None if period is None else str(period), recognised) == expected


def test_报出日期_is_the_filing_date_in_a_hand_written_form(tmp_path, catalog):
    """A form written by hand in another layout: 报出日期 at the bottom beside 填报人."""
    path = write_hand_form(
        tmp_path / "宁郭镇_2013年07月_月报.xlsx", catalog=catalog, unit_code="NGZ",
        period=Period(2013, 7), rows=form_rows(catalog, "NGZ"), filed_on=date(2013, 8, 4),
    )  # fmt: skip
    parsed = parse_submission(path, catalog)
    assert (parsed.org_unit, parsed.period, parsed.filed_by) == ("NGZ", Period(2013, 7), "张三")
    assert parsed.filed_on == date(2013, 8, 4)
    assert not parsed.errors


@pytest.mark.parametrize(
    ("text", "expected", "code"),
    [
        ("报出日期：2013-08-04", date(2013, 8, 4), None),
        ("报出日期：2013年8月4日", date(2013, 8, 4), None),
        ("报出日期：8月4日", None, "bad_date"),
        ("报出日期：2013-02-30", None, "bad_date"),
    ],
)
def test_报出日期_in_the_writers_form(tmp_path, catalog, text, expected, code):
    """The project's form with its 填报日期 cell relabelled 报出日期."""
    path = tmp_path / "宁郭镇_2013年07月_月报.xlsx"
    rows = form_rows(catalog, "NGZ")
    write_form(
        path, catalog=catalog, unit_code="NGZ", period=Period(2013, 7), rows=rows,
        filed_by="王五", filed_on=date(2013, 8, 2),
    )  # fmt: skip
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    assert ws is not None
    (cell,) = [
        c for row in ws.iter_rows() for c in row if str(c.value or "").startswith("填报日期")
    ]
    cell.value = text
    wb.save(path)
    parsed = parse_submission(path, catalog)
    assert parsed.filed_on == expected
    codes = [i.code for i in parsed.issues if i.code == "bad_date"]
    assert codes == ([code] if code else [])
    if code:
        (issue,) = [i for i in parsed.issues if i.code == "bad_date"]
        assert "报出日期" in issue.message and issue.row == cell.row
