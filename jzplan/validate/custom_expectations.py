"""Row-wise Great Expectations our suites use that GE does not ship.

Importing this module registers them (GE registers an expectation class when it is defined);
``jzplan.validate.validator`` imports it before loading any suite, because GE silently drops unknown
expectation types from a loaded suite. Import it only where GE may be imported (about 2.5 s).

- ``expect_column_values_to_equal_column_sum``: ``column_list[0]`` equals the sum of the other
  columns within ``rel_tol`` (of the larger side) plus ``abs_tol``. Used for parts that sum to
  a whole (国税 + 地税 = 地方财政收入) and for 1-N月累计 = 上月累计 + 本月.
- ``expect_column_values_to_be_between_columns``: ``column_list[0]`` lies within the row's own
  bounds ``column_list[1]`` .. ``column_list[2]`` (inclusive). Used for per-indicator plausible
  ranges and for the bounds learned from a unit's own history.

Rows with a missing value in any listed column are skipped (``ignore_row_if``), so a bound or
a previous month that does not exist is no failure.

- ``expect_column_values_to_match_regex_per_distinct_value``: GE's
  ``expect_column_values_to_match_regex`` (the value's text contains a match; missing values
  skipped), with the regex evaluated once per distinct value and broadcast to the rows (on a
  categorical column, once per category). Used for the period of a bulk file's every row.

And the pandas data source the validator reads batches through, ``SubmissionsDatasource``
(type ``jzplan_pandas``): GE's pandas data source whose execution engine computes a domain's
records once per batch (``DomainRecordsOnceEngine``).
"""

from __future__ import annotations

import weakref
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from great_expectations.datasource.fluent.pandas_datasource import PandasDatasource
from great_expectations.execution_engine.pandas_execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import (
    ColumnMapExpectation,
    MulticolumnMapExpectation,
)
from great_expectations.expectations.metrics.map_metric_provider.column_condition_partial import (
    column_condition_partial,
)
from great_expectations.expectations.metrics.map_metric_provider.column_map_metric_provider import (
    ColumnMapMetricProvider,
)
from great_expectations.expectations.metrics.map_metric_provider.multicolumn_condition_partial import (  # noqa: E501
    multicolumn_condition_partial,
)
from great_expectations.expectations.metrics.map_metric_provider.multicolumn_map_metric_provider import (  # noqa: E501
    MulticolumnMapMetricProvider,
)

_DOMAIN_KEYS = (
    "batch_id",
    "table",
    "column_list",
    "row_condition",
    "condition_parser",
    "ignore_row_if",
)


class MulticolumnValuesEqualColumnSum(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.equal_column_sum"
    condition_domain_keys = _DOMAIN_KEYS
    condition_value_keys = ("rel_tol", "abs_tol")

    @multicolumn_condition_partial(engine=PandasExecutionEngine)  # type: ignore[untyped-decorator]
    def _pandas(cls, column_list: pd.DataFrame, **kwargs: Any) -> pd.Series:
        rel_tol = float(kwargs.get("rel_tol") or 0.0)
        abs_tol = float(kwargs.get("abs_tol") or 0.0)
        total = column_list.iloc[:, 0].astype("float64")
        parts = column_list.iloc[:, 1:].astype("float64")
        summed = parts.sum(axis=1, skipna=False)
        scale = np.maximum(total.abs(), parts.abs().sum(axis=1))
        return (total - summed).abs() <= rel_tol * scale + abs_tol


class ExpectColumnValuesToEqualColumnSum(MulticolumnMapExpectation):
    """The first column equals the sum of the others, within a tolerance."""

    rel_tol: float = 0.0
    abs_tol: float = 0.0
    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = (
        "any_value_is_missing"
    )

    map_metric: ClassVar[str] = "multicolumn_values.equal_column_sum"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly", "rel_tol", "abs_tol")
    args_keys: ClassVar[tuple[str, ...]] = ("column_list", "rel_tol", "abs_tol")


class MulticolumnValuesBetweenColumns(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.between_columns"
    condition_domain_keys = _DOMAIN_KEYS
    condition_value_keys = ()

    @multicolumn_condition_partial(engine=PandasExecutionEngine)  # type: ignore[untyped-decorator]
    def _pandas(cls, column_list: pd.DataFrame, **kwargs: Any) -> pd.Series:
        value, low, high = (column_list.iloc[:, i].astype("float64") for i in range(3))
        return (value >= low) & (value <= high)


class ExpectColumnValuesToBeBetweenColumns(MulticolumnMapExpectation):
    """The first column lies between the second (low) and the third (high), inclusive."""

    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = (
        "any_value_is_missing"
    )

    map_metric: ClassVar[str] = "multicolumn_values.between_columns"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)
    args_keys: ClassVar[tuple[str, ...]] = ("column_list",)


class ColumnValuesMatchRegexPerDistinctValue(ColumnMapMetricProvider):
    condition_metric_name = "column_values.match_regex_per_distinct_value"
    condition_value_keys = ("regex",)

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, regex: str, **kwargs: Any) -> pd.Series:
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes = column.cat.codes.to_numpy()
            distinct = pd.Series(column.cat.categories, dtype="object")
        else:
            codes, uniques = pd.factorize(column)
            distinct = pd.Series(uniques, dtype="object")
        # as GE's expect_column_values_to_match_regex: the text of the value contains a match
        matches = distinct.astype(str).str.contains(regex).to_numpy(dtype=bool)
        return pd.Series(np.append(matches, False)[codes], index=column.index)


class ExpectColumnValuesToMatchRegexPerDistinctValue(ColumnMapExpectation):
    """GE's ``expect_column_values_to_match_regex``, the regex tried once per distinct value
    (a national month's period column is millions of rows of one or two values)."""

    regex: str

    map_metric: ClassVar[str] = "column_values.match_regex_per_distinct_value"
    success_keys: ClassVar[tuple[str, ...]] = ("regex", "mostly")
    args_keys: ClassVar[tuple[str, ...]] = ("column", "regex")


class DomainRecordsOnceEngine(PandasExecutionEngine):
    """GE's pandas execution engine, computing the records of a domain (the batch with its
    row condition and ``ignore_row_if`` filter applied) once per batch instead of once per
    metric. A column-pair or multicolumn expectation's unexpected count, filtered row count,
    unexpected values and unexpected index list each asked for them, and each time pandas
    tested every row for missing values and copied the rows kept (on a national month ~0.2 s
    an expectation). The records are a pure function of the batch and the domain; a batch
    replaced or freed drops them, and each caller gets its own shallow copy."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._records_of: Any = None  # weak reference to the batch's frame
        self._records: dict[Any, pd.DataFrame] = {}

    def get_domain_records(self, domain_kwargs: dict[str, Any]) -> pd.DataFrame:
        key = _frozen(domain_kwargs)
        batch_id = domain_kwargs.get("batch_id") or self.batch_manager.active_batch_data_id
        batch = self.batch_manager.batch_data_cache.get(batch_id) if batch_id else None
        frame = getattr(batch, "dataframe", None)
        if key is None or not isinstance(frame, pd.DataFrame):
            records: pd.DataFrame = super().get_domain_records(domain_kwargs)
            return records
        if self._records_of is None or self._records_of() is not frame:
            self._records = {}
            self._records_of = weakref.ref(frame, self._forget)
        found = self._records.get(key)
        if found is None:
            found = self._records[key] = super().get_domain_records(domain_kwargs)
        return found.copy(deep=False)

    def _forget(self, _: Any) -> None:
        self._records = {}

    def forget(self) -> None:
        """Drop the records kept (the validator's ``release``)."""
        self._records = {}
        self._records_of = None


def _frozen(kwargs: dict[str, Any]) -> tuple[Any, ...] | None:
    """The domain kwargs as a dictionary key; None when one is not plain data (a row
    condition object: such a domain is not kept)."""
    items = []
    for name, value in sorted(kwargs.items()):
        if isinstance(value, list | tuple):
            value = tuple(value)
            if not all(isinstance(v, str | int | float | bool | None) for v in value):
                return None
        elif not isinstance(value, str | int | float | bool | None):
            return None
        items.append((name, value))
    return tuple(items)


class SubmissionsDatasource(PandasDatasource):
    """GE's pandas data source, its batches read by ``DomainRecordsOnceEngine``."""

    # (before ``type``, the data source's type name, which shadows the builtin below it)
    execution_engine_override: ClassVar[type[PandasExecutionEngine] | None] = (
        DomainRecordsOnceEngine
    )
    type: Literal["jzplan_pandas"] = "jzplan_pandas"  # type: ignore[assignment]
