"""Validate a parsed submission with the Great Expectations suites kept in ``expectations/``.

Three suites, each GE's own JSON, all over one long frame (a row per figure) enriched with
the catalog facts and comparison columns the expectations read:

- ``township_monthly``: structure and values (columns, known units and indicators, period
  format, canonical units, no duplicates, non-negative, plausible per-indicator ranges);
- ``township_cross_field``: parts sum to wholes, a part never exceeds its whole
  (``relations.yaml``);
- ``township_history``: against the unit's own accepted figures in the store — year-to-date
  never decreases, 本月 = 累计 − 上月累计, month-over-month and year-over-year changes within
  robust bounds (``jzplan.history_checks``).

The first two need nothing but the file (they run where files are prepared, in parallel); the
history suite needs the store and runs when the file is loaded, in order, so a late or
corrected previous month in the same batch is already there.

GE is imported lazily (about 2.5 s) and its context is built once per process by
``SubmissionValidator``; each expectation's ``meta`` carries the stable rule code, its
severity (error rejects the file, warning loads it, flags it and raises an alert) and the
Chinese message shown to the office.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from jzplan.catalog import Catalog
from jzplan.history_checks import OutlierSettings, history_columns
from jzplan.submissions import ParsedSubmission, SubmissionIssue

STRUCTURE_SUITE = "township_monthly"
CROSS_FIELD_SUITE = "township_cross_field"
HISTORY_SUITE = "township_history"
SUITES: tuple[str, ...] = (STRUCTURE_SUITE, CROSS_FIELD_SUITE, HISTORY_SUITE)
# Suites that need only the file; the history suite needs the store.
FILE_SUITES: tuple[str, ...] = (STRUCTURE_SUITE, CROSS_FIELD_SUITE)
RELATIONS_FILE = "relations.yaml"
RANGES_FILE = "plausible_ranges.yaml"
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
    # GE's own validation results (JSON), one per suite run: what Data Docs render
    documents: tuple[dict[str, Any], ...] = ()

    @property
    def errors(self) -> list[SubmissionIssue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[SubmissionIssue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def __add__(self, other: ValidationReport) -> ValidationReport:
        return ValidationReport(
            self.results + other.results,
            self.issues + other.issues,
            self.documents + other.documents,
        )


# --- rules as data ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SumRelation:
    whole: str
    parts: tuple[str, ...]
    applies_to: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class BoundRelation:
    part: str
    whole: str
    applies_to: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class Rules:
    sums: tuple[SumRelation, ...]
    bounds: tuple[BoundRelation, ...]
    ranges: dict[str, tuple[float, float]]

    def sums_for(self, where: str) -> tuple[SumRelation, ...]:
        return tuple(r for r in self.sums if where in r.applies_to)

    def bounds_for(self, where: str) -> tuple[BoundRelation, ...]:
        return tuple(r for r in self.bounds if where in r.applies_to)


def load_rules(expectations_dir: Path, catalog: Catalog) -> Rules:
    """``relations.yaml`` and ``plausible_ranges.yaml``, checked against the catalog."""
    rel = yaml.safe_load((expectations_dir / RELATIONS_FILE).read_text(encoding="utf-8"))
    raw_ranges = yaml.safe_load((expectations_dir / RANGES_FILE).read_text(encoding="utf-8"))

    def known(code: str, where: str) -> str:
        if code not in catalog.indicators:
            raise ValueError(f"{where}: unknown indicator {code!r}")
        return code

    sums = tuple(
        SumRelation(
            whole=known(r["whole"], RELATIONS_FILE),
            parts=tuple(known(p, RELATIONS_FILE) for p in r["parts"]),
            applies_to=tuple(r["applies_to"]),
            note=str(r.get("note", "")),
        )
        for r in rel.get("sums") or []
    )
    form_wholes = [r.whole for r in sums if "forms" in r.applies_to]
    if len(form_wholes) != len(set(form_wholes)):
        raise ValueError(f"{RELATIONS_FILE}: one form sum per whole")
    bounds = tuple(
        BoundRelation(
            part=known(r["part"], RELATIONS_FILE),
            whole=known(r["whole"], RELATIONS_FILE),
            applies_to=tuple(r["applies_to"]),
            note=str(r.get("note", "")),
        )
        for r in rel.get("bounds") or []
    )
    ranges: dict[str, tuple[float, float]] = {}
    for code, spec in (raw_ranges or {}).items():
        ind = catalog.indicators[known(str(code), RANGES_FILE)]
        high = float(spec["max"])
        low = float(spec.get("min", -high if ind.allows_negative else 0.0))
        ranges[ind.code] = (low, high)
    return Rules(sums=sums, bounds=bounds, ranges=ranges)


def load_suite_dict(expectations_dir: Path, name: str) -> dict[str, Any]:
    path = expectations_dir / f"{name}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


# --- the frame the suites read ---------------------------------------------------------------


def validation_frame(
    parsed: ParsedSubmission, catalog: Catalog, rules: Rules | None = None
) -> pd.DataFrame:
    """The parsed frame plus the catalog facts and same-form relations the suites read."""
    frame = parsed.frame.reset_index(drop=True).copy()
    inds = catalog.indicators
    codes = [str(c) for c in frame["indicator"]]
    frame["allows_negative"] = [inds[c].allows_negative if c in inds else True for c in codes]
    frame["measure"] = [inds[c].measure if c in inds else "unknown" for c in codes]
    frame["expected_unit"] = [inds[c].unit if c in inds else None for c in codes]
    # catalog membership as boolean columns: an in-set expectation with the whole catalog as
    # its value set costs far more in GE than the check itself
    units = catalog.org_units
    unit = units.get(parsed.org_unit or "")
    form = set(unit.reports) if unit and unit.reports else set(inds)
    frame["org_unit_known"] = [u in units for u in frame["org_unit"]]
    frame["indicator_known"] = [c in inds for c in codes]
    frame["on_form"] = [c in form for c in codes]
    # masked copies instead of row conditions (a pandas query per expectation is slow)
    nonneg = [c in inds and not inds[c].allows_negative for c in codes]
    flow = [c in inds and inds[c].measure == "flow" for c in codes]
    frame["nonneg_value"] = frame["value"].where(pd.Series(nonneg, index=frame.index))
    both = pd.Series([a and b for a, b in zip(nonneg, flow, strict=True)], index=frame.index)
    frame["nonneg_flow_value"] = frame["value"].where(both)
    if rules is None:
        return frame
    nan = float("nan")
    frame["plausible_min"] = [rules.ranges.get(c, (nan, nan))[0] for c in codes]
    frame["plausible_max"] = [rules.ranges.get(c, (nan, nan))[1] for c in codes]

    values: dict[str, float] = {}
    for c, v in zip(codes, frame["value"], strict=True):
        if c not in values and v is not None and not pd.isna(v):
            values[c] = float(v)
    parts_sum: list[float] = []
    parts_text: list[str | None] = []
    sums = {r.whole: r for r in rules.sums_for("forms")}
    for c in codes:
        rel = sums.get(c)
        if rel is None or any(p not in values for p in rel.parts):
            parts_sum.append(nan)
            parts_text.append(None)
            continue
        parts_sum.append(math.fsum(values[p] for p in rel.parts))
        parts_text.append(" + ".join(_name(catalog, p) for p in rel.parts))
    frame["parts_sum"] = parts_sum
    frame["parts"] = parts_text

    whole_value: list[float] = []
    whole_name: list[str | None] = []
    for c in codes:
        wholes = [
            (values[r.whole], r.whole)
            for r in rules.bounds_for("forms")
            if r.part == c and r.whole in values
        ]
        if wholes:
            v, w = min(wholes)
            whole_value.append(v)
            whole_name.append(_name(catalog, w))
        else:
            whole_value.append(nan)
            whole_name.append(None)
    frame["whole_value"] = whole_value
    frame["whole"] = whole_name
    return frame


def _name(catalog: Catalog, code: str) -> str:
    ind = catalog.indicators.get(code)
    return ind.name if ind else code


# --- the validator ---------------------------------------------------------------------------


class SubmissionValidator:
    """One Great Expectations context with every suite, reused for every file of a run."""

    def __init__(
        self,
        expectations_dir: Path,
        catalog: Catalog,
        *,
        outlier: OutlierSettings | None = None,
    ) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        import jzplan.custom_expectations  # noqa: F401  (registers the custom types)

        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        self.catalog = catalog
        self.expectations_dir = expectations_dir
        self.rules = load_rules(expectations_dir, catalog)
        self.outlier = outlier or OutlierSettings()
        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = ctx.data_sources.add_pandas("submissions").add_dataframe_asset("submission")
        batch_definition = asset.add_batch_definition_whole_dataframe("whole")
        self._definitions: dict[str, Any] = {}
        self.expectation_counts: dict[str, int] = {}
        for name in SUITES:
            suite_dict = load_suite_dict(expectations_dir, name)
            expected = len(suite_dict["expectations"])
            suite = gx.ExpectationSuite(**suite_dict)
            # GE silently drops expectation types it does not know: fail loudly instead.
            if len(suite.expectations) != expected:
                raise RuntimeError(
                    f"suite {name}: {len(suite.expectations)} of {expected} expectations loaded"
                )
            suite = ctx.suites.add(suite)
            self._definitions[name] = ctx.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
            )
            self.expectation_counts[name] = expected
        self.context = ctx

    @property
    def expectation_count(self) -> int:
        return sum(self.expectation_counts.values())

    def validate(
        self, parsed: ParsedSubmission, *, history: pd.DataFrame | None = None
    ) -> ValidationReport:
        """The file suites; with ``history`` (the unit's accepted earlier figures, see
        ``jzplan.validation_store.read_unit_history``) the history suite too."""
        frame = validation_frame(parsed, self.catalog, self.rules)
        report = self._run(parsed, frame, FILE_SUITES)
        if history is not None:
            report = report + self.validate_history(parsed, history)
        return report

    def validate_history(
        self,
        parsed: ParsedSubmission,
        history: pd.DataFrame,
        outlier: OutlierSettings | None = None,
    ) -> ValidationReport:
        """The history suite, against the unit's accepted figures of earlier months."""
        frame = validation_frame(parsed, self.catalog, self.rules)
        extra = history_columns(
            frame, history, str(parsed.period), self.catalog, outlier or self.outlier
        )
        return self._run(parsed, pd.concat([frame, extra], axis=1), (HISTORY_SUITE,))

    def _run(
        self, parsed: ParsedSubmission, frame: pd.DataFrame, suites: tuple[str, ...]
    ) -> ValidationReport:
        results: list[RuleResult] = []
        issues: list[SubmissionIssue] = []
        documents: list[dict[str, Any]] = []
        for name in suites:
            result = self._definitions[name].run(
                batch_parameters={"dataframe": frame},
                result_format={"result_format": "COMPLETE"},
            )
            documents.append(result.to_json_dict())
            for r in result.results:
                rule, found = self._rule_result(parsed, frame, r)
                results.append(rule)
                issues.extend(found)
        return ValidationReport(tuple(results), tuple(issues), tuple(documents))

    def _rule_result(
        self, parsed: ParsedSubmission, frame: pd.DataFrame, r: Any
    ) -> tuple[RuleResult, list[SubmissionIssue]]:
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
            _locate(parsed, frame, idx, code, message, severity, self.catalog) for idx in indexes
        ]
        if not r.success and not found:
            found = [
                SubmissionIssue(
                    code=code,
                    message=message,
                    file=parsed.path.name,
                    rule=code,
                    severity=severity,
                )
            ]
        if indexes:
            details = [
                {**_issue_detail(issue), **_row_facts(frame, idx)}
                for issue, idx in zip(found[:_MAX_DETAILS], indexes[:_MAX_DETAILS], strict=True)
            ]
        else:
            details = [_issue_detail(i) for i in found[:_MAX_DETAILS]]
        rule = RuleResult(
            rule=code,
            severity=severity,
            success=bool(r.success),
            checked=checked,
            failed=0 if r.success else failed,
            details=details,
        )
        return rule, found


# --- messages --------------------------------------------------------------------------------


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, float):
        return f"{v:,.4f}".rstrip("0").rstrip(".")
    return str(v)


def _pct(v: Any) -> str:
    return "—" if v is None or pd.isna(v) else f"{float(v):+.1f}%"


def _context(code: str, row: pd.Series) -> str:
    """The figures a failed rule compared, in the office's words."""
    get = row.get
    if code == "implausible_value":
        return f"合理范围 {_fmt(get('plausible_min'))} ~ {_fmt(get('plausible_max'))}"
    if code == "parts_sum_to_whole":
        return f"{get('parts')} = {_fmt(get('parts_sum'))}"
    if code == "part_exceeds_whole":
        return f"{get('whole')} {_fmt(get('whole_value'))}"
    if code == "ytd_decreased":
        return f"上月累计 {_fmt(get('prev_value'))}"
    if code == "month_not_ytd_difference":
        return (
            f"本月数 {_fmt(get('value_month'))}，上月累计 {_fmt(get('prev_value'))}，"
            f"应为 {_fmt(float(row['value']) - float(row['prev_value']))}"
        )
    if code in ("mom_jump", "yoy_jump"):
        what = "环比" if code == "mom_jump" else "同比"
        p = code[:3]
        return (
            f"{what} {_pct(get(f'{p}_pct'))}，本单位正常区间 "
            f"{_pct(get(f'{p}_low_pct'))} ~ {_pct(get(f'{p}_high_pct'))}"
        )
    if code == "unit_mismatch":
        return f"计量单位 {get('unit')}，应为 {get('expected_unit')}"
    return ""


def _locate(
    parsed: ParsedSubmission,
    frame: pd.DataFrame,
    idx: Any,
    code: str,
    message: str,
    severity: str,
    catalog: Catalog,
) -> SubmissionIssue:
    row = frame.loc[idx]
    indicator = str(row["indicator"])
    context = _context(code, row)
    facts = f"指标：{_name(catalog, indicator)}，数值：{_fmt(row['value'])}"
    return SubmissionIssue(
        code=code,
        message=f"{message}（{facts}{'；' + context if context else ''}）",
        file=parsed.path.name,
        sheet=_text(row.get("sheet")),
        row=_int(row.get("row")),
        column=_text(row.get("column")),
        rule=code,
        severity=severity,
    )


def _row_facts(frame: pd.DataFrame, idx: Any) -> dict[str, Any]:
    row = frame.loc[idx]
    value = row.get("value")
    return {
        "indicator": _text(row.get("indicator")),
        "value": None if value is None or pd.isna(value) else float(value),
    }


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
