"""The rules the suites read as data: relations between indicators (``relations.yaml``) and
plausible ranges (``plausible_ranges.yaml``: one per indicator, its own or its unit's default),
checked against the catalog; and the suites' own JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jzplan.core.files import read_yaml
from jzplan.reference.catalog import UNIT_FACTORS, Catalog

RELATIONS_FILE = "relations.yaml"
RANGES_FILE = "plausible_ranges.yaml"
BY_UNIT = "by_unit"  # plausible_ranges.yaml: the default range of each catalog unit


@dataclass(frozen=True, slots=True)
class SumRelation:
    whole: str
    parts: tuple[str, ...]
    applies_to: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class BoundRelation:
    part: str
    whole: str
    applies_to: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class Rules:
    sums: tuple[SumRelation, ...]
    bounds: tuple[BoundRelation, ...]
    ranges: dict[str, tuple[float, float]]

    def sums_for(self, where: str) -> tuple[SumRelation, ...]:
        return tuple(r for r in self.sums if where in r.applies_to)

    def bounds_for(self, where: str) -> tuple[BoundRelation, ...]:
        return tuple(r for r in self.bounds if where in r.applies_to)


def load_rules(expectations_dir: Path, catalog: Catalog) -> Rules:
    """``relations.yaml`` and ``plausible_ranges.yaml``, checked against the catalog."""
    rel = read_yaml(expectations_dir / RELATIONS_FILE)
    raw_ranges = read_yaml(expectations_dir / RANGES_FILE)

    def known(code: str, where: str) -> str:
        if code not in catalog.indicators:
            raise ValueError(f"{where}: unknown indicator {code!r}")
        return code

    sums = tuple(
        SumRelation(
            whole=known(r["whole"], RELATIONS_FILE),
            parts=tuple(known(p, RELATIONS_FILE) for p in r["parts"]),
            applies_to=tuple(r["applies_to"]),
            note=str(r.get("note", "")),
        )
        for r in rel.get("sums") or []
    )
    form_wholes = [r.whole for r in sums if "forms" in r.applies_to]
    if len(form_wholes) != len(set(form_wholes)):
        raise ValueError(f"{RELATIONS_FILE}: one form sum per whole")
    bounds = tuple(
        BoundRelation(
            part=known(r["part"], RELATIONS_FILE),
            whole=known(r["whole"], RELATIONS_FILE),
            applies_to=tuple(r["applies_to"]),
            note=str(r.get("note", "")),
        )
        for r in rel.get("bounds") or []
    )
    ranges = _ranges(dict(raw_ranges or {}), catalog, known)
    return Rules(sums=sums, bounds=bounds, ranges=ranges)


def _ranges(
    raw: dict[str, Any], catalog: Catalog, known: Callable[[str, str], str]
) -> dict[str, tuple[float, float]]:
    """Every indicator's plausible range: its own entry, else its unit's (``by_unit``)."""

    def bounds(spec: dict[str, Any], negative: bool) -> tuple[float, float]:
        high = float(spec["max"])
        return float(spec.get("min", -high if negative else 0.0)), high

    by_unit = raw.pop(BY_UNIT, None) or {}
    unknown = sorted(set(by_unit) - set(UNIT_FACTORS))
    if unknown:
        raise ValueError(f"{RANGES_FILE}: {BY_UNIT}: unknown unit {unknown[0]!r}")
    ranges: dict[str, tuple[float, float]] = {}
    for code, spec in raw.items():
        ind = catalog.indicators[known(str(code), RANGES_FILE)]
        ranges[ind.code] = bounds(spec, ind.allows_negative)
    for ind in catalog.indicators.values():
        if ind.code in ranges:
            continue
        if ind.unit not in by_unit:
            raise ValueError(
                f"{RANGES_FILE}: indicator {ind.code!r} ({ind.unit}) has no range: give it "
                f"an entry or add {ind.unit!r} to {BY_UNIT}"
            )
        ranges[ind.code] = bounds(by_unit[ind.unit], ind.allows_negative)
    return ranges


def load_suite_dict(expectations_dir: Path, name: str) -> dict[str, Any]:
    path = expectations_dir / f"{name}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
