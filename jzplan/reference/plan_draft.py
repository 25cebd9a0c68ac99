"""Drafting next year's plan file from this year's plan and stored actuals (``jzplan plan-new``).

Every target of the year's plan is carried over: a new id (``2014-A01`` for ``A01``: the store
keys targets by id), its baseline filled from last December's stored figure (year to date for
flows, the level for stocks) in the plan's unit, its value left empty (``null``, 待填写) and its
``source`` a TODO for the office to replace with the sentence of the new plan document.

When the catalog records a township change taking effect in the new year (docs/catalog-changes.md),
the baselines are last December on the comparable base of the new year's units (the caller
passes ``comparable_base`` of the stored December), a target of a unit merged into another is
carried over to the unit that now holds its figures, and a target of a unit that left the area
is not carried over (``DraftPlan.dropped``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml

from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog, convert
from jzplan.reference.plan import QUANTITATIVE_KINDS, Plan, Target, default_comparison

TODO = "TODO"  # what a draft's ``source`` starts with until the office writes the sentence


def draft_id(target_id: str, from_year: int, year: int) -> str:
    """``A01`` or ``2013-A01`` → ``2014-A01``."""
    base = target_id.removeprefix(f"{from_year}-")
    return f"{year}-{base}"


def holder(catalog: Catalog, code: str, year: int) -> str | None:
    """The unit that holds ``code``'s figures in January of ``year``: itself while it is valid,
    else the unit it merged into (along a chain of merges); None when it left the area."""
    first = Period(year, 1)
    seen: set[str] = set()
    while code not in seen:
        seen.add(code)
        unit = catalog.org_units.get(code)
        if unit is None or unit.validity.covers(first):
            return code
        if unit.lineage is None or unit.lineage.merged_into is None:
            return None
        code = unit.lineage.merged_into
    return None


def draft_baseline(
    target: Target,
    catalog: Catalog,
    december: Mapping[tuple[str, str], float],
    scope: str | None = None,
) -> float | None:
    """Last December's stored figure of the target's unit and indicator, in the unit the plan
    writes its baseline in (a growth target: the indicator's; else the target's own); None
    for rankings and where the store has no figure."""
    if target.indicator is None or target.unit is None or target.kind == "ranking":
        return None
    stored = december.get((scope or target.scope, target.indicator))
    if stored is None:
        return None
    canonical = catalog.indicator(target.indicator).unit
    value = stored if target.kind == "growth" else convert(stored, canonical, target.unit)
    return round(value, 6)


def _entry(
    t: Target,
    plan: Plan,
    catalog: Catalog,
    year: int,
    december: Mapping[tuple[str, str], float],
    scope: str,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": draft_id(t.id, plan.year, year),
        "group": t.group,
        "scope": scope,
        "kind": t.kind,
    }
    if t.indicator is not None:
        entry["indicator"] = t.indicator
    if t.kind in QUANTITATIVE_KINDS or t.value is not None:
        entry["value"] = None  # 待填写
    if t.unit is not None:
        entry["unit"] = t.unit
    if t.comparison != default_comparison(t.kind):
        entry["comparison"] = t.comparison
    baseline = draft_baseline(t, catalog, december, scope)
    if baseline is not None:
        entry["baseline"] = baseline
    if t.kind == "milestone":
        entry["deadline"] = date(year, 12, 31)
    quantitative = t.indicator is not None and t.kind in QUANTITATIVE_KINDS
    entry["label"] = (
        catalog.indicator(t.indicator).name if quantitative and t.indicator else t.label
    )
    entry["source"] = f"{TODO}：填写{year}年计划文件中本目标的原文"
    where = f"基期为{plan.year}年12月库存实际值" if baseline is not None else "库中无基期值"
    was = "、".join(str(r.value) for r in t.revisions)
    moved = ""
    if scope != t.scope:
        old, new = catalog.unit(t.scope).name, catalog.unit(scope).name
        moved = f"；原为{old}的目标，{old}已并入{new}"
    entry["note"] = (
        f"由{plan.year}年目标 {t.id} 起草（{t.label}"
        + (f"；年中调整为 {was}" if was else "")
        + f"）；{where}{moved}"
    )
    return entry


@dataclass(frozen=True, slots=True)
class DraftPlan:
    """The draft (the plan file's mapping) and the targets not carried over."""

    data: dict[str, Any]
    dropped: tuple[Target, ...]  # their unit left the area (valid_to, no merged_into)


def draft_plan(
    plan: Plan, catalog: Catalog, year: int, december: Mapping[tuple[str, str], float]
) -> DraftPlan:
    """The draft as the plan file's mapping (``year``, ``baselines``, ``targets``)."""
    entries, dropped = [], []
    for t in plan.targets:
        scope = holder(catalog, t.scope, year)
        if scope is None:
            dropped.append(t)
        else:
            entries.append(_entry(t, plan, catalog, year, december, scope))
    return DraftPlan({"year": year, "baselines": [], "targets": entries}, tuple(dropped))


def draft_plan_text(draft: DraftPlan, from_year: int) -> str:
    """The draft as YAML, with a header saying what the office fills in."""
    year = draft.data["year"]
    head = (
        f"# 焦作新区 {year} 年目标计划（草稿，由 jzplan plan-new --year {year} 起草）\n"
        f"# 每项目标：value 填写{year}年目标值（null 为待填写，跟踪时显示“待定”），\n"
        f"# source 换成计划文件中该目标的原文；baseline 为{from_year}年12月库存实际值。\n"
        f"# 填写后运行：jzplan check-plan --year {year}（说明见 docs/years.md）\n"
    )
    body = yaml.safe_dump(
        draft.data,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1000,
    )
    return head + body
