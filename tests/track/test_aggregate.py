"""Area totals with coverage, weighted means and recomputed rates, by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from jzplan.reference.catalog import Catalog
from jzplan.track.aggregate import aggregate_period, collect_facts, evaluate_formula


def obs(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["org_unit", "indicator", "value"])


def area(frame: pd.DataFrame, indicator: str) -> dict[str, object]:
    hit = frame[(frame["org_unit"] == "JZXQ") & (frame["indicator"] == indicator)]
    assert len(hit) == 1, f"no area row for {indicator}"
    return hit.iloc[0].to_dict()


@pytest.mark.parametrize(
    ("formula", "values", "expected"),
    [
        ("a / b * 100", {"a": 1.0, "b": 4.0}, 25.0),
        ("(a - b) / c * 1000", {"a": 30.0, "b": 10.0, "c": 4000.0}, 5.0),
        ("a / b", {"a": 1.0, "b": 0.0}, None),
        ("a + missing", {"a": 1.0}, None),
        ("-a + 2", {"a": 1.0}, 1.0),
    ],
)
def test_evaluate_formula(formula: str, values: dict[str, float], expected: float | None) -> None:
    assert evaluate_formula(formula, values) == expected


def test_formula_rejects_code() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        evaluate_formula("__import__('os')", {})


def test_sum_over_reporters_with_full_coverage(catalog: Catalog) -> None:
    # ind_va_above is reported by WCJ and DIR only: 5.04 + 38.96 = 44
    frame = aggregate_period(
        obs([("WCJ", "ind_va_above", 5.04), ("DIR", "ind_va_above", 38.96)]), catalog
    )
    row = area(frame, "ind_va_above")
    assert row["value"] == pytest.approx(44.0)
    assert (row["n_reported"], row["n_expected"], row["provisional"]) == (2, 2, False)


def test_missing_reporter_is_provisional_not_silently_smaller(catalog: Catalog) -> None:
    reporters = [u.code for u in catalog.reporters_of("fai")]
    rows = [(u, "fai", 1.0) for u in reporters if u != "LWJ"]
    row = area(aggregate_period(obs(rows), catalog), "fai")
    assert row["value"] == pytest.approx(len(reporters) - 1)
    assert row["n_reported"] == len(reporters) - 1
    assert row["n_expected"] == len(reporters)
    assert row["provisional"]


def test_weighted_mean_uses_weights(catalog: Catalog) -> None:
    rows = [
        ("NGZ", "rural_net_income", 8000.0),
        ("NGZ", "rural_population", 30000.0),
        ("YMZ", "rural_net_income", 9000.0),
        ("YMZ", "rural_population", 10000.0),
    ]
    row = area(aggregate_period(obs(rows), catalog), "rural_net_income")
    assert row["value"] == pytest.approx((8000 * 30000 + 9000 * 10000) / 40000)
    assert row["n_reported"] == 2
    assert row["n_expected"] == 6
    assert row["provisional"]


def test_rate_recomputed_per_unit_and_for_area(catalog: Catalog) -> None:
    rows = []
    for unit, births, deaths, pop in [("SJZ", 30, 10, 4000), ("NGZ", 50, 20, 6000)]:
        rows += [
            (unit, "births", births),
            (unit, "deaths", deaths),
            (unit, "registered_population", pop),
        ]
    frame = aggregate_period(obs(rows), catalog)
    sjz = frame[(frame["org_unit"] == "SJZ") & (frame["indicator"] == "natural_growth_rate")]
    assert sjz["value"].iloc[0] == pytest.approx(5.0)
    row = area(frame, "natural_growth_rate")
    # (80 - 30) / 10000 * 1000 = 5 ‰, from the summed components, not a mean of rates
    assert row["value"] == pytest.approx(5.0)
    assert row["provisional"]


def test_no_reports_gives_empty_area_value(catalog: Catalog) -> None:
    frame = aggregate_period(obs([("DIR", "exports", 100.0)]), catalog)
    fai = area(frame, "fai")
    assert math.isnan(fai["value"])  # type: ignore[arg-type]
    assert fai["n_reported"] == 0


def test_collect_facts_prefers_aggregates(catalog: Catalog) -> None:
    o = obs([("WCJ", "ind_va_above", 5.0), ("DIR", "ind_va_above", 39.0)])
    facts = collect_facts(o, aggregate_period(o, catalog))
    assert facts[("WCJ", "ind_va_above")].value == 5.0
    assert facts[("JZXQ", "ind_va_above")].value == pytest.approx(44.0)
    assert not facts[("JZXQ", "ind_va_above")].provisional
