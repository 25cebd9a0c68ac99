"""Reproducible demo inbox: every unit's monthly forms (月报) for 2012 and 2013.

2012 ends exactly on the seed's 2012 figures (the plan's baselines); 2013 is driven by the
plan's targets through SCENARIO below, which is the demo's story. Run
``python -m jzplan.demo.data [--out data/inbox]``.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from jzplan.core.periods import Period, period_range
from jzplan.ingest.form_writer import FormRow, write_form
from jzplan.reference.catalog import Catalog, Indicator, OrgUnit, load_catalog
from jzplan.reference.plan import (
    Plan,
    Target,
    baseline_canonical,
    is_growth_only,
    load_plan,
    target_value_canonical,
)

# --- the story -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where a target ends in December 2013: result / target level, and the path there."""

    ratio: float  # ceilings: result / ceiling
    shape: str = "steady"  # steady | slow_start (slow first half, recovers) | late (year-end)


# One driver per (scope, indicator); other targets on the same figure follow from it
# (e.g. 公共财政预算收入 meets 6.5亿 but not 翻一番).
SCENARIO: dict[str, Outcome] = {
    # 主要预期目标
    "A01": Outcome(1.02),  # 规上工业增加值55亿: met
    "A02": Outcome(1.01, "slow_start"),  # 规上工业利税24亿: slow H1, recovers, met
    "A03": Outcome(0.86, "late"),  # 全社会固定资产投资96.2亿: behind
    "A04": Outcome(1.01),  # 社零11.4亿: met
    "A05": Outcome(0.78),  # 出口4200万美元: behind
    "A06": Outcome(1.03, "slow_start"),  # 市外资金57亿: recovers, met
    "A07": Outcome(0.92),  # 外商直接投资8000万美元: behind
    "A08": Outcome(1.03),  # 公共财政预算收入6.5亿: met (翻一番 P04 behind)
    "A09": Outcome(1.005),  # 城镇居民收入增长15%: met (提高30% P06a behind)
    "A10": Outcome(1.003),  # 农民人均纯收入增长15%: met (提高30% P06b behind)
    "A11": Outcome(1.04),  # 城镇新增就业4500人: met
    "A12": Outcome(0.85),  # 人口自然增长率6.5‰以内: under the ceiling
    # 十个方面 / 十大创新提升计划
    "P02": Outcome(1.02, "late"),  # 规上企业突破100家: reached in the last months
    "P03a": Outcome(0.6),  # 经济总量翻一番: behind
    "P05": Outcome(1.02, "late"),  # 民生支出翻一番: met with a year-end push
    "I02a": Outcome(1.0),  # 计划实施项目169个
    "I02b": Outcome(1.0),  # 计划总投资569.66亿
    "I02c": Outcome(0.65, "late"),  # 计划完成投资127.13亿: behind, like fixed assets
    "I02d": Outcome(1.0),  # 续建项目57个
    "I02e": Outcome(1.0),  # 续建项目总投资266.9亿
    "I02f": Outcome(1.0),  # 新开工项目112个
    "I02g": Outcome(1.0),  # 新开工项目总投资302.76亿
    "I03a": Outcome(0.8),  # 引进10亿元以上项目10个: behind
    "I03b": Outcome(1.1),  # 引进5亿元以上项目10个: met
    "I03c": Outcome(1.05),  # 引进1亿元以上项目66个: met
    "I05a": Outcome(1.01),  # 三产增加值增长15.3%: met
    "I06a": Outcome(1.0, "late"),  # 幼儿园4所: met in the autumn
    "I06b": Outcome(1.0),  # 村卫生室20个
    "I06c": Outcome(0.8),  # 预防接种示范门诊5个: 4, behind
    "I07a": Outcome(0.9),  # 道路投资10.5亿: behind
    "I07b": Outcome(1.0),  # 开工道路20条
    "I07c": Outcome(0.93),  # 新增道路45公里: behind
    "I07d": Outcome(1.0),
    "I07e": Outcome(1.0),
    "I07f": Outcome(1.05),
    "I07g": Outcome(1.02),
    "I08a": Outcome(1.0, "late"),  # 新型农村社区6个
    "I08b": Outcome(1.08),  # 流转土地5000亩
    "I08c": Outcome(1.0),
    "I08d": Outcome(1.0),
    "I08e": Outcome(1.0),
    "I08f": Outcome(1.0),
    "I08g": Outcome(1.0),
    "I08h": Outcome(1.0),
    "I09b": Outcome(1.2),  # 融资10亿: met
    "C16": Outcome(1.05),  # 灵泉湖水面1000亩: water from June, met
    "C17": Outcome(1.0, "late"),  # 开工4个10亿元以上项目
    "C18": Outcome(1.04),  # 新开工项目完成投资50%: met
    # 乡镇街道目标
    "T-NGZ-01": Outcome(1.1),
    "T-NGZ-02": Outcome(0.9),  # 宁郭镇固投5亿: behind
    "T-NGZ-03": Outcome(1.05),
    "T-NGZ-04": Outcome(1.02, "slow_start"),  # 宁郭镇财政收入552万: recovers
    "T-NGZ-05": Outcome(0.985),  # 宁郭镇农民人均纯收入8900元: missed
    "T-YMZ-01": Outcome(1.005),
    "T-YMZ-02": Outcome(1.01),
    "T-YMZ-03": Outcome(1.04),
    "T-YMZ-04": Outcome(1.01),
    "T-YMZ-05": Outcome(1.03),
    "T-YMZ-06": Outcome(0.93),  # 阳庙镇招商引资6.24亿: behind
    "T-YMZ-07": Outcome(1.0),
    "T-WCJ-01": Outcome(1.01),
    "T-WCJ-02": Outcome(1.005),
    "T-WCJ-03": Outcome(1.02, "slow_start"),  # 文昌街道固投15亿: recovers
    "T-WCJ-04": Outcome(1.01),
    "T-WCJ-05": Outcome(0.97),  # 文昌街道利税增长15%: behind
    "T-WCJ-06": Outcome(0.9),
    "I03-SJZ": Outcome(1.0),
    "I03-NGZ": Outcome(1.0),
    "I03-YMZ": Outcome(1.0),
    "I03-LWJ": Outcome(0.0),  # 李万街道: no 1亿元 project this year
    "I03-WYJ": Outcome(2.0),
    "I03-WCJ": Outcome(1.0),
}

SEED = 20130603
YEARS = (2012, 2013)
FILE_NAME_OF = {"DIR": "新区直报"}
FILED_BY = {
    "SJZ": "王秀兰",
    "NGZ": "李建军",
    "YMZ": "张丽娟",
    "LWJ": "赵国强",
    "WYJ": "刘芳",
    "WCJ": "陈志刚",
    "DIR": "杨晓燕",
}
# Units that write a figure in the seed's own unit rather than the canonical one
FILE_UNITS: dict[tuple[str, str], str] = {
    ("SJZ", "ind_output"): "亿元",
    ("SJZ", "external_funds"): "万元",
    ("YMZ", "ind_va"): "亿元",
    ("YMZ", "investment_attracted"): "亿元",
    ("WCJ", "profit_tax"): "亿元",
}
LATE = ("LWJ", Period(2013, 5), date(2013, 6, 12))  # lands in the next month's folder
DEFECT = ("NGZ", Period(2013, 8), "project_input", "约1300")
DEFECT_FILED = (date(2013, 9, 3), date(2013, 9, 6))  # defective, then the correction

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

# Monthly shares of a year's flow (Jan–Feb low around the Spring Festival, Dec push)
PROFILES: dict[str, tuple[float, ...]] = {
    "industry": (6.0, 5.5, 8.0, 8.0, 8.5, 9.0, 8.0, 8.0, 8.5, 9.0, 9.0, 11.5),
    "investment": (2.0, 2.5, 6.0, 7.5, 8.5, 10.0, 8.5, 9.0, 10.0, 11.0, 11.5, 13.5),
    "fiscal": (11.0, 6.0, 7.5, 8.5, 8.0, 9.0, 7.5, 7.0, 8.0, 9.0, 8.0, 10.5),
    "spending": (5.0, 5.0, 7.0, 7.5, 8.0, 9.0, 7.5, 7.5, 8.5, 9.0, 10.0, 16.0),
    "income": (10.0, 7.0, 7.0, 7.5, 8.0, 10.0, 8.5, 7.5, 8.0, 8.5, 8.0, 10.0),
    "retail": (10.0, 8.0, 7.5, 7.5, 8.0, 8.0, 8.0, 8.0, 8.5, 9.0, 8.5, 9.0),
    "even": (8.5, 7.5, 8.5, 8.0, 8.5, 8.0, 8.5, 8.5, 8.0, 8.5, 8.5, 9.0),
    "works": (0.5, 0.5, 3.0, 6.0, 7.0, 10.0, 8.0, 9.0, 12.0, 13.0, 13.0, 18.0),
}
PROFILE_OF_GROUP = {
    "工业": "industry",
    "综合": "industry",
    "投资": "investment",
    "招商": "investment",
    "贸易": "retail",
    "财政": "fiscal",
    "民生": "income",
    "城建": "works",
    "三农": "works",
}
PROFILE_OF: dict[str, str] = {
    "exports": "industry",
    "livelihood_spending": "spending",
    "births": "even",
    "deaths": "even",
    "new_urban_jobs": "retail",
    "land_transferred_new": "investment",
    "financing": "investment",
}
# Stocks whose year's level is largely set by the January plan
PLAN_STOCKS = frozenset(
    {"projects_planned", "projects_planned_investment", "projects_continuing", "projects_new",
     "new_projects_total_investment"}
)  # fmt: skip
DECIMALS: dict[str, int] = {"亿元": 4, "万元": 2, "万美元": 1, "元": 0, "公里": 1, "万平方米": 2}
INTEGER_UNITS = frozenset({"人", "个", "家", "所", "条", "亩"})
AREA = "JZXQ"

Key = tuple[str, str]  # (unit code, indicator code)


# --- annual figures ----------------------------------------------------------------------------


def _round(value: float, ind: Indicator) -> float:
    if ind.unit in INTEGER_UNITS:
        return float(round(value))
    return round(value, DECIMALS.get(ind.unit, 2))


def _rate_components(catalog: Catalog) -> tuple[str, str, str]:
    ind = catalog.indicator("natural_growth_rate")
    births, deaths, population = ind.components
    return births, deaths, population


@dataclass(slots=True)
class _Year:
    values: dict[Key, float]
    growth: dict[Key, float]  # the year's growth over the previous year, where fixed


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
            values[("DIR", code)] = _round(total - rest, ind)
            return
        if ind.aggregation == "weighted_mean" and ind.weight:
            weight = {u.code: values[(u.code, ind.weight)] for u in units}
            fixed_part = sum(
                values[(u.code, code)] * weight[u.code] for u in units if u not in free
            )
            free_part = sum(values[(u.code, code)] * weight[u.code] for u in free)
            factor = (total * sum(weight.values()) - fixed_part) / free_part
            for u in free:
                values[(u.code, code)] = _round(values[(u.code, code)] * factor, ind)
            return
        fixed_sum = sum(values[(u.code, code)] for u in units if u not in free)
        remaining = max(total - fixed_sum, 0.0)
        shares = [max(values[(u.code, code)], 1e-6) for u in free]
        parts = _apportion(remaining, shares, integer=ind.unit in INTEGER_UNITS)
        for u, part in zip(free, parts, strict=True):
            values[(u.code, code)] = _round(part, ind)

    # 2012 ------------------------------------------------------------------------------------
    def year_2012(self) -> _Year:
        cat = self.catalog
        values: dict[Key, float] = {}
        for unit_code, code in self.report_keys():
            ind = cat.indicator(code)
            if (unit_code, code) in FIXED_2012:
                values[(unit_code, code)] = FIXED_2012[(unit_code, code)]
                continue
            table = DIR_2012 if unit_code == "DIR" else TOWNSHIP_2012
            low, high = table.get(code, (1.0, 2.0))
            values[(unit_code, code)] = _round(self.uniform(low, high), ind)
        for u in cat.townships:
            pop = values[(u.code, "registered_population")]
            values[(u.code, "rural_population")] = float(round(pop * self.uniform(0.6, 0.85)))

        growth: dict[Key, float] = {}
        fixed: set[Key] = set()
        rate_ceiling: dict[str, float] = {}
        area_anchors: list[tuple[str, float]] = []
        for b in self.plan.baselines:
            if b.year != 2012:
                continue
            ind = cat.indicator(b.indicator)
            if is_growth_only(b, cat):
                growth[(b.scope, b.indicator)] = b.value / 100
                continue
            value = baseline_canonical(b, cat)
            assert value is not None
            if b.growth_pct is not None:
                growth[(b.scope, b.indicator)] = b.growth_pct / 100
            if ind.aggregation == "recompute":
                rate_ceiling[b.scope] = value
                continue
            if b.scope == AREA:
                area_anchors.append((b.indicator, value))
            elif b.indicator in cat.unit(b.scope).reports:
                values[(b.scope, b.indicator)] = value
                fixed.add((b.scope, b.indicator))
        # 2012 levels the seed implies: a 2013 target level with its stated growth
        anchored = {(a, c) for a, c in fixed} | {(AREA, c) for c, _ in area_anchors}
        for t in self.plan.targets:
            if t.indicator is None or t.growth_pct is None or (t.scope, t.indicator) in anchored:
                continue
            level = target_value_canonical(t, cat)
            if level is None:
                continue
            implied = _round(level / (1 + t.growth_pct / 100), cat.indicator(t.indicator))
            anchored.add((t.scope, t.indicator))
            if t.scope == AREA:
                area_anchors.append((t.indicator, implied))
            elif t.indicator in cat.unit(t.scope).reports:
                values[(t.scope, t.indicator)] = implied
                fixed.add((t.scope, t.indicator))
        for u in cat.townships:
            if (u.code, "national_tax") not in fixed:
                _split_taxes(values, u.code, fixed_total=(u.code, "local_fiscal_revenue") in fixed)
        for code, value in area_anchors:
            self._set_area(values, code, value, fixed)
        done, base = cat.indicator("new_projects_investment_ratio").components
        values[("DIR", done)] = _round(
            values[("DIR", base)] * self.uniform(0.42, 0.5), cat.indicator(done)
        )
        self._rates(values, year=2012, ceilings=rate_ceiling, target_area=None)
        return _Year(values, growth)

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
    def year_2011(self, y2012: _Year) -> dict[Key, float]:
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
            values[key] = _round(y2012.values[key] / (1 + g), ind)
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
            values[key] = _round(y2012[key] * (1 + g), ind)
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
                area_targets.append((t.indicator, _round(result, ind)))
            else:
                values[(t.scope, t.indicator)] = _round(result, ind)
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
            values[("DIR", done)] = _round(values[("DIR", base)] * share, cat.indicator(done))
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


# --- monthly paths -----------------------------------------------------------------------------


def _profile(ind: Indicator) -> tuple[float, ...]:
    name = PROFILE_OF.get(ind.code) or PROFILE_OF_GROUP.get(ind.group, "industry")
    return PROFILES[name]


@dataclass(frozen=True, slots=True)
class DemoSeries:
    """Month-end figures in canonical units: YTD for flows, levels for stocks."""

    values: dict[tuple[str, str, Period], float]  # (unit, indicator, period)

    def get(self, unit: str, indicator: str, period: Period) -> float:
        return self.values[(unit, indicator, period)]


def build_series(catalog: Catalog, plan: Plan, seed: int = SEED) -> DemoSeries:
    """Every reporting unit's figures for 2011 (the comparison base), 2012 and 2013."""
    builder = DemoBuilder(catalog, plan, seed)
    y2012 = builder.year_2012()
    annual = {2011: builder.year_2011(y2012), 2012: y2012.values}
    annual[2013] = builder.year_2013(y2012.values)
    rng = builder.rng
    out: dict[tuple[str, str, Period], float] = {}
    for year in (2011, 2012, 2013):
        for key in builder.report_keys():
            unit_code, code = key
            ind = catalog.indicator(code)
            shape = builder.shapes.get(key, "steady") if year == 2013 else "steady"
            target = annual[year][key]
            if ind.measure == "stock":
                start = annual[year - 1][key] if year > 2011 else _round(target * 0.97, ind)
                path = _stock_path(ind, start, target, shape, year, rng)
            else:
                path = _flow_path(ind, target, shape, rng)
            for month, value in enumerate(path, start=1):
                out[(unit_code, code, Period(year, month))] = value
        _split_monthly_taxes(out, annual[year], year)
    return DemoSeries(out)


def _split_monthly_taxes(
    out: dict[tuple[str, str, Period], float], annual: dict[Key, float], year: int
) -> None:
    """地方财政收入 = 国税 + 地税 every month, not only in December: split the total's path by
    the year's shares (December keeps the annual figures)."""
    for unit, nat, loc, tot in {
        (u, "national_tax", "local_tax", "local_fiscal_revenue")
        for (u, code) in annual
        if code == "local_fiscal_revenue"
    }:
        if (unit, nat) not in annual or (unit, loc) not in annual:
            continue
        share = annual[(unit, nat)] / (annual[(unit, nat)] + annual[(unit, loc)])
        for month in range(1, 12):
            p = Period(year, month)
            total = out[(unit, tot, p)]
            out[(unit, nat, p)] = round(total * share, 2)
            out[(unit, loc, p)] = round(total - out[(unit, nat, p)], 2)


def _flow_path(ind: Indicator, annual: float, shape: str, rng: np.random.Generator) -> list[float]:
    weights = np.array(_profile(ind)) * np.exp(rng.normal(0.0, 0.06, 12))
    if shape == "slow_start":
        weights[:6] *= 0.65
    elif shape == "late":
        weights[8:] *= 1.6
    cum = np.cumsum(weights) / weights.sum()
    path = [_round(annual * float(c), ind) for c in cum[:-1]]
    return [*path, annual]


def _stock_path(
    ind: Indicator, start: float, end: float, shape: str, year: int, rng: np.random.Generator
) -> list[float]:
    months = np.arange(1, 13) / 12
    if ind.code == "lingquan_lake_water_area":
        # the Yellow River water arrives at the end of June
        progress = np.clip((np.arange(1, 13) - 6) / 6, 0, 1) ** 1.2
    elif ind.code in PLAN_STOCKS:
        progress = 0.6 + 0.4 * months
    elif shape == "late":
        progress = months**2.5
    else:
        progress = np.clip(months + rng.normal(0.0, 0.03, 12), 0, 1)
    path = [_round(start + (end - start) * float(p), ind) for p in progress[:-1]]
    return [*path, end]


# --- status and ranking submissions (重点工作进展.csv, 排名.csv) --------------------------------

# Milestones and qualitative targets: (from month, status label, evidence). Each month's file
# carries the latest entry at or before that month. Targets not listed follow the default
# story (milestones: 未启动, then 正常推进, done in the autumn; qualitative: 正常推进, 已完成
# in December).
STATUS_STORY: dict[str, tuple[tuple[int, str, str], ...]] = {
    "C15": (
        (1, "正常推进", "引黄入沙工程渠首及输水管线施工"),
        (4, "正常推进", "输水管线全线贯通，进行试通水准备"),
        (6, "已完成", "6月28日黄河水经引黄入沙工程进入大沙河"),
    ),
    "C08": (
        (1, "正常推进", "编制升级国家级高新区申报材料"),
        (8, "已完成", "申报材料已由省政府报送国务院"),
    ),
    "P09b": (
        (1, "正常推进", "按国家级高新区标准完善园区规划和统计体系"),
        (8, "进度偏慢", "申报已报国务院，批复时间不确定"),
        (11, "滞后", "国务院尚未批复，年内建成国家高新区难以实现"),
    ),
    "I06h": (
        (1, "未启动", "选址论证"),
        (3, "正常推进", "完成选址和方案设计"),
        (7, "进度偏慢", "土地报批滞后，开工时间推迟"),
        (9, "正常推进", "土地报批完成，施工招标结束"),
        (10, "已完成", "10月18日新区老年福利中心开工建设"),
    ),
    "A13": (
        (1, "正常推进", "分解节能减排任务到重点企业"),
        (7, "进度偏慢", "上半年单位工业增加值能耗下降幅度低于序时要求"),
        (10, "正常推进", "重点企业完成节能技术改造"),
        (12, "已完成", "完成市下达的年度节能减排目标任务"),
    ),
    "C13": (
        (1, "正常推进", "完成项目可研和初步设计"),
        (9, "进度偏慢", "主体结构施工进度落后于计划"),
        (10, "滞后", "资金到位不足，主体工程停工两个月"),
    ),
    "T-LWJ-01": (
        (1, "正常推进", "走访在谈项目，落实项目协调服务"),
        (5, "进度偏慢", "在谈项目签约推迟"),
        (8, "正常推进", "签约项目2个，开工1个"),
        (12, "已完成", "全年完成招商引资任务"),
    ),
}
REPORTED_BY_GROUP = {
    "主要预期目标": "新区经济发展局",
    "十个方面": "新区党政办公室",
    "十大创新提升计划": "新区党政办公室",
    "市政府工作报告要求": "新区规划建设局",
}
# Published positions on the ranking indicators, by quarter-end month: (rank, out of)
RANKINGS: dict[str, dict[int, tuple[int, int]]] = {
    # 全省产业集聚区发展速度: 14th in Q1, into the top ten by the autumn (recovers)
    "rank_cluster_growth": {3: (14, 180), 6: (11, 180), 9: (9, 180), 12: (8, 180)},
    # 全省城市新区经济总量: never reaches the top five (ends missed)
    "rank_new_area_economy": {3: (7, 20), 6: (7, 20), 9: (8, 20), 12: (7, 20)},
}
RANKING_PUBLISHERS = {
    "rank_cluster_growth": "河南省产业集聚区发展联席会议办公室",
    "rank_new_area_economy": "河南省发展和改革委员会",
}


def _status_story(target: Target, index: int) -> tuple[tuple[int, str, str], ...]:
    if target.id in STATUS_STORY:
        return STATUS_STORY[target.id]
    if target.kind == "milestone":
        done = 9 + index % 4
        return (
            (1, "未启动", "前期调研"),
            (3, "正常推进", "完成方案编制，按计划推进"),
            (done, "已完成", f"{done}月完成：{target.label}"),
        )
    return (
        (1, "正常推进", "按年度工作方案推进"),
        (12, "已完成", "完成年度目标任务"),
    )


def status_rows(plan: Plan, catalog: Catalog, period: Period) -> list[tuple[str, ...]]:
    """The rows of one month's 重点工作进展.csv (2013 only)."""
    rows: list[tuple[str, ...]] = []
    reported_on = period.next()
    targets = [t for t in plan.targets if t.kind in ("milestone", "qualitative")]
    for index, t in enumerate(targets):
        story = [s for s in _status_story(t, index) if s[0] <= period.month]
        if not story:
            continue
        _, label, evidence = story[-1]
        office = (
            catalog.unit(t.scope).name
            if t.scope != catalog.area.code
            else REPORTED_BY_GROUP.get(t.group, "新区党政办公室")
        )
        day = date(reported_on.year, reported_on.month, 3).isoformat()
        rows.append((t.id, label, evidence, office, day))
    return rows


def ranking_rows(catalog: Catalog, period: Period) -> list[tuple[str, ...]]:
    """The rows of a quarter-end month's 排名.csv (empty in other months)."""
    published = period.next()
    rows: list[tuple[str, ...]] = []
    for code, by_month in RANKINGS.items():
        if period.month not in by_month:
            continue
        rank, out_of = by_month[period.month]
        day = date(published.year, published.month, 2).isoformat()
        rows.append(
            (catalog.area.name, catalog.indicator(code).name, str(rank), str(out_of),
             RANKING_PUBLISHERS[code], day)
        )  # fmt: skip
    return rows


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    # UTF-8 with BOM: what Excel writes and reads for Chinese CSV
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))


def write_status_files(
    out: Path, catalog: Catalog, plan: Plan, *, folders: Iterable[str] | None = None
) -> list[Path]:
    """Every 2013 month's 重点工作进展.csv and each quarter's 排名.csv."""
    from jzplan.ingest.status_files import RANKING_FILE, RANKING_HEADER, STATUS_FILE, STATUS_HEADER

    wanted = set(folders) if folders is not None else None
    written: list[Path] = []
    for month in range(1, 13):
        period = Period(YEARS[-1], month)
        if wanted is not None and str(period) not in wanted:
            continue
        path = out / str(period) / STATUS_FILE
        _write_csv(path, STATUS_HEADER, status_rows(plan, catalog, period))
        written.append(path)
        rankings = ranking_rows(catalog, period)
        if rankings:
            path = out / str(period) / RANKING_FILE
            _write_csv(path, RANKING_HEADER, rankings)
            written.append(path)
    return written


# --- forms on disk -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoFile:
    folder: str  # YYYY-MM
    name: str
    unit: str
    period: Period
    filed_on: date
    rows: tuple[FormRow, ...]


def file_name(unit: OrgUnit, period: Period, suffix: str = "") -> str:
    short = FILE_NAME_OF.get(unit.code, unit.name)
    return f"{short}_{period.year}年{period.month:02d}月_月报{suffix}.xlsx"


def form_rows(catalog: Catalog, series: DemoSeries, unit: OrgUnit, period: Period) -> list[FormRow]:
    rows: list[FormRow] = []
    for code in unit.reports:
        ind = catalog.indicator(code)
        ytd = series.get(unit.code, code, period)
        last = series.get(unit.code, code, period.same_month_last_year())
        month: float | None = None
        if ind.accumulates:
            prev = series.get(unit.code, code, period.previous()) if period.month > 1 else 0.0
            month = _round(ytd - prev, ind)
        rows.append(FormRow(code, ytd, month, last))
    return rows


def plan_files(catalog: Catalog, series: DemoSeries, seed: int = SEED) -> list[DemoFile]:
    """Every file of the inbox, with its folder and filing date."""
    rng = np.random.default_rng(seed + 1)
    files: list[DemoFile] = []
    late_unit, late_period, late_filed = LATE
    defect_unit, defect_period, defect_indicator, defect_text = DEFECT
    for period in period_range(Period(YEARS[0], 1), Period(YEARS[-1], 12)):
        nxt = period.next()
        for unit in catalog.units:
            if not unit.reports:
                continue
            rows = tuple(form_rows(catalog, series, unit, period))
            filed_on = date(nxt.year, nxt.month, int(rng.integers(2, 5)))
            folder = str(period)
            if (unit.code, period) == (late_unit, late_period):
                folder, filed_on = str(nxt), late_filed
            name = file_name(unit, period)
            if (unit.code, period) == (defect_unit, defect_period):
                bad = tuple(
                    FormRow(r.indicator, r.ytd, r.month, r.last_year_ytd, raw=defect_text)
                    if r.indicator == defect_indicator
                    else r
                    for r in rows
                )
                files.append(DemoFile(folder, name, unit.code, period, DEFECT_FILED[0], bad))
                name, filed_on = file_name(unit, period, "(更正)"), DEFECT_FILED[1]
            files.append(DemoFile(folder, name, unit.code, period, filed_on, rows))
    return files


def write_inbox(
    out: Path,
    catalog: Catalog,
    plan: Plan,
    *,
    folders: Iterable[str] | None = None,
    seed: int = SEED,
) -> list[Path]:
    """Write the demo inbox (optionally only some ``YYYY-MM`` folders) and its README."""
    series = build_series(catalog, plan, seed)
    wanted = set(folders) if folders is not None else None
    written: list[Path] = []
    for f in plan_files(catalog, series, seed):
        if wanted is not None and f.folder not in wanted:
            continue
        path = out / f.folder / f.name
        write_form(
            path,
            catalog=catalog,
            unit_code=f.unit,
            period=f.period,
            rows=f.rows,
            filed_by=FILED_BY[f.unit],
            filed_on=f.filed_on,
            units={ind: unit for (u, ind), unit in FILE_UNITS.items() if u == f.unit},
        )
        written.append(path)
    written += write_status_files(out, catalog, plan, folders=folders)
    if wanted is None:
        (out / "README.md").write_text(readme(catalog, plan), encoding="utf-8")
    return written


def readme(catalog: Catalog, plan: Plan) -> str:
    """The inbox README (English): layout, the late and the defective file, the story."""
    late_unit, late_period, late_filed = LATE
    d_unit, d_period, d_ind, d_text = DEFECT
    lwj, ngz = catalog.unit(late_unit), catalog.unit(d_unit)
    story = "\n".join(
        f"| {tid} | {plan.target(tid).label} | {o.ratio:g} | {o.shape} |"
        for tid, o in SCENARIO.items()
    )
    odd_units = "\n".join(
        f"  - {catalog.unit(u).name} writes {catalog.indicator(i).name} in {unit} "
        f"(canonical: {catalog.indicator(i).unit})"
        for (u, i), unit in FILE_UNITS.items()
    )
    return f"""# Demo inbox: monthly report forms (月报), 2012–2013

Generated by `python -m jzplan.demo.data --out data/inbox` (seed {SEED}); regenerating gives
byte-identical files. Do not edit by hand.

## Layout

- `<YYYY-MM>/` holds the forms that arrived in the batch for that reporting month: one
  `.xlsx` per reporting unit (the six townships and the area's direct reporting unit DIR),
  each with exactly the indicators of the unit's `reports` list in `data/catalog/org_units.yaml`.
- File names: `<unit name>_<YYYY>年<MM>月_月报.xlsx`; DIR files are named `新区直报_…`.
- Flows are year-to-date (1-N月累计) with a 本月 column; stocks are month-end levels.
  去年同期累计 is the unit's figure a year earlier (2012 forms compare with a 2011 base).
- December 2012 reproduces the seed's 2012 figures (the plan's baselines); area figures are
  the sum over reporters, DIR carrying the part the townships do not cover. Where a 2013
  target states its growth but the seed gives no 2012 figure, 2012 ends on the implied level
  (target / (1 + growth)). Other figures are plausible values for a new area of this size.
- Some units write a figure in the seed's own unit, so the parser's conversion is exercised:
{odd_units}

## The late file

{lwj.name}'s form for {late_period} (`{file_name(lwj, late_period)}`) is not in
`{late_period}/`: it arrived with the next batch, in `{late_period.next()}/`, filed on
{late_filed.isoformat()} (after the deadline).

## The defective file

`{d_period}/{file_name(ngz, d_period)}` has the text “{d_text}” in the 1-{d_period.month}月累计
cell of {catalog.indicator(d_ind).name} — a real office mistake; the parser rejects it with one
`not_a_number` error at that cell. The office's correction
`{file_name(ngz, d_period, "(更正)")}`, with the right figure, is in the same folder, filed later
({DEFECT_FILED[1].isoformat()} vs {DEFECT_FILED[0].isoformat()}).

## The story (2013)

Each row drives one figure: December result / target (for ceilings: result / ceiling) and the
path through the year (`slow_start`: a weak first half that recovers; `late`: a year-end push).
Targets on the same figure follow from it: 公共财政预算收入 meets 6.5亿元 but not 翻一番;
incomes meet +15% but not +30%.

| target | label | December ratio | shape |
|---|---|---|---|
{story}

## Status and ranking submissions (2013)

Each 2013 folder also holds `重点工作进展.csv` (UTF-8 CSV: 目标编号, 进展状态,
进展情况, 报送单位, 报送日期): the latest status of every milestone and qualitative
target as its office reports it (已完成 / 正常推进 / 进度偏慢 / 滞后 / 未启动).
Quarter-end folders hold `排名.csv` (单位, 排名指标, 位次, 参评总数, 发布单位, 发布日期).
The story: 黄河水进入大沙河 (C15) is done in June; 老年福利中心 (I06h) slips in July
and recovers; 建成国家高新区 (P09b) slips and ends overdue; 第二人民医院新区医院 (C13)
falls behind and ends missed; 节能减排 (A13) and 李万街道's 招商 (T-LWJ-01) slow down
and recover; the area climbs from 14th to 8th among the province's industrial clusters
(P01, met) but stays 7th–8th among the new areas (P03b, missed).
"""


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the demo inbox of monthly forms.")
    parser.add_argument("--out", type=Path, default=Path("data/inbox"))
    parser.add_argument("--catalog", type=Path, default=Path("data/catalog"))
    parser.add_argument("--plan", type=Path, default=Path("data/targets/2013.yaml"))
    args = parser.parse_args(argv)
    catalog = load_catalog(args.catalog)
    written = write_inbox(args.out, catalog, load_plan(args.plan, catalog))
    print(f"wrote {len(written)} forms to {args.out}")


if __name__ == "__main__":
    main()
