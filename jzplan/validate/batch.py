"""Many small files through Great Expectations at once, reported per file exactly as each
file's own validation reports it.

GE's cost on a township file (~20 rows) is nearly all fixed per validation (building the
metric graph, ~0.1–0.3 s), so a batch's files are validated as ONE frame per suite and GE's
result of each expectation is split back per file: the failing rows (GE's unexpected index
and value lists, in row order) go to the file they fall in, and each expectation's own
``_validate`` turns the file's metrics (its row count, missing or filtered row count and its
failing rows) into the file's result, as GE would have for the file alone. The per-file
reports (rules, located issues, GE documents, error rows) equal
``SubmissionValidator.validate`` / ``validate_history`` on each file.

Only row-wise expectations are split (a row's outcome depends on that row alone, or, for the
duplicate check, on rows with the same key: files that share a key are validated apart), and
only frames whose column types agree; anything else, a large file, an expectation GE could
not evaluate, or totals that do not add up falls back to the file's own validation.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from jzplan.core.submissions import ParsedSubmission
from jzplan.validate.columns import Columns
from jzplan.validate.history_checks import OutlierSettings
from jzplan.validate.results import ValidationReport, suite_document
from jzplan.validate.validator import (
    FILE_SUITES,
    HISTORY_SUITE,
    PER_EXPECTATION_FROM_ROWS,
    SubmissionValidator,
    columns_read,
)

# map metrics whose condition is decided row by row (the unique check: by key, see _groups)
_ROW_WISE = frozenset(
    {
        "column_values.nonnull",
        "column_values.in_set",
        "column_values.between",
        "column_values.match_regex_per_distinct_value",
        "column_pair_values.a_greater_than_b",
        "column_pair_values.equal",
        "multicolumn_values.equal_column_sum",
        "multicolumn_values.between_columns",
        "compound_columns.unique",
        "column_values.unique",
    }
)
_TABLE_LEVEL = frozenset({"expect_table_row_count_to_be_between"})
_UNIQUE = "expect_compound_columns_to_be_unique"
_UNIQUE_COLUMN = "expect_column_values_to_be_unique"


def validate_files(
    validator: SubmissionValidator, parsed: Sequence[ParsedSubmission]
) -> list[ValidationReport]:
    """``validator.validate(p)`` (the file suites) for every ``p`` of ``parsed``."""
    columns = [validator.columns(p) for p in parsed]
    return _validate_many(validator, list(parsed), columns, FILE_SUITES)


def validate_histories(
    validator: SubmissionValidator,
    parsed: Sequence[ParsedSubmission],
    histories: Sequence[Any],
    outlier: OutlierSettings | None = None,
) -> list[ValidationReport]:
    """``validator.validate_history(p, h, outlier)`` for every pair of ``parsed`` and
    ``histories`` (each file's unit's accepted figures of earlier months)."""
    settings = outlier or validator.outlier
    columns = [
        validator.history_columns(p, history, settings)
        for p, history in zip(parsed, histories, strict=True)
    ]
    return _validate_many(validator, list(parsed), columns, (HISTORY_SUITE,))


def _validate_many(
    validator: SubmissionValidator,
    parsed: list[ParsedSubmission],
    columns: list[Columns],
    suites: tuple[str, ...],
) -> list[ValidationReport]:
    reports = [ValidationReport((), ()) for _ in parsed]
    for name in suites:
        suite = validator.suite_check(name)
        frames = [c.batch(suite.columns, coded=False) for c in columns]
        small = [i for i, c in enumerate(columns) if 0 < c.n < PER_EXPECTATION_FROM_ROWS]
        alone = [i for i in range(len(parsed)) if i not in set(small)]
        for group in _groups(validator, name, small, frames):
            done = _validate_group(validator, name, group, parsed, columns, frames)
            if done is None:
                alone += group
                continue
            for i, report in zip(group, done, strict=True):
                reports[i] = reports[i] + report
        for i in sorted(alone):
            reports[i] = reports[i] + validator.run(parsed[i], columns[i], (name,))
    return reports


def _groups(
    validator: SubmissionValidator, name: str, files: list[int], frames: list[pd.DataFrame]
) -> list[list[int]]:
    """Files validated together: the same column types, and no key of the suite's duplicate
    check in two files (it would be a duplicate of the batch, not of either file)."""
    keys = [
        list(e["kwargs"]["column_list"])
        for e in validator.suite_specs(name)
        if e["type"] == _UNIQUE
    ]
    groups: list[tuple[tuple[Any, ...], set[Any], list[int]]] = []
    for i in files:
        signature = tuple(str(t) for t in frames[i].dtypes)
        mine: set[Any] = set()
        for cols in keys:
            block = frames[i][cols].astype(object)
            block = block.where(block.notna(), None)
            mine |= {(tuple(cols), row) for row in block.itertuples(index=False, name=None)}
        for sig, seen, members in groups:
            if sig == signature and not (seen & mine):
                seen |= mine
                members.append(i)
                break
        else:
            groups.append((signature, mine, [i]))
    return [members for _, _, members in groups if len(members) > 1] + [
        members for _, _, members in groups if len(members) == 1
    ]


def _validate_group(
    validator: SubmissionValidator,
    name: str,
    group: list[int],
    parsed: list[ParsedSubmission],
    columns: list[Columns],
    frames: list[pd.DataFrame],
) -> list[ValidationReport] | None:
    """The suite ``name`` on the group's files as one GE validation, split per file; None
    when the split cannot be trusted (then each file is validated alone)."""
    if len(group) == 1:
        return None
    mine = [frames[i] for i in group]
    whole = pd.concat(mine, ignore_index=True)
    if any(not whole.dtypes.equals(f.dtypes) for f in mine):
        return None
    offsets = np.cumsum([0] + [len(f) for f in mine])
    keys = _per_file_keys(validator, name, whole, offsets)
    if keys is None:
        return None
    run = validator.suite_check(name).validate(whole)
    per_file: list[list[Any]] = [[] for _ in group]
    for r in run.results:
        split = _split(validator, r, mine, whole, offsets, keys)
        if split is None:
            return None
        for k, evr in enumerate(split):
            per_file[k].append(evr)
    return [
        _report(validator, name, parsed[i], columns[i], per_file[k], run, mine[k])
        for k, i in enumerate(group)
    ]


def _per_file_keys(
    validator: SubmissionValidator, name: str, whole: pd.DataFrame, offsets: np.ndarray
) -> frozenset[str] | None:
    """Make the key column of each single-column uniqueness check in the suite distinct
    between files (each file numbers its own keys), in place; the columns so changed, or
    None when one cannot be (not a float column, or another expectation reads it)."""
    specs = validator.suite_specs(name)
    changed = []
    for e in specs:
        if e["type"] != _UNIQUE_COLUMN:
            continue
        col = e["kwargs"]["column"]
        readers = [x for x in specs if col in columns_read(x["kwargs"])]
        if len(readers) != 1 or whole[col].dtype != np.float64:
            return None
        values = whole[col].to_numpy()
        present = ~np.isnan(values)
        file_of = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
        pairs = pd.MultiIndex.from_arrays([file_of[present], values[present]])
        codes = np.full(len(values), np.nan)
        codes[present] = pd.factorize(pairs)[0]
        whole[col] = codes
        changed.append(col)
    return frozenset(changed)


def _split(
    validator: SubmissionValidator,
    r: Any,
    frames: list[pd.DataFrame],
    whole: pd.DataFrame,
    offsets: np.ndarray,
    keys: frozenset[str] = frozenset(),
) -> list[Any] | None:
    """GE's result ``r`` on ``whole`` (the files' ``frames`` one after another) as one result
    per file, or None. Failing values of a column in ``keys`` (renumbered per batch) are read
    from the file's own frame."""
    from great_expectations.core.expectation_validation_result import (
        ExpectationValidationResult,
    )

    if (r.exception_info or {}).get("raised_exception"):
        return None
    config = r.expectation_config
    found_expectation = validator.expectation(config)
    expectation = found_expectation.expectation
    result_format, names = found_expectation.result_format, found_expectation.metrics
    res = r.result or {}
    sizes = np.diff(offsets)
    getters: dict[str, Callable[[int], Any]] = {"table.row_count": lambda k: int(sizes[k])}
    if config.type not in _TABLE_LEVEL:
        map_metric = getattr(expectation, "map_metric", None)
        if map_metric not in _ROW_WISE:
            return None
        if map_metric == "column_values.unique" and config.kwargs.get("column") not in keys:
            return None
        found = _failing_rows(res, offsets)
        if found is None:
            return None
        indexes, values = found
        column = config.kwargs.get("column")
        if column in keys:
            values = [list(f[column].iloc[i]) for f, i in zip(frames, indexes, strict=True)]
        getters[f"{map_metric}.unexpected_count"] = lambda k: len(indexes[k])
        getters[f"{map_metric}.unexpected_values"] = lambda k: values[k]
        getters[f"{map_metric}.unexpected_index_list"] = lambda k: indexes[k]
        if result_format.get("return_unexpected_index_query") is False:
            getters[f"{map_metric}.unexpected_index_query"] = lambda k: None
        kept = _kept_rows(expectation, config.kwargs, whole, offsets)
        if kept is None:
            return None
        if "missing_count" in res and sum(kept) != res["element_count"] - res["missing_count"]:
            return None
        nulls = [int(f.shape[0]) - n for f, n in zip(frames, kept, strict=True)]
        getters["column_values.nonnull.unexpected_count"] = lambda k: nulls[k]
        getters[f"{map_metric}.filtered_row_count"] = lambda k: kept[k]
    if any(n not in getters for n in names):
        return None
    out = []
    for k in range(len(frames)):
        metrics = {n: getters[n](k) for n in names}
        raw = expectation._validate(
            metrics=metrics, runtime_configuration={"result_format": dict(result_format)}
        )
        # as Expectation._build_evr, with the batch's configuration (building it again from
        # the expectation costs more than the validation)
        if not isinstance(raw, dict):
            return None
        evr = ExpectationValidationResult(**raw)
        evr.expectation_config = config
        out.append(evr)
    return out


def _failing_rows(
    res: dict[str, Any], offsets: np.ndarray
) -> tuple[list[list[Any]], list[list[Any]]] | None:
    """GE's failing rows of the batch as each file's (row indexes in the file, values)."""
    index_list = res.get("unexpected_index_list")
    value_list = res.get("unexpected_list")
    if index_list is None or value_list is None:
        return None
    if not (len(index_list) == len(value_list) == res.get("unexpected_count")):
        return None
    at = np.asarray(index_list, dtype=np.int64)
    if len(at) and (np.any(np.diff(at) < 0) or at[0] < 0 or at[-1] >= offsets[-1]):
        return None
    bounds = np.searchsorted(at, offsets)
    indexes, values = [], []
    for k in range(len(offsets) - 1):
        lo, hi = int(bounds[k]), int(bounds[k + 1])
        base = int(offsets[k])
        indexes.append([type(x)(x - base) for x in index_list[lo:hi]])
        values.append(list(value_list[lo:hi]))
    return indexes, values


def _kept_rows(
    expectation: Any, kwargs: dict[str, Any], whole: pd.DataFrame, offsets: np.ndarray
) -> list[int] | None:
    """Each file's rows the expectation evaluates (GE's non-missing or filtered row count),
    from the batch's frame (each file's rows between its offsets)."""
    if "column" in kwargs:
        cols, drop_if = [kwargs["column"]], "any"
    else:
        if "column_A" in kwargs:
            cols = [kwargs["column_A"], kwargs["column_B"]]
            how = {"both_values_are_missing": "all", "either_value_is_missing": "any"}
        elif "column_list" in kwargs:
            cols = list(kwargs["column_list"])
            how = {"all_values_are_missing": "all", "any_value_is_missing": "any"}
        else:
            return None
        ignore = str(getattr(expectation, "ignore_row_if", None))
        if ignore in ("never", "neither"):
            return [int(x) for x in np.diff(offsets)]
        if ignore not in how:
            return None
        drop_if = how[ignore]
    missing = np.column_stack([whole[c].isna().to_numpy() for c in cols])
    dropped = missing.all(axis=1) if drop_if == "all" else missing.any(axis=1)
    kept = np.concatenate([[0], np.cumsum(~dropped)])[offsets]
    return [int(x) for x in np.diff(kept)]


def _report(
    validator: SubmissionValidator,
    name: str,
    parsed: ParsedSubmission,
    columns: Columns,
    evrs: list[Any],
    run: Any,
    frame: pd.DataFrame,
) -> ValidationReport:
    """One suite's report of one file from its GE results, as ``SubmissionValidator.run``
    builds it from a GE validation of the file alone."""
    from great_expectations.execution_engine import pandas_execution_engine

    found, suite = validator.suite_results(parsed, columns, name, evrs)
    meta = copy.deepcopy(run.meta)
    markers = meta.get("batch_markers")
    if markers is not None:
        markers.pop("pandas_data_fingerprint", None)
        if frame.memory_usage().sum() < pandas_execution_engine.HASH_THRESHOLD:
            fingerprint = pandas_execution_engine.hash_pandas_dataframe
            markers["pandas_data_fingerprint"] = fingerprint(frame)  # type: ignore[no-untyped-call]
    document = suite_document(name, found, meta=meta)
    error_rows = suite.error_rows
    rows = np.unique(np.concatenate(error_rows)) if error_rows else np.zeros(0, np.int64)
    return ValidationReport(tuple(suite.results), tuple(suite.issues), (document,), rows)
