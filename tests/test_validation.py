"""The township_monthly suite: every expectation has a file it accepts and one it rejects."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jzplan.catalog import Catalog
from jzplan.submissions import OBSERVATION_COLUMNS, ParsedSubmission
from jzplan.validation import SubmissionValidator, load_suite_dict

ROOT = Path(__file__).resolve().parent.parent
EXPECTATIONS = ROOT / "expectations"


@pytest.fixture(scope="module")
def validator(catalog: Catalog) -> SubmissionValidator:
    return SubmissionValidator(EXPECTATIONS, catalog)


def good_rows() -> list[dict[str, object]]:
    rows = [
        ("gdp", 3.2, 0.7),
        ("ind_va", 2100.0, 400.0),
        ("local_fiscal_revenue", 180.0, 35.0),
        ("registered_population", 32000.0, np.nan),
    ]
    return [
        {
            "org_unit": "NGZ",
            "period": "2013-03",
            "indicator": code,
            "value": v,
            "value_month": m,
            "unit": "",
            "raw_unit": "",
            "sheet": "月报",
            "row": 6 + i,
            "column": "E",
        }
        for i, (code, v, m) in enumerate(rows)
    ]


def submission(rows: list[dict[str, object]]) -> ParsedSubmission:
    frame = pd.DataFrame(rows, columns=list(OBSERVATION_COLUMNS))
    frame["value"] = frame["value"].astype("float64")
    frame["value_month"] = frame["value_month"].astype("float64")
    unit = str(rows[0]["org_unit"]) if rows else "NGZ"
    return ParsedSubmission(
        Path("宁郭镇_2013年03月_月报.xlsx"), "0" * 64, unit, "2013-03", frame=frame
    )


def test_suite_loads_every_expectation(validator: SubmissionValidator) -> None:
    assert validator.expectation_count == len(load_suite_dict(EXPECTATIONS)["expectations"]) == 10


def test_good_submission_passes_every_rule(validator: SubmissionValidator) -> None:
    report = validator.validate(submission(good_rows()))
    assert report.ok and not report.warnings, report.issues
    assert all(r.success for r in report.results)
    assert {r.rule for r in report.results} == {
        e["meta"]["code"]
        for e in json.loads((EXPECTATIONS / "township_monthly.json").read_text())["expectations"]
    }
    checked = {r.rule: r.checked for r in report.results}
    assert checked["negative_value"] == 4  # every row is non-negative-only here


def _set(index: int, **changes: object):  # type: ignore[no-untyped-def]
    def mutate(rows: list[dict[str, object]]) -> list[dict[str, object]]:
        rows[index].update(changes)
        return rows

    return mutate


def _duplicate(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return [*rows, dict(rows[1], row=20)]


@pytest.mark.parametrize(
    ("rule", "mutate", "row", "severity"),
    [
        ("empty_submission", lambda rows: [], None, "error"),
        ("missing_org_unit", _set(2, org_unit=None), 8, "error"),
        ("unknown_org_unit", _set(1, org_unit="XXX"), 7, "error"),
        ("bad_period", _set(0, period="2013-13"), 6, "error"),
        ("unknown_indicator", _set(3, indicator="made_up"), 9, "error"),
        ("not_on_form", _set(1, indicator="exports"), 7, "warning"),
        ("missing_value", _set(2, value=np.nan), 8, "error"),
        ("negative_value", _set(1, value=-5.0), 7, "error"),
        ("duplicate_indicator", _duplicate, 7, "error"),
        ("month_exceeds_ytd", _set(0, value_month=9.9), 6, "error"),
    ],
)
def test_each_rule_rejects_its_defect(
    validator: SubmissionValidator,
    rule: str,
    mutate,
    row: int | None,
    severity: str,  # type: ignore[no-untyped-def]
) -> None:
    report = validator.validate(submission(mutate(good_rows())))
    hits = [i for i in report.issues if i.code == rule]
    assert hits, f"{rule} not raised: {report.issues}"
    assert hits[0].severity == severity
    assert hits[0].file == "宁郭镇_2013年03月_月报.xlsx"
    if row is not None:
        assert row in {i.row for i in hits}
        assert hits[0].sheet == "月报" and hits[0].column == "E"
    result = next(r for r in report.results if r.rule == rule)
    assert not result.success and result.failed >= 1
    assert report.ok == (
        severity == "warning" and all(i.severity == "warning" for i in report.issues)
    )


def test_negative_allowed_where_meaningful(validator: SubmissionValidator) -> None:
    rows = good_rows()
    rows.append(dict(rows[0], indicator="ind_profit_above", value=-0.2, value_month=-0.1, row=10))
    report = validator.validate(submission(rows))
    assert not [i for i in report.issues if i.code in ("negative_value", "month_exceeds_ytd")]


def test_issue_text_names_file_sheet_row_column(validator: SubmissionValidator) -> None:
    report = validator.validate(submission(_set(1, value=-5.0)(good_rows())))
    text = str(next(i for i in report.errors if i.code == "negative_value"))
    assert (
        "宁郭镇_2013年03月_月报.xlsx" in text
        and "月报" in text
        and "第 7 行" in text
        and "E 列" in text
    )
    assert "工业增加值" in text and "[negative_value]" in text
