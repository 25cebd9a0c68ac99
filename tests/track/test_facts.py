"""collect_facts and collect_facts_by_period against the row-by-row reference
(tests/scale/aggregate_reference.py): same facts, same precedence, same types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest

from jzplan.track.aggregate import Fact, FactKey, collect_facts, collect_facts_by_period
from tests.scale.aggregate_reference import collect_facts as reference_facts

PERIODS = ["2012-06", "2012-12", "2013-05", "2013-06"]
UNITS = ["SJZ", "NGZ", "YMZ", "JZXQ"]
INDICATORS = ["ind_va_above", "fai", "exports"]


def _frames(seed: int, text_dtype: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Observations and aggregates over several periods with missing values (NaN and NA),
    keys repeated within a period and keys shared by both frames."""
    rng = np.random.default_rng(seed)
    n = 300

    def pick(values: list[str], size: int) -> pd.Series:
        return pd.Series(rng.choice(values, size), dtype=text_dtype)

    values = pd.array(rng.normal(100, 50, n), dtype="Float64")
    values[rng.random(n) < 0.1] = pd.NA
    obs = pd.DataFrame(
        {
            "org_unit": pick(UNITS[:-1], n),
            "period": pick(PERIODS, n),
            "indicator": pick(INDICATORS, n),
            "value": values,
        }
    )
    m = 120
    agg_values = rng.normal(300, 80, m)
    agg_values[rng.random(m) < 0.1] = np.nan
    agg = pd.DataFrame(
        {
            "org_unit": pick(UNITS, m),
            "period": pick(PERIODS, m),
            "indicator": pick(INDICATORS, m),
            "value": agg_values,
            "n_reported": rng.integers(0, 4, m),
            "n_expected": np.full(m, 3),
        }
    )
    return obs, agg


def _plain(facts: Mapping[FactKey, Any]) -> dict[FactKey, tuple[float, int, int]]:
    # the reference module has its own Fact class
    return {k: (f.value, f.n_reported, f.n_expected) for k, f in facts.items()}


@pytest.mark.parametrize("text_dtype", ["str", "object"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_facts_equal_the_reference_per_period(seed: int, text_dtype: str) -> None:
    obs, agg = _frames(seed, text_dtype)
    by_period = collect_facts_by_period(obs, agg)
    assert set(by_period) == set(obs["period"]) | set(agg["period"])
    for period in PERIODS:
        o, a = obs[obs["period"] == period], agg[agg["period"] == period]
        expected = _plain(reference_facts(o, a))
        assert _plain(collect_facts(o, a)) == expected
        assert _plain(by_period.get(period, {})) == expected
        for key, got in by_period.get(period, {}).items():
            assert type(got.value) is float and type(got.n_reported) is int
            assert type(key[0]) is str and type(key[1]) is str


def test_a_total_replaces_the_units_own_figure_and_missing_values_are_skipped() -> None:
    obs = pd.DataFrame(
        {
            "org_unit": ["JZXQ", "SJZ", "SJZ"],
            "period": ["2013-06"] * 3,
            "indicator": ["fai", "fai", "exports"],
            "value": [1.0, 2.0, np.nan],
        }
    )
    agg = pd.DataFrame(
        {
            "org_unit": ["JZXQ", "JZXQ"],
            "period": ["2013-06", "2013-06"],
            "indicator": ["fai", "exports"],
            "value": [7.0, np.nan],
            "n_reported": [2, 0],
            "n_expected": [3, 3],
        }
    )
    facts = collect_facts_by_period(obs, agg)["2013-06"]
    assert facts == {("JZXQ", "fai"): Fact(7.0, 2, 3), ("SJZ", "fai"): Fact(2.0)}
    assert facts[("JZXQ", "fai")].provisional
    assert collect_facts(obs.iloc[:0], agg.iloc[:0]) == {}
    assert collect_facts_by_period(obs.iloc[:0], agg.iloc[:0]) == {}
