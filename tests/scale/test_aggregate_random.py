"""`aggregate_period` on random hierarchies against the units × indicators implementation it
replaced (tests/scale/aggregate_dense.py): the same rows, coverage and floats to the bit.

The trees mix what the national layout could get wrong: reporting units listed before and
after aggregate siblings, units with no reporting unit below, catalog order unlike code order
(``k9`` after ``k10``), several forms, off-form figures, figures of aggregates and unknown
units, NaN and -0.0, rates of rates and a rate listed before its component rate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jzplan.reference.catalog import Catalog, load_catalog
from jzplan.track.aggregate import aggregate_period
from tests.scale import aggregate_dense

SUMS = ["zeta", "alpha", "mid", "beta", "omega", "k_total"]
INDICATORS = [
    *[{"code": c, "aggregation": "sum"} for c in SUMS],
    {"code": "untotalled", "aggregation": "none"},
    {"code": "wmean", "aggregation": "weighted_mean", "weight": "alpha"},
    {"code": "wmean_none", "aggregation": "weighted_mean", "weight": "untotalled"},
    {"code": "rate_of_rate", "aggregation": "recompute", "formula": "share * 2 + beta"},
    {"code": "share", "aggregation": "recompute", "formula": "zeta / alpha * 100"},
    {"code": "growth", "aggregation": "recompute", "formula": "(mid - beta) / omega * 1000"},
    {"code": "twice", "aggregation": "recompute", "formula": "share * 2 - -1"},
    {"code": "of_none", "aggregation": "recompute", "formula": "untotalled / zeta"},
]
CODES = [str(i["code"]) for i in INDICATORS]
FORMS = {
    "full": [c for c in CODES if c not in ("rate_of_rate", "twice", "of_none")],
    "part": ["alpha", "zeta", "mid", "wmean", "untotalled"],
    "one": ["beta"],
}


def random_catalog(rng: np.random.Generator, root: Path) -> Catalog:
    """Up to four levels of aggregates; each has leaves and aggregates in random order."""
    pool = [f"k{i}" for i in rng.permutation(2000)]
    units: list[dict[str, object]] = []

    def grow(parent: str, depth: int) -> None:
        for _ in range(int(rng.integers(2, 7) if depth <= 2 else rng.integers(0, 7))):
            code = pool.pop()
            if depth < 4 and rng.random() < 0.5:
                units.append({"code": code, "name": code, "kind": "agg", "parent": parent})
                grow(code, depth + 1)
            else:
                form = str(rng.choice(list(FORMS), p=[0.7, 0.2, 0.1]))
                units.append(
                    {"code": code, "name": code, "kind": "leaf", "parent": parent, "form": form}
                )

    grow("AREA", 1)
    order = rng.permutation(len(units))  # the catalog lists children before parents too
    common = {"unit": "万元", "measure": "flow", "group": "g"}
    indicators = [{"name": i["code"], **common, **i} for i in INDICATORS]
    root.mkdir(parents=True)
    text = json.dumps(indicators, ensure_ascii=False)
    (root / "indicators.yaml").write_text(text, encoding="utf-8")
    org = {
        "area": {"code": "AREA", "name": "AREA", "kind": "area"},
        "forms": FORMS,
        "units": [units[i] for i in order],
    }
    (root / "org_units.yaml").write_text(json.dumps(org), encoding="utf-8")
    return load_catalog(root)


def random_figures(rng: np.random.Generator, catalog: Catalog) -> pd.DataFrame:
    rows: list[tuple[str, str, float]] = []
    for unit in catalog.units:
        for code in CODES:
            on_form = code in unit.reports
            if rng.random() < (0.85 if on_form else 0.03):  # aggregates' figures, off-form ones
                value = float(np.round(rng.normal() * 10.0 ** rng.integers(-2, 9), 4))
                pick = rng.random()
                value = np.nan if pick < 0.03 else -0.0 if pick < 0.06 else value
                rows.append((unit.code, code, value))
    rows += [("nobody", "zeta", 1.0), (catalog.units[0].code, "unknown_indicator", 2.0)]
    return pd.DataFrame(rows, columns=["org_unit", "indicator", "value"])


def assert_same_bits(new: pd.DataFrame, old: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    a, b = new["value"].to_numpy(), old["value"].to_numpy()
    assert np.array_equal(np.isnan(a), np.isnan(b))
    known = ~np.isnan(a)
    assert np.array_equal(a[known].view(np.int64), b[known].view(np.int64))  # -0.0 too


SEEDS = range(12)  # 2 to 102 units each, 600 in all


@pytest.fixture(scope="module")
def hierarchies(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Catalog, pd.DataFrame]]:
    root = tmp_path_factory.mktemp("hierarchies")
    out = []
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        catalog = random_catalog(rng, root / str(seed))
        out.append((catalog, random_figures(rng, catalog)))
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_random_hierarchy_matches_the_dense_implementation(
    seed: int, hierarchies: list[tuple[Catalog, pd.DataFrame]]
) -> None:
    catalog, figures = hierarchies[seed]
    old = aggregate_dense.aggregate_period(figures, catalog)
    assert len(old) > 0
    # units' figures together (a file's order, in runs), shuffled, and as Python strings
    shuffled = figures.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    for frame in (figures, shuffled, figures.astype({"org_unit": object, "indicator": object})):
        assert_same_bits(aggregate_period(frame, catalog), old)


def test_random_hierarchies_cover_the_cases(
    hierarchies: list[tuple[Catalog, pd.DataFrame]],
) -> None:
    """The seeds above do reach the cases the layout treats apart."""
    seen = {"leaf after aggregate sibling": 0, "empty aggregate": 0, "5 levels": 0}
    for catalog, _ in hierarchies:
        kids: dict[str, list[str]] = {}
        for u in catalog.units:
            kids.setdefault(str(u.parent), []).append(u.code)
        for children in kids.values():
            kinds = [catalog.unit(c).kind for c in children]
            if "agg" in kinds and "leaf" in kinds[kinds.index("agg") :]:
                seen["leaf after aggregate sibling"] += 1
        seen["empty aggregate"] += sum(
            u.kind == "agg" and u.code not in kids for u in catalog.units
        )
        seen["5 levels"] += any(len(catalog.ancestors(u.code)) >= 4 for u in catalog.units)
    assert all(v > 0 for v in seen.values()), seen
