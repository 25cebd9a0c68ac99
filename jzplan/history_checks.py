"""Comparison columns from a unit's own history, for the ``township_history`` suite.

The store supplies the unit's accepted figures of earlier months; these functions put, next to
each figure of a new submission, what Great Expectations compares it with:

- ``prev_value``: last month's figure (0 for a January year-to-date, the year starts afresh);
- ``mom_pct`` and its bounds ``mom_low_pct``/``mom_high_pct``: month-over-month change of the
  month's own figure (本月 for flows, the level for stocks), in percent;
- ``yoy_pct`` and ``yoy_low_pct``/``yoy_high_pct``: year-over-year change of the year-to-date
  figure (or the level), in percent.

The bounds are robust and learned from the unit's own history of the same change, on a log
scale (a doubling and a halving are equally far): centre = the median of the last
``mom_window`` (``yoy_window``) months' changes — for month-over-month, last year's change
between the same two months when there is one, which absorbs seasonality such as the
Spring Festival dip and the December push; half-width = ``k`` · 1.4826 · MAD (the MAD scaled
to a standard deviation for normal data), but never narrower than a factor of
``mom_min_factor`` (``yoy_min_factor``) either way, so that a very regular history does not
flag ordinary noise. Fewer than ``min_history`` past changes: no bound, no check.

Only continuous quantities are checked (money, people, areas, lengths); small counts (个, 家,
所, 条) jump by 100% when one project starts, which is no anomaly. January has no
month-over-month check (year-to-date figures and plan-year stocks restart); its year-over-year
check covers it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from jzplan.catalog import UNIT_FACTORS, Catalog
from jzplan.periods import Period

HISTORY_COLUMNS: tuple[str, ...] = (
    "prev_value",
    "prev_ytd",  # prev_value of year-to-date indicators only (NaN elsewhere)
    "prev_ytd_nonneg",  # ... that can never be negative (their 累计 never decreases)
    "mom_pct",
    "mom_low_pct",
    "mom_high_pct",
    "yoy_pct",
    "yoy_low_pct",
    "yoy_high_pct",
)
_DISCRETE_PREFIXES = ("count", "rank", "percent", "permille")
MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True, slots=True)
class OutlierSettings:
    k: float = 5.0
    min_history: int = 6
    mom_min_factor: float = 2.0
    yoy_min_factor: float = 1.5
    mom_window: int = 24
    yoy_window: int = 12

    @property
    def months_needed(self) -> int:
        """How many months before the period the history must reach back."""
        return max(self.mom_window + 1, self.yoy_window + 12)


def history_periods(period: Period, settings: OutlierSettings) -> list[str]:
    """The months before ``period`` whose figures the checks read, oldest first."""
    out: list[Period] = []
    p = period
    for _ in range(settings.months_needed):
        p = p.previous()
        out.append(p)
    return [str(x) for x in reversed(out)]


def is_continuous(unit: str) -> bool:
    return not UNIT_FACTORS[unit][0].startswith(_DISCRETE_PREFIXES)


def _index(period: str) -> int:
    """Months since year 0: consecutive months differ by one."""
    p = Period.parse(period)
    return p.year * 12 + p.month - 1


def robust_bounds(
    history: list[float], center: float | None, k: float, min_factor: float
) -> tuple[float, float]:
    """(low, high) on the log scale: centre (default the median) ± max(k·σ̂, log min_factor)."""
    h = np.asarray(history, dtype="float64")
    median = float(np.median(h))
    sigma = MAD_TO_SIGMA * float(np.median(np.abs(h - median)))
    mid = median if center is None else center
    half = max(k * sigma, math.log(min_factor))
    return mid - half, mid + half


def _pct(log_ratio: float) -> float:
    return (math.exp(log_ratio) - 1.0) * 100.0


def _log_ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or not (a > 0 and b > 0):
        return None
    return math.log(a / b)


def history_columns(
    frame: pd.DataFrame,
    history: pd.DataFrame,
    period: str,
    catalog: Catalog,
    settings: OutlierSettings,
) -> pd.DataFrame:
    """The HISTORY_COLUMNS for every row of ``frame`` (same index).

    ``history``: the unit's accepted figures of earlier months (columns period, indicator,
    value); rows of ``period`` itself or later are ignored.
    """
    now = _index(period)
    past = history[history["period"] < period]
    series: dict[str, dict[int, float]] = {}
    for code, p, v in past[["indicator", "period", "value"]].itertuples(index=False):
        if v is not None and not pd.isna(v):
            series.setdefault(str(code), {})[_index(str(p))] = float(v)

    rows: list[dict[str, object]] = []
    for code, value in frame[["indicator", "value"]].itertuples(index=False):
        ind = catalog.indicators.get(str(code))
        row: dict[str, object] = dict.fromkeys(HISTORY_COLUMNS, np.nan)
        if ind is None or value is None or pd.isna(value):
            rows.append(row)
            continue
        x = dict(series.get(ind.code, {}))
        x[now] = float(value)
        prev = x.get(now - 1)
        if ind.accumulates and now % 12 == 0:
            prev = 0.0
        row["prev_value"] = np.nan if prev is None else prev
        if ind.accumulates:
            row["prev_ytd"] = row["prev_value"]
            if not ind.allows_negative:
                row["prev_ytd_nonneg"] = row["prev_value"]
        if is_continuous(ind.unit):
            row.update(_changes(x, now, ind.accumulates, settings))
        rows.append(row)
    return pd.DataFrame(rows, index=frame.index, columns=list(HISTORY_COLUMNS), dtype="float64")


def _changes(
    x: dict[int, float], now: int, accumulates: bool, settings: OutlierSettings
) -> dict[str, float]:
    def own(t: int) -> float | None:
        """The month's own figure: 本月 for year-to-date flows, the level for stocks."""
        if t not in x:
            return None
        if not accumulates or t % 12 == 0:
            return x[t]
        return x[t] - x[t - 1] if t - 1 in x else None

    def mom(t: int) -> float | None:
        return None if t % 12 == 0 else _log_ratio(own(t), own(t - 1))

    def yoy(t: int) -> float | None:
        return _log_ratio(x.get(t), x.get(t - 12))

    out: dict[str, float] = {}
    # month over month; a month whose own figure drops to zero counts as -100%
    before, current = own(now - 1), own(now)
    if now % 12 != 0 and before is not None and before > 0 and current is not None:
        hist = [v for t in range(now - settings.mom_window, now) if (v := mom(t)) is not None]
        if len(hist) >= settings.min_history:
            low, high = robust_bounds(hist, mom(now - 12), settings.k, settings.mom_min_factor)
            out["mom_pct"] = (current / before - 1.0) * 100.0
            out["mom_low_pct"], out["mom_high_pct"] = _pct(low), _pct(high)
    change = yoy(now)
    if change is not None:
        hist = [v for t in range(now - settings.yoy_window, now) if (v := yoy(t)) is not None]
        if len(hist) >= settings.min_history:
            low, high = robust_bounds(hist, None, settings.k, settings.yoy_min_factor)
            out["yoy_pct"] = _pct(change)
            out["yoy_low_pct"], out["yoy_high_pct"] = _pct(low), _pct(high)
    return out


class _OutlierConfig(Protocol):
    outlier_k: float
    outlier_min_history: int
    outlier_mom_min_factor: float
    outlier_yoy_min_factor: float


def outlier_settings(settings: _OutlierConfig) -> OutlierSettings:
    """The history bounds configured in ``jzplan.settings.Settings`` (JZPLAN_OUTLIER_*)."""
    return OutlierSettings(
        k=settings.outlier_k,
        min_history=settings.outlier_min_history,
        mom_min_factor=settings.outlier_mom_min_factor,
        yoy_min_factor=settings.outlier_yoy_min_factor,
    )
