"""What a validation returns: per-rule results (rows checked and failed), the located
issues, GE's result documents and the rows failing an error rule; and how GE's results of a
suite become them."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from jzplan.core.states import IssueSeverity
from jzplan.core.submissions import ParsedSubmission, SubmissionIssue
from jzplan.reference.catalog import Catalog
from jzplan.validate.columns import Columns
from jzplan.validate.messages import issue_detail, locate_issue, row_facts

MAX_DETAILS = 50  # details kept per rule result
# located issues built per rule; the rest of its failing rows are one summary issue
MAX_ISSUES_PER_RULE = 100


@dataclass(frozen=True, slots=True)
class RuleResult:
    """Outcome of one expectation on one submission: rows checked and rows failed."""

    rule: str
    severity: IssueSeverity
    success: bool
    checked: int
    failed: int
    details: list[dict[str, Any]] = field(default_factory=list)

    def as_row(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "success": self.success,
            "checked": self.checked,
            "failed": self.failed,
            "details": self.details,
        }


@dataclass(frozen=True, slots=True)
class ValidationReport:
    results: tuple[RuleResult, ...]
    issues: tuple[SubmissionIssue, ...]
    # GE's own validation results (JSON), one per suite run: what Data Docs render
    documents: tuple[dict[str, Any], ...] = ()
    # positions (0-based, into the parsed frame) of every row failing an error rule; a failure
    # with no row (an empty file) is in ``errors`` only
    error_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def errors(self) -> list[SubmissionIssue]:
        return [i for i in self.issues if i.severity == IssueSeverity.ERROR]

    @property
    def warnings(self) -> list[SubmissionIssue]:
        return [i for i in self.issues if i.severity == IssueSeverity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def __add__(self, other: ValidationReport) -> ValidationReport:
        return ValidationReport(
            self.results + other.results,
            self.issues + other.issues,
            self.documents + other.documents,
            np.union1d(self.error_rows, other.error_rows),
        )


def suite_document(name: str, found: list[Any], *, meta: Any = None) -> dict[str, Any]:
    """One suite's GE validation result document from its expectations' results (in the
    suite's order), as a single GE validation of the suite would have written it.

    The document GE's ``ExpectationSuiteValidationResult.to_json_dict`` writes, without its
    copies: it deep-copies every result six times on the way (its own copy, then each schema's
    pre- and post-dump hooks), half of its 4 ms a document on a township form. Here each
    result is written once by its own ``to_json_dict`` and the suite's fields as the suite's
    schema writes them; ``tests/validate/test_ge_internals.py`` compares the two."""
    from great_expectations.util import convert_to_json_serializable

    successful = sum(1 for r in found if r.success)
    statistics = {
        "evaluated_expectations": len(found),
        "successful_expectations": successful,
        "unsuccessful_expectations": len(found) - successful,
        "success_percent": 100.0 * successful / len(found) if found else None,
    }
    return {
        "success": successful == len(found),
        "results": [r.to_json_dict() for r in found],
        "suite_name": name,
        "suite_parameters": {},
        "statistics": convert_to_json_serializable(statistics),
        # GE's conversion "may convert in place": the caller's meta stays as it is
        "meta": convert_to_json_serializable(copy.deepcopy(meta or {})),
        "id": None,
    }


@dataclass(frozen=True, slots=True)
class SuiteResults:
    """One suite's rule results, located issues and error rows (positions) of one file."""

    results: list[RuleResult]
    issues: list[SubmissionIssue]
    error_rows: list[np.ndarray]


def suite_results(
    parsed: ParsedSubmission,
    columns: Columns,
    evrs: list[Any],
    *,
    order: Callable[[Any], int],
    catalog: Catalog,
) -> tuple[list[Any], SuiteResults]:
    """A suite's GE results in the suite's ``order`` (one GE validation of a suite orders them
    its own way), trimmed for storage, and what the report takes of them."""
    found = sorted(evrs, key=order)
    out = SuiteResults([], [], [])
    for r in found:
        rule, located, rows = rule_result(parsed, columns, r, catalog)
        out.results.append(rule)
        out.issues.extend(located)
        if rule.severity == IssueSeverity.ERROR and len(rows):
            out.error_rows.append(rows)
        _trim(r)
    return found, out


def severity_of(meta: Mapping[str, Any]) -> IssueSeverity:
    """An expectation's severity: its ``meta.severity``, an error unless it says otherwise."""
    return IssueSeverity(str(meta.get("severity", IssueSeverity.ERROR)))


def rule_of(meta: Mapping[str, Any], kind: str) -> tuple[str, IssueSeverity]:
    """An expectation's rule code (``meta.code``, else its ``kind``) and severity."""
    return str(meta.get("code", kind)), severity_of(meta)


def rule_result(
    parsed: ParsedSubmission, columns: Columns, r: Any, catalog: Catalog
) -> tuple[RuleResult, list[SubmissionIssue], np.ndarray]:
    """One GE expectation result as a rule result, its located issues and failing rows."""
    config = r.expectation_config
    assert config is not None
    meta = config.meta or {}
    code, severity = rule_of(meta, config.type)
    message = str(meta.get("message", config.type))
    res = r.result or {}
    checked = int(res.get("element_count") or columns.n)
    indexes = np.asarray(res.get("unexpected_index_list") or [], dtype=np.int64)
    failed = int(res.get("unexpected_count") or len(indexes))
    if not r.success and not len(indexes):
        failed = max(failed, 1)
    shown = indexes[:MAX_ISSUES_PER_RULE].tolist()
    frame = columns.rows(indexes[:MAX_ISSUES_PER_RULE]) if shown else pd.DataFrame()
    found = [locate_issue(parsed, frame, idx, code, message, severity, catalog) for idx in shown]
    if len(indexes) > len(shown):
        found.append(
            SubmissionIssue(
                code=code,
                message=f"{message}：另有 {len(indexes) - len(shown)} 行同样的错误",
                file=parsed.path.name,
                rule=code,
                severity=severity,
            )
        )
    if not r.success and not found:
        found = [
            SubmissionIssue(
                code=code, message=message, file=parsed.path.name, rule=code, severity=severity
            )
        ]
    if len(indexes):
        details = [
            {**issue_detail(issue), **row_facts(frame, idx)}
            for issue, idx in zip(found[:MAX_DETAILS], shown[:MAX_DETAILS], strict=False)
        ]
    else:
        details = [issue_detail(i) for i in found[:MAX_DETAILS]]
    rule = RuleResult(
        rule=code,
        severity=severity,
        success=bool(r.success),
        checked=checked,
        failed=0 if r.success else failed,
        details=details,
    )
    return rule, found, indexes


def _trim(r: Any) -> None:
    """Cut the lists of every failing row in a GE result to a sample before it is stored."""
    res = r.result or {}
    for key in ("unexpected_index_list", "unexpected_list"):
        if len(res.get(key) or ()) > MAX_ISSUES_PER_RULE:
            res[key] = res[key][:MAX_ISSUES_PER_RULE]
