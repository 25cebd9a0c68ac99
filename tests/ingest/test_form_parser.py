"""The monthly form: write → parse round trips, and one defective copy per error code."""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Callable
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from jzplan.core.periods import Period
from jzplan.core.submissions import OBSERVATION_COLUMNS
from jzplan.ingest.form_parser import parse_submission
from jzplan.ingest.form_writer import FormRow, write_form
from jzplan.reference.catalog import Catalog, load_catalog
from tests.ingest.formrows import form_rows

CATALOG_DIR = Path(__file__).resolve().parents[2] / "data" / "catalog"
FIRST_DATA_ROW = 6


def _file_name(catalog: Catalog, unit_code: str, period: Period) -> str:
    name = "新区直报" if unit_code == "DIR" else catalog.unit(unit_code).name
    return f"{name}_{period.year}年{period.month:02d}月_月报.xlsx"


@pytest.mark.parametrize(
    ("unit_code", "period", "units"),
    [
        ("NGZ", Period(2013, 5), None),
        ("YMZ", Period(2013, 1), {"ind_va": "亿元"}),
        ("WCJ", Period(2012, 12), {"profit_tax": "亿元", "gdp": "万元"}),
        ("DIR", Period(2013, 11), {"fiscal_revenue": "亿元"}),
        ("SJZ", Period(2013, 8), {"ind_output": "亿元"}),
    ],
)
def test_round_trip(tmp_path, catalog, unit_code, period, units):
    rows = form_rows(catalog, unit_code, seed=1.0 + period.month / 10)
    path = tmp_path / _file_name(catalog, unit_code, period)
    write_form(
        path,
        catalog=catalog,
        unit_code=unit_code,
        period=period,
        rows=rows,
        filed_by="张三",
        filed_on=date(2013, 6, 3),
        units=units,
    )
    parsed = parse_submission(path, catalog)

    assert parsed.issues == []
    assert parsed.org_unit == unit_code
    assert parsed.period == period
    assert parsed.filed_by == "张三"
    assert parsed.filed_on == date(2013, 6, 3)
    assert parsed.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    frame = parsed.frame
    assert tuple(frame.columns) == OBSERVATION_COLUMNS
    assert str(frame["value"].dtype) == "float64"
    assert str(frame["value_month"].dtype) == "float64"
    assert list(frame["indicator"]) == [r.indicator for r in rows]
    for row, (_, obs) in zip(rows, frame.iterrows(), strict=True):
        assert math.isclose(obs["value"], row.ytd, rel_tol=1e-9, abs_tol=1e-9)
        if row.month is None:
            assert math.isnan(obs["value_month"])
        else:
            assert math.isclose(obs["value_month"], row.month, rel_tol=1e-9)
        assert obs["unit"] == catalog.indicator(row.indicator).unit
        assert obs["column"] == "E"
        assert obs["sheet"] == "月报"
    assert list(frame["row"]) == list(range(FIRST_DATA_ROW, FIRST_DATA_ROW + len(rows)))
    overridden = frame[frame["indicator"].isin(list(units or {}))]
    assert all(overridden["raw_unit"] == [units[c] for c in overridden["indicator"]])


# --- defective copies -------------------------------------------------------------------


def _set_cell(cell: str, value: object) -> Callable[[Path], None]:
    def edit(path: Path) -> None:
        wb = openpyxl.load_workbook(path)
        wb.active[cell] = value
        wb.save(path)

    return edit


def _garbage(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")


NGZ_ROW = {
    code: FIRST_DATA_ROW + i for i, code in enumerate(load_catalog(CATALOG_DIR).unit("NGZ").reports)
}
MAY = "宁郭镇_2013年05月_月报.xlsx"


def _replace(rows: list[FormRow], code: str, **changes: object) -> list[FormRow]:
    return [dataclasses.replace(r, **changes) if r.indicator == code else r for r in rows]


CASES = [
    # (id, file name, rows transform, post-edit, expected code, severity, row, column); a
    # finding confined to one row holds it (a warning, expectations/findings.yaml)
    (
        "text_in_number",
        MAY,
        lambda rows: _replace(rows, "ind_va", raw="约1200"),
        None,
        "not_a_number",
        "warning",
        NGZ_ROW["ind_va"],
        "E",
    ),
    (
        "unknown_indicator",
        MAY,
        None,
        _set_cell(f"B{NGZ_ROW['retail_sales']}", "社会消费品零售总頟"),
        "unknown_indicator",
        "warning",
        NGZ_ROW["retail_sales"],
        "B",
    ),
    (
        "bad_unit",
        MAY,
        None,
        _set_cell(f"C{NGZ_ROW['fai']}", "公斤"),
        "bad_unit",
        "warning",
        NGZ_ROW["fai"],
        "C",
    ),
    (
        "duplicate_row",
        MAY,
        lambda rows: [*rows, rows[0]],
        None,
        "duplicate_indicator",
        "warning",
        FIRST_DATA_ROW + len(NGZ_ROW),
        "B",
    ),
    ("missing_header", MAY, None, _set_cell("B4", "名称"), "missing_header", "error", None, None),
    (
        "period_mismatch",
        "宁郭镇_2013年04月_月报.xlsx",
        None,
        None,
        "period_mismatch",
        "error",
        2,
        "F",
    ),
    (
        "org_unit_mismatch",
        "苏家作乡_2013年05月_月报.xlsx",
        None,
        None,
        "org_unit_mismatch",
        "error",
        2,
        "A",
    ),
    (
        "empty_marker",
        MAY,
        lambda rows: _replace(rows, "births", raw="—"),
        None,
        "missing_value",
        "warning",
        NGZ_ROW["births"],
        "E",
    ),
    ("garbage", MAY, None, _garbage, "unreadable_file", "error", None, None),
    (
        "unsupported_format",
        "宁郭镇_2013年05月_月报.pdf",
        None,
        None,
        "unsupported_format",
        "error",
        None,
        None,
    ),
]


@pytest.mark.parametrize(
    ("file_name", "transform", "edit", "code", "severity", "row", "column"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_defective_form(tmp_path, catalog, file_name, transform, edit, code, severity, row, column):
    rows = form_rows(catalog, "NGZ")
    if transform is not None:
        rows = transform(rows)
    path = tmp_path / file_name
    write_form(
        path,
        catalog=catalog,
        unit_code="NGZ",
        period=Period(2013, 5),
        rows=rows,
        filed_by="王五",
        filed_on=date(2013, 6, 3),
    )
    if edit is not None:
        edit(path)

    parsed = parse_submission(path, catalog)

    # a row whose name is not recognised also leaves its indicator missing (a warning)
    located = [(i.code, i.severity, i.row, i.column) for i in parsed.issues]
    expected_missing = 1 if code == "unknown_indicator" else 0
    assert [x for x in located if x[0] != "missing_indicator"] == [(code, severity, row, column)]
    assert len(located) == 1 + expected_missing
    assert all(i.message for i in parsed.issues)
    if code == "unknown_indicator":
        assert "社会消费品零售总额" in parsed.issues[0].message
    if severity == "warning":
        assert parsed.ok
        assert len(parsed.frame) == len(rows) - 1
        # a row-confined finding holds its row as a question, located where the finding is
        held = [(q.code, q.row, q.column) for q in parsed.questions]
        assert held == ([] if code == "missing_value" else [(code, row, column)])
    else:
        assert not parsed.ok


def test_missing_indicator_is_a_warning(tmp_path, catalog):
    rows = [r for r in form_rows(catalog, "NGZ") if r.indicator != "deaths"]
    path = tmp_path / MAY
    write_form(
        path,
        catalog=catalog,
        unit_code="NGZ",
        period=Period(2013, 5),
        rows=rows,
        filed_by="王五",
        filed_on=date(2013, 6, 3),
    )
    parsed = parse_submission(path, catalog)
    assert [(i.code, i.severity) for i in parsed.issues] == [("missing_indicator", "warning")]
    assert "死亡人口" in parsed.issues[0].message


@pytest.mark.parametrize(
    ("label", "expected"),
    [("2013年5月", "2013-05"), ("2013年1-5月", "2013-05"), ("2013年05月", "2013-05")],
)
def test_period_label_forms(tmp_path, catalog, label, expected):
    path = tmp_path / "form.xlsx"
    write_form(
        path,
        catalog=catalog,
        unit_code="NGZ",
        period=Period(2013, 5),
        rows=form_rows(catalog, "NGZ"),
        filed_by="王五",
        filed_on=date(2013, 6, 3),
    )
    _set_cell("F2", f"报告期：{label}")(path)
    _set_cell(f"E{FIRST_DATA_ROW + len(NGZ_ROW) + 1}", "填报日期：2013-06-03")(path)
    parsed = parse_submission(path, catalog)
    assert parsed.period == Period.parse(expected)
    assert parsed.filed_on == date(2013, 6, 3)
