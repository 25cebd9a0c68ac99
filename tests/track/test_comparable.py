"""The comparable base (可比口径): last year's figures for this year's units after a split and
a merge, worked by hand; and the same through the store, the aggregation and the growth
evaluation of a real month (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from jzplan.core.periods import Period
from jzplan.month.refresh import refresh_aggregates, sync_submission_alerts
from jzplan.reference.catalog import Catalog, load_catalog
from jzplan.reference.plan import Plan, Target, load_plan
from jzplan.report.markdown import row_cells
from jzplan.store.lifecycle import accept_submission
from jzplan.store.reference import sync_reference
from jzplan.store.submissions import record_submission
from jzplan.track.aggregate import Fact, aggregate_period
from jzplan.track.comparable import comparable_base, lineage_changes
from jzplan.track.history import load_history
from jzplan.track.progress import Thresholds, evaluate_target
from tests.conftest import REPO_ROOT, observation_frame
from tests.reference.changed_catalog import Raw, change_units, changed_catalog, write_catalog

THEN, NOW = Period(2013, 6), Period(2014, 6)

LAST_YEAR = {
    ("YMZ", "gdp"): Fact(10.0), ("YMZ", "fai"): Fact(5.0),
    ("LWJ", "gdp"): Fact(4.0), ("LWJ", "fai"): Fact(2.0),
    ("WYJ", "gdp"): Fact(6.0), ("WYJ", "fai"): Fact(3.0),
    ("SJZ", "gdp"): Fact(3.0),
    ("LWJ", "rural_net_income"): Fact(8000.0), ("LWJ", "rural_population"): Fact(1000.0),
    ("WYJ", "rural_net_income"): Fact(9000.0), ("WYJ", "rural_population"): Fact(3000.0),
    ("LWJ", "births"): Fact(10.0), ("LWJ", "deaths"): Fact(4.0),
    ("LWJ", "registered_population"): Fact(1000.0),
    ("WYJ", "births"): Fact(20.0), ("WYJ", "deaths"): Fact(10.0),
    ("WYJ", "registered_population"): Fact(2000.0),
    ("JZXQ", "gdp"): Fact(100.0, 7, 7),
}  # fmt: skip


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return load_catalog(changed_catalog(tmp_path_factory.mktemp("catalog")))


def test_the_changes_between_two_months(changed: Catalog) -> None:
    found = [(c.kind, c.unit, c.other) for c in lineage_changes(changed, THEN, NOW)]
    assert found == [  # in month order, then the catalog's
        ("merge", "SJZ", "SJJ"), ("merge", "LWJ", "LWY"), ("merge", "WYJ", "LWY"),
        ("split", "FXJ", "YMZ"),
    ]  # fmt: skip
    assert lineage_changes(changed, Period(2014, 1), NOW) == []  # both sides after them
    assert lineage_changes(changed, Period(2012, 6), Period(2013, 6)) == []


def test_split_and_merge_by_hand(changed: Catalog) -> None:
    base = comparable_base(LAST_YEAR, changed, THEN, NOW)
    # split: FXJ takes 40 % of YMZ's gdp (its own share) and 30 % of the rest (the * share)
    assert base[("FXJ", "gdp")].value == pytest.approx(4.0)
    assert base[("YMZ", "gdp")].value == pytest.approx(6.0)
    assert base[("FXJ", "fai")].value == pytest.approx(1.5)
    assert base[("YMZ", "fai")].value == pytest.approx(3.5)
    assert (
        base[("FXJ", "gdp")].note == "可比口径：按阳庙镇上年数的 40% 计算（丰收街道自阳庙镇拆出）"
    )
    assert base[("YMZ", "gdp")].note == "可比口径：按阳庙镇上年数扣除拆出的丰收街道（40%）计算"
    # merge: the sum of both; a per-head mean weighted by its weight; a rate recomputed
    assert base[("LWY", "gdp")] == Fact(10.0, 2, 2, "可比口径：按李万街道、文苑街道上年数合并计算")
    assert base[("LWY", "fai")].value == 5.0
    assert base[("LWY", "rural_net_income")].value == pytest.approx(8750.0)
    assert base[("LWY", "natural_growth_rate")].value == pytest.approx(16 / 3000 * 1000)
    assert not any(unit in ("LWJ", "WYJ", "SJZ") for unit, _ in base)
    # 乡改街道: one predecessor, its figures as they were
    assert base[("SJJ", "gdp")].value == 3.0
    # the splits and merges stay inside the area: its total is the stored one
    assert base[("JZXQ", "gdp")] == Fact(100.0, 7, 7)


def test_nothing_changes_without_a_change(changed: Catalog, catalog: Catalog) -> None:
    assert comparable_base(LAST_YEAR, changed, Period(2012, 6), THEN) == LAST_YEAR
    assert comparable_base(LAST_YEAR, catalog, THEN, NOW) == LAST_YEAR  # bundled: valid always


def test_the_area_is_rebased_when_a_unit_joins_or_leaves_it(tmp_path: Path) -> None:
    """A unit that leaves the area without a successor is out of its base; a new unit
    without lineage had nothing last year."""

    def edit(units: list[Raw]) -> None:
        change_units(units)
        for u in units:
            if u["code"] == "WCJ":
                u["valid_to"] = "2013-12"  # transferred out of the area

    cat = load_catalog(write_catalog(tmp_path, units=edit))
    facts = {**LAST_YEAR, ("WCJ", "gdp"): Fact(7.0), ("DIR", "gdp"): Fact(70.0)}
    base = comparable_base(facts, cat, THEN, NOW)
    # this year's units: NGZ (none), YMZ 6, LWY 10, FXJ 4, SJJ 3, DIR 70; not WCJ's 7
    area = base[("JZXQ", "gdp")]
    assert area.value == pytest.approx(93.0) and (area.n_reported, area.n_expected) == (5, 6)
    assert area.note == "可比口径：按本年所辖6个单位上年数计算"


# --- through the store -------------------------------------------------------------------

FIGURES = {
    # unit, period: gdp, fai (亿元)
    ("YMZ", "2013-06"): (10.0, 5.0), ("LWJ", "2013-06"): (4.0, 2.0),
    ("WYJ", "2013-06"): (6.0, 3.0), ("SJZ", "2013-06"): (3.0, 1.0),
    ("YMZ", "2014-06"): (6.3, 3.0), ("FXJ", "2014-06"): (4.6, 1.2),
    ("LWY", "2014-06"): (11.0, 5.5), ("SJJ", "2014-06"): (3.3, 1.1),
}  # fmt: skip


def _store(engine: Engine, cat: Catalog, plan: Plan) -> None:
    sync_reference(engine, cat, plan)
    for n, ((unit, period), (gdp, fai)) in enumerate(FIGURES.items()):
        sid = record_submission(
            engine, sha256=f"{n:064d}", file_name=f"{unit}-{period}.xlsx",
            archive_path=f"archive/{n}.xlsx", arrival_period=Period.parse(period),
            received_at=datetime(2014, 7, 3, tzinfo=UTC), org_unit=unit, period=period,
            filed_on=date(2014, 7, 2), status="received", error_count=0, message=None,
        )  # fmt: skip
        frame = observation_frame(
            unit, period, {"gdp": gdp, "fai": fai}, {"gdp": "亿元", "fai": "亿元"}
        )
        accept_submission(engine, sid, frame)
    for period in (THEN, NOW):
        refresh_aggregates(engine, catalog=cat, period=period)


def _growth(scope: str, indicator: str = "gdp") -> Target:
    return Target(
        id=f"G-{scope}", year=2014, group="乡镇街道目标", scope=scope, kind="growth",
        label="t", source="s", indicator=indicator, value=10.0, unit="%",
    )  # fmt: skip


def test_growth_on_the_comparable_base_through_the_store(engine: Engine, changed: Catalog) -> None:
    plan = load_plan(REPO_ROOT / "data" / "targets" / "2013.yaml", changed)
    _store(engine, changed, plan)
    history = load_history(engine, NOW, units={"FXJ", "YMZ", "LWY", "JZXQ"}, catalog=changed)
    th = Thresholds()
    fxj = evaluate_target(_growth("FXJ"), changed, NOW, history, th)
    # 4.6 against 40 % of 阳庙镇's 10.0 = 4.0: +15 %
    assert fxj.note is not None and fxj.note.startswith("同比增长 15.0%（目标 10%）")
    assert "可比口径：按阳庙镇上年数的 40% 计算" in fxj.note and fxj.status == "on_track"
    assert row_cells(_growth("FXJ"), changed, asdict(fxj))["说明"] == fxj.note  # the report's
    ymz = evaluate_target(_growth("YMZ"), changed, NOW, history, th)
    assert ymz.note is not None and ymz.note.startswith("同比增长 5.0%")  # 6.3 / 6.0
    assert ymz.status == "behind"
    lwy = evaluate_target(_growth("LWY", "fai"), changed, NOW, history, th)
    assert lwy.note is not None and lwy.note.startswith("同比增长 10.0%")  # 5.5 / (2 + 3)
    assert "按李万街道、文苑街道上年数合并计算" in lwy.note
    area = evaluate_target(_growth("JZXQ"), changed, NOW, history, th)
    # the area's total: 25.2 this year against 23.0, the same units; no note
    assert area.note == "同比增长 9.6%（目标 10%）" and area.provisional


def test_the_months_units_are_expected_and_no_others(engine: Engine, changed: Catalog) -> None:
    plan = load_plan(REPO_ROOT / "data" / "targets" / "2013.yaml", changed)
    _store(engine, changed, plan)
    standings, _ = sync_submission_alerts(engine, catalog=changed, period=NOW, as_of=NOW)
    assert sorted(standings) == ["DIR", "FXJ", "LWY", "NGZ", "SJJ", "WCJ", "YMZ"]
    missing = sorted(u for u, s in standings.items() if s.status == "missing")
    assert missing == ["DIR", "NGZ", "WCJ"]  # not LWJ, WYJ, SJZ: they no longer exist
    standings, _ = sync_submission_alerts(engine, catalog=changed, period=THEN, as_of=NOW)
    assert "FXJ" not in standings and "LWJ" in standings
    history = load_history(engine, NOW, catalog=changed)
    area = history.now[("JZXQ", "gdp")]  # 4 of the month's 7 units reported
    assert (area.value, area.n_reported, area.n_expected) == (pytest.approx(25.2), 4, 7)


def test_a_new_indicator_has_no_total_before_it_exists(changed: Catalog) -> None:
    """数字经济增加值 is on DIR's form from 2014-01: a month before has no row for it (a rerun
    of 2013-12 after the catalog changed must give what the first run gave), a month from then
    has its total."""
    rows = pd.DataFrame(
        [("DIR", "fai", 3.0), ("DIR", "digital_va", 1.5)],
        columns=["org_unit", "indicator", "value"],
    )
    before = aggregate_period(rows, changed, THEN)
    after = aggregate_period(rows, changed, NOW)
    assert "digital_va" not in set(before["indicator"])
    total = after[(after.org_unit == "JZXQ") & (after.indicator == "digital_va")]
    assert total[["value", "n_reported", "n_expected"]].values.tolist() == [[1.5, 1, 1]]
    assert set(before["indicator"]) == set(after["indicator"]) - {"digital_va"}
