"""The plan validated too: do the targets of ``data/targets/<year>.yaml`` agree with each other?

Checks, each reported with the figures involved (the plan's figures are never changed):

- ``level_growth_mismatch``: a target stated both as a level and as a growth (“96.2亿元，增长
  50.3%”) must equal baseline × (1 + growth) within the rounding of the stated figures;
  ``growth_unverifiable`` (info) when the seed gives no baseline to check it against;
- ``conflicting_targets``: two targets for the same indicator and scope whose levels (stated
  or implied by a growth on a baseline) or growth rates disagree beyond rounding;
- ``parts_sum_mismatch``: parts of a target must sum to its whole (``relations.yaml`` sums,
  e.g. 续建项目 + 新开工项目 = 计划实施项目);
- ``part_exceeds_whole``: a part's target above its whole's (``relations.yaml`` bounds,
  including levels implied by a ratio target such as 新开工项目当年完成投资50%);
- ``units_exceed_area``: the townships' level targets of a summed indicator above the area's;
- ``target_unset`` (info, 待填写): a figure target of a draft whose value is still empty.

Every version of the plan is checked: as written, and as it stands from each revision's month
on (``jzplan.reference.plan_revisions``); a revised version's findings name the month.

Rounding: a figure written with d decimals stands for anything within half a unit of its last
digit; the tolerance of a comparison is the propagated half-units of every figure in it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from itertools import combinations

from jzplan.reference.catalog import Catalog, convert
from jzplan.reference.plan import (
    Plan,
    Target,
    baseline_canonical,
)
from jzplan.reference.plan_revisions import plan_versions
from jzplan.validate.rules import Rules

LEVELS = ("level", "count", "ceiling")
_RATIO_FORMULA = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*/\s*([a-z_][a-z0-9_]*)\s*\*\s*100\s*$")


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: str  # finding | info
    targets: tuple[str, ...]
    scope: str
    indicator: str
    message: str  # Chinese, with the figures
    stated: float | None = None
    implied: float | None = None


@dataclass(frozen=True, slots=True)
class PlanCheckReport:
    year: int
    findings: tuple[Finding, ...]
    agreeing: tuple[str, ...] = field(default_factory=tuple)  # checks that passed, as text

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "finding"]

    @property
    def infos(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "info"]


def _decimals(x: float) -> int:
    text = repr(float(x))
    if "e" in text or "." not in text:
        return 0
    frac = text.split(".")[1].rstrip("0")
    return len(frac)


def half_unit(x: float) -> float:
    """Half a unit of the last written digit: 96.2 → 0.05, 552 → 0.5."""
    return 0.5 * 10.0 ** (-_decimals(x))


def _num(x: float) -> str:
    return f"{x:,.4f}".rstrip("0").rstrip(".")


@dataclass(frozen=True, slots=True)
class _Level:
    """A target's level in the indicator's canonical unit, and its rounding tolerance."""

    target: Target
    value: float
    tolerance: float
    how: str  # how it was obtained, with the figures


# (scope, indicator) -> the level a target states or implies
Levels = dict[tuple[str, str], _Level]


def _level(t: Target, catalog: Catalog) -> _Level | None:
    if t.indicator is None or t.value is None or t.unit is None:
        return None
    canonical = catalog.indicator(t.indicator).unit
    if t.kind in LEVELS:
        v = convert(t.value, t.unit, canonical)
        tol = convert(half_unit(t.value), t.unit, canonical)
        return _Level(t, v, tol, f"{_num(t.value)}{t.unit}")
    if t.kind == "growth" and t.baseline is not None:
        g = t.value / 100
        v = t.baseline * (1 + g)
        tol = half_unit(t.baseline) * (1 + g) + t.baseline * half_unit(t.value) / 100
        how = f"{_num(t.baseline)}{canonical}×(1+{_num(t.value)}%)={_num(v)}{canonical}"
        return _Level(t, v, tol, how)
    return None


def _baseline_for(t: Target, plan: Plan, catalog: Catalog) -> tuple[float, str] | None:
    """The target's baseline in its own unit: stated on the target, else the plan's baseline
    of the previous year for the same unit and indicator."""
    if t.baseline is not None:
        return t.baseline, "目标所列基数"
    if t.indicator is None or t.unit is None:
        return None
    for b in plan.baselines_for(t.scope, t.indicator, plan.year - 1):
        value = baseline_canonical(b, catalog)
        if value is not None:
            canonical = catalog.indicator(t.indicator).unit
            return convert(value, canonical, t.unit), f"基期数据 {b.id}"
    return None


def _scope_name(catalog: Catalog, code: str) -> str:
    return catalog.unit(code).name


def _ind_name(catalog: Catalog, code: str) -> str:
    return catalog.indicator(code).name


def check_level_growth(plan: Plan, catalog: Catalog) -> tuple[list[Finding], list[str]]:
    findings: list[Finding] = []
    agreeing: list[str] = []
    for t in plan.targets:
        if t.kind not in LEVELS or t.growth_pct is None or t.value is None or not t.indicator:
            continue
        where = f"{_scope_name(catalog, t.scope)}「{t.label}」"
        base = _baseline_for(t, plan, catalog)
        if base is None:
            findings.append(
                Finding(
                    "growth_unverifiable",
                    "info",
                    (t.id,),
                    t.scope,
                    t.indicator,
                    f"{where}：{_num(t.value)}{t.unit}、增长{_num(t.growth_pct)}%，"
                    f"原文未给出{plan.year - 1}年基数，无法核对",
                    stated=t.value,
                )
            )
            continue
        baseline, source = base
        g = t.growth_pct / 100
        implied = baseline * (1 + g)
        tol = (
            half_unit(t.value)
            + half_unit(baseline) * (1 + g)
            + baseline * half_unit(t.growth_pct) / 100
        )
        text = (
            f"{where}：{_num(t.value)}{t.unit} vs {_num(baseline)}×{_num(1 + g)}="
            f"{_num(implied)}{t.unit}（{source}，增长{_num(t.growth_pct)}%）"
        )
        if abs(t.value - implied) <= tol + 1e-9:
            agreeing.append(text)
            continue
        actual = (t.value / baseline - 1) * 100 if baseline else float("nan")
        findings.append(
            Finding(
                "level_growth_mismatch",
                "finding",
                (t.id,),
                t.scope,
                t.indicator,
                f"{text}，相差{_num(t.value - implied)}{t.unit}；"
                f"按{_num(t.value)}{t.unit}计实际增长{actual:.1f}%",
                stated=t.value,
                implied=implied,
            )
        )
    return findings, agreeing


def check_conflicts(plan: Plan, catalog: Catalog) -> tuple[list[Finding], list[str]]:
    findings: list[Finding] = []
    agreeing: list[str] = []
    groups: dict[tuple[str, str], list[Target]] = {}
    for t in plan.targets:
        if t.indicator and t.value is not None and t.kind in (*LEVELS, "growth", "ratio"):
            groups.setdefault((t.scope, t.indicator), []).append(t)
    for (scope, code), targets in groups.items():
        unit = catalog.indicator(code).unit
        for a, b in combinations(targets, 2):
            if a.comparison != b.comparison:
                continue
            head = f"{_scope_name(catalog, scope)}「{_ind_name(catalog, code)}」{a.id}与{b.id}"
            la, lb = _level(a, catalog), _level(b, catalog)
            if la is not None and lb is not None:
                text = f"{head}：{la.how} vs {lb.how}"
                if abs(la.value - lb.value) <= la.tolerance + lb.tolerance + 1e-9:
                    agreeing.append(text)
                    continue
                findings.append(
                    Finding(
                        "conflicting_targets",
                        "finding",
                        (a.id, b.id),
                        scope,
                        code,
                        f"{text}（折合 {_num(la.value)} vs {_num(lb.value)} {unit}）",
                        stated=la.value,
                        implied=lb.value,
                    )
                )
                continue
            ga, gb = _growth(a), _growth(b)
            if ga is None or gb is None:
                continue
            text = f"{head}：增长{_num(ga)}% vs 增长{_num(gb)}%"
            if abs(ga - gb) <= half_unit(ga) + half_unit(gb):
                agreeing.append(text)
                continue
            findings.append(
                Finding(
                    "conflicting_targets",
                    "finding",
                    (a.id, b.id),
                    scope,
                    code,
                    f"{text}（「{a.label}」与「{b.label}」）",
                    stated=ga,
                    implied=gb,
                )
            )
    return findings, agreeing


def _growth(t: Target) -> float | None:
    if t.kind == "growth":
        return t.value
    return t.growth_pct


def _derived_levels(plan: Plan, catalog: Catalog, levels: Levels) -> None:
    """Levels implied by ratio targets ``a / b * 100 >= r``: a >= r% of b's target."""
    for t in plan.targets:
        if t.kind != "ratio" or not t.indicator or t.value is None:
            continue
        m = _RATIO_FORMULA.match(catalog.indicator(t.indicator).formula or "")
        if not m:
            continue
        num, den = m.groups()
        base = levels.get((t.scope, den))
        if base is None or (t.scope, num) in levels:
            continue
        v = base.value * t.value / 100
        unit = catalog.indicator(num).unit
        how = f"{t.id} {_num(t.value)}%×{base.target.id} {_num(base.value)}{unit}={_num(v)}{unit}"
        levels[(t.scope, num)] = _Level(t, v, base.tolerance * t.value / 100, how)


def check_relations(plan: Plan, catalog: Catalog, rules: Rules) -> tuple[list[Finding], list[str]]:
    """The plan's levels against the relations: parts sum to wholes, a part never exceeds
    its whole, the units' targets never exceed the area's."""
    findings: list[Finding] = []
    agreeing: list[str] = []
    levels: Levels = {}
    for t in plan.targets:
        lv = _level(t, catalog) if t.comparison == ">=" else None
        if lv is not None and t.indicator and (t.scope, t.indicator) not in levels:
            levels[(t.scope, t.indicator)] = lv
    _derived_levels(plan, catalog, levels)
    _check_sums(levels, catalog, rules, findings, agreeing)
    _check_bounds(levels, catalog, rules, findings, agreeing)
    _check_units_within_area(levels, catalog, findings, agreeing)
    return findings, agreeing


def _check_sums(
    levels: Levels, catalog: Catalog, rules: Rules, findings: list[Finding], agreeing: list[str]
) -> None:
    scopes = sorted({s for s, _ in levels})
    for rel in rules.sums_for("plan"):
        for scope in scopes:
            whole = levels.get((scope, rel.whole))
            parts = [levels.get((scope, p)) for p in rel.parts]
            if whole is None or any(p is None for p in parts):
                continue
            got = [p for p in parts if p is not None]
            total = math.fsum(p.value for p in got)
            tol = whole.tolerance + sum(p.tolerance for p in got)
            unit = catalog.indicator(rel.whole).unit
            text = (
                f"{_scope_name(catalog, scope)}：{_ind_name(catalog, rel.whole)} "
                f"{whole.target.id} {_num(whole.value)}{unit} vs "
                + " + ".join(f"{p.target.id} {_num(p.value)}" for p in got)
                + f" = {_num(total)}{unit}"
            )
            if abs(whole.value - total) <= tol + 1e-9:
                agreeing.append(text)
                continue
            findings.append(
                Finding(
                    "parts_sum_mismatch",
                    "finding",
                    (whole.target.id, *(p.target.id for p in got)),
                    scope,
                    rel.whole,
                    f"{text}，相差{_num(whole.value - total)}{unit}",
                    stated=whole.value,
                    implied=total,
                )
            )


def _check_bounds(
    levels: Levels, catalog: Catalog, rules: Rules, findings: list[Finding], agreeing: list[str]
) -> None:
    scopes = sorted({s for s, _ in levels})
    for bound in rules.bounds_for("plan"):
        for scope in scopes:
            part, whole = levels.get((scope, bound.part)), levels.get((scope, bound.whole))
            if part is None or whole is None:
                continue
            unit = catalog.indicator(bound.whole).unit
            part_value = convert(part.value, catalog.indicator(bound.part).unit, unit)
            text = (
                f"{_scope_name(catalog, scope)}：{_ind_name(catalog, bound.part)} {part.how} "
                f"vs {_ind_name(catalog, bound.whole)} {whole.how}（{bound.note}）"
            )
            if part_value <= whole.value + part.tolerance + whole.tolerance + 1e-9:
                agreeing.append(text)
                continue
            findings.append(
                Finding(
                    "part_exceeds_whole",
                    "finding",
                    (part.target.id, whole.target.id),
                    scope,
                    bound.part,
                    f"{text}：部分比整体多{_num(part_value - whole.value)}{unit}",
                    stated=part_value,
                    implied=whole.value,
                )
            )


def _check_units_within_area(
    levels: Levels, catalog: Catalog, findings: list[Finding], agreeing: list[str]
) -> None:
    area = catalog.area.code
    for code in sorted({c for _, c in levels}):
        ind = catalog.indicator(code)
        area_level = levels.get((area, code))
        unit_levels = [levels[(u.code, code)] for u in catalog.units if (u.code, code) in levels]
        if ind.aggregation != "sum" or area_level is None or len(unit_levels) < 2:
            continue
        total = math.fsum(p.value for p in unit_levels)
        text = (
            f"{_ind_name(catalog, code)}：各单位目标 "
            + " + ".join(f"{p.target.id} {_num(p.value)}" for p in unit_levels)
            + f" = {_num(total)}{ind.unit} vs 全区 {area_level.target.id} "
            + f"{_num(area_level.value)}{ind.unit}"
        )
        if (
            total
            <= area_level.value
            + area_level.tolerance
            + sum(p.tolerance for p in unit_levels)
            + 1e-9
        ):
            agreeing.append(text)
            continue
        findings.append(
            Finding(
                "units_exceed_area",
                "finding",
                (area_level.target.id, *(p.target.id for p in unit_levels)),
                area,
                code,
                f"{text}：各单位之和超过全区目标",
                stated=total,
                implied=area_level.value,
            )
        )


def _check_version(plan: Plan, catalog: Catalog, rules: Rules) -> tuple[list[Finding], list[str]]:
    findings: list[Finding] = []
    agreeing: list[str] = []
    for part in (
        check_level_growth(plan, catalog),
        check_conflicts(plan, catalog),
        check_relations(plan, catalog, rules),
    ):
        findings.extend(part[0])
        agreeing.extend(part[1])
    return findings, agreeing


def check_plan(plan: Plan, catalog: Catalog, rules: Rules) -> PlanCheckReport:
    """Every version of the plan checked; a revised version adds only what differs."""
    findings: list[Finding] = []
    agreeing: list[str] = []
    for month, version in plan_versions(plan):
        found, agreed = _check_version(version, catalog, rules)
        if month is None:
            findings, agreeing = found, agreed
            continue
        known = {(f.code, f.targets, f.message) for f in findings}
        when = f"{month.month}月调整后："
        findings += [
            replace(f, message=when + f.message)
            for f in found
            if (f.code, f.targets, f.message) not in known
        ]
        agreeing += [when + a for a in agreed if a not in agreeing]
    findings += [
        Finding("target_unset", "info", (t.id,), t.scope, t.indicator or "",
                f"{_scope_name(catalog, t.scope)}“{t.label}”目标值待填写")
        for t in plan.targets if t.unset
    ]  # fmt: skip
    return PlanCheckReport(plan.year, tuple(findings), tuple(agreeing))


CODE_LABELS = {
    "level_growth_mismatch": "总量与增速不符",
    "conflicting_targets": "同一指标目标不一致",
    "parts_sum_mismatch": "分项之和不等于合计",
    "part_exceeds_whole": "部分大于整体",
    "units_exceed_area": "各单位之和超过全区",
    "growth_unverifiable": "无基数，无法核对增速",
    "target_unset": "待填写",
}


def _rows(findings: Iterable[Finding]) -> list[str]:
    return [
        f"| {i} | {CODE_LABELS.get(f.code, f.code)} (`{f.code}`) | {', '.join(f.targets)} | "
        f"{f.message} |"
        for i, f in enumerate(findings, start=1)
    ]


def plan_check_markdown(report: PlanCheckReport) -> str:
    """The report as Markdown: findings, then what could not be checked, then what agrees."""
    lines = [
        f"# {report.year} 年计划一致性检查",
        "",
        f"发现 {len(report.problems)} 处不一致，{len(report.infos)} 项无法核对，"
        f"{len(report.agreeing)} 项核对一致。计划文件中的数字保持原文，不做修改。",
        "",
        "| # | 类型 | 目标 | 涉及的数字 |",
        "|---|---|---|---|",
        *_rows(report.problems),
    ]
    if report.infos:
        lines += ["", "## 无法核对", "", "| # | 类型 | 目标 | 说明 |", "|---|---|---|---|"]
        lines += _rows(report.infos)
    if report.agreeing:
        lines += ["", "## 核对一致", ""] + [f"- {a}" for a in report.agreeing]
    return "\n".join(lines) + "\n"


def plan_check_table(report: PlanCheckReport) -> list[dict[str, str]]:
    """Rows for a Prefect table artifact."""
    return [
        {
            "类型": CODE_LABELS.get(f.code, f.code),
            "代码": f.code,
            "级别": "不一致" if f.severity == "finding" else "无法核对",
            "目标": ", ".join(f.targets),
            "涉及的数字": f.message,
        }
        for f in report.findings
    ]
