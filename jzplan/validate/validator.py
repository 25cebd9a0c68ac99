"""Validate a parsed submission with the Great Expectations suites kept in ``expectations/``.

Three suites, each GE's own JSON, all over one long frame (a row per figure) enriched with
the catalog facts and comparison columns the expectations read (``jzplan.validate.columns``):

- ``township_monthly``: structure and values (columns, known units and indicators, period
  format, canonical units, no duplicates, non-negative, plausible per-indicator ranges);
- ``township_cross_field``: parts sum to wholes, a part never exceeds its whole
  (``relations.yaml``, ``jzplan.validate.rules``);
- ``township_history``: against the unit's own accepted figures in the store — year-to-date
  never decreases, 本月 = 累计 − 上月累计, month-over-month and year-over-year changes within
  robust bounds (``jzplan.validate.history_checks``).

The first two need nothing but the file (they run where files are prepared, in parallel); the
history suite needs the store and runs when the file is loaded, in order, so a late or
corrected previous month in the same batch is already there.

GE is imported lazily (``jzplan.validate.import_engine``: ~1 s in a new process, scipy.stats
and altair left lazy) and its context is built once per validator; each
expectation's ``meta`` carries the stable rule code, its severity (error rejects the file,
warning loads it, flags it and raises an alert) and the Chinese message shown to the office
(``jzplan.validate.results``, ``jzplan.validate.messages``).
"""

from __future__ import annotations

import datetime
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import numpy as np
import pandas as pd

from jzplan.core.submissions import ParsedSubmission, SubmissionIssue
from jzplan.reference.catalog import Catalog
from jzplan.validate import import_engine
from jzplan.validate.columns import (
    Columns,
    IndicatorFacts,
    UnitForms,
    validation_columns,
    validation_frame,
)
from jzplan.validate.ge_configuration import configurations_kept
from jzplan.validate.history_checks import OutlierSettings, history_columns
from jzplan.validate.results import (
    RuleResult,
    SuiteResults,
    ValidationReport,
    rule_of,
    suite_document,
    suite_results,
)
from jzplan.validate.rules import load_rules, load_suite_dict

STRUCTURE_SUITE = "township_monthly"
CROSS_FIELD_SUITE = "township_cross_field"
HISTORY_SUITE = "township_history"
SUITES: tuple[str, ...] = (STRUCTURE_SUITE, CROSS_FIELD_SUITE, HISTORY_SUITE)
# Suites that need only the file; the history suite needs the store.
FILE_SUITES: tuple[str, ...] = (STRUCTURE_SUITE, CROSS_FIELD_SUITE)
# The month's status files (重点工作进展.csv, 排名.csv): ``jzplan.validate.status_checks``
PROGRESS_SUITE = "status_progress"
RANKING_SUITE = "status_ranking"
STATUS_SUITES: tuple[str, ...] = (PROGRESS_SUITE, RANKING_SUITE)
P = ParamSpec("P")
R = TypeVar("R")
_FINGERPRINT_BELOW_BYTES = 2**20
# from this many rows each expectation runs on its own narrow batch; below, a suite is one GE
# validation of the whole frame (a township file: ~20 rows, where GE's fixed cost per
# validation dominates)
PER_EXPECTATION_FROM_ROWS = 100_000
RESULT_FORMAT = {"result_format": "COMPLETE", "return_unexpected_index_query": False}
# columns of the validation frame that are never missing (boolean catalog facts)
_NEVER_MISSING = frozenset({"org_unit_known", "indicator_known", "on_form"})


@dataclass(frozen=True, slots=True)
class Expectation:
    """A GE expectation of a suite, its parsed result format and the names of the metrics its
    ``_validate`` reads (what ``jzplan.validate.batch`` needs to validate it per file)."""

    expectation: Any
    result_format: dict[str, Any]
    metrics: tuple[str, ...]


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
        import_engine()
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
        self._unit_forms = UnitForms.of(catalog, IndicatorFacts.of(catalog, None).index)
        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        # GE's pandas data source, a domain's records computed once per batch
        source = ctx.data_sources.add_jzplan_pandas("submissions")
        assert isinstance(source.get_execution_engine(), DomainRecordsOnceEngine)
        asset = source.add_dataframe_asset("submission")
        batch_definition = asset.add_batch_definition_whole_dataframe("whole")
        self._checks: dict[str, list[SuiteCheck]] = {}
        self._suites: dict[str, SuiteCheck] = {}
        self._order: dict[str, Callable[[Any], int]] = {}
        self._specs: dict[str, list[dict[str, Any]]] = {}
        self._expectations: dict[str, Expectation] = {}
        self._expectations_lock = threading.Lock()
        self.expectation_counts: dict[str, int] = {}
        for name in SUITES:
            self._add_suite(ctx, batch_definition, name)
        for name in STATUS_SUITES:
            self._add_suite(ctx, batch_definition, name, runs=False)
        self.context = ctx
        self._source = source

    def call(self, function: Callable[Concatenate[SubmissionValidator, P], R],
             *args: P.args, **kwargs: P.kwargs) -> R:  # fmt: skip
        """``function(self, *args, **kwargs)`` (what a ``SharedValidator`` may send to its
        helper process, this validator does here)."""
        return function(self, *args, **kwargs)

    here = call

    def release(self) -> None:
        """Drop what GE's execution engine keeps of the last frame validated (its batch and
        the domain records made of it): a validator kept for a process's next run holds no
        file's rows meanwhile (on a national month, gigabytes)."""
        engine = self._source.get_execution_engine()
        engine.batch_manager.reset_batch_cache()
        engine.batch_manager.batch_data_cache.clear()
        engine.forget()

    def _add_suite(self, ctx: Any, batch_definition: Any, name: str, *, runs: bool = True) -> None:
        """The suite ``name`` as one GE validation, and as the runs of a large file."""
        import great_expectations as gx

        suite_dict = load_suite_dict(self.expectations_dir, name)
        expected = len(suite_dict["expectations"])
        suite = gx.ExpectationSuite(**suite_dict)
        # GE silently drops expectation types it does not know: fail loudly instead.
        if len(suite.expectations) != expected:
            raise RuntimeError(
                f"suite {name}: {len(suite.expectations)} of {expected} expectations loaded"
            )
        whole = ctx.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch_definition, suite=ctx.suites.add(suite))
        )
        read = [c for e in suite_dict["expectations"] for c in columns_read(e["kwargs"])]
        self._suites[name] = SuiteCheck(whole, tuple(dict.fromkeys(read)))
        self._order[name] = _suite_order(suite_dict)
        self._specs[name] = list(suite_dict["expectations"])
        self.expectation_counts[name] = expected
        checks = []
        for i, specs in enumerate(_runs(suite_dict["expectations"]) if runs else []):
            part = ctx.suites.add(gx.ExpectationSuite(name=f"{name}.{i}", expectations=specs))
            definition = ctx.validation_definitions.add(
                gx.ValidationDefinition(name=f"{name}.{i}", data=batch_definition, suite=part)
            )
            read = [c for spec in specs for c in columns_read(spec["kwargs"])]
            checks.append(SuiteCheck(definition, tuple(dict.fromkeys(read))))
        self._checks[name] = checks

    @property
    def expectation_count(self) -> int:
        """The expectations of the form suites (``SUITES``)."""
        return sum(self.expectation_counts[name] for name in SUITES)

    def suite_check(self, name: str) -> SuiteCheck:
        """The suite ``name`` as one GE validation."""
        return self._suites[name]

    def suite_specs(self, name: str) -> list[dict[str, Any]]:
        """The suite's expectations as its JSON writes them."""
        return self._specs[name]

    def columns(self, parsed: ParsedSubmission) -> Columns:
        """The columns the file suites read (``validation_frame``'s)."""
        return validation_columns(parsed, self.catalog, self.rules, self._unit_forms)

    def history_columns(
        self, parsed: ParsedSubmission, history: pd.DataFrame, outlier: OutlierSettings
    ) -> Columns:
        """The columns the history suite reads: the file suites' and the comparisons with
        ``history`` (the unit's accepted figures of earlier months)."""
        frame = validation_frame(parsed, self.catalog, self.rules)
        extra = history_columns(frame, history, parsed.period, self.catalog, outlier)
        return Columns.of(pd.concat([frame, extra], axis=1))

    def validate(
        self, parsed: ParsedSubmission, *, history: pd.DataFrame | None = None
    ) -> ValidationReport:
        """The file suites; with ``history`` (the unit's accepted earlier figures, see
        ``jzplan.validate.store_checks.read_unit_history``) the history suite too."""
        report = self.run(parsed, self.columns(parsed), FILE_SUITES)
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
        columns = self.history_columns(parsed, history, outlier or self.outlier)
        return self.run(parsed, columns, (HISTORY_SUITE,))

    def history_unchecked(self, rows: int) -> ValidationReport:
        """The history suite's report on ``rows`` figures none of which has an earlier figure
        to be compared with (every comparison column empty): each rule passes having checked
        the rows, as GE reports it, without running GE (on a bulk month, seconds)."""
        results = (
            RuleResult(*rule_of(spec.get("meta") or {}, spec["type"]), True, rows, 0)
            for spec in self._specs[HISTORY_SUITE]
        )
        return ValidationReport(tuple(results), ())

    def run(
        self, parsed: ParsedSubmission, columns: Columns, suites: tuple[str, ...]
    ) -> ValidationReport:
        """The ``suites`` on a file's ``columns``: one GE validation per suite, or per run of
        expectations on a large file."""
        results: list[RuleResult] = []
        issues: list[SubmissionIssue] = []
        documents: list[dict[str, Any]] = []
        error_rows: list[np.ndarray] = []
        large = columns.n >= PER_EXPECTATION_FROM_ROWS
        for name in suites:
            runs = [
                check.validate(columns.batch(check.columns, coded=large))
                for check in (self._checks[name] if large else [self._suites[name]])
            ]
            found, suite = self.suite_results(
                parsed, columns, name, [r for run in runs for r in run.results]
            )
            results += suite.results
            issues += suite.issues
            error_rows += suite.error_rows
            documents.append(suite_document(name, found, meta=runs[0].meta if runs else None))
        rows = np.unique(np.concatenate(error_rows)) if error_rows else np.zeros(0, np.int64)
        return ValidationReport(tuple(results), tuple(issues), tuple(documents), rows)

    def suite_results(
        self, parsed: ParsedSubmission, columns: Columns, name: str, evrs: list[Any]
    ) -> tuple[list[Any], SuiteResults]:
        """The suite ``name``'s GE results in the suite's order, trimmed for storage, and
        what the report takes of them."""
        return suite_results(parsed, columns, evrs, order=self._order[name], catalog=self.catalog)

    def expectation(self, config: Any) -> Expectation:
        """The expectation of a GE result's ``config`` (GE rebuilds it per validation), made
        once per configuration."""
        key = json.dumps(config.to_json_dict(), sort_keys=True, default=str)
        with self._expectations_lock:
            found = self._expectations.get(key)
        if found is None:
            expectation = config.to_domain_obj()
            deps = expectation.get_validation_dependencies(
                runtime_configuration={"result_format": dict(RESULT_FORMAT)}
            )
            found = Expectation(
                expectation, dict(deps.result_format), tuple(deps.metric_configurations)
            )
            with self._expectations_lock:
                self._expectations[key] = found
        return found


@dataclass(frozen=True, slots=True)
class SuiteCheck:
    """A GE validation (one expectation, or a whole suite) and the columns it reads."""

    definition: Any  # gx.ValidationDefinition
    columns: tuple[str, ...]

    def validate(self, batch: pd.DataFrame, parameters: dict[str, Any] | None = None) -> Any:
        """The definition's suite on ``batch``, as ``ValidationDefinition.run`` validates it,
        without keeping the result in the context's store (nothing reads it there; on a bulk
        file it serialised every failing row's value once more). ``parameters``: the values
        of the suite's ``$PARAMETER`` references."""
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.validator.v1_validator import Validator

        validator = Validator(
            batch_definition=self.definition.batch_definition,
            batch_parameters={"dataframe": batch},
            result_format=RESULT_FORMAT,
        )
        with configurations_kept():
            result = validator.validate_expectation_suite(
                self.definition.suite, expectation_parameters=parameters
            )
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
    those reading no column or only columns never missing share one run (GE's per-run cost
    is all they cost: with no missing value its row filters copy nothing)."""
    shared, alone = [], []
    for spec in expectations:
        if set(columns_read(spec["kwargs"])) <= _NEVER_MISSING:
            shared.append(spec)
        else:
            alone.append([spec])
    return [shared, *alone] if shared else alone


def columns_read(kwargs: dict[str, Any]) -> tuple[str, ...]:
    """The columns an expectation's ``kwargs`` name, in order, once each."""
    cols = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    return tuple(dict.fromkeys([*cols, *kwargs.get("column_list", [])]))
