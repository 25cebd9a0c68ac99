"""The annual plan (``data/targets/<year>.yaml``): targets and the seed's baselines."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from jzplan.reference.catalog import UNIT_FACTORS, Catalog, UnitError, convert, normalize_unit
from jzplan.reference.plan_revisions import Revision, parse_revisions
from jzplan.reference.plan_yaml import Entry, PlanError, key_label

__all__ = ["PlanError", "Revision"]  # re-exported: callers import them from here

TargetKind = Literal[
    "level", "growth", "ceiling", "count", "ratio", "milestone", "ranking", "qualitative"
]
TARGET_KINDS: tuple[str, ...] = (
    "level", "growth", "ceiling", "count", "ratio", "milestone", "ranking", "qualitative",
)  # fmt: skip
Comparison = Literal[">=", "<="]
COMPARISONS: tuple[str, ...] = (">=", "<=")
GROUPS: tuple[str, ...] = (
    "主要预期目标", "十个方面", "十大创新提升计划", "市政府工作报告要求", "乡镇街道目标",
)  # fmt: skip
# kinds compared against a figure; they need indicator, value and unit
QUANTITATIVE_KINDS: tuple[str, ...] = ("level", "growth", "ceiling", "count", "ratio", "ranking")
# kinds whose value is a level of the indicator (convertible to its canonical unit)
LEVEL_KINDS: tuple[str, ...] = ("level", "count", "ceiling", "ratio")
GROWTH_UNIT = "%"


@dataclass(frozen=True, slots=True)
class Baseline:
    """A figure the seed reports for a past year (or as a status at the time of the report)."""

    id: str
    scope: str  # org unit code
    indicator: str  # indicator code
    year: int
    value: float
    unit: str  # the seed's own unit
    growth_pct: float | None  # growth the seed states alongside, e.g. 22.2
    source: str  # the seed sentence
    note: str | None
    line: int  # line in the YAML file


@dataclass(frozen=True, slots=True)
class Target:
    id: str
    year: int
    group: str  # 主要预期目标 | 十个方面 | 十大创新提升计划 | 市政府工作报告要求 | 乡镇街道目标
    scope: str  # org unit code
    kind: TargetKind
    label: str  # short Chinese label for tables
    source: str  # the seed sentence it comes from
    indicator: str | None = None
    value: float | None = None  # in `unit`; growth: percent; ranking: worst acceptable position
    unit: str | None = None  # the seed's own unit
    comparison: Comparison = ">="
    baseline: float | None = None  # 2012 value in `unit`, where the seed gives one
    growth_pct: float | None = None  # growth stated alongside a level, e.g. 25 for +25%
    deadline: date | None = None  # milestones
    note: str | None = None
    line: int = 0
    revisions: tuple[Revision, ...] = ()  # 调整目标 (jzplan.reference.plan_revisions)

    @property
    def unset(self) -> bool:
        """A figure target whose value is still to be written (a draft's 待填写)."""
        return self.kind in QUANTITATIVE_KINDS and self.value is None


@dataclass(frozen=True, slots=True)
class Plan:
    year: int
    targets: tuple[Target, ...]
    baselines: tuple[Baseline, ...]

    def target(self, target_id: str) -> Target:
        for t in self.targets:
            if t.id == target_id:
                return t
        raise KeyError(f"unknown target {target_id!r}")

    def baselines_for(
        self, scope: str, indicator: str, year: int | None = None
    ) -> tuple[Baseline, ...]:
        """Baselines of one unit and indicator, optionally of one year."""
        return tuple(
            b
            for b in self.baselines
            if b.scope == scope and b.indicator == indicator and (year is None or b.year == year)
        )


def default_comparison(kind: str) -> Comparison:
    """Ceilings and rankings are met from below; everything else from above."""
    return "<=" if kind in ("ceiling", "ranking") else ">="


def _growth_only_unit(unit: str, canonical: str) -> bool:
    return normalize_unit(unit) == GROWTH_UNIT and canonical != GROWTH_UNIT


def is_growth_only(baseline: Baseline, catalog: Catalog) -> bool:
    """A past fact the seed states only as a growth: value is the percent, unit "%"."""
    return _growth_only_unit(baseline.unit, catalog.indicator(baseline.indicator).unit)


def baseline_canonical(baseline: Baseline, catalog: Catalog) -> float | None:
    """The baseline in its indicator's canonical unit; None for growth-only facts."""
    if is_growth_only(baseline, catalog):
        return None
    return convert(baseline.value, baseline.unit, catalog.indicator(baseline.indicator).unit)


def target_value_canonical(target: Target, catalog: Catalog) -> float | None:
    """The target level in the indicator's canonical unit, or None when it has no level.

    level/count/ceiling/ratio: the value converted. growth: baseline * (1 + value/100), where
    the growth target's baseline is already in the canonical unit (its own unit is "%").
    """
    if target.indicator is None or target.value is None or target.unit is None:
        return None
    canonical = catalog.indicator(target.indicator).unit
    if target.kind in LEVEL_KINDS:
        return convert(target.value, target.unit, canonical)
    if target.kind == "growth" and target.baseline is not None:
        return target.baseline * (1 + target.value / 100)
    return None


# --- loading ---------------------------------------------------------------------------------

_TOP_KEYS = ("year", "baselines", "targets")
_BASELINE_REQUIRED = ("id", "scope", "indicator", "year", "value", "unit", "source")
_BASELINE_OPTIONAL = ("growth_pct", "note")
_TARGET_REQUIRED = ("id", "group", "scope", "kind", "label", "source")
_TARGET_OPTIONAL = (
    "indicator", "value", "unit", "comparison", "baseline", "growth_pct", "deadline", "note",
    "revisions",
)  # fmt: skip


def _check_scope(entry: Entry, catalog: Catalog) -> str:
    scope = entry.text("scope")
    if scope not in catalog.org_units:
        known = ", ".join(catalog.org_units)
        raise entry.error(
            f"{key_label('scope')} {scope!r} is not an org unit (known: {known})", "scope"
        )
    return scope


def _check_indicator(entry: Entry, catalog: Catalog) -> str:
    code = entry.text("indicator")
    if code not in catalog.indicators:
        raise entry.error(f"{key_label('indicator')} {code!r} is not in the catalog", "indicator")
    return code


def _check_unit(entry: Entry, unit: str, canonical: str) -> None:
    try:
        convert(1.0, unit, canonical)
    except UnitError:
        raise entry.error(
            f"{key_label('unit')} {unit!r} cannot be converted to the indicator's unit "
            f"{canonical!r}",
            "unit",
        ) from None


def _parse_baseline(entry: Entry, catalog: Catalog) -> Baseline:
    entry.check_keys(_BASELINE_REQUIRED, _BASELINE_OPTIONAL)
    indicator = _check_indicator(entry, catalog)
    canonical = catalog.indicator(indicator).unit
    unit = entry.text("unit")
    value = entry.number("value")
    growth_pct = entry.optional_number("growth_pct")
    if _growth_only_unit(unit, canonical):
        # growth-only fact: the value is the growth itself
        if growth_pct is None or not math.isclose(growth_pct, value):
            raise entry.error(
                f"a growth-only baseline (unit '%' on a {canonical!r} indicator) needs "
                f"{key_label('growth_pct')} equal to its value {value:g}",
                "growth_pct" if growth_pct is not None else "unit",
            )
    else:
        _check_unit(entry, unit, canonical)
    return Baseline(
        id=entry.text("id"),
        scope=_check_scope(entry, catalog),
        indicator=indicator,
        year=entry.integer("year"),
        value=value,
        unit=unit,
        growth_pct=growth_pct,
        source=entry.text("source"),
        note=entry.optional_text("note"),
        line=entry.line,
    )


def _parse_deadline(entry: Entry) -> date | None:
    if not entry.has("deadline"):
        return None
    value = entry.values["deadline"]
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise entry.error(
        f"{key_label('deadline')} must be a date like 2013-06-30, got {value!r}", "deadline"
    )


def _parse_figure(
    entry: Entry, kind: str, catalog: Catalog
) -> tuple[str | None, float | None, str | None]:
    """A target's indicator, value and unit, checked against its kind and the catalog."""
    indicator = _check_indicator(entry, catalog) if entry.has("indicator") else None
    value = entry.optional_number("value")
    unit = entry.optional_text("unit")
    if indicator is not None and unit is not None:
        canonical = catalog.indicator(indicator).unit
        if kind == "growth":
            if normalize_unit(unit) != GROWTH_UNIT:
                raise entry.error(
                    f"a growth target's {key_label('unit')} must be '%', got {unit!r}", "unit"
                )
        else:
            _check_unit(entry, unit, canonical)
        if kind == "ranking" and UNIT_FACTORS[normalize_unit(unit)][0] != "rank":
            raise entry.error(
                f"a ranking target's {key_label('unit')} must be 位, got {unit!r}", "unit"
            )
    if value is not None:
        if kind == "count" and not value.is_integer():
            raise entry.error(f"a count target needs a whole number, got {value:g}", "value")
        if kind in ("count", "ranking", "ratio", "level") and value < 0:
            raise entry.error(f"{key_label('value')} must not be negative, got {value:g}", "value")
    return indicator, value, unit


def _parse_target(entry: Entry, catalog: Catalog, year: int) -> Target:
    entry.check_keys(_TARGET_REQUIRED, _TARGET_OPTIONAL)
    kind = entry.text("kind")
    if kind not in TARGET_KINDS:
        raise entry.error(
            f"{key_label('kind')} {kind!r} is not one of {', '.join(TARGET_KINDS)}", "kind"
        )
    group = entry.text("group")
    if group not in GROUPS:
        raise entry.error(
            f"{key_label('group')} {group!r} is not one of {', '.join(GROUPS)}", "group"
        )
    scope = _check_scope(entry, catalog)

    if kind in QUANTITATIVE_KINDS:
        # the value may be empty: a draft's target still to be written (待填写)
        for key in ("indicator", "unit"):
            if not entry.has(key):
                raise entry.error(f"a {kind} target needs {key_label(key)}")
    elif entry.has("value") and not (entry.has("indicator") and entry.has("unit")):
        raise entry.error(
            f"a {kind} target with a value needs {key_label('indicator')} and {key_label('unit')}",
            "value",
        )
    if kind == "milestone" and not entry.has("deadline"):
        raise entry.error(
            f"a milestone needs {key_label('deadline')} (2013-12-31 when the seed gives none)"
        )

    indicator, value, unit = _parse_figure(entry, kind, catalog)

    comparison = default_comparison(kind)
    if entry.has("comparison"):
        raw = entry.text("comparison")
        if raw not in COMPARISONS:
            raise entry.error(
                f"{key_label('comparison')} must be '>=' or '<=', got {raw!r}", "comparison"
            )
        comparison = cast(Comparison, raw)

    growth_pct = entry.optional_number("growth_pct")
    if growth_pct is not None and kind == "growth":
        raise entry.error(
            f"a growth target keeps its percent in {key_label('value')}, not growth_pct",
            "growth_pct",
        )

    return Target(
        id=entry.text("id"),
        year=year,
        group=group,
        scope=scope,
        kind=cast(TargetKind, kind),
        label=entry.text("label"),
        source=entry.text("source"),
        indicator=indicator,
        value=value,
        unit=unit,
        comparison=comparison,
        baseline=entry.optional_number("baseline"),
        growth_pct=growth_pct,
        deadline=_parse_deadline(entry),
        note=entry.optional_text("note"),
        line=entry.line,
        revisions=parse_revisions(entry, kind, year),
    )


def target_baseline_canonical(target: Target, catalog: Catalog) -> float | None:
    """The target's `baseline` in canonical units (growth targets store it that way)."""
    if target.baseline is None or target.indicator is None or target.unit is None:
        return None
    if target.kind == "growth":
        return target.baseline
    return convert(target.baseline, target.unit, catalog.indicator(target.indicator).unit)


def _check_target_baseline(
    entry: Entry, target: Target, baselines: tuple[Baseline, ...], catalog: Catalog
) -> None:
    """A target's `baseline` must agree with the plan's baseline of the previous year."""
    mine = target_baseline_canonical(target, catalog)
    if mine is None or target.indicator is None:
        return
    for b in baselines:
        if (b.scope, b.indicator, b.year) != (target.scope, target.indicator, target.year - 1):
            continue
        theirs = baseline_canonical(b, catalog)
        if theirs is not None and not math.isclose(mine, theirs, rel_tol=1e-9):
            canonical = catalog.indicator(target.indicator).unit
            raise entry.error(
                f"{key_label('baseline')} {target.baseline:g} is {mine:g} {canonical} but baseline "
                f"{b.id} (line {b.line}) says {theirs:g} {canonical}",
                "baseline",
            )


def _sequence(top: Entry, root: MappingNode, key: str) -> list[Node]:
    for key_node, value_node in root.value:
        if key_node.value == key:
            if isinstance(value_node, SequenceNode):
                return list(value_node.value)
            if isinstance(value_node, ScalarNode) and value_node.tag.endswith(":null"):
                return []
            raise top.error(f"{key_label(key)} must be a list", key)
    return []


def load_plan(path: Path, catalog: Catalog) -> Plan:
    """Read and validate ``data/targets/<year>.yaml``; errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(f"{path}: cannot read the plan: {exc}") from exc
    # libyaml's parser where PyYAML has it: a national plan has thousands of targets
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    loader.name = str(path)  # YAML error marks name the file
    try:
        root = loader.get_single_node()
        if root is None:
            raise PlanError(f"{path}:1: the plan is empty")
        top = Entry(path, "plan", root, loader)
        assert isinstance(root, MappingNode)
        top.check_keys(_TOP_KEYS, ())
        year = top.integer("year")
        baseline_entries = [
            Entry(path, f"baselines[{i}]", node, loader)
            for i, node in enumerate(_sequence(top, root, "baselines"))
        ]
        target_entries = [
            Entry(path, f"targets[{i}]", node, loader)
            for i, node in enumerate(_sequence(top, root, "targets"))
        ]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise PlanError(f"{where}: invalid YAML: {exc}") from exc
    finally:
        loader.dispose()

    seen: dict[str, int] = {}

    def check_id(entry: Entry, item_id: str) -> None:
        if item_id in seen:
            raise entry.error(
                f"duplicate {key_label('id')} {item_id!r} (first on line {seen[item_id]})", "id"
            )
        seen[item_id] = entry.lines.get("id", entry.line)

    baselines: list[Baseline] = []
    for entry in baseline_entries:
        entry.what = f"baseline {entry.values.get('id', entry.what)}"
        b = _parse_baseline(entry, catalog)
        check_id(entry, b.id)
        if b.year > year:
            raise entry.error(f"{key_label('year')} {b.year} is after the plan year {year}", "year")
        baselines.append(b)
    frozen = tuple(baselines)

    targets: list[Target] = []
    for entry in target_entries:
        entry.what = f"target {entry.values.get('id', entry.what)}"
        t = _parse_target(entry, catalog, year)
        check_id(entry, t.id)
        _check_target_baseline(entry, t, frozen, catalog)
        targets.append(t)
    return Plan(year=year, targets=tuple(targets), baselines=frozen)
