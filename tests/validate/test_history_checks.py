"""Robust bounds from a unit's own history (jzplan.validate.history_checks), by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog
from jzplan.validate.history_checks import (
    OutlierSettings,
    history_columns,
    history_periods,
    robust_bounds,
)


def test_robust_bounds_median_and_scaled_mad() -> None:
    # median 0.1, MAD 0.1 → sigma 0.14826: k=3 gives 0.445, less than the floor log 2 = 0.693
    low, high = robust_bounds([0.0, 0.1, 0.2, 0.1, 0.3, -0.1], None, 3.0, 2.0)
    assert (low, high) == pytest.approx((0.1 - math.log(2), 0.1 + math.log(2)))
    low, high = robust_bounds([0.0, 0.1, 0.2, 0.1, 0.3, -0.1], None, 10.0, 2.0)
    assert (low, high) == pytest.approx((0.1 - 1.4826, 0.1 + 1.4826))
    # an outlier in the history barely moves the bounds (it would move a mean ± sd a lot)
    assert robust_bounds([0.1] * 5 + [5.0], None, 5.0, 1.1) == pytest.approx(
        (0.1 - math.log(1.1), 0.1 + math.log(1.1))
    )
    # a given centre (last year's same change) replaces the median
    assert robust_bounds([0.0, 0.0, 0.0], 1.0, 5.0, 2.0) == pytest.approx(
        (1.0 - math.log(2), 1.0 + math.log(2))
    )


def test_history_periods_reach_back_far_enough() -> None:
    periods = history_periods(Period(2013, 3), OutlierSettings())
    assert str(periods[0]) == "2011-02" and str(periods[-1]) == "2013-02" and len(periods) == 25


def _hist(code: str, values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"period": p, "indicator": code, "value": v} for p, v in values.items()],
        columns=["period", "indicator", "value"],
    )


def test_seasonal_centre_lets_a_recurring_march_jump_through(catalog: Catalog) -> None:
    # fai: a month's own figure is 1 in Jan-Feb and 3 from March on, every year
    def own(m: int) -> float:
        return 1.0 if m <= 2 else 3.0

    values: dict[str, float] = {}
    for year in (2011, 2012):
        ytd = 0.0
        for m in range(1, 13):
            ytd += own(m)
            values[f"{year}-{m:02d}"] = ytd
    values["2013-01"], values["2013-02"] = 1.0, 2.0
    frame = pd.DataFrame({"indicator": ["fai"], "value": [5.0]})  # March: 2 + 3
    cols = history_columns(frame, _hist("fai", values), Period(2013, 3), catalog, OutlierSettings())
    row = cols.iloc[0]
    assert row["prev_value"] == 2.0 and row["prev_ytd_nonneg"] == 2.0
    assert row["mom_pct"] == pytest.approx(200.0)  # 1 → 3
    assert row["mom_low_pct"] < 200.0 < row["mom_high_pct"]  # centred on last March's +200%


def test_counts_and_short_histories_are_not_checked(catalog: Catalog) -> None:
    values = {f"2012-{m:02d}": float(m) for m in range(1, 13)}
    frame = pd.DataFrame({"indicator": ["signed_projects", "fai"], "value": [99.0, 5.0]})
    hist = pd.concat([_hist("signed_projects", values), _hist("fai", {"2012-12": 4.0})])
    cols = history_columns(frame, hist, Period(2013, 1), catalog, OutlierSettings())
    assert cols[["mom_pct", "yoy_pct"]].isna().all().all()  # a count; too little fai history
    assert list(cols["prev_ytd"]) == [0.0, 0.0]  # January: the year starts afresh
