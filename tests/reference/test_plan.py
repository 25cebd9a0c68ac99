"""The 2013 plan file: it loads, holds every seed figure, and bad files fail on the right line."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from jzplan.reference.catalog import Catalog, normalize_unit
from jzplan.reference.plan import (
    GROUPS,
    Plan,
    PlanError,
    Target,
    baseline_canonical,
    is_growth_only,
    load_plan,
    target_value_canonical,
)
from tests import seed_inventory as inv

REPO_ROOT = Path(__file__).resolve().parents[2]
PLAN_PATH = REPO_ROOT / "data" / "targets" / "2013.yaml"
SEED_PATH = Path("/work/shared/seed/000_324cb3915f5b51ba.txt")
FIGURE_KINDS = ("level", "growth", "ceiling", "count", "ratio", "ranking")


Key = tuple[str, str | None, int, float, str]


def _key(
    scope: str, indicator: str | None, year: int, value: float | None, unit: str | None
) -> Key:
    return (scope, indicator, year, round(float(value or 0), 6), normalize_unit(unit or ""))


def _keys(items: list[inv.Item]) -> Counter[Key]:
    return Counter(_key(*item) for item in items)


# --- (a) the real plan loads ---------------------------------------------------------------------


def test_real_plan_loads(plan: Plan) -> None:
    assert plan.year == 2013
    assert len(plan.targets) == 137
    assert len(plan.baselines) == 47
    ids = [t.id for t in plan.targets] + [b.id for b in plan.baselines]
    assert len(ids) == len(set(ids))
    assert all(t.line > 0 for t in plan.targets)
    assert all(b.line > 0 for b in plan.baselines)


def test_lines_point_at_the_entry(plan: Plan) -> None:
    lines = PLAN_PATH.read_text(encoding="utf-8").splitlines()
    for t in plan.targets:
        assert lines[t.line - 1].strip() == f"- id: {t.id}"
    for b in plan.baselines:
        assert lines[b.line - 1].strip() == f"- id: {b.id}"


# --- (b) every seed figure is in the plan, and nothing else ------------------------------------


def test_quantitative_targets_match_inventory(plan: Plan) -> None:
    found = Counter(
        _key(t.scope, t.indicator, t.year, t.value, t.unit)
        for t in plan.targets
        if t.kind in FIGURE_KINDS
    )
    expected = _keys(inv.TARGETS)
    assert found - expected == Counter(), "in the plan but not in the inventory"
    assert expected - found == Counter(), "in the inventory but not in the plan"


def test_level_targets_carry_stated_growth(plan: Plan) -> None:
    found = Counter((t.scope, t.indicator, t.growth_pct) for t in plan.targets if t.growth_pct)
    assert found == Counter(inv.TARGET_GROWTHS)


def test_baselines_2012_match_inventory(plan: Plan) -> None:
    found = Counter(
        _key(b.scope, b.indicator, b.year, b.value, b.unit)
        for b in plan.baselines
        if b.year == 2012
    )
    assert found == _keys(inv.BASELINES_2012)


def test_baseline_growths_match_inventory(plan: Plan, catalog: Catalog) -> None:
    found = Counter(
        (b.scope, b.indicator, b.growth_pct)
        for b in plan.baselines
        if b.growth_pct is not None and not is_growth_only(b, catalog)
    )
    assert found == Counter(inv.BASELINE_GROWTHS)


def test_status_figures_match_inventory(plan: Plan) -> None:
    status = [b for b in plan.baselines if b.year == 2013]
    assert Counter(_key(b.scope, b.indicator, b.year, b.value, b.unit) for b in status) == _keys(
        inv.STATUS_FIGURES
    )
    assert all(b.note and b.note.startswith("status figure") for b in status)


@pytest.mark.parametrize(
    ("target_id", "kind", "scope", "phrase"),
    inv.MILESTONES + inv.QUALITATIVE + inv.RANKINGS,
)
def test_worded_targets_present(
    plan: Plan, target_id: str, kind: str, scope: str, phrase: str
) -> None:
    t = plan.target(target_id)
    assert (t.kind, t.scope) == (kind, scope)
    assert phrase in t.source or phrase in t.label


def test_no_uninventoried_worded_targets(plan: Plan) -> None:
    listed = {i for i, *_ in inv.MILESTONES + inv.QUALITATIVE}
    assert {t.id for t in plan.targets if t.kind in ("milestone", "qualitative")} == listed


def test_deadlines(plan: Plan) -> None:
    for target_id, day in inv.DEADLINES.items():
        assert plan.target(target_id).deadline is not None
        assert str(plan.target(target_id).deadline) == day
    for t in plan.targets:
        if t.kind == "milestone" and t.id not in inv.DEADLINES:
            assert str(t.deadline) == "2013-12-31"
            assert t.note and "no date stated" in t.note


def test_every_township_has_targets(plan: Plan, catalog: Catalog) -> None:
    for unit in catalog.townships:
        mine = [t for t in plan.targets if t.scope == unit.code and t.group == "乡镇街道目标"]
        assert mine, unit.code


@pytest.mark.skipif(not SEED_PATH.exists(), reason="seed page not available")
def test_inventory_figures_are_in_the_seed() -> None:
    text = re.sub(r"\s+", "", SEED_PATH.read_text(encoding="utf-8"))
    numbers = set(re.findall(r"\d+(?:\.\d+)?", text))
    items = inv.TARGETS + inv.BASELINES_2012 + inv.STATUS_FIGURES
    missing = [
        item
        for item in items
        if f"{item[3]:g}" not in numbers and (item[1], item[3]) not in inv.WORDED_FIGURES
    ]
    assert missing == []


# --- (c) counts ---------------------------------------------------------------------------------


def test_counts_per_kind(plan: Plan) -> None:
    assert Counter(t.kind for t in plan.targets) == {
        "qualitative": 40,
        "level": 30,
        "count": 29,
        "milestone": 18,
        "growth": 15,
        "ceiling": 2,
        "ranking": 2,
        "ratio": 1,
    }


def test_counts_per_group(plan: Plan) -> None:
    assert Counter(t.group for t in plan.targets) == {
        "主要预期目标": 13,
        "十个方面": 14,
        "十大创新提升计划": 59,
        "市政府工作报告要求": 18,
        "乡镇街道目标": 33,
    }
    assert set(GROUPS) == {t.group for t in plan.targets}


def test_counts_of_baselines(plan: Plan, catalog: Catalog) -> None:
    assert Counter(b.scope for b in plan.baselines if b.year == 2012) == {
        "JZXQ": 12,
        "SJZ": 6,
        "NGZ": 4,
        "YMZ": 10,
        "WCJ": 5,
    }
    assert [b.id for b in plan.baselines if is_growth_only(b, catalog)] == [
        "B-SJZ-rural_net_income"
    ]


def test_default_comparisons(plan: Plan) -> None:
    for t in plan.targets:
        expected = "<=" if t.kind in ("ceiling", "ranking") else ">="
        assert t.comparison == expected, t.id


def test_seed_contradictions_are_kept(plan: Plan) -> None:
    assert plan.target("A08").value == 6.5 and plan.target("P04").value == 100
    assert plan.target("A03").value == 96.2 and plan.target("A03").growth_pct == 50.3
    ngz_gdp = plan.target("T-NGZ-01")
    assert ngz_gdp.value == ngz_gdp.baseline == 10.4 and ngz_gdp.growth_pct == 12


# --- (d) malformed plans fail on the right line --------------------------------------------------

BASE = """\
year: 2013
baselines:
  - id: B1
    scope: JZXQ
    indicator: ind_va_above
    year: 2012
    value: 44
    unit: 亿元
    source: s
targets:
  - id: T1
    group: 主要预期目标
    scope: JZXQ
    kind: level
    indicator: ind_va_above
    value: 55
    unit: 亿元
    baseline: 44
    label: l
    source: s
  - id: T2
    group: 十个方面
    scope: JZXQ
    kind: milestone
    deadline: 2013-06-30
    label: l
    source: s
"""


def _variant(changes: dict[int, str]) -> str:
    lines = BASE.splitlines()
    for number, text in changes.items():
        lines[number - 1] = text
    return "\n".join(lines) + "\n"


MALFORMED: list[tuple[str, dict[int, str], int, str]] = [
    ("unknown top key", {1: "yaer: 2013"}, 1, "unknown key 'yaer'"),
    ("unknown target key", {18: "    target_value: 44"}, 18, "unknown key 'target_value'"),
    ("missing label", {19: "    # no label"}, 11, "missing required key 'label' (简称)"),
    ("bad kind", {14: "    kind: levle"}, 14, "'kind' (类型) 'levle'"),
    ("bad group", {12: "    group: 其他"}, 12, "'group' (分组) '其他'"),
    ("unknown scope", {13: "    scope: XXX"}, 13, "'scope' (单位) 'XXX' is not an org unit"),
    ("unknown indicator", {15: "    indicator: nope"}, 15, "'nope' is not in the catalog"),
    ("unconvertible unit", {17: "    unit: 万美元"}, 17, "cannot be converted"),
    ("value not numeric", {16: "    value: 五十五"}, 16, "must be a number"),
    ("bad comparison", {18: "    comparison: '>'"}, 18, "'comparison' (比较方向)"),
    ("level without unit", {17: "    # no unit"}, 11, "needs 'unit' (计量单位)"),
    ("growth in 亿元", {14: "    kind: growth", 18: "    # -"}, 17, "must be '%'"),
    ("fractional count", {14: "    kind: count", 16: "    value: 5.5"}, 16, "whole number"),
    ("negative level", {16: "    value: -5"}, 16, "must not be negative"),
    ("baseline disagrees", {18: "    baseline: 40"}, 18, "baseline B1"),
    ("bad deadline", {25: "    deadline: 6月底"}, 25, "'deadline' (完成时限)"),
    ("milestone no deadline", {25: "    # none"}, 21, "needs 'deadline'"),
    ("duplicate target id", {21: "  - id: T1"}, 21, "duplicate 'id' (编号) 'T1'"),
    ("id shared with baseline", {11: "  - id: B1"}, 11, "duplicate 'id' (编号) 'B1'"),
    ("duplicate key", {20: "    label: again"}, 20, "duplicate key 'label'"),
    ("baseline bad unit", {8: "    unit: 个"}, 8, "cannot be converted"),
    ("baseline year not integer", {6: "    year: 二〇一二"}, 6, "must be an integer"),
    ("baseline year after plan", {6: "    year: 2014"}, 6, "after the plan year"),
    ("growth-only baseline", {8: "    unit: '%'"}, 8, "growth-only"),
    ("baseline missing value", {7: "    # none"}, 3, "missing required key 'value'"),
    ("invalid YAML", {16: "    value: 55: 1"}, 16, "invalid YAML"),
]


@pytest.mark.parametrize(
    ("changes", "line", "fragment"),
    [pytest.param(c, n, f, id=name) for name, c, n, f in MALFORMED],
)
def test_malformed_plan_names_line(
    tmp_path: Path, catalog: Catalog, changes: dict[int, str], line: int, fragment: str
) -> None:
    path = tmp_path / "2013.yaml"
    path.write_text(_variant(changes), encoding="utf-8")
    with pytest.raises(PlanError) as excinfo:
        load_plan(path, catalog)
    message = str(excinfo.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert fragment in message


def test_base_snippet_is_valid(tmp_path: Path, catalog: Catalog) -> None:
    path = tmp_path / "2013.yaml"
    path.write_text(BASE, encoding="utf-8")
    plan = load_plan(path, catalog)
    assert [t.line for t in plan.targets] == [11, 21]
    assert plan.baselines[0].line == 3


# --- (e) canonical values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target_id", "expected"),
    [
        ("A01", 55.0),  # 55亿元 on a 亿元 indicator
        ("A08", 65000.0),  # 6.5亿元 → 万元
        ("T-NGZ-04", 552.0),  # 552万元 stays
        ("A05", 4200.0),  # 万美元 stays
        ("I07f", 3.6),  # 万平方米 stays
        ("A12", 6.5),  # ceiling in ‰
        ("C18", 50.0),  # ratio in %
        ("P04", 100200.0),  # 翻一番 on 50100万元
        ("T-WCJ-05", 47380.0),  # +15% on 41200万元
        ("T-WCJ-04", 6.048),  # +20% on 5.04亿元
        ("A09", None),  # growth without a baseline
        ("P01", None),  # ranking
        ("C15", None),  # milestone
        ("A13", None),  # qualitative
    ],
)
def test_target_value_canonical(
    plan: Plan, catalog: Catalog, target_id: str, expected: float | None
) -> None:
    value = target_value_canonical(plan.target(target_id), catalog)
    if expected is None:
        assert value is None
    else:
        assert value == pytest.approx(expected)


def test_growth_on_baseline(catalog: Catalog) -> None:
    t = Target(
        id="x",
        year=2013,
        group="主要预期目标",
        scope="JZXQ",
        kind="growth",
        label="l",
        source="s",
        indicator="ind_va_above",
        value=25,
        unit="%",
        baseline=44,
    )
    assert target_value_canonical(t, catalog) == pytest.approx(55.0)


@pytest.mark.parametrize(
    ("baseline_id", "expected"),
    [
        ("B-JZXQ-fiscal_revenue", 50100.0),  # 5.01亿元 → 万元
        ("B-SJZ-ind_va", 6780.0),
        ("B-YMZ-ind_va", 16100.0),  # 1.61亿元 → 万元
        ("B-SJZ-external_funds", 0.8),  # 8000万元 → 亿元
        ("B-WCJ-profit_tax", 41200.0),
        ("B-SJZ-rural_net_income", None),  # growth-only
    ],
)
def test_baseline_canonical(
    plan: Plan, catalog: Catalog, baseline_id: str, expected: float | None
) -> None:
    (b,) = [b for b in plan.baselines if b.id == baseline_id]
    value = baseline_canonical(b, catalog)
    if expected is None:
        assert value is None
    else:
        assert value == pytest.approx(expected)
