"""Validate a parsed submission with the Great Expectations suites kept in ``expectations/``.

Three suites, each GE's own JSON, all over one long frame (a row per figure) enriched with
the catalog facts and comparison columns the expectations read:

- ``township_monthly``: structure and values (columns, known units and indicators, period
  format, canonical units, no duplicates, non-negative, plausible per-indicator ranges);
- ``township_cross_field``: parts sum to wholes, a part never exceeds its whole
  (``relations.yaml``);
- ``township_history``: against the unit's own accepted figures in the store — year-to-date
  never decreases, 本月 = 累计 − 上月累计, month-over-month and year-over-year changes within
  robust bounds (``jzplan.validate.history_checks``).

The first two need nothing but the file (they run where files are prepared, in parallel); the
history suite needs the store and runs when the file is loaded, in order, so a late or
corrected previous month in the same batch is already there.

GE is imported lazily (about 2.5 s) and its context is built once per process by
``SubmissionValidator``; each expectation's ``meta`` carries the stable rule code, its
severity (error rejects the file, warning loads it, flags it and raises an alert) and the
Chinese message shown to the office.
"""

from __future__ import annotations

import datetime
import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import yaml

from jzplan.core.submissions import ParsedSubmission, SubmissionIssue
from jzplan.ingest.bulk import coded as codes_read
from jzplan.reference.catalog import Catalog
from jzplan.validate.history_checks import OutlierSettings, history_columns

STRUCTURE_SUITE = "township_monthly"
CROSS_FIELD_SUITE = "township_cross_field"
HISTORY_SUITE = "township_history"
SUITES: tuple[str, ...] = (STRUCTURE_SUITE, CROSS_FIELD_SUITE, HISTORY_SUITE)
# Suites that need only the file; the history suite needs the store.
FILE_SUITES: tuple[str, ...] = (STRUCTURE_SUITE, CROSS_FIELD_SUITE)
RELATIONS_FILE = "relations.yaml"
RANGES_FILE = "plausible_ranges.yaml"
_MAX_DETAILS = 50
# located issues built per rule; the rest of its failing rows are one summary issue
MAX_ISSUES_PER_RULE = 100
_FINGERPRINT_BELOW_BYTES = 2**20
# from this many rows each expectation runs on its own narrow batch; below, a suite is one GE
# validation of the whole frame (a township file: ~20 rows, where GE's fixed cost per
# validation dominates)
_PER_EXPECTATION_FROM_ROWS = 100_000
_RESULT_FORMAT = {"result_format": "COMPLETE", "return_unexpected_index_query": False}
# columns of the validation frame that are never missing (boolean catalog facts)
_NEVER_MISSING = frozenset({"org_unit_known", "indicator_known", "on_form"})


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
    # positions (0-based, into the parsed frame) of every row failing an error rule; a failure
    # with no row (an empty file) is in ``errors`` only
    error_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

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
            np.union1d(self.error_rows, other.error_rows),
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
    """The parsed frame plus the catalog facts and same-form relations the suites read.

    Vectorised: the frame may hold many units' figures (a bulk file, millions of rows); each
    row's form is its own unit's, and the same-form relations are taken per (unit, period).
    """
    return _validation_columns(parsed, catalog, rules).frame()


class _Codes:
    """A text column kept dictionary-encoded: ``values`` taken by ``codes`` (-1: missing, or
    with ``wrap`` the last value). Its text is built only where something reads it (a located
    row, the whole frame); a GE batch takes it as a categorical, which GE filters and
    compares by its integer codes."""

    def __init__(self, codes: np.ndarray, values: Any, *, wrap: bool = False) -> None:
        self.codes = codes
        self.values = values  # pandas array; unique when the column is read as a categorical
        self.wrap = wrap
        self._categorical: pd.Categorical | None = None

    def text(self, at: np.ndarray | None = None) -> Any:
        codes = self.codes if at is None else self.codes[at]
        return self.values.take(codes, allow_fill=not self.wrap)

    def categorical(self) -> pd.Categorical:
        if self._categorical is None:
            dtype = pd.CategoricalDtype(pd.Index(self.values))
            self._categorical = pd.Categorical.from_codes(self.codes, dtype=dtype, validate=False)
        return self._categorical


@dataclass(frozen=True, slots=True)
class _Columns:
    """The validation frame as named columns (arrays, or ``_Codes`` built on demand): a GE
    batch or a few located rows are cut from it without assembling the whole frame."""

    n: int
    data: dict[str, Any]  # in the frame's column order
    coded: dict[str, _Codes]  # categorical stand-ins of text columns, for GE batches

    @classmethod
    def of(cls, frame: pd.DataFrame) -> _Columns:
        return cls(len(frame), {c: frame[c].array for c in frame.columns}, {})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({c: _whole(v) for c, v in self.data.items()}, index=range(self.n))

    def batch(self, columns: tuple[str, ...], *, coded: bool) -> pd.DataFrame:
        """The columns ``columns`` (table-level: the first one), text columns as categoricals
        when ``coded``."""
        names = columns or tuple(self.data)[:1]
        return pd.DataFrame(
            {
                c: self.coded[c].categorical()
                if coded and c in self.coded
                else _whole(self.data[c])
                for c in names
            },
            index=range(self.n),
            copy=False,
        )

    def rows(self, at: np.ndarray) -> pd.DataFrame:
        """Every column at the positions ``at``, a few (index: the positions)."""
        return pd.DataFrame({c: _take_few(v, at) for c, v in self.data.items()}, index=at)


def _take_few(v: Any, at: np.ndarray) -> Any:
    if isinstance(v, _Codes):
        return v.text(at)
    if isinstance(v.dtype, pd.StringDtype | pd.ArrowDtype):
        # value by value: Arrow's take on a column of many chunks (a bulk file's) first
        # joins them, ~50 ms a column
        return pd.array([v[i] for i in at.tolist()], dtype=cast(Any, v.dtype))
    return v.take(at)


def _whole(v: Any) -> Any:
    return v.text() if isinstance(v, _Codes) else v


def _validation_columns(
    parsed: ParsedSubmission,
    catalog: Catalog,
    rules: Rules | None,
    unit_forms: _UnitForms | None = None,
) -> _Columns:
    """``validation_frame``'s columns. Each code column is factorized once, and its codes
    serve the catalog look-ups, the relations and the GE batches alike; arrays of a row each
    are only those the suites read (on millions of rows, every such array costs)."""
    src = parsed.frame.reset_index(drop=True)
    n = len(src)
    data: dict[str, Any] = {c: src[c].array for c in src.columns}
    facts = _IndicatorFacts.of(catalog, rules)
    ind_codes, ind_uniques = _factorize(parsed.frame["indicator"])
    unit_codes, unit_uniques = _factorize(parsed.frame["org_unit"])
    period_codes, period_uniques = _factorize(parsed.frame["period"])
    measure_codes, measure_uniques = _factorize(parsed.frame["unit"])
    # position of each row's indicator in the catalog; -1 (unknown) takes the arrays' last slot
    found = facts.index.get_indexer(pd.Index(ind_uniques).astype("str"))
    ind = np.append(found, -1).astype(np.int32)[ind_codes]
    data["allows_negative"] = facts.allows_negative[ind]
    data["measure"] = _Codes(ind, facts.measure, wrap=True)
    # the file's units and the catalog's in one dictionary: the unit check compares codes
    names = pd.Index(measure_uniques)
    catalog_units = pd.Index(facts.expected_unit).dropna().unique()
    names = names.append(catalog_units.difference(names, sort=False))
    unit_names = pd.array(names, dtype="str")
    expected = names.get_indexer(facts.expected_unit).astype(np.int32)
    data["expected_unit"] = _Codes(expected[ind], unit_names)
    # catalog membership as boolean columns: an in-set expectation with the whole catalog as
    # its value set costs far more in GE than the check itself
    unit_list: list[Any] = pd.Index(unit_uniques).tolist()
    forms = unit_forms or _UnitForms.of(catalog, facts.index)
    known, on_form = forms.of_units(unit_list)
    data["org_unit_known"] = np.append(known, False)[unit_codes]
    data["indicator_known"] = ind >= 0
    form_codes = unit_codes
    if parsed.org_unit is not None and not getattr(parsed, "bulk", False):
        # a one-unit file: the file's unit decides the form, and all its rows are one group
        form_codes = np.zeros(n, dtype=np.intp)
        _, on_form = forms.of_units([parsed.org_unit])
    data["on_form"] = on_form(form_codes, ind)
    # masked copies instead of row conditions (a pandas query per expectation is slow)
    value = src["value"].astype("float64").to_numpy()
    data["nonneg_value"] = np.where(facts.nonneg[ind], value, np.nan)
    data["nonneg_flow_value"] = np.where(facts.nonneg_flow[ind], value, np.nan)
    figure_key = _figure_key(
        (unit_codes, len(unit_uniques)),
        (period_codes, len(period_uniques)),
        (ind_codes, len(ind_uniques)),
    )
    key = figure_key.codes.astype(np.float64)
    key[figure_key.codes < 0] = np.nan
    data["figure_key"] = key
    coded = {
        "org_unit": _Codes(unit_codes, unit_uniques),
        "period": _Codes(period_codes, period_uniques),
        "indicator": _Codes(ind_codes, ind_uniques),
        "unit": _Codes(measure_codes, unit_names),
        "expected_unit": data["expected_unit"],
        "figure_key": figure_key,
    }
    if rules is not None:
        data["plausible_min"] = facts.plausible_min[ind]
        data["plausible_max"] = facts.plausible_max[ind]
        groups = (form_codes, period_codes, len(period_uniques))
        data.update(_relations(value, ind, groups, facts, rules, catalog))
    return _Columns(n, data, coded)


def _factorize(column: pd.Series) -> tuple[np.ndarray, Any]:
    """``pd.factorize`` of a text column, or the codes ``read_bulk`` made of it while
    reading (a bulk file's code columns)."""
    found = codes_read(column)
    if found is not None:
        return found.codes, found.uniques
    return pd.factorize(column)


def _figure_key(*columns: tuple[np.ndarray, int]) -> _Codes:
    """One code per row for its (org_unit, period, indicator): equal exactly where the three
    codes are (a missing code counts as a value of its own), missing (-1) where all three
    are; from each column's codes (-1: missing) and its number of distinct values. The
    duplicate rule checks this one column for uniqueness (GE's compound-columns check
    factorizes every column again, then hashes the rows); a GE batch takes it as a
    categorical, whose duplicates pandas finds from its int32 codes."""
    (first, size), *rest = columns
    key = first.astype(np.int64) + 1
    bound = size + 1  # key < bound
    missing = first < 0
    for codes, n in rest:
        key *= n + 1
        key += codes
        key += 1
        bound *= n + 1
        missing &= codes < 0
        if bound >= 2**31:  # dense again: the codes stay int32
            key, uniques = pd.factorize(key)
            key, bound = key.astype(np.int64), len(uniques)
    key[missing] = -1
    return _Codes(key.astype(np.int32), pd.RangeIndex(bound))


@dataclass(frozen=True, slots=True)
class _IndicatorFacts:
    """Per-indicator arrays in catalog order, plus a last slot for an unknown indicator."""

    index: pd.Index
    allows_negative: np.ndarray
    measure: Any  # pandas str array
    expected_unit: Any
    nonneg: np.ndarray
    nonneg_flow: np.ndarray
    plausible_min: np.ndarray
    plausible_max: np.ndarray

    @classmethod
    def of(cls, catalog: Catalog, rules: Rules | None) -> _IndicatorFacts:
        inds = list(catalog.indicators.values())
        ranges = rules.ranges if rules else {}
        nan = float("nan")
        return cls(
            index=pd.Index([i.code for i in inds], dtype="str"),
            allows_negative=np.array([i.allows_negative for i in inds] + [True]),
            measure=pd.array([i.measure for i in inds] + ["unknown"], dtype="str"),
            expected_unit=pd.array([i.unit for i in inds] + [None], dtype="str"),
            nonneg=np.array([not i.allows_negative for i in inds] + [False]),
            nonneg_flow=np.array(
                [not i.allows_negative and i.measure == "flow" for i in inds] + [False]
            ),
            plausible_min=np.array([ranges.get(i.code, (nan, nan))[0] for i in inds] + [nan]),
            plausible_max=np.array([ranges.get(i.code, (nan, nan))[1] for i in inds] + [nan]),
        )


@dataclass(frozen=True, slots=True)
class _UnitForms:
    """The catalog's units and the indicators on each one's form, built once per catalog."""

    index: pd.Index  # catalog unit codes (object: compared as the catalog's keys are)
    form_of: np.ndarray  # per catalog unit, then an unknown unit: its row of ``table``
    table: np.ndarray  # row 0: every indicator; column 0: an unknown indicator, 1 + i: i-th

    @classmethod
    def of(cls, catalog: Catalog, index: pd.Index) -> _UnitForms:
        forms: dict[tuple[str, ...], int] = {}
        units = list(catalog.org_units.values())
        form_of = np.zeros(len(units) + 1, dtype=np.int32)
        for k, unit in enumerate(units):
            if unit.reports:
                form_of[k] = forms.setdefault(unit.reports, len(forms) + 1)
        table = np.zeros((len(forms) + 1, len(index) + 1), dtype=bool)
        table[0, 1:] = True
        for reports, row in forms.items():
            pos = index.get_indexer(pd.Index(reports, dtype="str"))
            table[row, 1 + pos[pos >= 0]] = True
        codes = pd.Index([u.code for u in units], dtype="object")
        return cls(codes, form_of, table)

    def of_units(self, unit_list: list[Any]) -> tuple[np.ndarray, Any]:
        """For each unit of ``unit_list``: is it in the catalog; and a function of (unit
        codes, indicator positions) telling whether the indicator is on the unit's form. A
        unit unknown to the catalog, or with no form, and a missing unit (code -1) count
        every catalog indicator as on their form (only unknown_org_unit fires); an unknown
        indicator (-1) is on no form."""
        pos = self.index.get_indexer(pd.Index(unit_list, dtype="object"))
        known = pos >= 0
        form_of = np.append(self.form_of[pos], 0)  # -1 (unknown) takes the last slot: 0
        width = self.table.shape[1]
        flat = self.table.ravel()

        def on_form(unit_codes: np.ndarray, ind: np.ndarray) -> np.ndarray:
            at = form_of[unit_codes]
            at *= width
            at += ind
            at += 1
            result: np.ndarray = flat[at]
            return result

        return known, on_form


def _relations(
    value: np.ndarray,
    ind: np.ndarray,
    groups: tuple[np.ndarray, np.ndarray, int],
    facts: _IndicatorFacts,
    rules: Rules,
    catalog: Catalog,
) -> dict[str, Any]:
    """``parts_sum``/``parts`` on each form-sum whole and ``whole_value``/``whole`` on each
    bounded part, from the figures of the same unit and period (the first non-empty one).
    ``groups``: the rows' unit codes, period codes and the number of periods."""
    n = len(value)
    sums = rules.sums_for("forms")
    bounds = rules.bounds_for("forms")
    involved = sorted(
        {r.whole for r in sums}
        | {p for r in sums for p in r.parts}
        | {c for r in bounds for c in (r.part, r.whole)}
    )
    col = {code: i for i, code in enumerate(involved)}
    # indicator position -> column of the relation table (-1: not involved)
    rel_col = np.full(len(facts.index) + 1, -1, dtype=np.int16)
    found = facts.index.get_indexer(pd.Index(involved, dtype="str"))
    rel_col[found[found >= 0]] = np.arange(len(involved))[found >= 0]
    row_col = rel_col[ind]
    rows = np.flatnonzero(row_col >= 0)
    parts_sum = np.full(n, np.nan)
    parts_text = np.full(n, -1, dtype=np.int16)  # -1: none, i: the i-th relation's text
    whole_value = np.full(n, np.nan)
    whole_name = np.full(n, -1, dtype=np.int16)  # -1: none, i: involved[i]'s name
    if len(rows):
        unit_codes, period_codes, periods = groups
        key = (unit_codes[rows].astype(np.int64) + 1) * (periods + 1) + period_codes[rows] + 1
        groups_at, uniques = pd.factorize(key)
        cols = row_col[rows]
        # the figures of each group: first non-empty value per indicator
        table = np.full((len(uniques), len(involved)), np.nan)
        vals = value[rows]
        filled = ~np.isnan(vals)
        flat = groups_at[filled] * len(involved) + cols[filled]
        _, first = np.unique(flat, return_index=True)
        table.flat[flat[first]] = vals[filled][first]
        # the rows of each involved indicator, as positions into ``rows``
        order = np.argsort(cols, kind="stable")
        bounds_at = np.searchsorted(cols[order], np.arange(len(involved) + 1))

        def rows_of(code: str) -> np.ndarray:
            c = col[code]
            return order[bounds_at[c] : bounds_at[c + 1]]

        for k, rel in enumerate(sums):
            at = rows_of(rel.whole)
            figures = table[groups_at[at][:, None], [col[p] for p in rel.parts]]
            complete = ~np.isnan(figures).any(axis=1)
            target = rows[at[complete]]
            if figures.shape[1] <= 2:  # a sum of two is correctly rounded, as fsum's is
                parts_sum[target] = figures[complete].sum(axis=1)
            else:
                parts_sum[target] = [math.fsum(r) for r in figures[complete].tolist()]
            parts_text[target] = k
        by_part: dict[str, list[str]] = {}
        for b in bounds:
            by_part.setdefault(b.part, []).append(b.whole)
        for part, wholes in by_part.items():
            wholes = sorted(set(wholes))  # a tie between wholes goes to the smaller code
            at = rows_of(part)
            figures = table[groups_at[at][:, None], [col[w] for w in wholes]]
            some = ~np.isnan(figures).all(axis=1)
            pick = np.nanargmin(figures[some], axis=1) if some.any() else np.zeros(0, np.intp)
            target = rows[at[some]]
            whole_value[target] = figures[some][np.arange(len(pick)), pick]
            whole_name[target] = np.array([col[w] for w in wholes])[pick]
    texts = [" + ".join(_name(catalog, p) for p in r.parts) for r in sums]
    return {
        "parts_sum": parts_sum,
        "parts": _Codes(parts_text, pd.array(texts, dtype="str")),
        "whole_value": whole_value,
        "whole": _Codes(whole_name, pd.array([_name(catalog, c) for c in involved], dtype="str")),
    }


def _name(catalog: Catalog, code: str) -> str:
    ind = catalog.indicators.get(code)
    return ind.name if ind else code


# --- the validator ---------------------------------------------------------------------------


def suite_document(
    name: str, found: list[Any], *, meta: Any = None, batch_id: Any = None
) -> dict[str, Any]:
    """One suite's GE validation result document from its expectations' results (in the
    suite's order), as a single GE validation of the suite would have written it."""
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
    )

    successful = sum(1 for r in found if r.success)
    whole = ExpectationSuiteValidationResult(
        success=successful == len(found),
        results=found,
        suite_name=name,
        statistics={
            "evaluated_expectations": len(found),
            "successful_expectations": successful,
            "unsuccessful_expectations": len(found) - successful,
            "success_percent": 100.0 * successful / len(found) if found else None,
        },
        meta=meta,
        batch_id=batch_id,
    )
    document: dict[str, Any] = whole.to_json_dict()  # type: ignore[no-untyped-call]
    return document


@dataclass(frozen=True, slots=True)
class _SuiteResults:
    """One suite's rule results, located issues and error rows (positions) of one file."""

    results: list[RuleResult]
    issues: list[SubmissionIssue]
    error_rows: list[np.ndarray]


class SubmissionValidator:
    """One Great Expectations context with every suite, reused for every file of a run.

    A small file is validated one suite at a time. On a large one (a bulk file, millions of
    rows) each expectation of a suite runs on its own narrow batch, the columns it reads, text
    columns as categoricals (GE's row filters for missing values copy every column of the
    batch); those reading only columns never missing share one run (``_runs``); the results
    are put back together as one result document per suite.
    """

    def __init__(
        self,
        expectations_dir: Path,
        catalog: Catalog,
        *,
        outlier: OutlierSettings | None = None,
    ) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.execution_engine import pandas_execution_engine

        # registers the custom expectation and data source types
        from jzplan.validate.custom_expectations import DomainRecordsOnceEngine

        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        # GE fingerprints (hashes) every pandas batch below this size; nothing reads the
        # fingerprint, and on a bulk file it cost seconds per batch
        pandas_execution_engine.HASH_THRESHOLD = min(
            pandas_execution_engine.HASH_THRESHOLD, _FINGERPRINT_BELOW_BYTES
        )
        self.catalog = catalog
        self.expectations_dir = expectations_dir
        self.rules = load_rules(expectations_dir, catalog)
        self.outlier = outlier or OutlierSettings()
        self._unit_forms = _UnitForms.of(catalog, _IndicatorFacts.of(catalog, None).index)
        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        # GE's pandas data source, a domain's records computed once per batch
        source = ctx.data_sources.add_jzplan_pandas("submissions")
        assert isinstance(source.get_execution_engine(), DomainRecordsOnceEngine)
        asset = source.add_dataframe_asset("submission")
        batch_definition = asset.add_batch_definition_whole_dataframe("whole")
        self._checks: dict[str, list[_Check]] = {}
        self._suites: dict[str, _Check] = {}
        self._order: dict[str, Callable[[Any], int]] = {}
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
            whole = ctx.validation_definitions.add(
                gx.ValidationDefinition(
                    name=name, data=batch_definition, suite=ctx.suites.add(suite)
                )
            )
            read = [c for e in suite_dict["expectations"] for c in _columns_read(e["kwargs"])]
            self._suites[name] = _Check(whole, tuple(dict.fromkeys(read)))
            self._order[name] = _suite_order(suite_dict)
            checks = []
            for i, specs in enumerate(_runs(suite_dict["expectations"])):
                part = ctx.suites.add(gx.ExpectationSuite(name=f"{name}.{i}", expectations=specs))
                definition = ctx.validation_definitions.add(
                    gx.ValidationDefinition(name=f"{name}.{i}", data=batch_definition, suite=part)
                )
                read = [c for spec in specs for c in _columns_read(spec["kwargs"])]
                checks.append(_Check(definition, tuple(dict.fromkeys(read))))
            self._checks[name] = checks
            self.expectation_counts[name] = expected
        self.context = ctx

    @property
    def expectation_count(self) -> int:
        return sum(self.expectation_counts.values())

    def validate(
        self, parsed: ParsedSubmission, *, history: pd.DataFrame | None = None
    ) -> ValidationReport:
        """The file suites; with ``history`` (the unit's accepted earlier figures, see
        ``jzplan.validate.store_checks.read_unit_history``) the history suite too."""
        columns = _validation_columns(parsed, self.catalog, self.rules, self._unit_forms)
        report = self._run(parsed, columns, FILE_SUITES)
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
        columns = _Columns.of(pd.concat([frame, extra], axis=1))
        return self._run(parsed, columns, (HISTORY_SUITE,))

    def _run(
        self, parsed: ParsedSubmission, columns: _Columns, suites: tuple[str, ...]
    ) -> ValidationReport:
        results: list[RuleResult] = []
        issues: list[SubmissionIssue] = []
        documents: list[dict[str, Any]] = []
        error_rows: list[np.ndarray] = []
        large = columns.n >= _PER_EXPECTATION_FROM_ROWS
        for name in suites:
            runs = [
                check.validate(columns.batch(check.columns, coded=large))
                for check in (self._checks[name] if large else [self._suites[name]])
            ]
            found, suite = self._suite_results(
                parsed, columns, name, [r for run in runs for r in run.results]
            )
            results += suite.results
            issues += suite.issues
            error_rows += suite.error_rows
            documents.append(
                suite_document(
                    name,
                    found,
                    meta=runs[0].meta if runs else None,
                    batch_id=runs[0].batch_id if runs else None,
                )
            )
        rows = np.unique(np.concatenate(error_rows)) if error_rows else np.zeros(0, np.int64)
        return ValidationReport(tuple(results), tuple(issues), tuple(documents), rows)

    def _suite_results(
        self, parsed: ParsedSubmission, columns: _Columns, name: str, evrs: list[Any]
    ) -> tuple[list[Any], _SuiteResults]:
        """A suite's GE results in the suite's order (one GE validation of a suite orders them
        its own way), trimmed for storage, and what the report takes of them."""
        found = sorted(evrs, key=self._order[name])
        out = _SuiteResults([], [], [])
        for r in found:
            rule, located, rows = self._rule_result(parsed, columns, r)
            out.results.append(rule)
            out.issues.extend(located)
            if rule.severity == "error" and len(rows):
                out.error_rows.append(rows)
            _trim(r)
        return found, out

    def _rule_result(
        self, parsed: ParsedSubmission, columns: _Columns, r: Any
    ) -> tuple[RuleResult, list[SubmissionIssue], np.ndarray]:
        config = r.expectation_config
        assert config is not None
        meta = config.meta or {}
        code = str(meta.get("code", config.type))
        severity = str(meta.get("severity", "error"))
        message = str(meta.get("message", config.type))
        res = r.result or {}
        checked = int(res.get("element_count") or columns.n)
        indexes = np.asarray(res.get("unexpected_index_list") or [], dtype=np.int64)
        failed = int(res.get("unexpected_count") or len(indexes))
        if not r.success and not len(indexes):
            failed = max(failed, 1)
        shown = indexes[:MAX_ISSUES_PER_RULE].tolist()
        frame = columns.rows(indexes[:MAX_ISSUES_PER_RULE]) if shown else pd.DataFrame()
        found = [
            _locate(parsed, frame, idx, code, message, severity, self.catalog) for idx in shown
        ]
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
                    code=code,
                    message=message,
                    file=parsed.path.name,
                    rule=code,
                    severity=severity,
                )
            ]
        if len(indexes):
            details = [
                {**_issue_detail(issue), **_row_facts(frame, idx)}
                for issue, idx in zip(found[:_MAX_DETAILS], shown[:_MAX_DETAILS], strict=False)
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
        return rule, found, indexes


@dataclass(frozen=True, slots=True)
class _Check:
    """A GE validation (one expectation, or a whole suite) and the columns it reads."""

    definition: Any  # gx.ValidationDefinition
    columns: tuple[str, ...]

    def validate(self, batch: pd.DataFrame) -> Any:
        """The definition's suite on ``batch``, as ``ValidationDefinition.run`` validates it,
        without keeping the result in the context's store (nothing reads it there; on a bulk
        file it serialised every failing row's value once more)."""
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.validator.v1_validator import Validator

        validator = Validator(
            batch_definition=self.definition.batch_definition,
            batch_parameters={"dataframe": batch},
            result_format=_RESULT_FORMAT,
        )
        result = validator.validate_expectation_suite(self.definition.suite)
        run_id = RunIdentifier(run_time=datetime.datetime.now(datetime.UTC))
        meta: Any = result.meta
        meta.update(
            validation_id=self.definition.id,
            run_id=run_id,
            validation_time=run_id.run_time,
            batch_parameters={"dataframe": "<DATAFRAME>"},
        )
        return result


def _suite_order(suite_dict: dict[str, Any]) -> Callable[[Any], int]:
    """A GE result's expectation's position in the suite (by its rule code)."""
    position = {str(e["meta"]["code"]): i for i, e in enumerate(suite_dict["expectations"])}

    def order(result: Any) -> int:
        meta = result.expectation_config.meta or {}
        return position.get(str(meta.get("code")), len(position))

    return order


def _runs(expectations: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """A large file's GE runs of a suite: each expectation alone on its narrow batch, but
    those reading no column or only columns never missing share one run (GE's per-run cost,
    ~25 ms, is all they cost: with no missing value its row filters copy nothing)."""
    shared, alone = [], []
    for spec in expectations:
        if set(_columns_read(spec["kwargs"])) <= _NEVER_MISSING:
            shared.append(spec)
        else:
            alone.append([spec])
    return [shared, *alone] if shared else alone


def _columns_read(kwargs: dict[str, Any]) -> tuple[str, ...]:
    cols = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    return tuple(dict.fromkeys([*cols, *kwargs.get("column_list", [])]))


def _trim(r: Any) -> None:
    """Cut the lists of every failing row in a GE result to a sample before it is stored."""
    res = r.result or {}
    for key in ("unexpected_index_list", "unexpected_list"):
        if len(res.get(key) or ()) > MAX_ISSUES_PER_RULE:
            res[key] = res[key][:MAX_ISSUES_PER_RULE]


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
