"""Annual figures per reporting unit: 2012 on the seed's baselines, 2011 as its comparison
base, 2013 driven by the story's outcomes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from jzplan.demo.story import AREA, SCENARIO, SEED, Outcome
from jzplan.reference.catalog import Catalog, Indicator
from jzplan.reference.plan import (
    Plan,
    Target,
    baseline_canonical,
    is_growth_only,
    target_value_canonical,
)

# Plausible 2012 levels (canonical units) where the seed gives none: (low, high)
TOWNSHIP_2012: dict[str, tuple[float, float]] = {
    "gdp": (7.0, 12.0),
    "ind_output": (30000, 90000),
    "ind_va": (9000, 26000),
    "fai": (2.0, 4.5),
    "project_input": (6000, 20000),
    "external_funds": (0.5, 2.5),
    "investment_attracted": (15000, 40000),
    "projects_introduced_100m": (0, 1),
    "retail_sales": (0.5, 1.0),
    "national_tax": (120, 380),
    "local_tax": (60, 180),
    "rural_net_income": (7500, 9000),
    "registered_population": (15000, 45000),
    "new_urban_jobs": (180, 420),
    "rural_communities_started": (0, 1),
    "ind_output_above": (3.0, 5.0),
    "ind_profit_above": (0.8, 1.5),
    "profit_tax": (2500, 4000),
    "fai_5m_plus": (3.2, 4.0),
    "operating_revenue": (30000, 45000),
    "investment_attracted_out_of_province": (15000, 25000),
    "fiscal_revenue": (170, 185),
}
DIR_2012: dict[str, tuple[float, float]] = {
    "ind_profit_tax_above": (19.0, 20.0),
    "enterprises_above": (80, 80),
    "retail_sales": (3.5, 4.0),
    "exports": (2800, 3000),
    "external_funds": (38, 42),
    "fdi": (6000, 6300),
    "livelihood_spending": (28000, 32000),
    "tertiary_va": (18, 22),
    "gdp": (70, 80),
    "urban_disposable_income": (18500, 19500),
    "urban_population": (55000, 65000),
    "new_urban_jobs": (2300, 2600),
    "projects_continuing": (40, 48),
    "projects_new": (80, 85),
    "projects_introduced_1b": (7, 9),
    "projects_introduced_500m": (7, 9),
    "projects_introduced_100m": (45, 52),
    "big_projects_started_1b": (3, 3),
    "new_projects_total_investment": (200, 230),
    "road_investment": (5, 7),
    "roads_started": (10, 14),
    "roads_new_km": (20, 28),
    "garbage_stations": (1, 1),
    "public_toilets": (1, 2),
    "greening_replanted": (2.0, 3.0),
    "green_area_new": (250, 350),
    "kindergartens": (1, 2),
    "village_clinics": (8, 12),
    "vaccination_clinics": (1, 2),
    "land_transferred_new": (3000, 4000),
    "coop_federations": (0, 0),
    "coops_city_star": (0, 1),
    "coops_city_leading": (1, 2),
    "coops_district_star": (1, 2),
    "coops_district_leading": (2, 4),
    "coops_provincial_demo": (0, 0),
    "financing": (5, 7),
    "lingquan_lake_water_area": (0, 0),
}
FIXED_2012: dict[tuple[str, str], float] = {("NGZ", "project_input"): 2050.0}

DECIMALS: dict[str, int] = {"亿元": 4, "万元": 2, "万美元": 1, "元": 0, "公里": 1, "万平方米": 2}
INTEGER_UNITS = frozenset({"人", "个", "家", "所", "条", "亩"})

Key = tuple[str, str]  # (unit code, indicator code)


def round_figure(value: float, ind: Indicator) -> float:
    if ind.unit in INTEGER_UNITS:
        return float(round(value))
    return round(value, DECIMALS.get(ind.unit, 2))


def _rate_components(catalog: Catalog) -> tuple[str, str, str]:
    ind = catalog.indicator("natural_growth_rate")
    births, deaths, population = ind.components
    return births, deaths, population


@dataclass(slots=True)
class AnnualFigures:
    values: dict[Key, float]
    growth: dict[Key, float]  # the year's growth over the previous year, where fixed


@dataclass(slots=True)
class Anchors:
    """What the seed fixes of 2012 beyond the unit figures it sets directly."""

    growth: dict[Key, float] = field(default_factory=dict)
    fixed: set[Key] = field(default_factory=set)  # unit figures the seed sets
    rate_ceiling: dict[str, float] = field(default_factory=dict)  # by scope
    area: list[tuple[str, float]] = field(default_factory=list)  # (indicator, area figure)


class DemoBuilder:
    """Annual figures per unit, then monthly YTD paths, all from one seeded generator."""

    def __init__(self, catalog: Catalog, plan: Plan, seed: int = SEED) -> None:
        self.catalog = catalog
        self.plan = plan
        self.rng = np.random.default_rng(seed)
        self.reporters = list(catalog.reporting_units)
        self.shapes: dict[Key, str] = {}

    # helpers
    def report_keys(self) -> list[Key]:
        return [(u.code, c) for u in self.reporters for c in u.reports]

    def uniform(self, low: float, high: float) -> float:
        return float(self.rng.uniform(low, high))

    def _area_value(self, values: dict[Key, float], code: str) -> float:
        ind = self.catalog.indicator(code)
        units = self.catalog.reporters_of(code)
        if ind.aggregation == "weighted_mean" and ind.weight:
            w = [values[(u.code, ind.weight)] for u in units]
            return sum(values[(u.code, code)] * wi for u, wi in zip(units, w, strict=True)) / sum(w)
        return sum(values[(u.code, code)] for u in units)

    def _set_area(self, values: dict[Key, float], code: str, total: float, fixed: set[Key]) -> None:
        """Adjust the free reporters so the area figure equals ``total``."""
        ind = self.catalog.indicator(code)
        units = self.catalog.reporters_of(code)
        free = [u for u in units if (u.code, code) not in fixed]
        if not free:
            return
        if ind.aggregation == "sum" and any(u.code == "DIR" for u in free):
            rest = sum(values[(u.code, code)] for u in units if u.code != "DIR")
            values[("DIR", code)] = round_figure(total - rest, ind)
            return
        if ind.aggregation == "weighted_mean" and ind.weight:
            weight = {u.code: values[(u.code, ind.weight)] for u in units}
            fixed_part = sum(
                values[(u.code, code)] * weight[u.code] for u in units if u not in free
            )
            free_part = sum(values[(u.code, code)] * weight[u.code] for u in free)
            factor = (total * sum(weight.values()) - fixed_part) / free_part
            for u in free:
                values[(u.code, code)] = round_figure(values[(u.code, code)] * factor, ind)
            return
        fixed_sum = sum(values[(u.code, code)] for u in units if u not in free)
        remaining = max(total - fixed_sum, 0.0)
        shares = [max(values[(u.code, code)], 1e-6) for u in free]
        parts = _apportion(remaining, shares, integer=ind.unit in INTEGER_UNITS)
        for u, part in zip(free, parts, strict=True):
            values[(u.code, code)] = round_figure(part, ind)

    # 2012 ------------------------------------------------------------------------------------
    def year_2012(self) -> AnnualFigures:
        cat = self.catalog
        values = self._plausible_2012()
        anchors = self._seed_anchors_2012(values)
        self._implied_anchors_2012(values, anchors)
        fixed = anchors.fixed
        for u in cat.townships:
            if (u.code, "national_tax") not in fixed:
                _split_taxes(values, u.code, fixed_total=(u.code, "local_fiscal_revenue") in fixed)
        for code, value in anchors.area:
            self._set_area(values, code, value, fixed)
        done, base = cat.indicator("new_projects_investment_ratio").components
        values[("DIR", done)] = round_figure(
            values[("DIR", base)] * self.uniform(0.42, 0.5), cat.indicator(done)
        )
        self._rates(values, year=2012, ceilings=anchors.rate_ceiling, target_area=None)
        return AnnualFigures(values, anchors.growth)

    def _plausible_2012(self) -> dict[Key, float]:
        """Every reported figure drawn from its plausible range (fixed ones aside)."""
        cat = self.catalog
        values: dict[Key, float] = {}
        for unit_code, code in self.report_keys():
            ind = cat.indicator(code)
            if (unit_code, code) in FIXED_2012:
                values[(unit_code, code)] = FIXED_2012[(unit_code, code)]
                continue
            table = DIR_2012 if unit_code == "DIR" else TOWNSHIP_2012
            low, high = table.get(code, (1.0, 2.0))
            values[(unit_code, code)] = round_figure(self.uniform(low, high), ind)
        for u in cat.townships:
            pop = values[(u.code, "registered_population")]
            values[(u.code, "rural_population")] = float(round(pop * self.uniform(0.6, 0.85)))
        return values

    def _seed_anchors_2012(self, values: dict[Key, float]) -> Anchors:
        """The seed's 2012 baselines: unit figures set in ``values``, the rest collected."""
        cat = self.catalog
        anchors = Anchors()
        for b in self.plan.baselines:
            if b.year != 2012:
                continue
            ind = cat.indicator(b.indicator)
            if is_growth_only(b, cat):
                anchors.growth[(b.scope, b.indicator)] = b.value / 100
                continue
            value = baseline_canonical(b, cat)
            assert value is not None
            if b.growth_pct is not None:
                anchors.growth[(b.scope, b.indicator)] = b.growth_pct / 100
            if ind.aggregation == "recompute":
                anchors.rate_ceiling[b.scope] = value
                continue
            if b.scope == AREA:
                anchors.area.append((b.indicator, value))
            elif b.indicator in cat.unit(b.scope).reports:
                values[(b.scope, b.indicator)] = value
                anchors.fixed.add((b.scope, b.indicator))
        return anchors

    def _implied_anchors_2012(self, values: dict[Key, float], anchors: Anchors) -> None:
        """2012 levels the seed implies: a 2013 target level with its stated growth."""
        cat = self.catalog
        fixed, area_anchors = anchors.fixed, anchors.area
        anchored = {(a, c) for a, c in fixed} | {(AREA, c) for c, _ in area_anchors}
        for t in self.plan.targets:
            if t.indicator is None or t.growth_pct is None or (t.scope, t.indicator) in anchored:
                continue
            level = target_value_canonical(t, cat)
            if level is None:
                continue
            implied = round_figure(level / (1 + t.growth_pct / 100), cat.indicator(t.indicator))
            anchored.add((t.scope, t.indicator))
            if t.scope == AREA:
                area_anchors.append((t.indicator, implied))
            elif t.indicator in cat.unit(t.scope).reports:
                values[(t.scope, t.indicator)] = implied
                fixed.add((t.scope, t.indicator))

    def _rates(
        self,
        values: dict[Key, float],
        *,
        year: int,
        ceilings: dict[str, float],
        target_area: float | None,
    ) -> None:
        """Births and deaths from each township's natural growth rate (‰)."""
        births, deaths, population = _rate_components(self.catalog)
        units = [u for u in self.catalog.units if births in u.reports]
        rates = {u.code: self.uniform(4.2, 6.4) for u in units}
        for code, ceiling in ceilings.items():
            rates[code] = ceiling * self.uniform(0.9, 0.97) if year == 2012 else ceiling
        if target_area is not None:
            pops = {u.code: values[(u.code, population)] for u in units}
            free = [c for c in rates if c not in ceilings]
            fixed_part = sum(rates[c] * pops[c] for c in rates if c in ceilings)
            factor = (target_area * sum(pops.values()) - fixed_part) / sum(
                rates[c] * pops[c] for c in free
            )
            for c in free:
                rates[c] *= factor
        for u in units:
            pop = values[(u.code, population)]
            born = round(pop * self.uniform(10.5, 12.5) / 1000)
            increase = math.floor(rates[u.code] * pop / 1000)
            values[(u.code, births)] = float(born)
            values[(u.code, deaths)] = float(born - increase)

    # 2011 ------------------------------------------------------------------------------------
    def year_2011(self, y2012: AnnualFigures) -> dict[Key, float]:
        cat = self.catalog
        values: dict[Key, float] = {}
        for key in self.report_keys():
            code = key[1]
            ind = cat.indicator(code)
            g = y2012.growth.get(key, y2012.growth.get((AREA, code)))
            if ind.measure == "stock":
                g = (
                    g
                    if g is not None
                    else (0.005 if ind.unit == "人" else self.uniform(0.05, 0.15))
                )
            elif g is None:
                g = self.uniform(0.1, 0.2) if ind.measure == "flow" else self.uniform(0.08, 0.12)
            values[key] = round_figure(y2012.values[key] / (1 + g), ind)
        for u in cat.townships:
            _split_taxes(values, u.code, fixed_total=False)
        self._rates(values, year=2011, ceilings={}, target_area=None)
        return values

    # 2013 ------------------------------------------------------------------------------------
    def year_2013(self, y2012: dict[Key, float]) -> dict[Key, float]:
        cat = self.catalog
        values: dict[Key, float] = {}
        for key in self.report_keys():
            code = key[1]
            ind = cat.indicator(code)
            if ind.unit == "人" and ind.measure == "stock":
                g = (
                    self.uniform(0.003, 0.009)
                    if code != "urban_population"
                    else self.uniform(0.03, 0.05)
                )
            elif ind.measure == "stock":
                g = self.uniform(0.0, 0.1)
            else:
                g = self.uniform(0.08, 0.2) if ind.measure == "flow" else self.uniform(0.1, 0.14)
            values[key] = round_figure(y2012[key] * (1 + g), ind)
        values[("DIR", "lingquan_lake_water_area")] = 0.0

        fixed: set[Key] = set()
        driven: set[tuple[str, str]] = set()
        area_targets: list[tuple[str, float]] = []
        ceilings: dict[str, float] = {}
        area_rate: float | None = None
        ratio_targets: list[tuple[Target, Outcome]] = []
        for target_id, outcome in SCENARIO.items():
            t = self.plan.target(target_id)
            if t.indicator is None or (t.scope, t.indicator) in driven:
                continue
            driven.add((t.scope, t.indicator))
            ind = cat.indicator(t.indicator)
            if ind.aggregation == "recompute":
                if t.kind == "ratio":
                    ratio_targets.append((t, outcome))
                elif t.scope == AREA:
                    area_rate = float(t.value or 0) * outcome.ratio
                else:
                    ceilings[t.scope] = float(t.value or 0) * outcome.ratio
                continue
            level = self._target_level(t, y2012)
            result = level * outcome.ratio
            for u in cat.reporters_of(t.indicator) if t.scope == AREA else [cat.unit(t.scope)]:
                self.shapes[(u.code, t.indicator)] = outcome.shape
            if t.scope == AREA:
                area_targets.append((t.indicator, round_figure(result, ind)))
            else:
                values[(t.scope, t.indicator)] = round_figure(result, ind)
                fixed.add((t.scope, t.indicator))
        for u in cat.townships:
            _split_taxes(values, u.code, fixed_total=(u.code, "local_fiscal_revenue") in fixed)
        # weights first, so weighted means use the year's populations
        area_targets.sort(key=lambda item: cat.indicator(item[0]).aggregation == "weighted_mean")
        for code, total in area_targets:
            self._set_area(values, code, total, fixed)
        for t, outcome in ratio_targets:
            done, base = cat.indicator(t.indicator or "").components
            share = float(t.value or 0) / 100 * outcome.ratio
            values[("DIR", done)] = round_figure(values[("DIR", base)] * share, cat.indicator(done))
        self._rates(values, year=2013, ceilings=ceilings, target_area=area_rate)
        return values

    def _target_level(self, t: Target, y2012: dict[Key, float]) -> float:
        level = target_value_canonical(t, self.catalog)
        if level is not None:
            return level
        assert t.indicator is not None and t.kind == "growth" and t.value is not None
        if t.scope == AREA:
            base = self._area_value(y2012, t.indicator)
        else:
            base = y2012[(t.scope, t.indicator)]
        return base * (1 + t.value / 100)


def _split_taxes(values: dict[Key, float], unit: str, *, fixed_total: bool) -> None:
    """地方财政收入 = 国税 + 地税: derive the total, or split a fixed total."""
    nat, loc, tot = (unit, "national_tax"), (unit, "local_tax"), (unit, "local_fiscal_revenue")
    if tot not in values or nat not in values or loc not in values:
        return
    if fixed_total:
        share = values[nat] / (values[nat] + values[loc])
        values[nat] = round(values[tot] * share, 2)
        values[loc] = round(values[tot] - values[nat], 2)
    else:
        values[tot] = round(values[nat] + values[loc], 2)


def _apportion(total: float, shares: Sequence[float], *, integer: bool) -> list[float]:
    """Split ``total`` in proportion to ``shares``; integers by largest remainder."""
    weight = sum(shares)
    exact = [total * s / weight for s in shares]
    if not integer:
        return exact
    floors = [math.floor(x) for x in exact]
    left = round(total) - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: exact[i] - floors[i], reverse=True)
    for i in order[: max(left, 0)]:
        floors[i] += 1
    return [float(f) for f in floors]
