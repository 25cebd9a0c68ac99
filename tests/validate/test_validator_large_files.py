"""A large file is validated one expectation at a time on narrow batches, its text columns as
categoricals; a small one a suite at a time on the whole frame. Both ways give the same
report: every count, located issue and error row, on every defect case and a bulk month."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

import jzplan.validate.validator as validation
from bench.validation_month import synthetic_catalog, synthetic_month
from jzplan.core.submissions import ParsedSubmission
from jzplan.reference.catalog import Catalog
from jzplan.validate.results import ValidationReport
from jzplan.validate.validator import SubmissionValidator
from tests.validate.cases import DEFECTS, EXPECTATIONS, good_rows, history_frame, submission


def _both_ways(
    validator: SubmissionValidator, parsed: ParsedSubmission, monkeypatch: pytest.MonkeyPatch
) -> tuple[ValidationReport, ValidationReport]:
    small = validator.validate(parsed)
    with monkeypatch.context() as m:
        m.setattr(validation, "PER_EXPECTATION_FROM_ROWS", 0)
        large = validator.validate(parsed)
    return small, large


def _stored(report: ValidationReport) -> list[tuple[Any, ...]]:
    """What GE's documents say of each expectation: rule, success, counts, failing rows."""
    return [
        (
            r["expectation_config"]["meta"]["code"],
            r["success"],
            r["result"].get("element_count"),
            r["result"].get("unexpected_count"),
            r["result"].get("unexpected_index_list"),
        )
        for d in report.documents
        for r in d["results"]
    ]


def assert_same_report(small: ValidationReport, large: ValidationReport) -> None:
    assert large.results == small.results
    assert large.issues == small.issues
    assert np.array_equal(large.error_rows, small.error_rows)
    assert large.error_rows.dtype == np.int64
    assert [d["suite_name"] for d in large.documents] == [d["suite_name"] for d in small.documents]
    assert sorted(_stored(large), key=str) == sorted(_stored(small), key=str)


@pytest.mark.parametrize("rule", sorted(DEFECTS))
def test_each_defect_is_reported_alike(
    validator: SubmissionValidator,
    catalog: Catalog,
    rule: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mutate, _, _ = DEFECTS[rule]
    small, large = _both_ways(validator, submission(mutate(good_rows(catalog))), monkeypatch)
    assert_same_report(small, large)


def test_a_bulk_month_is_reported_alike(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    small_catalog = synthetic_catalog(catalog, units=30, indicators=100)
    validator = SubmissionValidator(EXPECTATIONS, small_catalog)
    parsed = synthetic_month(small_catalog, validator.rules)
    frame = parsed.frame.copy()
    frame.loc[frame.index[:3], "org_unit"] = None  # missing units: NaN in the categoricals
    frame.loc[frame.index[3:5], "period"] = None
    frame.loc[frame.index[5:8], "unit"] = None
    frame.loc[frame.index[8:9], "unit"] = "千克"  # a unit no indicator of the catalog uses
    parsed = dataclasses.replace(parsed, frame=frame)
    small, large = _both_ways(validator, parsed, monkeypatch)
    assert_same_report(small, large)
    failed = {r.rule: r.failed for r in large.results}
    assert failed["missing_org_unit"] == 3 and failed["bad_period"] == 2
    assert failed["unit_mismatch"] == 2 + 1


def test_the_history_suite_is_reported_alike(
    validator: SubmissionValidator, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    mutate, _, _ = DEFECTS["mom_jump"]
    parsed = submission(mutate(good_rows(catalog)))
    small = validator.validate_history(parsed, history_frame())
    with monkeypatch.context() as m:
        m.setattr(validation, "PER_EXPECTATION_FROM_ROWS", 0)
        large = validator.validate_history(parsed, history_frame())
    assert_same_report(small, large)
    assert "mom_jump" in {i.code for i in large.warnings}
