"""The catalog as a tree of any depth: forms, units files, checks, and totals at every level."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog, CatalogError, load_catalog
from jzplan.store.observations import current_observations
from jzplan.track.aggregate import aggregate_period
from tests.scale import aggregate_reference

INDICATORS = """
- {code: output, name: 产值, unit: 万元, measure: flow, group: 工业}
- {code: people, name: 人口, unit: 人, measure: stock, group: 人口}
- {code: income, name: 人均收入, unit: 元, measure: per_capita, group: 收入,
   aggregation: weighted_mean, weight: people}
- {code: births, name: 出生人口, unit: 人, measure: flow, group: 人口}
- {code: birth_rate, name: 出生率, unit: ‰, measure: rate, group: 人口,
   aggregation: recompute, formula: "births / people * 1000"}
"""

ORG_UNITS = """
area: {code: P, name: 某省, kind: 省}
forms:
  township: [output, people, income, births]
  small: [output]
units_file: units.csv
units:
  - {code: C1, name: 甲市, kind: 市}
  - {code: C2, name: 乙市, kind: 市}
"""

# P ─ C1 ─ K1 ─ T1, T2        (two levels of aggregates under the province)
#    │    └ K2 ─ T3 (small form: output only)
#    └ C2 ─ K3 ─ T4
UNITS_CSV = """code,name,kind,parent,form
K1,一县,县,C1,
K2,二县,县,C1,
K3,三县,县,C2,
T1,一乡,乡,K1,township
T2,二镇,镇,K1,township
T3,三乡,乡,K2,small
T4,四街道,街道,K3,township
"""


def write_catalog(root: Path, org: str = ORG_UNITS, units: str = UNITS_CSV) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "indicators.yaml").write_text(INDICATORS, encoding="utf-8")
    (root / "org_units.yaml").write_text(org, encoding="utf-8")
    (root / "units.csv").write_text(units, encoding="utf-8")
    return root


@pytest.fixture
def tree(tmp_path: Path) -> Catalog:
    return load_catalog(write_catalog(tmp_path / "catalog"))


def test_units_file_forms_and_parents(tree: Catalog) -> None:
    assert [u.code for u in tree.units] == ["C1", "C2", "K1", "K2", "K3", "T1", "T2", "T3", "T4"]
    assert tree.unit("T3").reports == ("output",)
    assert tree.unit("T1").reports == ("output", "people", "income", "births")
    assert tree.unit("K1").reports == ()
    assert tree.ancestors("T2") == ("K1", "C1", "P")
    assert [u.code for u in tree.children("C1")] == ["K1", "K2"]
    assert [u.code for u in tree.reporting_units] == ["T1", "T2", "T3", "T4"]
    assert [u.code for u in tree.reporters_of("people")] == ["T1", "T2", "T4"]
    assert tree.unit_by_name("四街道") == tree.unit("T4")


@pytest.mark.parametrize(
    ("org", "units", "message"),
    [
        (ORG_UNITS, UNITS_CSV + "T5,五乡,乡,K9,township\n", "unknown parent 'K9'"),
        (ORG_UNITS, UNITS_CSV + "T6,六乡,乡,K1,monthly\n", "unknown form 'monthly'"),
        (ORG_UNITS, UNITS_CSV + "T7,七乡,乡,T1,township\n", "reporting units are leaves"),
        (ORG_UNITS, UNITS_CSV + "T1,重复,乡,K1,township\n", "duplicate org unit code 'T1'"),
        (
            ORG_UNITS,
            UNITS_CSV.replace("K1,一县,县,C1,", "K1,一县,县,K4,") + "K4,四县,县,K1,\n",
            "cycle",
        ),
        (ORG_UNITS.replace("small: [output]", "small: [nothing]"), UNITS_CSV, "unknown indicators"),
        (ORG_UNITS, "code,name,kind,parent,form,colour\n", "unknown columns"),
    ],
)
def test_catalog_errors(tmp_path: Path, org: str, units: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        load_catalog(write_catalog(tmp_path / "catalog", org, units))


def obs(rows: list[tuple[str, str, float]] | list[tuple[str, str, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["org_unit", "indicator", "value"])


def at(frame: pd.DataFrame, unit: str, indicator: str) -> dict[str, object]:
    hit = frame[(frame["org_unit"] == unit) & (frame["indicator"] == indicator)]
    assert len(hit) == 1, f"no row for {unit} {indicator}"
    return hit.iloc[0].to_dict()


FULL = [
    *[
        ("T1", c, v)
        for c, v in (("output", 10.0), ("people", 1e3), ("income", 5e3), ("births", 10))
    ],
    *[
        ("T2", c, v)
        for c, v in (("output", 20.0), ("people", 3e3), ("income", 9e3), ("births", 21))
    ],
    ("T3", "output", 5.0),
    *[("T4", c, v) for c, v in (("output", 40.0), ("people", 2e3), ("income", 6e3), ("births", 8))],
]


def test_totals_at_every_level(tree: Catalog) -> None:
    frame = aggregate_period(obs(FULL), tree)
    expect = {"K1": (30.0, 2), "K2": (5.0, 1), "K3": (40.0, 1), "C1": (35.0, 3), "C2": (40.0, 1)}
    for unit, (value, n) in expect.items():
        row = at(frame, unit, "output")
        assert (row["value"], row["n_reported"], row["n_expected"]) == (value, n, n)
        assert not row["provisional"]
    assert at(frame, "P", "output")["value"] == 75.0
    # K2's only unit has the small form: no population total there, nor a rate
    assert frame[(frame["org_unit"] == "K2") & (frame["indicator"] != "output")].empty
    # weighted by population at every level, never a mean of means
    assert at(frame, "C1", "income")["value"] == pytest.approx((5e6 + 27e6) / 4000)
    assert at(frame, "P", "income")["value"] == pytest.approx((5e6 + 27e6 + 12e6) / 6000)
    # rates recomputed from the level's summed components, and for each reporting unit
    assert at(frame, "P", "birth_rate")["value"] == pytest.approx(39 / 6000 * 1000)
    assert at(frame, "K1", "birth_rate")["value"] == pytest.approx(31 / 4000 * 1000)
    assert at(frame, "T2", "birth_rate")["value"] == pytest.approx(7.0)
    assert set(frame["org_unit"]) == {"P", "C1", "C2", "K1", "K2", "K3", "T1", "T2", "T4"}


def test_coverage_counts_only_the_units_below(tree: Catalog) -> None:
    rows = [r for r in FULL if r[0] != "T2"]
    frame = aggregate_period(obs(rows), tree)
    k1 = at(frame, "K1", "output")
    assert (k1["value"], k1["n_reported"], k1["n_expected"], k1["provisional"]) == (
        10.0,
        1,
        2,
        True,
    )
    c2 = at(frame, "C2", "output")
    assert (c2["n_reported"], c2["n_expected"], c2["provisional"]) == (1, 1, False)
    p = at(frame, "P", "people")
    assert (p["value"], p["n_reported"], p["n_expected"]) == (3000.0, 2, 3)
    rate = at(frame, "P", "birth_rate")
    assert (rate["n_reported"], rate["n_expected"], rate["provisional"]) == (2, 3, True)
    # nothing reported under K3: its total is unknown, with coverage 0 of 1
    frame = aggregate_period(obs([r for r in FULL if r[0] != "T4"]), tree)
    k3 = at(frame, "K3", "output")
    assert math.isnan(k3["value"]) and (k3["n_reported"], k3["n_expected"]) == (0, 1)  # type: ignore[arg-type]


def test_figures_off_the_form_or_of_unknown_units_are_not_totalled(tree: Catalog) -> None:
    frame = aggregate_period(obs([*FULL, ("T3", "people", 99.0), ("ZZ", "output", 1e9)]), tree)
    assert at(frame, "K2", "output")["value"] == 5.0
    assert at(frame, "P", "people")["value"] == 6000.0
    assert at(frame, "P", "output")["value"] == 75.0


def test_single_level_totals_unchanged_on_the_demo_year(
    demo_year: Engine, catalog: Catalog
) -> None:
    """Every month of the bundled demo: the same rows, values and coverage as the
    single-level aggregation had (tests/scale/aggregate_reference.py)."""
    periods = [Period(y, m) for y in (2012, 2013) for m in range(1, 13)]
    observations = current_observations(demo_year, periods)
    compared = 0
    for period, month in observations.groupby("period"):
        new = aggregate_period(month, catalog)
        old = aggregate_reference.aggregate_period(month, catalog)
        pd.testing.assert_frame_equal(
            new.astype({"org_unit": object, "indicator": object}),
            old.astype({"org_unit": object, "indicator": object}),
            check_exact=False,
            rtol=1e-12,
            obj=f"aggregates of {period}",
        )
        compared += len(new)
    assert compared > 24 * 50
