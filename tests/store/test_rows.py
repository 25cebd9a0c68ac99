"""``frame_dicts`` gives what ``DataFrame.to_dict("records")`` gives, column by column."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from jzplan.store.rows import frame_dicts


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and (a is b or bool(a == b))


def test_frame_dicts_matches_to_dict_records_for_every_kind_of_column() -> None:
    frame = pd.DataFrame(
        {
            "int": [1, 2, 3],
            "float": [1.5, np.nan, 0.0],
            "bool": [True, False, True],
            "text": pd.array(["甲", None, "丙"], dtype="str"),
            "object": pd.Series([None, {"x": 1}, "混合"], dtype=object),
            "date": pd.to_datetime(["2013-01-31", None, "2013-03-31"]),
            "date_tz": pd.to_datetime(["2013-01-31", None, "2013-03-31"]).tz_localize("UTC"),
            "masked_int": pd.array([1, None, 3], dtype="Int64"),
            "masked_bool": pd.array([True, None, False], dtype="boolean"),
            "masked_text": pd.array(["a", None, "c"], dtype="string"),
            "category": pd.Categorical(["x", "y", "x"]),
        },
        index=[7, 7, 3],  # a repeated label loses nothing
    )
    expected = frame.to_dict("records")
    got = frame_dicts(frame)
    assert len(got) == len(expected) == 3
    for want, row in zip(expected, got, strict=True):
        assert list(row) == list(want)
        bad = {k: (want[k], row[k]) for k in want if not _same(want[k], row[k])}
        assert not bad


def test_frame_dicts_of_empty_and_columnless_frames() -> None:
    assert frame_dicts(pd.DataFrame({"a": [], "b": []})) == []
    assert frame_dicts(pd.DataFrame(index=[0, 1])) == [{}, {}]
    assert frame_dicts(pd.DataFrame({1: [2.0]})) == [{"1": 2.0}]
