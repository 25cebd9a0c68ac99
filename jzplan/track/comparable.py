"""The comparable base (可比口径): last year's figures re-expressed for this year's org units.

When units split or merge, a unit's growth compares this year's figure with last year's
figures of what makes up this year's unit: a merged unit with the sum of its predecessors',
a unit split off with its share of the parent's, the parent with the rest. The area's totals
are re-based when a unit joins or leaves it without lineage, or a split or merge crosses it.
Every re-based figure carries a note (可比口径：按…计算) that the progress row shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog, OrgUnit
from jzplan.track.aggregate import Fact, FactKey, evaluate_formula

_TAG = "可比口径："


@dataclass(frozen=True, slots=True)
class Change:
    """One lineage change taking effect in ``month``: ``unit`` split from ``other``, or
    ``unit`` merged into ``other``."""

    month: Period
    kind: Literal["split", "merge"]
    unit: str
    other: str


def lineage_changes(catalog: Catalog, after: Period, upto: Period) -> list[Change]:
    """The splits and merges taking effect after ``after`` and at ``upto`` or before, in
    month order (catalog order within a month)."""
    found: list[Change] = []
    for u in catalog.units:
        lin = u.lineage
        if lin is None:
            continue
        start, end = u.validity.valid_from, u.validity.valid_to
        if lin.split_from is not None and start is not None and after < start <= upto:
            found.append(Change(start, "split", u.code, lin.split_from))
        if lin.merged_into is not None and end is not None and after < end.next() <= upto:
            found.append(Change(end.next(), "merge", u.code, lin.merged_into))
    return sorted(found, key=lambda c: c.month)


def comparable_base(
    facts: Mapping[FactKey, Fact], catalog: Catalog, then: Period, now: Period
) -> dict[FactKey, Fact]:
    """The facts of ``then`` (a month before ``now``, typically last year's) for the org
    units of ``now``; unchanged when no unit changed in between. Pure."""
    if not catalog.changes_over_time:
        return dict(facts)
    changes = lineage_changes(catalog, then, now)
    rebase = _moved_aggregates(catalog, changes, then, now)
    if not changes and not rebase:
        return dict(facts)
    out = dict(facts)
    for month in sorted({c.month for c in changes}):
        _apply_splits(out, catalog, [c for c in changes if c.month == month and c.kind == "split"])
        _apply_merges(out, catalog, [c for c in changes if c.month == month and c.kind == "merge"])
    for code in rebase:
        _rebase_aggregate(out, catalog, code, now)
    return out


def _noted(fact: Fact, note: str) -> Fact:
    text = note if fact.note is None else f"{fact.note}；{note.removeprefix(_TAG)}"
    return replace(fact, note=text)


def _apply_splits(out: dict[FactKey, Fact], catalog: Catalog, splits: list[Change]) -> None:
    """Each child gets its share of the parent's figure; the parent keeps the rest. Means
    (per-head figures) are the parent's for both; rates are recomputed; others dropped."""
    parents = dict.fromkeys(c.other for c in splits)
    for parent in parents:
        children = [catalog.unit(c.unit) for c in splits if c.other == parent]
        pname = catalog.unit(parent).name
        for ind in catalog.indicators.values():
            fact = out.get((parent, ind.code))
            if fact is None or ind.aggregation == "recompute":
                continue
            taken = 0.0
            for child in children:
                assert child.lineage is not None
                share = child.lineage.share(ind.code)
                if ind.aggregation == "weighted_mean":
                    note = f"{_TAG}按{pname}上年数计算（{child.name}自{pname}拆出）"
                    out[(child.code, ind.code)] = _noted(replace(fact, note=None), note)
                elif ind.aggregation == "sum" and share is not None:
                    taken += share
                    note = f"{_TAG}按{pname}上年数的 {share:.0%} 计算（{child.name}自{pname}拆出）"
                    out[(child.code, ind.code)] = _noted(
                        Fact(fact.value * share, fact.n_reported, fact.n_expected), note
                    )
            if ind.aggregation == "sum" and taken:
                names = "、".join(c.name for c in children)
                note = f"{_TAG}按{pname}上年数扣除拆出的{names}（{taken:.0%}）计算"
                out[(parent, ind.code)] = _noted(
                    replace(fact, value=fact.value * (1 - taken)), note
                )
            elif ind.aggregation == "none":
                out.pop((parent, ind.code), None)
        _recompute_rates(out, catalog, [parent, *(c.code for c in children)])


def _apply_merges(out: dict[FactKey, Fact], catalog: Catalog, merges: list[Change]) -> None:
    """The successor's figure is its own (when it existed) plus its predecessors'; means are
    weighted by their weight indicator; rates recomputed; the predecessors' figures go."""
    before = dict(out)
    for successor in dict.fromkeys(c.other for c in merges):
        merged = [catalog.unit(c.unit) for c in merges if c.other == successor]
        month = next(c.month for c in merges if c.other == successor)
        target = catalog.unit(successor)
        existed = target.validity.covers(month.previous())
        parts: list[OrgUnit] = [target, *merged] if existed else merged
        note = f"{_TAG}按{'、'.join(u.name for u in parts)}上年数合并计算"
        for ind in catalog.indicators.values():
            if ind.aggregation == "recompute":
                continue
            found = [before[(u.code, ind.code)] for u in parts if (u.code, ind.code) in before]
            expected = sum(1 for u in parts if ind.code in u.reports) or len(found)
            value: float | None = None
            if found and ind.aggregation == "sum":
                value = sum(f.value for f in found)
            elif found and ind.aggregation == "weighted_mean" and ind.weight is not None:
                value = _weighted([u.code for u in parts], ind.code, ind.weight, before)
            out.pop((successor, ind.code), None)
            if value is not None:
                out[(successor, ind.code)] = Fact(value, len(found), expected, note)
        for u in merged:
            for code in catalog.indicators:
                out.pop((u.code, code), None)
        _recompute_rates(out, catalog, [successor], note)


def _weighted(
    units: list[str], code: str, weight: str, facts: Mapping[FactKey, Fact]
) -> float | None:
    pairs = [
        (facts[(u, code)].value, facts[(u, weight)].value)
        for u in units
        if (u, code) in facts and (u, weight) in facts
    ]
    total = sum(w for _, w in pairs)
    return sum(v * w for v, w in pairs) / total if total else None


def _recompute_rates(
    out: dict[FactKey, Fact], catalog: Catalog, units: list[str], note: str | None = None
) -> None:
    """Rates (``aggregation: recompute``) of ``units`` from their re-based components."""
    for ind in catalog.indicators.values():
        if ind.aggregation != "recompute" or ind.formula is None:
            continue
        for unit in units:
            parts = {c: out[(unit, c)] for c in ind.components if (unit, c) in out}
            if len(parts) < len(ind.components):
                out.pop((unit, ind.code), None)
                continue
            value = evaluate_formula(ind.formula, {c: f.value for c, f in parts.items()})
            if value is None:
                out.pop((unit, ind.code), None)
                continue
            said = note or next((f.note for f in parts.values() if f.note), None)
            out[(unit, ind.code)] = Fact(value, 1, 1, said)


def _moved_aggregates(
    catalog: Catalog, changes: list[Change], then: Period, now: Period
) -> list[str]:
    """The units above reporting units whose set of units changed between ``then`` and
    ``now`` in a way their total shows: a unit joined or left without lineage, or a split or
    merge links a unit below them with one outside."""
    linked = {c.unit for c in changes} | {c.other for c in changes}
    moved: set[str] = set()
    for u in catalog.reporting_units:
        before, after = u.validity.covers(then), u.validity.covers(now)
        if before != after and u.code not in linked:
            moved.update(catalog.ancestors(u.code))
    for c in changes:
        moved.update(set(catalog.ancestors(c.unit)) ^ set(catalog.ancestors(c.other)))
    return sorted(moved)


def _rebase_aggregate(out: dict[FactKey, Fact], catalog: Catalog, code: str, now: Period) -> None:
    """A total as the sum of the (re-based) figures of the units below it valid in ``now``."""
    below = [u for u in catalog.reporting_units_in(now) if code in catalog.ancestors(u.code)]
    note = f"{_TAG}按本年所辖{len(below)}个单位上年数计算"
    for ind in catalog.indicators.values():
        if ind.aggregation != "sum" or (code, ind.code) not in out:
            continue
        found = [out[(u.code, ind.code)] for u in below if (u.code, ind.code) in out]
        expected = sum(1 for u in below if ind.code in u.reports)
        if found:
            out[(code, ind.code)] = Fact(sum(f.value for f in found), len(found), expected, note)
        else:
            out.pop((code, ind.code), None)
    _recompute_rates(out, catalog, [code], note)
