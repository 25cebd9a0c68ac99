"""Validate a parsed submission with the Great Expectations suite kept in ``expectations/``.

GE is imported lazily (about 2.5 s) and its context is built once per run by
``SubmissionValidator``; each expectation's ``meta`` carries the stable rule code,
its severity and the Chinese message shown to the office.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from jzplan.catalog import Catalog
from jzplan.submissions import ParsedSubmission, SubmissionIssue

SUITE_FILE = "township_monthly.json"
_MAX_DETAILS = 50


@dataclass(frozen=True, slots=True)
class RuleResult:
    """Outcome of one expectation on one submission: rows checked and rows failed."""

    rule: str
    severity: str
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

    @property
    def errors(self) -> list[SubmissionIssue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[SubmissionIssue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors


def load_suite_dict(expectations_dir: Path, name: str = SUITE_FILE) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((expectations_dir / name).read_text(encoding="utf-8"))
    return data


def validation_frame(parsed: ParsedSubmission, catalog: Catalog) -> pd.DataFrame:
    """The parsed frame plus the catalog facts the suite's row conditions read."""
    frame = parsed.frame.reset_index(drop=True).copy()
    inds = catalog.indicators
    frame["allows_negative"] = [
        inds[c].allows_negative if c in inds else True for c in frame["indicator"]
    ]
    frame["measure"] = [inds[c].measure if c in inds else "unknown" for c in frame["indicator"]]
    return frame


class SubmissionValidator:
    """One Great Expectations context and suite, reused for every file of a run."""

    def __init__(self, expectations_dir: Path, catalog: Catalog) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        self.catalog = catalog
        suite_dict = load_suite_dict(expectations_dir)
        expected_count = len(suite_dict["expectations"])
        suite = gx.ExpectationSuite(**suite_dict)
        # GE silently drops expectation types it does not know: fail loudly instead.
        if len(suite.expectations) != expected_count:
            raise RuntimeError(
                f"suite {SUITE_FILE}: {len(suite.expectations)} of {expected_count} "
                "expectations loaded"
            )
        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = ctx.data_sources.add_pandas("submissions").add_dataframe_asset("submission")
        batch_definition = asset.add_batch_definition_whole_dataframe("whole")
        suite = ctx.suites.add(suite)
        self._definition = ctx.validation_definitions.add(
            gx.ValidationDefinition(name="township-monthly", data=batch_definition, suite=suite)
        )
        self.expectation_count = expected_count

    def validate(self, parsed: ParsedSubmission) -> ValidationReport:
        frame = validation_frame(parsed, self.catalog)
        unit = self.catalog.org_units.get(parsed.org_unit or "")
        form = list(unit.reports) if unit and unit.reports else list(self.catalog.indicators)
        params = {
            "org_units": list(self.catalog.org_units),
            "indicators": list(self.catalog.indicators),
            "form_indicators": form,
        }
        result = self._definition.run(
            batch_parameters={"dataframe": frame},
            expectation_parameters=params,
            result_format={"result_format": "COMPLETE"},
        )
        results: list[RuleResult] = []
        issues: list[SubmissionIssue] = []
        for r in result.results:
            config = r.expectation_config
            assert config is not None
            meta = config.meta or {}
            code = str(meta.get("code", config.type))
            severity = str(meta.get("severity", "error"))
            message = str(meta.get("message", config.type))
            res = r.result or {}
            checked = int(res.get("element_count") or len(frame))
            indexes = list(res.get("unexpected_index_list") or [])
            failed = int(res.get("unexpected_count") or len(indexes))
            if not r.success and not indexes:
                failed = max(failed, 1)
            found = [
                _locate(
                    parsed,
                    frame,
                    idx,
                    code,
                    message,
                    severity,
                    config.type,
                    self.catalog,
                )
                for idx in indexes
            ]
            if not r.success and not found:
                found = [
                    SubmissionIssue(
                        code=code,
                        message=message,
                        file=parsed.path.name,
                        rule=config.type,
                        severity=severity,
                    )
                ]
            issues.extend(found)
            results.append(
                RuleResult(
                    rule=code,
                    severity=severity,
                    success=bool(r.success),
                    checked=checked,
                    failed=0 if r.success else failed,
                    details=[_issue_detail(i) for i in found[:_MAX_DETAILS]],
                )
            )
        return ValidationReport(results=tuple(results), issues=tuple(issues))


def _locate(
    parsed: ParsedSubmission,
    frame: pd.DataFrame,
    idx: Any,
    code: str,
    message: str,
    severity: str,
    rule: str,
    catalog: Catalog,
) -> SubmissionIssue:
    row = frame.loc[idx]
    indicator = str(row["indicator"])
    ind = catalog.indicators.get(indicator)
    name = ind.name if ind else indicator
    return SubmissionIssue(
        code=code,
        message=f"{message}（指标：{name}，数值：{row['value']}）",
        file=parsed.path.name,
        sheet=_text(row.get("sheet")),
        row=_int(row.get("row")),
        column=_text(row.get("column")),
        rule=rule,
        severity=severity,
    )


def _issue_detail(issue: SubmissionIssue) -> dict[str, Any]:
    return {
        "file": issue.file,
        "sheet": issue.sheet,
        "row": issue.row,
        "column": issue.column,
        "message": issue.message,
    }


def _text(v: Any) -> str | None:
    return None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)


def _int(v: Any) -> int | None:
    return None if v is None or pd.isna(v) else int(v)
