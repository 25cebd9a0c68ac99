"""The synthetic plan: targets around the simulated year's outcome (bench/synth.py)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bench.synth_figures import Month
from bench.synth_indicators import IndicatorModel
from bench.synth_tiers import YEAR, Hierarchy

# indicators of the synthetic plan: (code, kind)
PLAN_INDICATORS: tuple[tuple[str, str], ...] = (
    ("gdp", "level"), ("ind_output_above", "level"), ("ind_va_above", "level"),
    ("fai", "level"), ("retail_sales", "level"), ("fiscal_revenue", "level"),
    ("local_fiscal_revenue", "level"), ("investment_attracted", "level"),
    ("external_funds", "level"), ("exports", "level"), ("fdi", "level"),
    ("new_urban_jobs", "level"), ("x01", "level"), ("x17", "level"),
    ("urban_disposable_income", "growth"), ("rural_net_income", "growth"),
    ("ind_revenue_above", "growth"), ("tertiary_va", "growth"),
    ("enterprises_above", "growth"), ("x23", "growth"),
)  # fmt: skip


def _totals(
    hierarchy: Hierarchy, models: Sequence[IndicatorModel], december: Month
) -> dict[str, np.ndarray]:
    """Per plan indicator, the December figure of the area (index 0) and of each unit directly
    under it (1…): sums, or weighted means."""
    pos = {m.code: j for j, m in enumerate(models)}
    groups = len(hierarchy.top_codes)
    out: dict[str, np.ndarray] = {}
    for code, _ in PLAN_INDICATORS:
        m = models[pos[code]]
        v = december.value[:, pos[code]] / m.scale
        if m.aggregation == "weighted_mean":
            assert m.weight is not None
            w = december.value[:, pos[m.weight]].astype(np.float64)
            num = np.bincount(hierarchy.leaf_top, v * w, groups)
            den = np.bincount(hierarchy.leaf_top, w, groups)
            out[code] = np.concatenate([[num.sum() / den.sum()], num / den])
        else:
            by_top = np.bincount(hierarchy.leaf_top, v, groups)
            out[code] = np.concatenate([[by_top.sum()], by_top])
    return out


def _num(x: float) -> float | int:
    r = round(float(x), 4)
    return int(r) if r.is_integer() else r


def plan_document(
    hierarchy: Hierarchy,
    entries: list[dict[str, Any]],
    models: Sequence[IndicatorModel],
    december: Month,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """Targets set around the year's simulated outcome (some will be met, some not) and
    2012 baselines a plausible growth below it."""
    names = {str(e["code"]): str(e["name"]) for e in entries}
    units = {m.code: m.unit for m in models}
    totals = _totals(hierarchy, models, december)
    tops = zip(hierarchy.top_codes, hierarchy.top_names, strict=True)
    scopes = [(hierarchy.area[0], hierarchy.area[1]), *tops]
    baselines: list[dict[str, Any]] = []
    targets: list[dict[str, Any]] = []
    for s, (scope, scope_name) in enumerate(scopes):
        group = "主要预期目标" if s == 0 else "乡镇街道目标"
        for code, kind in PLAN_INDICATORS:
            unit = units[code]
            outcome = float(totals[code][s])
            growth = rng.uniform(0.05, 0.25)
            base = _num(outcome / (1 + growth))
            n = len(targets) + 1
            baselines.append(
                {
                    "id": f"B{n:05d}", "scope": scope, "indicator": code, "year": YEAR - 1,
                    "value": base, "unit": unit, "growth_pct": round(growth * 100, 1),
                    "source": f"合成基期：{scope_name}{names[code]}{base}{unit}",
                }
            )  # fmt: skip
            ambition = rng.uniform(0.96, 1.12)
            if kind == "level":
                value = _num(outcome * ambition)
                pct = round((float(value) / float(base) - 1) * 100, 1) if base else None
                label = f"{scope_name}{names[code]}{value}{unit}"
                target = {"kind": "level", "value": value, "unit": unit, "baseline": base}
                if pct is not None:
                    target["growth_pct"] = pct
            else:
                value = round((outcome * ambition / float(base) - 1) * 100, 1) if base else 10.0
                label = f"{scope_name}{names[code]}增长{value}%"
                target = {"kind": "growth", "value": value, "unit": "%", "baseline": base}
            targets.append(
                {
                    "id": f"T{n:05d}", "group": group, "scope": scope, "indicator": code,
                    **target, "label": label[:128], "source": f"合成目标：{label}",
                }
            )  # fmt: skip
    return {"year": YEAR, "baselines": baselines, "targets": targets}


def write_plan(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "# Synthetic plan of bench/synth.py: targets around the simulated year's outcome.\n"
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when installed: much faster
    body = yaml.dump(document, Dumper=dumper, allow_unicode=True, sort_keys=False, width=200)
    path.write_text(header + body, encoding="utf-8")
