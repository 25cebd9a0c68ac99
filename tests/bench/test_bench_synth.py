"""The bench's generator (bench/synth.py): its catalog, plan and bulk files load with the
project's own loaders, pass the project's rules (and fail them where errors are planted), and
come out byte for byte the same for the same seed. Tiny tiers (12 townships) keep it fast."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench import synth
from bench.synth_figures import PLANT_KINDS
from bench.synth_indicators import FORM_SIZE
from jzplan.reference.catalog import Catalog, load_catalog
from jzplan.reference.plan import load_plan
from jzplan.validate.rules import Rules, load_rules
from jzplan.validate.validator import SubmissionValidator

REPO_ROOT = Path(__file__).resolve().parents[2]
COLUMNS = {
    "单位代码": "org_unit",
    "报告期": "period",
    "指标代码": "indicator",
    "本期累计": "value",
    "本月": "value_month",
    "计量单位": "unit",
}


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> synth.Generated:
    return synth.generate(synth.tier_for("province", units=12), tmp_path_factory.mktemp("p"))


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> synth.Generated:
    return synth.generate(synth.tier_for("national", units=12), tmp_path_factory.mktemp("n"))


def read(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={"单位代码": str, "报告期": str, "指标代码": str})
    return frame.rename(columns=COLUMNS)


def test_catalog_and_plan_load_with_the_project_loaders(province: synth.Generated) -> None:
    catalog = load_catalog(province.catalog_dir)
    leaves = catalog.reporting_units
    assert len(leaves) == 12
    assert {len(u.reports) for u in leaves} == {FORM_SIZE}
    # township → county → city → province: four levels
    assert {len(catalog.ancestors(u.code)) for u in leaves} == {3}
    assert all(
        catalog.indicator(c).aggregation not in ("recompute", "none") for c in leaves[0].reports
    )
    plan = load_plan(province.plan_path, catalog)
    assert len(plan.targets) == province.manifest["plan_targets"]
    scopes = {t.scope for t in plan.targets}
    assert scopes == {catalog.area.code, *(u.code for u in catalog.children(catalog.area.code))}
    assert {t.kind for t in plan.targets} == {"level", "growth"}


def test_national_tree_has_five_levels(national: synth.Generated) -> None:
    catalog = load_catalog(national.catalog_dir)
    assert {len(catalog.ancestors(u.code)) for u in catalog.reporting_units} == {4}
    assert all(len(u.code) <= 16 and len(u.name) <= 64 for u in catalog.units)


def test_same_seed_same_bytes(province: synth.Generated, tmp_path: Path) -> None:
    again = synth.generate(synth.tier_for("province", units=12), tmp_path)
    for rel in ("catalog/units.csv", "catalog/indicators.yaml", "targets/2013.yaml"):
        assert (again.root / rel).read_bytes() == (province.root / rel).read_bytes()
    for period in ("2013-01", "2013-12"):
        assert again.csv(period).read_bytes() == province.csv(period).read_bytes()
        assert again.parquet(period).read_bytes() == province.parquet(period).read_bytes()
    other = synth.generate(synth.tier_for("province", units=12, seed=7), tmp_path)
    assert other.csv("2013-01").read_bytes() != province.csv("2013-01").read_bytes()


def test_cached_tier_is_reused(province: synth.Generated) -> None:
    before = province.csv("2013-06").stat().st_mtime_ns
    again = synth.generate(synth.tier_for("province", units=12), province.root.parent)
    assert again.csv("2013-06").stat().st_mtime_ns == before


def test_parquet_holds_the_csv_rows(province: synth.Generated) -> None:
    csv = read(province.csv("2013-03"))
    parquet = pd.read_parquet(province.parquet("2013-03")).rename(columns=COLUMNS)
    assert list(parquet.columns) == list(COLUMNS.values())
    pd.testing.assert_frame_equal(csv, parquet, check_dtype=False)


def rule_failures(frame: pd.DataFrame, catalog: Catalog, rules: Rules) -> dict[str, set[str]]:
    """Units failing each file rule the suites check, computed here without GE."""
    known = frame["indicator"].isin(list(catalog.indicators))
    inds = frame["indicator"].map(lambda c: catalog.indicators.get(c))
    measure = inds.map(lambda i: i.measure if i else None)
    negative_ok = inds.map(lambda i: bool(i and i.allows_negative))
    unit_ok = inds.map(lambda i: i.unit if i else None) == frame["unit"]
    low = frame["indicator"].map(lambda c: rules.ranges.get(c, (-np.inf, np.inf))[0])
    high = frame["indicator"].map(lambda c: rules.ranges.get(c, (-np.inf, np.inf))[1])
    wide = frame.pivot_table(index="org_unit", columns="indicator", values="value")
    out: dict[str, set[str]] = {
        "unknown_indicator": set(frame.loc[~known, "org_unit"]),
        "negative_value": set(frame.loc[(frame["value"] < 0) & ~negative_ok, "org_unit"]),
        "implausible_value": set(
            frame.loc[(frame["value"] < low) | (frame["value"] > high), "org_unit"]
        ),
        "unit_mismatch": set(frame.loc[known & ~unit_ok, "org_unit"]),
        "month_exceeds_ytd": set(
            frame.loc[
                (measure == "flow") & ~negative_ok & (frame["value_month"] > frame["value"]),
                "org_unit",
            ]
        ),
        "duplicate_indicator": set(
            frame.loc[frame.duplicated(["org_unit", "period", "indicator"]), "org_unit"]
        ),
    }
    sums = set()
    for rel in rules.sums_for("forms"):
        parts = wide[list(rel.parts)].sum(axis=1)
        bad = ~np.isclose(wide[rel.whole], parts, rtol=1e-3, atol=0.02)
        sums |= set(wide.index[bad])
    out["parts_sum_to_whole"] = sums
    out["part_exceeds_whole"] = {
        u for rel in rules.bounds_for("forms") for u in wide.index[wide[rel.part] > wide[rel.whole]]
    }
    # stocks have no 本月; accumulating indicators always do
    accumulating = measure.isin(["flow", "per_capita"])
    out["value_month_shape"] = set(
        frame.loc[known & (accumulating == frame["value_month"].isna()), "org_unit"]
    )
    return {rule: units for rule, units in out.items() if units}


def test_every_month_passes_the_file_rules(province: synth.Generated) -> None:
    catalog = load_catalog(province.catalog_dir)
    rules = load_rules(REPO_ROOT / "expectations", catalog)
    frames = [read(province.csv(p)) for p in province.periods]
    assert province.periods == [f"2013-{m:02d}" for m in range(1, 13)]
    for frame in frames:
        assert len(frame) == 12 * FORM_SIZE
        assert rule_failures(frame, catalog, rules) == {}
    # history: year-to-date never decreases, 本月 = 累计 − last month's 累计
    year = pd.concat(frames).sort_values(["org_unit", "indicator", "period"])
    flows = year[year["value_month"].notna()]
    prev = flows.groupby(["org_unit", "indicator"])["value"].shift(fill_value=0.0)
    assert (flows["value"] >= prev - 1e-9).all()
    np.testing.assert_allclose(flows["value"] - prev, flows["value_month"], atol=1e-6)


def test_month_over_month_changes_stay_inside_the_history_bounds(
    province: synth.Generated,
) -> None:
    """The continuous figures' own monthly values move far less than the history suite's
    narrowest band (a factor of 2 either way)."""
    frames = pd.concat(read(province.csv(p)) for p in province.periods)
    catalog = load_catalog(province.catalog_dir)
    continuous = [c for c in catalog.indicators if catalog.indicators[c].unit not in "个家所条"]
    frames = frames[frames["indicator"].isin(continuous)]
    own = frames["value_month"].fillna(frames["value"])
    frames = frames.assign(own=own).sort_values(["org_unit", "indicator", "period"])
    ratio = frames["own"] / frames.groupby(["org_unit", "indicator"])["own"].shift()
    later = frames["period"] > "2013-01"
    assert ratio[later].between(0.5, 2.0).all()


def test_planted_errors_fail_their_rules_and_nothing_else(national: synth.Generated) -> None:
    catalog = load_catalog(national.catalog_dir)
    rules = load_rules(REPO_ROOT / "expectations", catalog)
    (period,) = national.periods
    planted = national.planted(period)
    assert [p["rule"] for p in planted] == list(PLANT_KINDS)
    assert len({p["unit"] for p in planted}) == len(planted)
    failures = rule_failures(read(national.csv(period)), catalog, rules)
    for p in planted:
        assert p["unit"] in failures[p["rule"]]
    bad_units = set().union(*failures.values())
    assert bad_units == {p["unit"] for p in planted}


def test_corrected_copy_changes_only_the_chosen_units(national: synth.Generated) -> None:
    (period,) = national.periods
    path, units = synth.corrected_copy(national, period, units=3)
    original, corrected = read(national.csv(period)), read(path)
    changed = corrected[(corrected["value"] - original["value"]).abs() > 1e-9]
    assert sorted(changed["org_unit"]) == units
    assert set(changed["indicator"]) == {"x01"}
    assert not set(units) & {p["unit"] for p in national.planted(period)}


@pytest.mark.skipif(
    importlib.util.find_spec("jzplan.ingest.bulk") is None,
    reason="jzplan.ingest.bulk not there yet",
)
def test_the_project_reads_and_validates_the_bulk_files(national: synth.Generated) -> None:
    from jzplan.ingest.bulk import read_bulk  # type: ignore[import-not-found,unused-ignore]

    catalog = load_catalog(national.catalog_dir)
    (period,) = national.periods
    parsed = read_bulk(national.csv(period), catalog)
    assert len(parsed.frame) == national.rows(period)
    from_parquet = read_bulk(national.parquet(period), catalog)
    assert len(from_parquet.frame) == national.rows(period)
    report = SubmissionValidator(REPO_ROOT / "expectations", catalog).validate(parsed)
    planted = national.planted(period)
    # each planted row fails its rule (a negative 地区生产总值 also falls below 第三产业增加值)
    assert {p["rule"] for p in planted} <= {i.code for i in report.errors}
    rejected = set(parsed.frame["org_unit"].iloc[report.error_rows])
    assert rejected == {p["unit"] for p in planted}
