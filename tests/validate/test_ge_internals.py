"""Great Expectations internals jzplan relies on, one test each.

GE is pinned to 1.24 in pyproject.toml because of these: each test fails with a message
naming the internal when a GE release changes it underneath.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

import pandas as pd
import pytest

from jzplan.validate.batch import validate_files
from jzplan.validate.custom_expectations import DomainRecordsOnceEngine
from jzplan.validate.validator import FILE_SUITES, STRUCTURE_SUITE, SubmissionValidator
from tests.validate.cases import good_rows, submission

PINNED = "GE is pinned to 1.24 in pyproject.toml because of it"


def _says(internal: str) -> str:
    return f"GE internal changed: {internal}; {PINNED}"


def _parameters(func: Any) -> list[str]:
    return list(inspect.signature(func).parameters)


def _frame(validator: SubmissionValidator) -> pd.DataFrame:
    columns = validator.columns(submission(good_rows(validator.catalog)))
    return columns.batch(validator.suite_check(STRUCTURE_SUITE).columns, coded=False)


def test_pandas_execution_engine_get_domain_records(validator: SubmissionValidator) -> None:
    """custom_expectations.DomainRecordsOnceEngine overrides get_domain_records and reads the
    batch manager's active batch and its cached batch data."""
    from great_expectations.execution_engine.pandas_execution_engine import (
        PandasExecutionEngine,
    )

    internal = "PandasExecutionEngine.get_domain_records(domain_kwargs) and its batch_manager"
    assert _parameters(PandasExecutionEngine.get_domain_records) == [
        "self",
        "domain_kwargs",
    ], _says(internal)
    engine = validator.context.data_sources.get("submissions").get_execution_engine()
    assert isinstance(engine, DomainRecordsOnceEngine), _says(internal)
    validator.suite_check(STRUCTURE_SUITE).validate(_frame(validator))
    manager = engine.batch_manager
    batch_id = manager.active_batch_data_id
    assert batch_id is not None, _says(internal)
    batch = manager.batch_data_cache.get(batch_id)
    assert isinstance(getattr(batch, "dataframe", None), pd.DataFrame), _says(internal)


def test_pandas_datasource_execution_engine_override(validator: SubmissionValidator) -> None:
    """custom_expectations.SubmissionsDatasource picks its engine with the class variable
    execution_engine_override, and GE registers it as data_sources.add_<type>."""
    from great_expectations.datasource.fluent.pandas_datasource import PandasDatasource

    internal = "PandasDatasource.execution_engine_override and data_sources.add_jzplan_pandas"
    assert hasattr(PandasDatasource, "execution_engine_override"), _says(internal)
    assert callable(getattr(validator.context.data_sources, "add_jzplan_pandas", None)), _says(
        internal
    )
    source = validator.context.data_sources.get("submissions")
    assert type(source.get_execution_engine()) is DomainRecordsOnceEngine, _says(internal)


def test_hash_threshold_decides_the_batch_fingerprint(
    validator: SubmissionValidator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The validator lowers pandas_execution_engine.HASH_THRESHOLD (read on every batch);
    validate/batch.py recomputes the fingerprint with hash_pandas_dataframe."""
    from great_expectations.execution_engine import pandas_execution_engine

    internal = "pandas_execution_engine.HASH_THRESHOLD and hash_pandas_dataframe"
    assert isinstance(pandas_execution_engine.HASH_THRESHOLD, int | float), _says(internal)
    assert _parameters(pandas_execution_engine.hash_pandas_dataframe) == ["df"], _says(internal)
    frame = _frame(validator)
    check = validator.suite_check(STRUCTURE_SUITE)
    markers = check.validate(frame).meta["batch_markers"]
    expected = pandas_execution_engine.hash_pandas_dataframe(frame)  # type: ignore[no-untyped-call]
    assert markers.get("pandas_data_fingerprint") == expected, _says(internal)
    monkeypatch.setattr(pandas_execution_engine, "HASH_THRESHOLD", 0)
    markers = check.validate(frame).meta["batch_markers"]
    assert "pandas_data_fingerprint" not in markers, _says(internal)


def test_expectation_validate_from_metrics(validator: SubmissionValidator) -> None:
    """validate/batch.py calls expectation._validate(metrics=, runtime_configuration=) with
    the metrics get_validation_dependencies names, and reads map_metric / ignore_row_if."""
    from great_expectations.expectations.expectation import Expectation

    internal = "Expectation._validate(metrics, runtime_configuration) and its dependencies"
    assert _parameters(Expectation._validate)[:3] == [
        "self",
        "metrics",
        "runtime_configuration",
    ], _says(internal)
    assert "runtime_configuration" in _parameters(Expectation.get_validation_dependencies), _says(
        internal
    )
    suite = validator.suite_check(STRUCTURE_SUITE).definition.suite
    for e in suite.expectations:
        found = validator.expectation(e.configuration)
        assert isinstance(found.result_format, dict), _says(internal)
        assert found.metrics and all(isinstance(n, str) for n in found.metrics), _says(internal)
        kwargs = e.configuration.kwargs
        if "column_A" in kwargs or "column_list" in kwargs:
            assert hasattr(found.expectation, "ignore_row_if"), _says(internal)
    not_null = next(e for e in suite.expectations if e.expectation_type.endswith("not_be_null"))
    found = validator.expectation(not_null.configuration)
    map_metric = found.expectation.map_metric
    assert map_metric == "column_values.nonnull", _says(f"{internal} (map_metric)")
    metrics = {
        name: {
            "table.row_count": 3,
            "column_values.nonnull.unexpected_count": 0,  # replaced below: the map metric
            f"{map_metric}.unexpected_count": 1,
            f"{map_metric}.unexpected_values": [None],
            f"{map_metric}.unexpected_index_list": [2],
            f"{map_metric}.unexpected_index_query": None,
            f"{map_metric}.filtered_row_count": 3,
        }[name]
        for name in found.metrics
    }
    raw = found.expectation._validate(
        metrics=metrics, runtime_configuration={"result_format": dict(found.result_format)}
    )
    assert isinstance(raw, dict) and raw["success"] is False, _says(internal)
    assert raw["result"]["unexpected_count"] == 1, _says(internal)


def test_batch_split_knows_every_file_suite_metric(validator: SubmissionValidator) -> None:
    """validate/batch.py computes per file only the metrics it knows by GE's names
    (table.row_count, <map metric>.unexpected_count, ...); any other name sends every file
    to a validation of its own."""
    internal = "the metric names of GE's map expectations"
    known = {"table.row_count", "column_values.nonnull.unexpected_count"}
    suffixes = (
        "unexpected_count",
        "unexpected_values",
        "unexpected_index_list",
        "unexpected_index_query",
        "filtered_row_count",
    )
    for name in FILE_SUITES:
        for e in validator.suite_check(name).definition.suite.expectations:
            found = validator.expectation(e.configuration)
            map_metric = getattr(found.expectation, "map_metric", None)
            mine = known | {f"{map_metric}.{s}" for s in suffixes}
            unknown = set(found.metrics) - mine
            assert not unknown, _says(f"{internal}: {e.expectation_type} reads {unknown}")


def test_v1_validator_validates_a_suite_without_storing(validator: SubmissionValidator) -> None:
    """validator.SuiteCheck builds great_expectations.validator.v1_validator.Validator
    directly, as ValidationDefinition.run does, and fills the result's meta itself."""
    from great_expectations.validator.v1_validator import Validator

    internal = "v1_validator.Validator(batch_definition, result_format, batch_parameters)"
    assert {"batch_definition", "result_format", "batch_parameters"} <= set(
        _parameters(Validator.__init__)
    ), _says(internal)
    assert _parameters(Validator.validate_expectation_suite)[:2] == [
        "self",
        "expectation_suite",
    ], _says(internal)
    result = validator.suite_check(STRUCTURE_SUITE).validate(_frame(validator))
    assert result.success and isinstance(result.meta, dict), _says(internal)
    report = validate_files(validator, [submission(good_rows(validator.catalog))])[0]
    assert report.ok, _says(internal)


def test_data_docs_store_backend_and_page_view_env() -> None:
    """validate/datadocs.py writes result documents through the results store's backend
    (store_backend.set, key_to_tuple) and gives GE's page views a bytecode cache (env)."""
    import great_expectations as gx
    from great_expectations.render.view.view import DefaultJinjaIndexPageView, DefaultJinjaPageView

    internal = "validation_results_store.store_backend.set / key_to_tuple and DefaultJinjaView.env"
    ctx = gx.get_context(mode="ephemeral")
    results = ctx.validation_results_store
    assert callable(getattr(results, "key_to_tuple", None)), _says(internal)
    assert callable(getattr(results.store_backend, "set", None)), _says(internal)
    for view in (DefaultJinjaPageView, DefaultJinjaIndexPageView):
        assert hasattr(view(), "env"), _says(f"{internal} ({view.__name__})")


def test_expectation_configuration_is_a_rebuilt_property(validator: SubmissionValidator) -> None:
    """validate/ge_configuration.py keeps Expectation.configuration, a property GE rebuilds
    on every access, once per expectation inside a suite's validation; outside it every
    access still builds a new, equal configuration, and results are the same either way."""
    from great_expectations.expectations.expectation import Expectation

    from jzplan.validate.ge_configuration import configurations_kept

    internal = "Expectation.configuration (a property rebuilt on each access)"
    assert isinstance(Expectation.__dict__.get("configuration"), property), _says(internal)
    suite = validator.suite_check(STRUCTURE_SUITE).definition.suite
    expectation = suite.expectations[0]
    first, second = expectation.configuration, expectation.configuration
    assert first is not second and first == second, _says(internal)
    with configurations_kept():
        kept = expectation.configuration
        assert expectation.configuration is kept and kept == first
        other = suite.expectations[1]
        assert other.configuration is other.configuration is not kept
    assert expectation.configuration is not kept
    check = validator.suite_check(STRUCTURE_SUITE)
    with_kept = check.validate(_frame(validator)).to_json_dict()
    with configurations_kept():  # nested scopes: the inner one's own
        again = check.validate(_frame(validator)).to_json_dict()
    for doc in (with_kept, again):
        doc.pop("meta")
    assert with_kept == again


def test_suite_document_is_ges_own(
    validator: SubmissionValidator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """results.suite_document writes the document ExpectationSuiteValidationResult's
    to_json_dict writes (key order included), without its deep copies: checked on every
    suite's results of a batch with failing rules of each kind (file and cross-field suites,
    partial unexpected lists) and on a suite with no results."""
    import json

    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
    )

    from jzplan.validate import batch, results
    from tests.validate.cases import DEFECTS

    internal = "ExpectationSuiteValidationResult.to_json_dict and its schemas"
    calls: list[tuple[str, list[Any], Any]] = []

    def recorded(name: str, found: list[Any], *, meta: Any = None) -> dict[str, Any]:
        calls.append((name, list(found), copy.deepcopy(meta)))
        return results.suite_document(name, found, meta=meta)

    monkeypatch.setattr(batch, "suite_document", recorded)
    catalog = validator.catalog
    parsed = [submission(good_rows(catalog))]
    for code in ("negative_value", "parts_sum_to_whole", "unknown_org_unit", "duplicate_indicator"):
        parsed.append(submission(DEFECTS[code][0](good_rows(catalog))))
    validate_files(validator, parsed)
    assert {name for name, _, _ in calls} >= set(FILE_SUITES), calls
    assert any(not r.success for _, found, _ in calls for r in found)
    for name, found, meta in [*calls, ("township_monthly", [], None)]:
        successful = sum(1 for r in found if r.success)
        theirs = ExpectationSuiteValidationResult(
            success=successful == len(found),
            results=found,
            suite_name=name,
            statistics={
                "evaluated_expectations": len(found),
                "successful_expectations": successful,
                "unsuccessful_expectations": len(found) - successful,
                "success_percent": 100.0 * successful / len(found) if found else None,
            },
            meta=copy.deepcopy(meta),
        ).to_json_dict()  # type: ignore[no-untyped-call]
        ours = results.suite_document(name, found, meta=meta)
        assert json.dumps(ours, ensure_ascii=False) == json.dumps(theirs, ensure_ascii=False), (
            _says(internal)
        )
