"""Monthly paths of the annual figures: year-to-date flows along a seasonal profile, stock
levels along the year."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jzplan.core.periods import Period
from jzplan.demo.annual import DemoBuilder, Key, round_figure
from jzplan.demo.story import SEED
from jzplan.reference.catalog import Catalog, Indicator
from jzplan.reference.plan import Plan

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
                start = annual[year - 1][key] if year > 2011 else round_figure(target * 0.97, ind)
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
    path = [round_figure(annual * float(c), ind) for c in cum[:-1]]
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
    path = [round_figure(start + (end - start) * float(p), ind) for p in progress[:-1]]
    return [*path, end]
