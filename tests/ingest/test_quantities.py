"""Numbers and units as offices write them: cells, units, indicator names."""

from __future__ import annotations

import pytest

from jzplan.ingest.quantities import (
    NotANumberError,
    indicator_key,
    parse_number,
    parse_quantity,
    to_canonical,
)
from jzplan.reference.catalog import UnitError


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (1200, 1200.0),
        (12.5, 12.5),
        ("1,234.5", 1234.5),
        ("１２３４", 1234.0),
        (" -3.5 ", -3.5),
        ("—", None),
        ("-", None),
        ("/", None),
        ("无", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_number(cell, expected):
    assert parse_number(cell) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("１２３，４５６．７", (123456.7, None)),
        ("12.5%", (12.5, "%")),
        ("１２．５％", (12.5, "%")),
        ("6.5‰", (6.5, "‰")),
        ("1.2亿", (1.2, "亿")),
        ("3,500万", (3500.0, "万")),
        ("8900元", (8900.0, "元")),
        ("1.2 亿元", (1.2, "亿元")),
        ("△12.5", (-12.5, None)),
        ("空白", (None, None)),
        ("－", (None, None)),
        ("…", (None, None)),
    ],
)
def test_parse_quantity(cell, expected):
    assert parse_quantity(cell) == expected


@pytest.mark.parametrize("cell", ["约1200", "12,5", "1,23,456", "12.3.4", "#DIV/0!", "5公斤", True])
def test_parse_quantity_rejects(cell):
    with pytest.raises(NotANumberError):
        parse_quantity(cell)


@pytest.mark.parametrize(
    ("number", "cell_unit", "row_unit", "canonical", "expected"),
    [
        (1.2, "亿", "万元", "万元", 12000.0),  # 1.2亿 in a 万元 row is 1.2亿元
        (3.5, "万", "元", "元", 35000.0),
        (1.5, "万", "人", "人", 15000.0),
        (2.5, "万", "万美元", "万美元", 2.5),  # 2.5万 in a 万美元 row is 2.5万美元
        (8900.0, "元", "万元", "万元", 0.89),
        (6780.0, None, "万元", "亿元", 0.678),
        (0.65, "%", "%", "‰", 6.5),
    ],
)
def test_to_canonical(number, cell_unit, row_unit, canonical, expected):
    assert to_canonical(number, cell_unit, row_unit, canonical) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("number", "cell_unit", "row_unit", "canonical"),
    [(12.5, "%", "万元", "万元"), (5.0, "万美元", "万元", "万元"), (3.0, "万", "%", "%")],
)
def test_to_canonical_rejects_other_dimensions(number, cell_unit, row_unit, canonical):
    with pytest.raises(UnitError):
        to_canonical(number, cell_unit, row_unit, canonical)


@pytest.mark.parametrize(
    ("raw", "key", "unit"),
    [
        ("其中：规上工业增加值", "规上工业增加值", None),
        ("  规 模 以 上 工 业 增 加 值 （亿元）", "规模以上工业增加值", "亿元"),
        ("（三）固投", "固投", None),
        ("①社零总额", "社零总额", None),
        ("二、招商引资到位资金（省外）", "招商引资到位资金(省外)", None),
        ("500万元以上固定资产投资", "500万元以上固定资产投资", None),
    ],
)
def test_indicator_key(catalog, raw, key, unit):
    assert indicator_key(raw) == (key, unit)
    assert key in catalog.name_index()
