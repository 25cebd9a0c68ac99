"""Synthetic hierarchies, plans and bulk monthly files for ``make bench`` (issue 8, "Scale").

A tier is an area and the tree of units under it, the reporting units (townships) its leaves:

- ``small``: 焦作新区 and its six townships (codes and names from ``data/catalog``), one month;
- ``province``: one province, 17 cities, 150 counties, 2,500 townships, the twelve months of 2013;
- ``national``: 31 provinces, 330 cities, 2,800 counties, 40,000 townships, one month (2013-06),
  with a few planted errors so that the bench shows rejected units.

What is written, under ``<out>/<tier>-v<GENERATOR_VERSION>[-u<units>][-e<errors>][-s<seed>]/``:

- ``catalog/``: ``indicators.yaml`` (the project's 79 indicators and synthetic ``x01``…
  so that the monthly form has exactly 100 reported indicators), ``org_units.yaml`` (the area,
  the form ``standard``, ``units_file: units.csv``) and ``units.csv``
  (``code,name,kind,parent,form``);
- ``targets/2013.yaml``: level and growth targets of 20 indicators for the area and each unit
  directly under it, with their 2012 baselines (the project's plan format);
- ``inbox/<YYYY-MM>/<area>-<YYYY-MM>.csv`` and ``inbox-parquet/<YYYY-MM>/<area>-<YYYY-MM>.parquet``:
  the month's bulk file, long format, one row per (unit, indicator), columns
  ``单位代码,报告期,指标代码,本期累计,本月,计量单位`` (canonical units; 本月 empty for stocks);
- ``manifest.json``, written last: what was generated (its presence marks a complete cache).

The figures pass the project's suites as they are (``expectations/``, unchanged): values in
``plausible_ranges.yaml``, the form relations of ``relations.yaml`` exactly (sums are computed
from their parts, a part is a share of its whole), 本月 ≤ 本期累计, year-to-date figures that never
decrease, 本月 = 累计 − last month's 累计, month-over-month changes well inside the history
suite's bounds. Everything is computed in integer ticks (1 for counts and people, 10⁻⁴ of the
unit otherwise), so sums and differences are exact. Deterministic for a given seed.

Run: ``.venv/bin/python -m bench.synth --tier province --out var/bench/data``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import yaml

ROOT = Path(__file__).resolve().parents[1]
CATALOG_DIR = ROOT / "data" / "catalog"
EXPECTATIONS_DIR = ROOT / "expectations"

# Bump whenever the output changes: cached tiers of another version are regenerated.
GENERATOR_VERSION = 1
YEAR = 2013
FORM = "standard"
FORM_SIZE = 100
DEFAULT_SEED = 20130601
BULK_COLUMNS: tuple[str, ...] = ("单位代码", "报告期", "指标代码", "本期累计", "本月", "计量单位")
TOWNSHIP_KINDS: tuple[str, ...] = ("乡", "镇", "街道")
UNKNOWN_INDICATOR = "x99_unknown"
# the unit dimensions counted in whole numbers (jzplan.reference.catalog.UNIT_FACTORS)
_WHOLE_DIMENSIONS = ("count_", "people", "rank")
# month-by-month seasonal profile of flows: a Spring Festival dip, a December push
_SEASON = np.array([0.85, 0.75, 0.95, 1.0, 1.0, 1.05, 1.0, 1.0, 1.05, 1.05, 1.1, 1.25])
# the largest figure of an indicator without a plausible range, by unit
_DEFAULT_MAX: dict[str, float] = {
    "万元": 100_000, "亿元": 100, "元": 50_000, "万美元": 10_000, "人": 100_000, "个": 200,
    "家": 200, "所": 50, "条": 100, "亩": 10_000, "万平方米": 50, "平方米": 100_000, "公里": 100,
}  # fmt: skip
# synthetic indicators after the project's own: (unit, measure, aggregation, weight, direction)
_EXTRA_FLOW_UNITS = ("万元", "亿元", "人", "万元", "亩", "个", "万美元", "平方米")
_EXTRA_STOCK_UNITS = ("万元", "人", "家", "亩", "万平方米", "个")
# indicators of the synthetic plan: (code, kind)
_PLAN_INDICATORS: tuple[tuple[str, str], ...] = (
    ("gdp", "level"), ("ind_output_above", "level"), ("ind_va_above", "level"),
    ("fai", "level"), ("retail_sales", "level"), ("fiscal_revenue", "level"),
    ("local_fiscal_revenue", "level"), ("investment_attracted", "level"),
    ("external_funds", "level"), ("exports", "level"), ("fdi", "level"),
    ("new_urban_jobs", "level"), ("x01", "level"), ("x17", "level"),
    ("urban_disposable_income", "growth"), ("rural_net_income", "growth"),
    ("ind_revenue_above", "growth"), ("tertiary_va", "growth"),
    ("enterprises_above", "growth"), ("x23", "growth"),
)  # fmt: skip


class GeneratorError(RuntimeError):
    """The generated figures would break a rule they are meant to pass (a generator bug)."""


# --- tiers and hierarchies -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    area: tuple[str, str, str]  # code, name, kind
    levels: tuple[tuple[str, int], ...]  # (kind, count) per level under the area; townships last
    months: tuple[int, ...]  # months of YEAR written to the inbox
    plant_errors: int = 0
    seed: int = DEFAULT_SEED
    scaled_to: int | None = None  # the --units knob, when given

    @property
    def townships(self) -> int:
        return self.levels[-1][1]

    @property
    def periods(self) -> tuple[str, ...]:
        return tuple(f"{YEAR}-{m:02d}" for m in self.months)

    @property
    def key(self) -> str:
        """The cache folder's name: everything that changes the output."""
        key = f"{self.name}-v{GENERATOR_VERSION}"
        if self.scaled_to is not None:
            key += f"-u{self.scaled_to}"
        if self.plant_errors != TIERS[self.name].plant_errors:
            key += f"-e{self.plant_errors}"
        if self.seed != DEFAULT_SEED:
            key += f"-s{self.seed}"
        return key

    def scaled(self, townships: int) -> Tier:
        """The same tier with ``townships`` reporting units and proportionally fewer units above
        them (level k keeps at least 2^k units, so that a tiny tier still branches)."""
        if townships < 1:
            raise ValueError("a tier needs at least one township")
        full = self.townships
        counts = []
        for depth, (_, count) in enumerate(self.levels[:-1], start=1):
            wanted = max(2**depth, round(count * townships / full))
            counts.append(min(wanted, townships))
        for i in range(1, len(counts)):
            counts[i] = max(counts[i], counts[i - 1])
        levels = tuple(
            (kind, n) for (kind, _), n in zip(self.levels, [*counts, townships], strict=True)
        )
        return replace(self, levels=levels, scaled_to=townships)


TIERS: dict[str, Tier] = {
    "small": Tier("small", ("JZXQ", "焦作新区", "新区"), (("乡镇", 6),), (6,)),
    "province": Tier(
        "province",
        ("41", "样本省", "省"),
        (("市", 17), ("县", 150), ("乡镇", 2500)),
        tuple(range(1, 13)),
    ),
    "national": Tier(
        "national",
        ("CN", "全国", "国家"),
        (("省", 31), ("市", 330), ("县", 2800), ("乡镇", 40000)),
        (6,),
        plant_errors=4,
    ),
}


@dataclass(frozen=True, slots=True)
class Hierarchy:
    area: tuple[str, str, str]
    units: pd.DataFrame  # code, name, kind, parent, form; parents before children
    leaf_codes: list[str]  # the reporting units, in units order
    top_codes: list[str]  # the units directly under the area
    top_names: list[str]
    leaf_top: np.ndarray  # index into top_codes of each leaf's level-1 ancestor
    depth: int  # levels of the tree, the area included


def _split(total: int, groups: int, rng: np.random.Generator) -> np.ndarray:
    """``total`` items over ``groups`` groups, each at least one, sizes uneven as in life."""
    if groups > total:
        raise ValueError(f"{groups} groups for {total} items")
    share = rng.dirichlet(np.full(groups, 4.0))
    return 1 + rng.multinomial(total - groups, share)


def _real_townships() -> list[tuple[str, str, str]]:
    org = yaml.safe_load((CATALOG_DIR / "org_units.yaml").read_text(encoding="utf-8"))
    return [
        (str(u["code"]), str(u["name"]), str(u["kind"]))
        for u in org["units"]
        if u["kind"] in TOWNSHIP_KINDS
    ]


def build_hierarchy(tier: Tier, rng: np.random.Generator) -> Hierarchy:
    """The tier's tree. Codes follow the administrative-division pattern (province 2 digits,
    city and county 2 more each, township 3 more: ``410102003``); names spell the path
    (第12市第4县第7镇)."""
    area_code = tier.area[0]
    rows: list[tuple[str, str, str, str, str]] = []
    if tier.name == "small":
        towns = _real_townships()[: tier.townships]
        for code, name, kind in towns:
            rows.append((code, name, kind, area_code, FORM))
        codes = [r[0] for r in rows]
        frame = pd.DataFrame(rows, columns=["code", "name", "kind", "parent", "form"])
        names = [r[1] for r in rows]
        return Hierarchy(tier.area, frame, codes, codes, names, np.arange(len(codes)), 2)

    numeric_area = area_code.isdigit()
    # (code, name, index of the level-1 ancestor) of the units of the previous level
    parents: list[tuple[str, str, int]] = [(area_code, "", -1)]
    for depth, (kind, count) in enumerate(tier.levels):
        last = depth == len(tier.levels) - 1
        sizes = _split(count, len(parents), rng)
        digits = max(3 if last else 2, len(str(int(sizes.max()))))
        kinds = (
            rng.choice(np.array(TOWNSHIP_KINDS), size=count, p=[0.35, 0.4, 0.25])
            if last
            else np.full(count, kind)
        )
        children: list[tuple[str, str, int]] = []
        i = 0
        for (pcode, pname, top), size in zip(parents, sizes, strict=True):
            prefix = pcode if (depth > 0 or numeric_area) else ""
            for k in range(1, int(size) + 1):
                ckind = str(kinds[i])
                code = f"{prefix}{(k + 10) if (depth == 0 and not numeric_area) else k:0{digits}d}"
                name = f"{pname}第{k}{ckind}"
                ctop = len(children) if depth == 0 else top
                children.append((code, name, ctop))
                rows.append(
                    (code, name, ckind, area_code if depth == 0 else pcode, FORM if last else "")
                )
                i += 1
        parents = children
    frame = pd.DataFrame(rows, columns=["code", "name", "kind", "parent", "form"])
    tops = frame[frame["parent"] == area_code]
    return Hierarchy(
        tier.area,
        frame,
        [c for c, _, _ in parents],
        tops["code"].tolist(),
        tops["name"].tolist(),
        np.array([t for _, _, t in parents], dtype=np.intp),
        len(tier.levels) + 1,
    )


# --- indicators ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndicatorModel:
    """How one reported indicator's figures are generated."""

    code: str
    unit: str
    measure: str
    aggregation: str
    weight: str | None
    low: float  # plausible range, canonical unit
    high: float
    scale: int  # ticks per unit: 1 (whole numbers) or 10^4
    discrete: bool  # a small count (个, 家 ...): Poisson, not checked month over month

    @property
    def accumulates(self) -> bool:
        return self.measure in ("flow", "per_capita")


def _unit_dimension(unit: str) -> str:
    from jzplan.reference.catalog import UNIT_FACTORS

    return UNIT_FACTORS[unit][0]


def extra_indicators(count: int) -> list[dict[str, Any]]:
    """``count`` synthetic indicators ``x01``…: mostly flows and stocks summed, two weighted
    means with a stock weight, the last two lower-is-better flows."""
    out: list[dict[str, Any]] = []
    for n in range(1, count + 1):
        code = f"x{n:02d}"
        entry: dict[str, Any] = {"code": code, "name": f"合成指标{n:02d}", "group": "合成"}
        flows, stocks = len(_EXTRA_FLOW_UNITS) * 2, len(_EXTRA_STOCK_UNITS)
        if n <= flows:
            entry |= {"unit": _EXTRA_FLOW_UNITS[(n - 1) % len(_EXTRA_FLOW_UNITS)]}
            entry |= {"measure": "flow"}
        elif n <= flows + stocks:
            entry |= {"unit": _EXTRA_STOCK_UNITS[n - flows - 1], "measure": "stock"}
        elif n == flows + stocks + 1:
            entry |= {"name": f"合成人均指标{n:02d}", "unit": "元", "measure": "per_capita"}
            entry |= {"aggregation": "weighted_mean", "weight": "registered_population"}
        elif n == flows + stocks + 2:
            people = f"x{flows + 2:02d}"  # the second synthetic stock, in 人
            entry |= {"name": f"合成平均水平{n:02d}", "unit": "元", "measure": "stock"}
            entry |= {"aggregation": "weighted_mean", "weight": people}
        else:
            entry |= {"unit": "万元", "measure": "flow", "direction": "lower"}
        out.append(entry)
    return out


def catalog_indicators() -> tuple[list[dict[str, Any]], list[str]]:
    """Every indicator entry of the synthetic catalog (the project's, then x01…) and the codes
    of the monthly form (every indicator a unit reports: not recomputed rates, not rankings)."""
    real: list[dict[str, Any]] = yaml.safe_load(
        (CATALOG_DIR / "indicators.yaml").read_text(encoding="utf-8")
    )
    reported = [
        str(r["code"]) for r in real if r.get("aggregation", "sum") not in ("recompute", "none")
    ]
    extras = extra_indicators(FORM_SIZE - len(reported))
    return real + extras, reported + [e["code"] for e in extras]


def indicator_models(entries: list[dict[str, Any]], form: list[str]) -> list[IndicatorModel]:
    ranges = yaml.safe_load((EXPECTATIONS_DIR / "plausible_ranges.yaml").read_text("utf-8"))
    by_code = {str(e["code"]): e for e in entries}
    models = []
    for code in form:
        e = by_code[code]
        unit = str(e["unit"])
        negative = bool(e.get("allows_negative", False))
        spec = (ranges or {}).get(code)
        high = float(spec["max"]) if spec else _DEFAULT_MAX[unit]
        low = float(spec.get("min", -high if negative else 0.0)) if spec else 0.0
        dim = _unit_dimension(unit)
        whole = dim.startswith(_WHOLE_DIMENSIONS)
        models.append(
            IndicatorModel(
                code=code,
                unit=unit,
                measure=str(e["measure"]),
                aggregation=str(e.get("aggregation", "sum")),
                weight=e.get("weight"),
                low=low,
                high=high,
                scale=1 if whole else 10_000,
                discrete=dim.startswith("count_"),
            )
        )
    return models


# --- relations -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Relations:
    """The form relations of ``expectations/relations.yaml``, as column positions."""

    sums: list[tuple[int, list[int]]]  # whole, parts
    bounds: list[tuple[int, int]]  # part, whole; a whole before the parts bounded by it

    @classmethod
    def of(cls, models: Sequence[IndicatorModel]) -> Relations:
        raw = yaml.safe_load((EXPECTATIONS_DIR / "relations.yaml").read_text("utf-8"))
        pos = {m.code: i for i, m in enumerate(models)}

        def on_form(codes: list[str]) -> bool:
            return all(c in pos for c in codes)

        sums = []
        for r in raw.get("sums") or []:
            codes = [r["whole"], *r["parts"]]
            if "forms" in r["applies_to"] and on_form(codes):
                cls._same_kind(models, [pos[c] for c in codes])
                sums.append((pos[r["whole"]], [pos[p] for p in r["parts"]]))
        bounds = []
        for r in raw.get("bounds") or []:
            if "forms" in r["applies_to"] and on_form([r["part"], r["whole"]]):
                part, whole = pos[r["part"]], pos[r["whole"]]
                if models[part].unit != models[whole].unit:
                    raise GeneratorError(f"bound {r['part']} <= {r['whole']}: units differ")
                if not models[part].accumulates and models[whole].accumulates:
                    raise GeneratorError(f"bound {r['part']} <= {r['whole']}: stock under flow")
                bounds.append((part, whole))
        # a part that is itself a whole (1亿 ⊇ 5亿 ⊇ 10亿) is set before its own parts
        ordered: list[tuple[int, int]] = []
        rest = list(bounds)
        while rest:
            ready = [b for b in rest if not any(o[0] == b[1] for o in rest)]
            if not ready:
                raise GeneratorError("the form bounds form a cycle")
            ordered.extend(ready)
            rest = [b for b in rest if b not in ready]
        return cls(sums, ordered)

    @staticmethod
    def _same_kind(models: Sequence[IndicatorModel], cols: list[int]) -> None:
        if len({(models[c].unit, models[c].accumulates) for c in cols}) != 1:
            codes = [models[c].code for c in cols]
            raise GeneratorError(f"sum {codes}: the parts and the whole differ in unit or measure")


# --- figures ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Month:
    """One month's figures of every reporting unit, in ticks: ``value`` is the year-to-date
    total of accumulating indicators and the month-end level of stocks; ``own`` is the month's
    own figure (本月) of accumulating indicators, 0 for stocks."""

    month: int
    value: np.ndarray  # (units, indicators) int64
    own: np.ndarray


@dataclass(slots=True)
class FigureModel:
    models: list[IndicatorModel]
    relations: Relations
    base: np.ndarray  # (units, indicators): mean monthly own figure, or the opening level (ticks)
    fractions: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    season: np.ndarray = field(default_factory=lambda: np.ones((12, 1)))

    @property
    def scale(self) -> np.ndarray:
        return np.array([m.scale for m in self.models], dtype=np.float64)

    @property
    def acc(self) -> np.ndarray:
        return np.array([m.accumulates for m in self.models])


def figure_model(
    models: list[IndicatorModel], leaves: int, rng: np.random.Generator
) -> FigureModel:
    """Each unit's scale for each indicator: a small share of the indicator's plausible
    maximum (so the year's total stays far inside it), larger shares for per-head incomes and
    for people (whose monthly figures must not be tiny, or rounding alone jumps month over
    month)."""
    relations = Relations.of(models)
    n = len(models)
    share = np.empty((leaves, n))
    for j, m in enumerate(models):
        if m.measure == "per_capita":
            lo, hi = 0.2, 0.4
        elif m.accumulates and m.scale == 1 and not m.discrete:  # people, e.g. births
            lo, hi = 0.1, 0.3
        elif m.accumulates:
            lo, hi = 0.01, 0.06
        else:
            lo, hi = 0.02, 0.1
        share[:, j] = rng.uniform(lo, hi, leaves)
    high = np.array([m.high for m in models])
    scale = np.array([m.scale for m in models], dtype=np.float64)
    acc = np.array([m.accumulates for m in models])
    base = share * high * scale
    base[:, acc] /= 12.0  # an annual total → a monthly figure
    # an accumulating part of a stock (births ≤ population): the year's total ≤ half the level
    for part, whole in relations.bounds:
        if acc[part] and not acc[whole]:
            base[:, part] = np.minimum(base[:, part], base[:, whole] * 0.5 / 12.0)
    fractions = {b: rng.uniform(0.3, 0.85, leaves) for b in relations.bounds}
    phase = rng.uniform(0, 2 * math.pi, n)
    months = np.arange(12)[:, None]
    season = _SEASON[:, None] * (1 + 0.05 * np.sin(2 * math.pi * months / 12 + phase[None, :]))
    return FigureModel(models, relations, base, fractions, season)


def simulate(fm: FigureModel, rng: np.random.Generator) -> Iterator[Month]:
    """The twelve months of YEAR, one after another."""
    models, rel = fm.models, fm.relations
    leaves, n = fm.base.shape
    acc = fm.acc
    acc_cols, stock_cols = np.flatnonzero(acc), np.flatnonzero(~acc)
    discrete = np.array([m.discrete for m in models])
    cont_acc = np.flatnonzero(acc & ~discrete)
    disc_acc = np.flatnonzero(acc & discrete)
    value = np.zeros((leaves, n), dtype=np.int64)
    value[:, stock_cols] = np.maximum(np.rint(fm.base[:, stock_cols]), 1).astype(np.int64)
    for month in range(1, 13):
        own = np.zeros((leaves, n), dtype=np.int64)
        # stocks: a level that grows a little (never falls, so every flow part stays under it)
        level = value[:, stock_cols]
        growth = rng.uniform(0.0, 0.01, level.shape)
        value[:, stock_cols] = level + np.ceil(level * growth).astype(np.int64)
        for whole, parts in rel.sums:
            if not acc[whole]:
                value[:, whole] = value[:, parts].sum(axis=1)
        for part, whole in rel.bounds:
            if not acc[part]:
                frac = fm.fractions[(part, whole)]
                value[:, part] = np.floor(value[:, whole] * frac).astype(np.int64)
        # flows: the month's own figure, seasonal and noisy
        mean = fm.base * fm.season[month - 1][None, :]
        noise = rng.lognormal(0.0, 0.06, (leaves, len(cont_acc)))
        own[:, cont_acc] = np.maximum(np.rint(mean[:, cont_acc] * noise), 1).astype(np.int64)
        own[:, disc_acc] = rng.poisson(mean[:, disc_acc])
        for whole, parts in rel.sums:
            if acc[whole]:
                own[:, whole] = own[:, parts].sum(axis=1)
        for part, whole in rel.bounds:
            if not acc[part]:
                continue
            if acc[whole]:
                frac = fm.fractions[(part, whole)]
                if discrete[part]:
                    own[:, part] = rng.binomial(own[:, whole], frac)
                else:
                    own[:, part] = np.floor(own[:, whole] * frac).astype(np.int64)
            else:  # a flow under a stock: the year-to-date total stays within the level
                room = value[:, whole] - value[:, part]
                own[:, part] = np.clip(own[:, part], 0, room)
        value[:, acc_cols] += own[:, acc_cols]
        _check_ranges(fm, value, month)
        yield Month(month, value.copy(), own)


def _check_ranges(fm: FigureModel, value: np.ndarray, month: int) -> None:
    figures = value / fm.scale[None, :]
    low = np.array([m.low for m in fm.models])
    high = np.array([m.high for m in fm.models])
    bad = np.flatnonzero(((figures < low) | (figures > high)).any(axis=0))
    if len(bad):
        codes = [fm.models[j].code for j in bad]
        raise GeneratorError(f"month {month}: figures outside the plausible range of {codes}")


# --- planted errors --------------------------------------------------------------------------

PLANT_KINDS: tuple[str, ...] = (
    "negative_value",
    "unknown_indicator",
    "parts_sum_to_whole",
    "implausible_value",
)


@dataclass(frozen=True, slots=True)
class Plant:
    unit: str
    indicator: str
    kind: str  # the rule code the row should fail

    def as_dict(self) -> dict[str, str]:
        return {"unit": self.unit, "indicator": self.indicator, "rule": self.kind}


def plant_errors(
    count: int,
    leaf_codes: Sequence[str],
    models: Sequence[IndicatorModel],
    rng: np.random.Generator,
) -> list[tuple[int, int, str]]:
    """(leaf, indicator column, kind) of ``count`` bad rows, each in a different unit."""
    if count <= 0:
        return []
    pos = {m.code: j for j, m in enumerate(models)}
    target = {
        "negative_value": pos["gdp"],
        "unknown_indicator": pos["x01"],
        "parts_sum_to_whole": pos["local_fiscal_revenue"],
        "implausible_value": pos["retail_sales"],
    }
    units = rng.choice(len(leaf_codes), size=min(count, len(leaf_codes)), replace=False)
    return [
        (int(u), target[PLANT_KINDS[i % len(PLANT_KINDS)]], PLANT_KINDS[i % len(PLANT_KINDS)])
        for i, u in enumerate(sorted(units))
    ]


# --- bulk files ------------------------------------------------------------------------------


def month_table(
    period: str,
    month: Month,
    leaf_codes: Sequence[str],
    models: Sequence[IndicatorModel],
    plants: Sequence[tuple[int, int, str]] = (),
) -> pa.Table:
    """The bulk file's rows, unit by unit in form order; planted errors applied."""
    leaves, n = month.value.shape
    scale = np.array([m.scale for m in models], dtype=np.float64)
    acc = np.array([m.accumulates for m in models])
    value = month.value / scale[None, :]
    own = np.where(acc[None, :], month.own / scale[None, :], np.nan)
    codes = [m.code for m in models] + [UNKNOWN_INDICATOR]
    units = [m.unit for m in models] + ["万元"]
    ind = np.tile(np.arange(n, dtype=np.int32), leaves).reshape(leaves, n)
    for leaf, col, kind in plants:
        if kind == "negative_value":
            value[leaf, col] = -value[leaf, col]
        elif kind == "unknown_indicator":
            ind[leaf, col] = n
        elif kind == "parts_sum_to_whole":
            value[leaf, col] += 1000.0
            own[leaf, col] += 1000.0
        elif kind == "implausible_value":  # a unit slip: 亿元 figures written in 元
            value[leaf, col] *= 1e4
            own[leaf, col] *= 1e4
    ind_flat = pa.array(ind.ravel())
    unit_index = pa.array(np.repeat(np.arange(leaves, dtype=np.int32), n))
    period_col = pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(leaves * n, dtype=np.int32)), pa.array([period])
    )
    month_values = own.ravel()
    return pa.table(
        {
            BULK_COLUMNS[0]: pa.DictionaryArray.from_arrays(unit_index, pa.array(leaf_codes)),
            BULK_COLUMNS[1]: period_col,
            BULK_COLUMNS[2]: pa.DictionaryArray.from_arrays(ind_flat, pa.array(codes)),
            BULK_COLUMNS[3]: pa.array(value.ravel()),
            BULK_COLUMNS[4]: pa.array(month_values, mask=np.isnan(month_values)),
            BULK_COLUMNS[5]: pa.DictionaryArray.from_arrays(ind_flat, pa.array(units)),
        }
    )


def _replace_atomically(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    write(tmp)
    os.replace(tmp, path)


def write_csv(table: pa.Table, path: Path) -> None:
    """UTF-8, unquoted (codes and units never need quotes), as offices' exports look."""
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")

    def write(p: Path) -> None:
        with p.open("wb") as f:
            f.write((",".join(table.column_names) + "\n").encode("utf-8"))
            pacsv.write_csv(table, f, write_options=options)

    _replace_atomically(path, write)


def write_parquet(table: pa.Table, path: Path) -> None:
    """Plain string columns (as another system's writer would produce them)."""
    plain = table.cast(
        pa.schema(
            [
                pa.field(f.name, pa.string() if pa.types.is_dictionary(f.type) else f.type)
                for f in table.schema
            ]
        )
    )
    _replace_atomically(path, lambda p: pq.write_table(plain, p, compression="zstd"))


def bulk_name(area_code: str, period: str, suffix: str) -> str:
    return f"{area_code}-{period}.{suffix}"


# --- catalog and plan files ------------------------------------------------------------------


def _flow_yaml(entry: dict[str, Any]) -> str:
    return (
        "- "
        + yaml.safe_dump(
            entry, default_flow_style=True, allow_unicode=True, sort_keys=False, width=10_000
        ).strip()
    )


def write_catalog(
    out: Path, hierarchy: Hierarchy, entries: list[dict[str, Any]], form: list[str]
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Synthetic catalog of bench/synth.py: the project's indicators (data/catalog), then",
        f"# x01… so that the monthly form {FORM!r} has exactly {FORM_SIZE} reported indicators.",
        *(_flow_yaml(e) for e in entries),
    ]
    (out / "indicators.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, name, kind = hierarchy.area
    org = {
        "area": {"code": code, "name": name, "kind": kind},
        "forms": {FORM: form},
        "units_file": "units.csv",
        "units": [],
    }
    header = "# Synthetic org units of bench/synth.py: the tree is in units.csv.\n"
    body = yaml.safe_dump(org, allow_unicode=True, sort_keys=False, width=100)
    (out / "org_units.yaml").write_text(header + body, encoding="utf-8")
    hierarchy.units.to_csv(out / "units.csv", index=False, encoding="utf-8", lineterminator="\n")


def _totals(
    hierarchy: Hierarchy, models: Sequence[IndicatorModel], december: Month
) -> dict[str, np.ndarray]:
    """Per plan indicator, the December figure of the area (index 0) and of each unit directly
    under it (1…): sums, or weighted means."""
    pos = {m.code: j for j, m in enumerate(models)}
    groups = len(hierarchy.top_codes)
    out: dict[str, np.ndarray] = {}
    for code, _ in _PLAN_INDICATORS:
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
        for code, kind in _PLAN_INDICATORS:
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
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml: 640 targets in 0.3 s
    body = yaml.dump(document, Dumper=dumper, allow_unicode=True, sort_keys=False, width=200)
    path.write_text(header + body, encoding="utf-8")


# --- the whole tier --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Generated:
    """Where a tier's files are (paths) and what they hold (the manifest)."""

    root: Path
    manifest: dict[str, Any]

    @property
    def catalog_dir(self) -> Path:
        return self.root / "catalog"

    @property
    def plan_path(self) -> Path:
        return self.root / "targets" / f"{YEAR}.yaml"

    @property
    def periods(self) -> list[str]:
        return list(self.manifest["files"])

    def csv(self, period: str) -> Path:
        return self.root / self.manifest["files"][period]["csv"]

    def parquet(self, period: str) -> Path:
        return self.root / self.manifest["files"][period]["parquet"]

    def rows(self, period: str) -> int:
        return int(self.manifest["files"][period]["rows"])

    def planted(self, period: str) -> list[dict[str, str]]:
        return list(self.manifest["planted"].get(period, []))


def generate(tier: Tier, out: Path, *, force: bool = False) -> Generated:
    """Write the tier under ``out/<tier.key>`` (reused when its manifest is there)."""
    root = out / tier.key
    manifest_path = root / "manifest.json"
    if manifest_path.exists() and not force:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("generator_version") == GENERATOR_VERSION:
            return Generated(root, manifest)
    if root.exists():
        shutil.rmtree(root)
    started = time.perf_counter()
    rng = np.random.default_rng(tier.seed)
    hierarchy = build_hierarchy(tier, rng)
    entries, form = catalog_indicators()
    models = indicator_models(entries, form)
    write_catalog(root / "catalog", hierarchy, entries, form)
    fm = figure_model(models, len(hierarchy.leaf_codes), rng)
    plant_rng = np.random.default_rng([tier.seed, 1])
    files: dict[str, dict[str, Any]] = {}
    planted: dict[str, list[dict[str, str]]] = {}
    december: Month | None = None
    for month in simulate(fm, rng):
        if month.month == 12:
            december = month
        if month.month not in tier.months:
            continue
        period = f"{YEAR}-{month.month:02d}"
        plants = plant_errors(tier.plant_errors, hierarchy.leaf_codes, models, plant_rng)
        table = month_table(period, month, hierarchy.leaf_codes, models, plants)
        csv_rel = Path("inbox") / period / bulk_name(hierarchy.area[0], period, "csv")
        pq_rel = Path("inbox-parquet") / period / bulk_name(hierarchy.area[0], period, "parquet")
        write_csv(table, root / csv_rel)
        write_parquet(table, root / pq_rel)
        files[period] = {
            "csv": str(csv_rel),
            "parquet": str(pq_rel),
            "rows": table.num_rows,
            "csv_bytes": (root / csv_rel).stat().st_size,
            "parquet_bytes": (root / pq_rel).stat().st_size,
        }
        if plants:
            planted[period] = [
                Plant(hierarchy.leaf_codes[u], models[c].code, k).as_dict() for u, c, k in plants
            ]
    assert december is not None
    write_plan(
        root / "targets" / f"{YEAR}.yaml",
        plan_document(hierarchy, entries, models, december, np.random.default_rng([tier.seed, 2])),
    )
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "tier": tier.name,
        "seed": tier.seed,
        "scaled_to": tier.scaled_to,
        "area": list(hierarchy.area),
        "levels": [[kind, count] for kind, count in tier.levels],
        "depth": hierarchy.depth,
        "units": len(hierarchy.units),
        "reporting_units": len(hierarchy.leaf_codes),
        "indicators": len(entries),
        "form_size": len(form),
        "plan_targets": len(hierarchy.top_codes) * len(_PLAN_INDICATORS) + len(_PLAN_INDICATORS),
        "files": files,
        "planted": planted,
        "seconds": round(time.perf_counter() - started, 2),
    }
    _replace_atomically(
        manifest_path,
        lambda p: p.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8"),
    )
    return Generated(root, manifest)


def corrected_copy(generated: Generated, period: str, units: int = 10) -> tuple[Path, list[str]]:
    """A corrected bulk file of ``period`` (CSV): ``x01`` of ``units`` clean units raised by 1
    (year-to-date and month alike), every other row as sent. Returns the path and the units."""
    path = (
        generated.root
        / "corrected"
        / period
        / bulk_name(generated.manifest["area"][0], period, "csv")
    )
    table = pq.read_table(generated.parquet(period))
    codes = table.column(BULK_COLUMNS[0])
    bad = {p["unit"] for p in generated.planted(period)}
    clean = [c for c in pc.unique(codes).to_pylist() if c not in bad]
    rng = np.random.default_rng([generated.manifest["seed"], 3])
    chosen = sorted(str(c) for c in rng.choice(clean, size=min(units, len(clean)), replace=False))
    in_units = pc.is_in(codes, value_set=pa.array(chosen))
    on_x01 = pc.equal(table.column(BULK_COLUMNS[2]), "x01")
    hit = pc.and_(in_units, on_x01).to_numpy(zero_copy_only=False)
    value = table.column(BULK_COLUMNS[3]).to_numpy() + np.where(hit, 1.0, 0.0)
    month = table.column(BULK_COLUMNS[4]).to_numpy(zero_copy_only=False) + np.where(hit, 1.0, 0.0)
    table = table.set_column(3, BULK_COLUMNS[3], pa.array(value))
    table = table.set_column(4, BULK_COLUMNS[4], pa.array(month, mask=np.isnan(month)))
    if not path.exists():
        write_csv(table, path)
    return path, chosen


def tier_for(
    name: str, *, units: int | None = None, plant: int | None = None, seed: int | None = None
) -> Tier:
    tier = TIERS[name]
    if units is not None:
        tier = tier.scaled(units)
    if plant is not None:
        tier = replace(tier, plant_errors=plant)
    if seed is not None:
        tier = replace(tier, seed=seed)
    return tier


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", choices=sorted(TIERS), action="append")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "data")
    parser.add_argument("--units", type=int, help="reporting units (scales the levels above)")
    parser.add_argument("--plant-errors", type=int, help="bad rows per month, each in its own unit")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--force", action="store_true", help="regenerate even if cached")
    args = parser.parse_args(argv)
    for name in args.tier or list(TIERS):
        tier = tier_for(name, units=args.units, plant=args.plant_errors, seed=args.seed)
        started = time.perf_counter()
        g = generate(tier, args.out, force=args.force)
        m = g.manifest
        rows = sum(f["rows"] for f in m["files"].values())
        planted = sum(len(v) for v in m["planted"].values())
        print(
            f"{name}: {m['units']} units ({m['reporting_units']} reporting, {m['depth']} levels), "
            f"{m['form_size']} indicators, {len(m['files'])} month(s), {rows:,} rows, "
            f"{planted} planted errors, {time.perf_counter() - started:.1f} s -> {g.root}"
        )


if __name__ == "__main__":
    main()
