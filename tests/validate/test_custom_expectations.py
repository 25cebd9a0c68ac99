"""The validator's GE data source computes a domain's records once per batch: every result is
what GE's own pandas data source gives, on pair, multicolumn and column expectations with
missing values, and a new batch is never answered from the previous one's records."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from jzplan.validate.validator import SubmissionValidator


def _results(source: Any, frames: list[pd.DataFrame]) -> list[dict[str, Any]]:
    import great_expectations as gx

    batches = source.add_dataframe_asset("a").add_batch_definition_whole_dataframe("w")
    expectations = [
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="a", column_B="b", or_equal=True, ignore_row_if="either_value_is_missing"
        ),
        gx.expectations.ExpectColumnPairValuesToBeEqual(
            column_A="a", column_B="c", ignore_row_if="both_values_are_missing"
        ),
        gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=["a", "b", "c"]),
        gx.expectations.ExpectColumnValuesToBeBetween(column="a", min_value=0),
        gx.expectations.ExpectColumnValuesToNotBeNull(column="b"),
    ]
    out = []
    for frame in frames:
        batch = batches.get_batch(batch_parameters={"dataframe": frame})
        for e in expectations:
            r = batch.validate(e, result_format="COMPLETE")
            out.append({"success": r.success, **r.result})
    return out


def test_same_results_as_ges_own_pandas_source(
    validator: SubmissionValidator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import great_expectations as gx

    from jzplan.validate.custom_expectations import DomainRecordsOnceEngine

    rng = np.random.default_rng(3)
    frames = []
    for n in (50, 50, 7):
        frame = pd.DataFrame(rng.integers(-3, 4, size=(n, 3)).astype(float), columns=list("abc"))
        frames.append(frame.mask(rng.random((n, 3)) < 0.3))
    ctx = gx.get_context(mode="ephemeral")
    plain = _results(ctx.data_sources.add_pandas("plain"), frames)
    source = ctx.data_sources.add_jzplan_pandas("ours")
    assert isinstance(source.get_execution_engine(), DomainRecordsOnceEngine)
    dropna = pd.DataFrame.dropna
    calls: list[Any] = []

    def counted(self: pd.DataFrame, *args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs.get("subset"))
        return dropna(self, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(pd.DataFrame, "dropna", counted)
        ours = _results(source, frames)
    assert repr(ours) == repr(plain)  # (NaN in the lists: compared as written)
    # each of the three multi-column domains once per batch (GE's engine: once per metric)
    assert len(calls) == 3 * len(frames)
