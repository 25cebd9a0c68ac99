"""The catalog over time: validity, renames, lineage, and the located errors of a bad one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog, CatalogError, load_catalog
from tests.reference.changed_catalog import Raw, change_units, changed_catalog, write_catalog


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return load_catalog(changed_catalog(tmp_path_factory.mktemp("catalog")))


def test_the_bundled_catalog_is_valid_always(catalog: Catalog) -> None:
    assert not catalog.changes_over_time
    for period in (Period(2012, 1), Period(2013, 6), Period(2030, 12)):
        assert catalog.reporting_units_in(period) == catalog.reporting_units
        assert catalog.reporters_of("gdp", period) == catalog.reporters_of("gdp")


def test_reporting_units_are_those_valid_in_the_month(changed: Catalog) -> None:
    codes = [u.code for u in changed.reporting_units_in(Period(2013, 12))]
    assert codes == ["SJZ", "NGZ", "YMZ", "LWJ", "WYJ", "WCJ", "DIR"]
    codes = [u.code for u in changed.reporting_units_in(Period(2014, 1))]
    assert codes == ["NGZ", "YMZ", "WCJ", "LWY", "FXJ", "SJJ", "DIR"]
    gdp = [u.code for u in changed.reporters_of("gdp", Period(2014, 6))]
    assert "LWJ" not in gdp and "FXJ" in gdp and len(gdp) == 7


def test_lineage_and_shares_are_read(changed: Catalog) -> None:
    fxj = changed.unit("FXJ").lineage
    assert fxj is not None and fxj.split_from == "YMZ"
    assert (fxj.share("gdp"), fxj.share("fai")) == (0.4, 0.3)
    assert changed.unit("LWJ").lineage is not None
    assert changed.unit("LWJ").lineage.merged_into == "LWY"  # type: ignore[union-attr]
    assert changed.unit("LWJ").validity.text() == "至 2013-12"


def test_a_rename_keeps_the_old_name_as_an_alias(changed: Catalog) -> None:
    index = changed.name_index()
    assert index["项目投入"] == index["重点项目投入"] == "project_input"
    assert changed.indicator("digital_va").validity.covers(Period(2014, 1))
    assert not changed.indicator("digital_va").validity.covers(Period(2013, 12))


def _units_with(**extra: dict[str, Any]) -> Any:
    """An org-unit edit: the 2014 changes, then ``extra`` keys set on the named units."""

    def edit(units: list[Raw]) -> None:
        change_units(units)
        for u in units:
            u.update(extra.get(u["code"], {}))

    return edit


BAD_UNITS = [
    ({"FXJ": {"split_from": "XYZ"}}, "org unit FXJ: split_from unknown unit 'XYZ'"),
    ({"FXJ": {"valid_from": None}}, "org unit FXJ: split_from needs valid_from"),
    ({"FXJ": {"base_share": 1.5}}, "org unit FXJ: base_share 1.5 must be above 0"),
    ({"FXJ": {"base_share": {"no_such": 0.2}}}, "base_share names unknown indicator 'no_such'"),
    ({"LWJ": {"valid_to": None}}, "org unit LWJ: merged_into needs valid_to"),
    ({"LWJ": {"merged_into": "NOPE"}}, "org unit LWJ: merged_into unknown unit 'NOPE'"),
    ({"LWJ": {"valid_to": "2013-06"}}, "merged_into LWY, which is not valid in 2013-07"),
    (
        {"SJJ": {"name": "苏家作乡", "valid_from": "2013-06"}},
        "org units SJZ and SJJ: both named '苏家作乡' with overlapping validity "
        "(至 2013-12 / 2013-06 起)",
    ),
    ({"LWY": {"valid_to": "2013-01"}}, "org unit LWY: valid_to 2013-01 is before valid_from"),
    ({"FXJ": {"valid_from": "2014-13"}}, "org unit FXJ: valid_from '2014-13' is not a month"),
    ({"FXJ": {"base_share": None}}, "org unit FXJ: split_from needs base_share"),
]


@pytest.mark.parametrize(("edit", "message"), BAD_UNITS)
def test_a_bad_history_is_a_located_error(
    tmp_path: Path, edit: dict[str, dict[str, Any]], message: str
) -> None:
    folder = write_catalog(tmp_path, units=_units_with(**edit))
    with pytest.raises(CatalogError) as raised:
        load_catalog(folder)
    assert message in str(raised.value)


def test_splits_from_one_parent_take_at_most_all_of_it(tmp_path: Path) -> None:
    def edit(units: list[Raw]) -> None:
        change_units(units)
        fxj = next(u for u in units if u["code"] == "FXJ")
        units.insert(-1, {**fxj, "code": "FX2", "name": "丰二", "base_share": 0.7})

    with pytest.raises(CatalogError, match=r"FX2: the units split from YMZ in 2014-01 take 1.1"):
        load_catalog(write_catalog(tmp_path, units=edit))


def test_a_renamed_indicator_may_not_take_another_indicators_name(tmp_path: Path) -> None:
    def edit(inds: list[Raw]) -> None:
        for ind in inds:
            if ind["code"] == "project_input":
                ind["renamed_from"] = ["工业总产值"]

    with pytest.raises(CatalogError, match=r"工业总产值.* is used by"):
        load_catalog(write_catalog(tmp_path, indicators=edit))


def test_a_name_may_come_back_once_its_unit_is_gone(tmp_path: Path) -> None:
    """Non-overlapping validity: one name, two units, each found in its own months."""

    def edit(units: list[Raw]) -> None:
        change_units(units)
        for u in units:
            if u["code"] == "SJJ":
                u["name"] = "苏家作乡"

    cat = load_catalog(write_catalog(tmp_path, units=edit))
    assert cat.unit_by_name("苏家作乡", Period(2013, 5)).code == "SJZ"  # type: ignore[union-attr]
    assert cat.unit_by_name("苏家作乡", Period(2014, 5)).code == "SJJ"  # type: ignore[union-attr]
