"""The catalog and plan files as the oracle reads them (``yaml.safe_load``, no jzplan import),
and the comparable base (可比口径) it re-derives from them (docs/catalog-changes.md):

- a unit split off takes its ``base_share`` of the parent's ``sum`` figures (one share, or per
  indicator with ``"*"`` for the rest; none given: no figure) and the parent's per-head
  (``weighted_mean``) figures; the parent keeps the rest of its sums; an indicator with
  ``aggregation: none`` has no comparable figure for the parent;
- a merged unit: the sum of its predecessors' figures (and its own, when it existed), per-head
  figures weighted by their weight indicator; the predecessors' figures go;
- rates (``recompute``) of every changed unit recomputed from its re-based parts;
- the area's total as stored: every change the soak makes is inside the area.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# unit → (dimension, factor), only what the plan and catalog use
FACTORS = {
    "元": ("money", 1.0), "万元": ("money", 1e4), "亿元": ("money", 1e8),
    "美元": ("usd", 1.0), "万美元": ("usd", 1e4), "亿美元": ("usd", 1e8),
    "亩": ("mu", 1.0), "万亩": ("mu", 1e4), "公里": ("km", 1.0), "千米": ("km", 1.0),
    "平方米": ("m2", 1.0), "万平方米": ("m2", 1e4), "人": ("people", 1.0),
    "万人": ("people", 1e4),
}  # fmt: skip


@dataclass(frozen=True)
class Reference:
    area: str
    area_name: str
    forms: dict[str, list[str]]  # reporting unit → indicators on its form
    indicators: dict[str, dict[str, Any]]
    targets: list[dict[str, Any]]
    units: dict[str, dict[str, Any]] = field(default_factory=dict)  # code → its YAML entry

    def valid(self, entry: dict[str, Any], period: str) -> bool:
        """Whether a unit's or an indicator's YAML entry is valid in ``period`` (YYYY-MM)."""
        start, end = entry.get("valid_from"), entry.get("valid_to")
        return (start is None or str(start) <= period) and (end is None or period <= str(end))

    def forms_in(self, period: str) -> dict[str, list[str]]:
        """The month's reporting units and the indicators of their forms valid in it."""
        return {
            u: [c for c in form if self.valid(self.indicators[c], period)]
            for u, form in self.forms.items()
            if self.valid(self.units[u], period)
        }


def _flat(items: Iterable[Any]) -> list[str]:
    out: list[str] = []
    for item in items:
        out += _flat(item) if isinstance(item, list) else [str(item)]
    return out


def load_reference(catalog_dir: Path, plan_file: Path) -> Reference:
    units = yaml.safe_load((catalog_dir / "org_units.yaml").read_text(encoding="utf-8"))
    inds = yaml.safe_load((catalog_dir / "indicators.yaml").read_text(encoding="utf-8"))
    plan = yaml.safe_load(plan_file.read_text(encoding="utf-8"))
    forms = {u["code"]: _flat(u.get("reports") or []) for u in units["units"]}
    return Reference(
        area=units["area"]["code"],
        area_name=units["area"]["name"],
        forms={k: v for k, v in forms.items() if v},
        indicators={i["code"]: i for i in inds},
        targets=plan["targets"],
        units={u["code"]: u for u in units["units"]},
    )


def convert(value: float, src: str, dst: str) -> float:
    if src == dst:
        return value
    (d1, f1), (d2, f2) = FACTORS[src], FACTORS[dst]
    assert d1 == d2, (src, dst)
    return value * f1 / f2


def formula(formula: str, values: dict[str, float]) -> float:
    try:
        return float(eval(formula, {"__builtins__": {}}, dict(values)))  # the catalog's own text
    except ZeroDivisionError:
        return math.nan


def names(ind: dict[str, Any]) -> list[str]:
    """The names a formula reads, in order (numbers left out)."""
    out, word = [], ""
    for ch in ind["formula"] + " ":
        if ch.isalnum() or ch == "_":
            word += ch
        else:
            if word and not word[0].isdigit():
                out.append(word)
            word = ""
    return out


def next_month(period: str) -> str:
    y, m = int(period[:4]), int(period[5:])
    return f"{y + m // 12}-{m % 12 + 1:02d}"


def rebase(ref: Reference, values: dict[tuple[str, str], float], then: str,
           now: str) -> dict[tuple[str, str], float]:  # fmt: skip
    """``then``'s figures for the units of ``now`` (the module's comparable base)."""
    out = dict(values)
    changed: set[str] = set()
    for code, u in ref.units.items():  # splits
        start = u.get("valid_from")
        if u.get("split_from") is None or not then < str(start) <= now:
            continue
        parent = u["split_from"]
        shares = u.get("base_share")
        for ind_code, ind in ref.indicators.items():
            got = values.get((parent, ind_code))
            how = ind.get("aggregation", "sum")
            if got is None or how == "recompute":
                continue
            share = shares.get(ind_code, shares.get("*")) if isinstance(shares, dict) else shares
            if how == "weighted_mean":
                out[(code, ind_code)] = got
            elif how == "sum" and share is not None:
                out[(code, ind_code)] = got * share
                out[(parent, ind_code)] = out[(parent, ind_code)] - got * share
            elif how == "none":
                out.pop((parent, ind_code), None)
        changed |= {code, parent}
    merged: dict[str, list[str]] = {}  # successor → the units merged into it
    for code, u in ref.units.items():
        end = u.get("valid_to")
        if u.get("merged_into") is not None and then < next_month(str(end)) <= now:
            merged.setdefault(u["merged_into"], []).append(code)
    before = dict(out)
    for successor, parts in merged.items():
        changed.add(successor)
        if ref.valid(ref.units[successor], then):  # it existed: its own figures count too
            parts = [successor, *parts]
        for ind_code, ind in ref.indicators.items():
            how = ind.get("aggregation", "sum")
            have = [p for p in parts if (p, ind_code) in before]
            out.pop((successor, ind_code), None)
            if how == "sum" and have:
                out[(successor, ind_code)] = sum(before[(p, ind_code)] for p in have)
            elif how == "weighted_mean" and have:
                w = [(before[(p, ind_code)], before[(p, ind["weight"])]) for p in have
                     if (p, ind["weight"]) in before]  # fmt: skip
                if sum(x for _, x in w):
                    out[(successor, ind_code)] = sum(v * x for v, x in w) / sum(x for _, x in w)
        for p in parts:
            if p != successor:
                for ind_code in ref.indicators:
                    out.pop((p, ind_code), None)
    for ind_code, ind in ref.indicators.items():  # rates of the changed units, from their parts
        if ind.get("aggregation") != "recompute":
            continue
        inputs = [c for c in names(ind) if c in ref.indicators]
        for unit in changed:
            out.pop((unit, ind_code), None)
            if all((unit, c) in out for c in inputs):
                value = formula(ind["formula"], {c: out[(unit, c)] for c in inputs})
                if not math.isnan(value):
                    out[(unit, ind_code)] = value
    return out
