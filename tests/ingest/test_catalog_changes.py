"""Forms read against a catalog that changed: a renamed indicator's old name still loads, an
indicator or a unit outside its validity is a located finding (written and parsed for real)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest

from jzplan.core.periods import Period
from jzplan.core.states import IssueSeverity
from jzplan.ingest.form_parser import parse_submission
from jzplan.ingest.form_writer import FormRow, write_form
from jzplan.ingest.template import TemplateError, write_template
from jzplan.reference.catalog import Catalog, load_catalog
from tests.ingest.formrows import form_rows
from tests.reference.changed_catalog import (
    RENAMED,
    Raw,
    change_units,
    changed_catalog,
    write_catalog,
)


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return load_catalog(changed_catalog(tmp_path_factory.mktemp("catalog")))


def _form(path: Path, catalog: Catalog, unit: str, period: Period, rows: list[FormRow]) -> Path:
    write_form(
        path, catalog=catalog, unit_code=unit, period=period, rows=rows, filed_by="张三",
        filed_on=date(period.year, period.month, 28),
    )  # fmt: skip
    return path


@pytest.mark.parametrize("period", [Period(2013, 5), Period(2014, 5)])
def test_a_form_with_the_old_name_still_loads(
    tmp_path: Path, catalog: Catalog, changed: Catalog, period: Period
) -> None:
    """A form written with last year's names (项目投入), read with this year's catalog."""
    rows = form_rows(catalog, "NGZ")
    path = _form(tmp_path / "宁郭镇_月报.xlsx", catalog, "NGZ", period, rows)
    parsed = parse_submission(path, changed)
    assert parsed.issues == [] and parsed.period == period
    assert list(parsed.frame["indicator"]) == [r.indicator for r in rows]
    value = parsed.frame.set_index("indicator")["value"]["project_input"]
    assert value == next(r.ytd for r in rows if r.indicator == "project_input")


def test_the_new_name_loads_too(tmp_path: Path, changed: Catalog) -> None:
    rows = form_rows(changed, "NGZ")
    path = _form(tmp_path / "宁郭镇_月报.xlsx", changed, "NGZ", Period(2014, 5), rows)
    parsed = parse_submission(path, changed)
    assert parsed.issues == [] and "project_input" in set(parsed.frame["indicator"])
    assert changed.indicator("project_input").name == RENAMED


def test_an_indicator_outside_its_validity_is_held(tmp_path: Path, changed: Catalog) -> None:
    """数字经济增加值 is valid from 2014-01: in a 2013 form its row is a located finding and
    is held out; in a 2014 form it loads."""
    rows = [*form_rows(changed, "NGZ"), FormRow("digital_va", 12.5, 2.5, None)]
    early = _form(tmp_path / "a.xlsx", changed, "NGZ", Period(2013, 5), rows)
    parsed = parse_submission(early, changed)
    (issue,) = parsed.issues
    assert issue.code == "indicator_not_valid" and issue.severity == IssueSeverity.WARNING
    assert (issue.sheet, issue.row, issue.column) == ("月报", 6 + len(rows) - 1, "B")
    assert "2013-05" in issue.message and "有效期 2014-01 起" in issue.message
    assert "digital_va" not in set(parsed.frame["indicator"])
    assert [q.code for q in parsed.questions] == ["indicator_not_valid"]
    late = _form(tmp_path / "b.xlsx", changed, "NGZ", Period(2014, 5), rows)
    parsed = parse_submission(late, changed)
    assert parsed.issues == [] and "digital_va" in set(parsed.frame["indicator"])


@pytest.mark.parametrize(("unit", "period"), [("LWJ", Period(2014, 2)), ("FXJ", Period(2013, 12))])
def test_a_unit_outside_its_validity_is_rejected(
    tmp_path: Path, changed: Catalog, unit: str, period: Period
) -> None:
    """李万街道 merged away after 2013-12; 丰收街道 exists from 2014-01."""
    path = _form(tmp_path / "x.xlsx", changed, unit, period, form_rows(changed, unit))
    parsed = parse_submission(path, changed)
    errors = [i for i in parsed.issues if i.severity == IssueSeverity.ERROR]
    assert [i.code for i in errors] == ["org_unit_not_valid"]
    assert errors[0].row is not None and str(period) in errors[0].message


def test_a_name_reused_later_is_the_unit_of_the_month(tmp_path: Path) -> None:
    """苏家作乡 (SJZ) until 2013-12, then a new unit of the same name (SJJ): each month's form
    is read as the unit valid in it."""

    def edit(units: list[Raw]) -> None:
        change_units(units)
        next(u for u in units if u["code"] == "SJJ")["name"] = "苏家作乡"

    cat = load_catalog(write_catalog(tmp_path / "catalog", units=edit))
    for period, code in ((Period(2013, 12), "SJZ"), (Period(2014, 1), "SJJ")):
        path = _form(tmp_path / f"{period}.xlsx", cat, code, period, form_rows(cat, code))
        parsed = parse_submission(path, cat)
        assert parsed.issues == [] and parsed.org_unit == code


def test_the_blank_form_lists_the_indicators_of_its_month(tmp_path: Path, changed: Catalog) -> None:
    """DIR's template of 2013 leaves out 数字经济增加值 (valid from 2014-01); of 2014 has it."""

    def rows_of(period: Period) -> list[object]:
        path = write_template(
            tmp_path / f"{period}.xlsx", catalog=changed, unit="DIR", period=period
        )
        sheet = openpyxl.load_workbook(path)["月报"]
        return [row[0] for row in sheet.iter_rows(min_col=2, max_col=2, values_only=True)]

    assert "数字经济增加值" not in rows_of(Period(2013, 5))
    assert "社会消费品零售总额" in rows_of(Period(2013, 5))
    assert "数字经济增加值" in rows_of(Period(2014, 5))
    with pytest.raises(TemplateError, match="李万街道在 2014-05 不在单位目录的有效期内"):
        write_template(tmp_path / "x.xlsx", catalog=changed, unit="LWJ", period=Period(2014, 5))
