"""A period's aggregates are rewritten changed-only, row by row or in bulk."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Engine

from jzplan.core.periods import Period
from jzplan.store import aggregates
from jzplan.store.aggregates import BULK_AGGREGATE_ROWS, read_aggregates, write_aggregates
from jzplan.store.dump import dump_tables


def _aggregates(gdp: float, provisional: bool = True) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "org_unit": ["JZXQ", "JZXQ", "NGZ"],
            "indicator": ["gdp", "fai", "gdp"],
            "value": [gdp, float("nan"), 0.7],
            "n_reported": [5, 0, 1],
            "n_expected": [7, 7, 1],
            "provisional": [provisional, True, False],
        }
    )


@pytest.mark.parametrize("bulk", [False, True], ids=["rows", "bulk"])
def test_write_aggregates_changed_only(
    ref_engine: Engine, bulk: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # bulk: the frame comparison and COPY rewrite that a province's totals take
    monkeypatch.setattr(aggregates, "BULK_AGGREGATE_ROWS", 0 if bulk else BULK_AGGREGATE_ROWS)
    counts = write_aggregates(ref_engine, Period(2013, 3), _aggregates(3.5))
    assert counts == {"inserted": 3, "updated": 0, "deleted": 0, "unchanged": 0}
    dump = dump_tables(ref_engine)
    again = write_aggregates(ref_engine, Period(2013, 3), _aggregates(3.5))
    assert again == {"inserted": 0, "updated": 0, "deleted": 0, "unchanged": 3}
    assert dump_tables(ref_engine) == dump

    fewer = _aggregates(3.75, provisional=False).iloc[:2]
    changed = write_aggregates(ref_engine, Period(2013, 3), fewer)
    assert changed == {"inserted": 0, "updated": 1, "deleted": 1, "unchanged": 1}
    write_aggregates(ref_engine, Period(2013, 4), _aggregates(4.0))

    read = read_aggregates(ref_engine, [Period(2013, 3)])
    assert list(read.columns) == [
        "org_unit", "period", "indicator", "value", "n_reported", "n_expected", "provisional",
    ]  # fmt: skip
    assert len(read) == 2
    gdp = read.set_index("indicator").loc["gdp"]
    assert (gdp["value"], gdp["provisional"]) == (3.75, False)
    assert read.set_index("indicator")["value"].isna()["fai"]
    assert len(read_aggregates(ref_engine, [Period(2013, 3), Period(2013, 4)])) == 5
