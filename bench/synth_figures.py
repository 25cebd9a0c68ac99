"""A year of figures for every reporting unit, month by month, and the errors planted in a
month's file (bench/synth.py)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from bench.synth_indicators import GeneratorError, IndicatorModel, Relations

# month-by-month seasonal profile of flows: a Spring Festival dip, a December push
_SEASON = np.array([0.85, 0.75, 0.95, 1.0, 1.0, 1.05, 1.0, 1.0, 1.05, 1.05, 1.1, 1.25])


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
