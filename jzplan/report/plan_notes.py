"""The plan's own contradictions where a reader meets them: a note on each target that a
``check-plan`` finding touches, saying what contradicts what and which figure the target's
status is judged against.

Every report (HTML, workbook, Markdown) carries the note beside the target. The figure judged
against is the one the target itself states, as ``jzplan.track.progress`` evaluates it: a
level (``96.2亿元``) against the level, even when the growth stated with it implies another;
a growth target (``翻一番``) against its growth over the same period last year. Only findings
(severity ``finding``) give a note; a growth that cannot be checked for want of a baseline
(``info``) is no contradiction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from jzplan.reference.catalog import Catalog, convert
from jzplan.reference.display import number
from jzplan.reference.plan import Plan, Target, target_value_canonical
from jzplan.validate.plan_check import LEVELS, Finding, check_plan
from jzplan.validate.rules import Rules

NOTE_MARK = "※"


@dataclass(frozen=True, slots=True)
class PlanNote:
    """A target touched by the plan's contradictions: the findings' codes, one clause per
    finding (what contradicts what, with the figures) and the figure its status is judged
    against (``96.2亿元``, ``同比增长100%``)."""

    target_id: str
    codes: tuple[str, ...]
    clauses: tuple[str, ...]
    judged: str

    @property
    def text(self) -> str:
        """The note as reports show it, e.g. ``计划自相矛盾：96.2亿元与上年58.62亿元增长50.3%
        （=88.11亿元）不一致；状态按96.2亿元判断``."""
        judged = f"；状态按{self.judged}判断" if self.judged else ""
        return f"计划自相矛盾：{'；'.join(self.clauses)}{judged}"


def judged_figure(t: Target) -> str:
    """The figure ``evaluate_target`` judges the target's status against, as stated."""
    if t.value is None:
        return ""
    if t.kind == "growth":
        return f"同比增长{number(t.value)}%"
    if t.kind == "ranking":
        return f"前{number(t.value)}名"
    if t.kind == "ratio":
        return f"{number(t.value)}%"
    within = "以内" if t.comparison == "<=" else ""
    return f"{number(t.value)}{t.unit or ''}{within}"


def _stated(t: Target) -> str:
    """The target's own figure as the plan writes it."""
    if t.value is None:
        return ""
    if t.kind in ("growth", "ratio"):
        return f"{'增长' if t.kind == 'growth' else ''}{number(t.value)}%"
    return f"{number(t.value)}{t.unit or ''}"


def _named(t: Target) -> str:
    return f"{t.id}「{t.label}」"


def _shown_unit(catalog: Catalog, indicator: str, *targets: Target) -> str:
    """The unit a pair's levels are shown in: the first level target's own, else canonical."""
    for t in targets:
        if t.kind in LEVELS and t.unit and t.indicator == indicator:
            return t.unit
    return catalog.indicator(indicator).unit


def _amount(value: float, canonical: str, unit: str) -> str:
    return f"{number(convert(value, canonical, unit))}{unit}"


def _level_growth(f: Finding, t: Target) -> str:
    assert t.growth_pct is not None and f.implied is not None
    base = f.implied / (1 + t.growth_pct / 100)
    unit = t.unit or ""
    return (
        f"{number(t.value or 0)}{unit}与上年{number(base)}{unit}增长{number(t.growth_pct)}%"
        f"（={number(f.implied)}{unit}）不一致"
    )


def _conflict(f: Finding, t: Target, other: Target, catalog: Catalog) -> str:
    """Two targets of one indicator: compared as levels when both have one (a growth on a
    baseline implies one), else as growth rates (``check_conflicts``)."""
    canonical = catalog.indicator(f.indicator).unit
    unit = _shown_unit(catalog, f.indicator, t, other)

    def level(x: Target) -> float | None:
        if x.kind in LEVELS or x.kind == "growth":
            return target_value_canonical(x, catalog)
        return None

    if level(t) is not None and level(other) is not None:

        def implied(x: Target) -> str:
            value = level(x)
            return (
                ""
                if x.kind in LEVELS or value is None
                else f"（折合{_amount(value, canonical, unit)}）"
            )

        return f"{_stated(t)}{implied(t)}与{_named(other)}{implied(other)}不一致"
    growth = t.value if t.kind == "growth" else t.growth_pct
    return f"增长{number(growth or 0)}%与{_named(other)}不一致"


def _bound(f: Finding, t: Target, part: Target, whole: Target, catalog: Catalog) -> str:
    assert whole.indicator is not None and f.stated is not None
    canonical = catalog.indicator(whole.indicator).unit
    unit = _shown_unit(catalog, whole.indicator, whole)
    part_level = "" if part.kind in LEVELS else f"（折合{_amount(f.stated, canonical, unit)}）"
    if t.id == part.id:
        return f"{_stated(part)}{part_level}大于{_named(whole)}，部分不应大于整体"
    return f"{_stated(whole)}小于其中的{_named(part)}{part_level}，部分不应大于整体"


def _sum(f: Finding, t: Target, whole: Target, parts: list[Target], catalog: Catalog) -> str:
    assert f.implied is not None
    canonical = catalog.indicator(f.indicator).unit
    total = _amount(f.implied, canonical, _shown_unit(catalog, f.indicator, whole))
    ids = "、".join(p.id for p in parts)
    if t.id == whole.id:
        return f"{_stated(whole)}与分项{ids}之和{total}不一致"
    return f"分项{ids}之和{total}与合计{_named(whole)}不一致"


def _units(f: Finding, t: Target, area: Target, units: list[Target], catalog: Catalog) -> str:
    assert f.stated is not None
    canonical = catalog.indicator(f.indicator).unit
    total = _amount(f.stated, canonical, _shown_unit(catalog, f.indicator, area))
    ids = "、".join(u.id for u in units)
    if t.id == area.id:
        return f"{_stated(area)}小于各单位目标{ids}之和{total}"
    return f"各单位目标{ids}之和{total}大于全区{_named(area)}"


def clause(f: Finding, target_id: str, plan: Plan, catalog: Catalog) -> str:
    """What the finding says about one of its targets, in a short sentence of its figures."""
    t = plan.target(target_id)
    named = [plan.target(i) for i in f.targets]
    if f.code == "level_growth_mismatch":
        return _level_growth(f, t)
    if f.code == "conflicting_targets":
        (other,) = [x for x in named if x.id != t.id]
        return _conflict(f, t, other, catalog)
    if f.code == "part_exceeds_whole":
        part, whole = named
        return _bound(f, t, part, whole, catalog)
    if f.code == "parts_sum_mismatch":
        return _sum(f, t, named[0], named[1:], catalog)
    if f.code == "units_exceed_area":
        return _units(f, t, named[0], named[1:], catalog)
    return f.message


def notes_from_findings(
    plan: Plan, catalog: Catalog, findings: Iterable[Finding]
) -> dict[str, PlanNote]:
    """Target id → its note, from the findings (severity ``finding`` only), in plan order."""
    clauses: dict[str, list[tuple[str, str]]] = {}
    for f in findings:
        if f.severity != "finding":
            continue
        for target_id in dict.fromkeys(f.targets):
            clauses.setdefault(target_id, []).append((f.code, clause(f, target_id, plan, catalog)))
    return {
        t.id: PlanNote(
            t.id,
            tuple(code for code, _ in clauses[t.id]),
            tuple(text for _, text in clauses[t.id]),
            judged_figure(t),
        )
        for t in plan.targets
        if t.id in clauses
    }


def plan_notes(plan: Plan, catalog: Catalog, rules: Rules) -> dict[str, PlanNote]:
    """Target id → the note of the plan's contradictions touching it (``check_plan``)."""
    return notes_from_findings(plan, catalog, check_plan(plan, catalog, rules).findings)
