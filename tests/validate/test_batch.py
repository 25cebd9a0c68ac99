"""A batch's files validated at once report exactly what each file's own validation reports."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from jzplan.core.submissions import ParsedSubmission
from jzplan.ingest.form_parser import parse_submission
from jzplan.reference.catalog import Catalog
from jzplan.validate.batch import validate_files, validate_histories
from jzplan.validate.results import ValidationReport
from jzplan.validate.validator import SubmissionValidator
from tests.validate.cases import (
    DEFECTS,
    PERIOD,
    ROOT,
    _period,
    _t,
    good_rows,
    history_frame,
    submission,
)


def _document(doc: dict[str, Any]) -> dict[str, Any]:
    """A GE result document without what differs between two runs of it (times, ids)."""
    doc = copy.deepcopy(doc)
    meta = doc["meta"]
    for key in ("run_id", "validation_time"):
        meta.pop(key, None)
    meta.get("batch_markers", {}).pop("ge_load_time", None)
    return doc


def assert_same(batched: ValidationReport, alone: ValidationReport) -> None:
    assert batched.results == alone.results
    assert batched.issues == alone.issues
    assert batched.error_rows.dtype == alone.error_rows.dtype
    assert np.array_equal(batched.error_rows, alone.error_rows)
    assert [_document(d) for d in batched.documents] == [_document(d) for d in alone.documents]


def _defective(catalog: Catalog, period: str) -> list[ParsedSubmission]:
    files = [submission(good_rows(catalog, period), period)]
    for defect, _, _ in DEFECTS.values():
        files.append(submission(defect(good_rows(catalog, period)), period))
    return files


def test_every_defect_each_month_its_own(validator: SubmissionValidator, catalog: Catalog) -> None:
    # one file a month: nothing shared between files, all validated as one frame
    months = [_period(_t("2012-01") + k) for k in range(len(DEFECTS) + 1)]
    files = [
        submission(defect(good_rows(catalog, month)), month)
        for (defect, _, _), month in zip(
            [(lambda rows: rows, None, ""), *DEFECTS.values()], months, strict=True
        )
    ]
    for batched, parsed in zip(validate_files(validator, files), files, strict=True):
        assert_same(batched, validator.validate(parsed))


def test_files_of_one_unit_and_month(validator: SubmissionValidator, catalog: Catalog) -> None:
    # every file holds the same figures: the duplicate rule must not see the batch's
    files = _defective(catalog, PERIOD)
    reports = validate_files(validator, files)
    for batched, parsed in zip(reports, files, strict=True):
        assert_same(batched, validator.validate(parsed))
    assert not any(i.code == "duplicate_indicator" for i in reports[0].issues)


def test_bad_files_among_good_ones(validator: SubmissionValidator, catalog: Catalog) -> None:
    rng = np.random.default_rng(8)
    defects = list(DEFECTS.values())
    files = []
    for k in range(12):
        month = _period(_t("2011-06") + k)
        rows = good_rows(catalog, month)
        for i in rng.choice(len(defects), size=int(rng.integers(0, 3)), replace=False):
            try:
                rows = defects[int(i)][0](rows)
            except StopIteration:  # an earlier defect took the row this one changes
                continue
        files.append(submission(rows, month))
    for batched, parsed in zip(validate_files(validator, files), files, strict=True):
        assert_same(batched, validator.validate(parsed))


def test_bundled_month(validator: SubmissionValidator, catalog: Catalog) -> None:
    paths = sorted((ROOT / "data" / "inbox" / "2013-06").glob("*_月报.xlsx"))
    files = [parse_submission(p, catalog) for p in paths]
    assert len(files) == 8
    for batched, parsed in zip(validate_files(validator, files), files, strict=True):
        assert_same(batched, validator.validate(parsed))


def test_history_suite_of_every_defect(validator: SubmissionValidator, catalog: Catalog) -> None:
    files = _defective(catalog, PERIOD)
    histories = [history_frame() for _ in files]
    # one file without any history: every history column empty
    histories[1] = history_frame().iloc[0:0]
    batched = validate_histories(validator, files, histories)
    for report, parsed, history in zip(batched, files, histories, strict=True):
        assert_same(report, validator.validate_history(parsed, history))
    codes = {i.code for r in batched for i in r.issues}
    assert {"ytd_decreased", "month_not_ytd_difference", "mom_jump", "yoy_jump"} <= codes
