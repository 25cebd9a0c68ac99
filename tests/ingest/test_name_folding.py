"""Names as offices write them (data/catalog/name_folding.yaml): folded to the catalog's name,
never to another statistic."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from jzplan.ingest.name_folding import distinguishing_qualifiers, name_matcher
from jzplan.ingest.unknown_names import suggest
from jzplan.reference.catalog import Catalog, CatalogError, load_catalog
from tests.conftest import REPO_ROOT

CASES: list[tuple[str, str | None, str | None]] = [
    # (the name cell as written, the indicator it is, the unit the name carries)
    ("招商引资到位资金", "investment_attracted", None),
    ("招商引资（实际到位资金）", "investment_attracted", None),
    ("招商引资（实际到位资金）（万元）", "investment_attracted", "万元"),
    ("招商引资(实际到位资金) (单位：万元)", "investment_attracted", "万元"),
    ("招商引资到位资金（省外）", "investment_attracted_out_of_province", None),
    ("1-3月招商引资到位资金", "investment_attracted", None),
    ("社会消费品零售总额（1-3月）", "retail_sales", None),
    ("社会消费品零售总额（1～3月份累计）", "retail_sales", None),
    ("规上工业增加值累计", "ind_va_above", None),
    ("本年累计规上工业增加值", "ind_va_above", None),
    ("其中：规上工业增加值（亿元）", "ind_va_above", "亿元"),
    ("一、地区生产总值【快报】", "gdp", None),
    ("（一）全社会固定资产投资（本年累计）", "fai", None),
    ("1.社会消费品零售总额（单位：万元）", "retail_sales", "万元"),
    ("（现价）公共财政预算收入（1-3月）", "fiscal_revenue", None),
    ("②国税收入（实际完成）", "national_tax", None),
    # a qualifier that names another statistic, or a different name: unknown
    ("招商引资（省外）", None, None),
    ("招商引资到位资金（省内）", None, None),
    ("农民人均现金收入", None, None),
    ("地区生产总值（2012年）", None, None),  # last year's figure
    ("地区生产总值（增速）", None, None),
    ("社会消费品零售总额（3月）", None, None),  # the month alone
    ("社会消费品零售总额（上年同期）", None, None),
    ("（实际到位资金）", None, None),  # nothing left to be a name
]


@pytest.mark.parametrize(("raw", "code", "unit"), CASES, ids=[c[0] for c in CASES])
def test_name_folds_to_its_indicator_only(catalog: Catalog, raw: str, code, unit) -> None:
    match = name_matcher(catalog).match(raw)
    assert (match.code, match.unit) == (code, unit)


def test_a_distinguishing_qualifier_is_never_neutral(catalog: Catalog) -> None:
    matcher = name_matcher(catalog)
    assert "省外" in distinguishing_qualifiers(matcher.index)
    assert "实际到位资金" not in matcher.distinguishing
    # even listed as neutral by mistake, 省外 never folds 招商引资（省外） into 招商引资到位资金
    careless = dataclasses.replace(
        catalog, neutral_qualifiers=(*catalog.neutral_qualifiers, "省外")
    )
    assert name_matcher(careless).match("招商引资（省外）").code is None
    assert name_matcher(careless).match("招商引资（实际到位资金）").code == "investment_attracted"


def test_unknown_name_hints_the_statistic_it_resembles(catalog: Catalog) -> None:
    matcher = name_matcher(catalog)
    key = matcher.match("农民人均现金收入").key
    assert suggest(key, matcher.index, catalog)[0] == "农民人均纯收入"
    key = matcher.match("招商引资（省外）").key
    assert "招商引资到位资金（省外）" in suggest(key, matcher.index, catalog)


def test_without_the_folding_file_only_numbering_and_units_fold(catalog: Catalog) -> None:
    bare = dataclasses.replace(catalog, neutral_qualifiers=(), period_patterns=())
    matcher = name_matcher(bare)
    assert matcher.match("招商引资（实际到位资金）").code is None
    assert matcher.match("其中：规上工业增加值（亿元）").code == "ind_va_above"


def test_a_bad_period_pattern_stops_the_catalog_loading(tmp_path: Path) -> None:
    for name in ("org_units.yaml", "indicators.yaml"):
        (tmp_path / name).write_bytes((REPO_ROOT / "data" / "catalog" / name).read_bytes())
    (tmp_path / "name_folding.yaml").write_text("period_patterns: ['1-(\\\\d月']\n", "utf-8")
    with pytest.raises(CatalogError, match="bad period pattern"):
        load_catalog(tmp_path)


@pytest.mark.parametrize(
    ("raw", "month", "code"),
    [
        ("1-3月招商引资到位资金", 3, "investment_attracted"),
        ("1-2月招商引资到位资金", 3, None),  # February's figure in a March form
        ("社会消费品零售总额（1-2月）", 3, None),
        ("社会消费品零售总额（1-2月）", 2, "retail_sales"),
        ("社会消费品零售总额（本年累计）", 7, "retail_sales"),  # names no month
    ],
)
def test_a_period_word_must_end_at_the_reports_month(
    catalog: Catalog, raw: str, month: int, code: str | None
) -> None:
    assert name_matcher(catalog).match(raw, month=month).code == code
