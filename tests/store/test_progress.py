"""A period's target progress is rewritten changed-only."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Engine

from jzplan.core.periods import Period
from jzplan.store.dump import dump_tables
from jzplan.store.progress import PROGRESS_EXTRA_FLOATS, read_progress, write_progress


def _progress(actual: float | None, status: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "target_id": ["main-fai", "main-gdp"],
            "actual": [actual, 11.0],
            "expected": [20.0, 12.0],
            "target_value": [80.0, 12.0],
            "unit": ["亿元", "%"],
            "completion_pct": [None if actual is None else actual / 80 * 100, None],
            "status": [status, "at_risk"],
            "provisional": [True, True],
            "note": [None, "5/7 单位已报"],
        }
    )


def test_write_progress_changed_only(ref_engine: Engine) -> None:
    assert write_progress(ref_engine, Period(2013, 3), _progress(18.0, "behind")) == {
        "inserted": 2, "updated": 0, "deleted": 0, "unchanged": 0,
    }  # fmt: skip
    dump = dump_tables(ref_engine)
    assert write_progress(ref_engine, Period(2013, 3), _progress(18.0, "behind"))["updated"] == 0
    assert dump_tables(ref_engine) == dump

    counts = write_progress(ref_engine, Period(2013, 3), _progress(21.0, "on_track"))
    assert counts == {"inserted": 0, "updated": 1, "deleted": 0, "unchanged": 1}
    read = read_progress(ref_engine, Period(2013, 3)).set_index("target_id")
    assert read.loc["main-fai", "status"] == "on_track"
    assert read.loc["main-fai", "completion_pct"] == pytest.approx(26.25)
    assert read["completion_pct"].isna()["main-gdp"]
    assert read.loc["main-gdp", "note"] == "5/7 单位已报"
    assert read_progress(ref_engine, Period(2013, 4)).empty


def test_read_progress_types_as_pandas_infers_them(ref_engine: Engine) -> None:
    """Built column by column, the frame is the one pandas makes of the rows and casts."""
    frame = _progress(18.0, "behind")
    frame["forecast"] = [None, 13.5]
    frame["pace_model"] = ["seasonal", None]
    write_progress(ref_engine, Period(2013, 3), frame)
    read = read_progress(ref_engine, Period(2013, 3))
    names = list(read.columns)
    rows = [tuple(r) for r in read.itertuples(index=False, name=None)]
    floats = ["actual", "expected", "target_value", "completion_pct", *PROGRESS_EXTRA_FLOATS]
    expected = pd.DataFrame(rows, columns=names).astype(
        {**dict.fromkeys(floats, "float64"), "provisional": "bool"}
    )
    pd.testing.assert_frame_equal(read, expected)
    assert read.loc[0, "pace_model"] == "seasonal" and pd.isna(read.loc[1, "pace_model"])
    assert read.loc[1, "forecast"] == 13.5 and pd.isna(read.loc[0, "forecast"])

    empty = read_progress(ref_engine, Period(2013, 4))
    assert list(empty.columns) == names and empty.empty
    assert {str(empty[c].dtype) for c in floats} == {"float64"}
    assert empty["provisional"].dtype == bool and empty["target_id"].dtype == object
