"""A bulk file (many units' figures in one frame): the suites count exactly what the raw
pandas and duckdb floors of bench/validation_floor.py count, ``error_rows`` names every row
that fails an error rule, and the located issues per rule are capped."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from bench.validation_floor import duckdb_checks, pandas_checks
from bench.validation_month import PLANTED, synthetic_catalog, synthetic_month
from jzplan.core.submissions import ParsedSubmission
from jzplan.reference.catalog import Catalog
from jzplan.validate.columns import validation_frame
from jzplan.validate.results import MAX_ISSUES_PER_RULE
from jzplan.validate.validator import FILE_SUITES, SubmissionValidator
from tests.validate.cases import EXPECTATIONS


@pytest.fixture(scope="module")
def national(catalog: Catalog) -> tuple[Catalog, SubmissionValidator]:
    """30 made-up units reporting 100 indicators each."""
    small = synthetic_catalog(catalog, units=30, indicators=100)
    return small, SubmissionValidator(EXPECTATIONS, small)


def test_the_floors_count_what_the_suites_count(
    national: tuple[Catalog, SubmissionValidator],
) -> None:
    small, validator = national
    parsed = synthetic_month(small, validator.rules)
    report = validator.validate(parsed)
    failed = {r.rule: r.failed for r in report.results}
    assert failed == pandas_checks(parsed.frame, small, validator.rules)
    assert failed == duckdb_checks(parsed.frame, small, validator.rules)
    assert {rule for rule, n in failed.items() if n} == set(PLANTED)
    assert [d["suite_name"] for d in report.documents] == list(FILE_SUITES)


def test_a_clean_month_fails_nothing(national: tuple[Catalog, SubmissionValidator]) -> None:
    small, validator = national
    parsed = synthetic_month(small, validator.rules, plant=False)
    report = validator.validate(parsed)
    assert not report.issues and len(report.error_rows) == 0
    assert set(pandas_checks(parsed.frame, small, validator.rules).values()) == {0}


def test_error_rows_are_every_row_failing_an_error_rule(
    national: tuple[Catalog, SubmissionValidator],
) -> None:
    small, validator = national
    parsed = synthetic_month(small, validator.rules)
    report = validator.validate(parsed)
    assert report.error_rows.dtype == np.int64
    # under the cap every failing row is located; synthetic rows are numbered from 2
    located = {i.row - 2 for i in report.errors if i.row is not None}
    assert set(report.error_rows.tolist()) == located
    assert len(located) >= sum(n for rule, n in PLANTED.items() if rule != "not_on_form")
    warned = {i.row - 2 for i in report.warnings if i.row is not None}
    assert [i.code for i in report.warnings] == ["not_on_form"] * 3
    # the unlisted figure is a warning only; the two unknown indicators are errors too
    assert len(warned - located) == 1


def test_an_empty_bulk_file_is_an_error_without_rows(
    national: tuple[Catalog, SubmissionValidator],
) -> None:
    _, validator = national
    parsed = synthetic_month(*national[:1], validator.rules)
    empty = dataclasses.replace(parsed, frame=parsed.frame.iloc[:0])
    report = validator.validate(empty)
    assert [i.code for i in report.errors] == ["empty_submission"]
    assert len(report.error_rows) == 0


def test_issues_per_rule_are_capped_and_counts_stay_exact(
    national: tuple[Catalog, SubmissionValidator],
) -> None:
    small, validator = national
    parsed = synthetic_month(small, validator.rules, plant=False)
    frame = parsed.frame.copy()
    bad = frame.index[frame["indicator"] == frame["indicator"].iloc[0]][:25]
    many = np.concatenate([bad, frame.index[frame["indicator"] == frame["indicator"].iloc[1]]])
    frame.loc[many, "unit"] = "个"  # 60 rows of unit_mismatch
    report = validator.validate(
        ParsedSubmission(parsed.path, parsed.sha256, None, None, frame=frame)
    )
    result = next(r for r in report.results if r.rule == "unit_mismatch")
    assert result.failed == len(many) == 55
    assert list(report.error_rows) == sorted(many.tolist())
    located = [i for i in report.errors if i.code == "unit_mismatch"]
    assert len(located) == len(many)  # under the cap: every row located
    assert located[0].row == int(frame.loc[many[0], "row"]) and located[0].column == "value"


def test_over_the_cap_one_issue_sums_up_the_rest(
    national: tuple[Catalog, SubmissionValidator],
) -> None:
    small, validator = national
    parsed = synthetic_month(small, validator.rules, plant=False)
    frame = parsed.frame.copy()
    frame["unit"] = "个"  # every row of 30 units x 100 indicators
    frame.loc[frame["indicator"] == "x_099", "unit"] = "万元"  # ... but the canonical ones
    report = validator.validate(
        ParsedSubmission(parsed.path, parsed.sha256, None, None, frame=frame)
    )
    result = next(r for r in report.results if r.rule == "unit_mismatch")
    expected = int((frame["unit"] != validation_frame(parsed, small)["expected_unit"]).sum())
    assert result.failed == expected > MAX_ISSUES_PER_RULE
    located = [i for i in report.errors if i.code == "unit_mismatch"]
    assert len(located) == MAX_ISSUES_PER_RULE + 1
    assert located[-1].row is None
    assert f"另有 {expected - MAX_ISSUES_PER_RULE} 行同样的错误" in located[-1].message
    assert len(report.error_rows) == expected
    doc = next(d for d in report.documents if d["suite_name"] == "township_monthly")
    stored = next(
        r["result"]
        for r in doc["results"]
        if r["expectation_config"]["meta"]["code"] == "unit_mismatch"
    )
    assert stored["unexpected_count"] == expected
    assert len(stored["unexpected_index_list"]) == MAX_ISSUES_PER_RULE


def test_validation_frame_of_a_bulk_month_has_one_row_per_figure(
    national: tuple[Catalog, SubmissionValidator],
) -> None:
    small, validator = national
    parsed = synthetic_month(small, validator.rules, plant=False)
    frame = validation_frame(parsed, small, validator.rules)
    assert len(frame) == 30 * 100 - 1  # the last unit's form lacks one indicator
    assert frame["parts_sum"].notna().sum() == 30  # 地方财政收入 of every unit
    assert isinstance(frame.index, pd.RangeIndex)
