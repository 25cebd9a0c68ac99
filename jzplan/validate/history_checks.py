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

import functools
import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from jzplan.core.periods import Period
from jzplan.reference.catalog import UNIT_FACTORS, Catalog

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


def history_periods(period: Period, settings: OutlierSettings) -> list[Period]:
    """The months before ``period`` whose figures the checks read, oldest first."""
    out: list[Period] = []
    p = period
    for _ in range(settings.months_needed):
        p = p.previous()
        out.append(p)
    return out[::-1]


def is_continuous(unit: str) -> bool:
    return not UNIT_FACTORS[unit][0].startswith(_DISCRETE_PREFIXES)


def _index(p: Period) -> int:
    """Months since year 0: consecutive months differ by one."""
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


# series (unit, indicator) whose months are laid out at once, and rows whose changes are
# computed at once: bounds the working memory, and keeps the arrays in cache
_KEY_SLICE = 1_048_576
_ROW_CHUNK = 16_384


def history_columns(
    frame: pd.DataFrame,
    history: pd.DataFrame,
    period: Period | None,
    catalog: Catalog,
    settings: OutlierSettings,
) -> pd.DataFrame:
    """The HISTORY_COLUMNS for every row of ``frame`` (same index).

    ``history``: accepted figures of earlier months (columns period, indicator, value, and
    org_unit when it holds several units); for each row only history of months before the
    row's own is read. ``period``: the month of every row; None: each row's ``period``.
    Rows are matched to history by (org_unit, indicator) when both frames have org_unit,
    otherwise by indicator (one unit's history). Vectorised: a bulk month is millions of rows.
    """
    n = len(frame)
    out = np.full((n, len(HISTORY_COLUMNS)), np.nan)
    facts = _Facts.of(catalog, settings)
    now = _months(frame["period"] if period is None else None, period, n)
    ind = _positions(frame["indicator"], facts.index) if n else np.zeros(0, np.intp)
    value = pd.to_numeric(frame["value"], errors="coerce").to_numpy("float64", na_value=np.nan)
    valid = (ind >= 0) & (now >= 0) & ~np.isnan(value)
    rows = np.flatnonzero(valid)
    if len(rows):
        by_unit = "org_unit" in frame.columns and "org_unit" in history.columns
        _fill(out, rows, now, ind, value, frame, history, by_unit, facts, settings)
    return pd.DataFrame(out, index=frame.index, columns=list(HISTORY_COLUMNS), dtype="float64")


@dataclass(frozen=True, slots=True)
class _Facts:
    """Per-indicator arrays in catalog order; the window of months the checks read."""

    index: pd.Index
    accumulates: np.ndarray
    nonneg: np.ndarray
    continuous: np.ndarray
    lags: int  # months before the row's own that any check reads

    @classmethod
    def of(cls, catalog: Catalog, settings: OutlierSettings) -> _Facts:
        inds = list(catalog.indicators.values())
        # mom(t) reads the own figures of t and t - 1, a flow's own figure the year-to-date of
        # t - 1 too; yoy(t) reads t - 12; mom's centre is last year's same change
        lags = max(settings.mom_window + 2, 14, settings.yoy_window + 12)
        return cls(
            index=pd.Index([i.code for i in inds], dtype="str"),
            accumulates=np.array([i.accumulates for i in inds], dtype=bool),
            nonneg=np.array([not i.allows_negative for i in inds], dtype=bool),
            continuous=np.array([is_continuous(i.unit) for i in inds], dtype=bool),
            lags=lags,
        )


def _positions(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Position of each value in ``index``, -1 where absent (missing values included)."""
    codes, uniques = pd.factorize(values)
    found = index.get_indexer(pd.Index(uniques).astype("str"))
    return np.append(found, -1)[codes]


def _months(periods: pd.Series | None, period: Period | None, n: int) -> np.ndarray:
    """Months since year 0 of each row (-1: no valid period)."""
    if periods is None:
        assert period is not None
        return np.full(n, _index(period), dtype=np.int64)
    codes, uniques = pd.factorize(periods)
    return np.append([_index_or(str(p)) for p in uniques], -1).astype(np.int64)[codes]


def _index_or(text: str) -> int:
    """``_index`` of a frame's period text; -1 when it is not a month."""
    try:
        return _index(Period.parse(text))
    except ValueError:
        return -1


def _fill(
    out: np.ndarray,
    rows: np.ndarray,
    now: np.ndarray,
    ind: np.ndarray,
    value: np.ndarray,
    frame: pd.DataFrame,
    history: pd.DataFrame,
    by_unit: bool,
    facts: _Facts,
    settings: OutlierSettings,
) -> None:
    """The columns of ``rows`` (valid rows: a known indicator, a figure, a month) into ``out``."""
    n_ind = len(facts.index)
    # key of a series: (unit, indicator) as one integer; frame units numbered by factorize
    if by_unit:
        codes, units = pd.factorize(frame["org_unit"])  # on the whole column: arrow-fast
        unit = codes[rows]
    else:
        unit, units = np.zeros(len(rows), np.intp), pd.Index([0])
    key_pos, keys = pd.factorize(unit.astype(np.int64) * n_ind + ind[rows])
    start = int(now[rows].min()) - facts.lags  # month of the first column of the key table
    span = int(now[rows].max()) - start
    # history -> (key position, column), dropping what no row reads
    h_ind = _positions(history["indicator"], facts.index) if len(history) else np.zeros(0, int)
    h_col = _months(history["period"], None, len(history)) - start  # -1 - start: no month
    h_value = pd.to_numeric(history["value"], errors="coerce").to_numpy("float64", na_value=np.nan)
    if by_unit:
        h_codes, h_uniques = pd.factorize(history["org_unit"])
        h_unit = np.append(pd.Index(units).get_indexer(pd.Index(h_uniques)), -1)[h_codes]
    else:
        h_unit = np.zeros(len(history), np.intp)
    keep = (h_ind >= 0) & (h_unit >= 0) & (h_col >= 0) & (h_col < span) & ~np.isnan(h_value)
    sel = np.flatnonzero(keep)
    h_key = _key_positions(h_unit[sel] * n_ind + h_ind[sel], keys, len(units) * n_ind)
    sel = sel[h_key >= 0]
    h_flat = h_key[h_key >= 0] * span + h_col[sel]  # position in a (keys, span) table
    h_val = h_value[sel]
    del h_ind, h_col, h_value, h_unit, keep, sel, h_key
    # the key table is built for one slice of keys at a time (memory: slice x span floats)
    slices = (len(keys) + _KEY_SLICE - 1) // _KEY_SLICE
    row_order, row_bounds = _groups(key_pos // _KEY_SLICE, slices)
    h_order, h_bounds = _groups(h_flat // (_KEY_SLICE * span), slices)
    for s in range(slices):
        base = s * _KEY_SLICE
        table = np.full((min(_KEY_SLICE, len(keys) - base), span), np.nan)
        pick = h_order[h_bounds[s] : h_bounds[s + 1]] if slices > 1 else slice(None)
        table.flat[h_flat[pick] - base * span] = h_val[pick]
        mine = row_order[row_bounds[s] : row_bounds[s + 1]]
        at = rows[mine]
        if not len(at):
            continue
        # each row's window: its key's months now - lags .. now - 1, then its own figure
        x = np.empty((len(at), facts.lags + 1))
        offset = now[at] - start - facts.lags  # the table column of each row's first lag
        where = key_pos[mine] - base
        if offset.min() == offset.max():  # one month: a gather of whole rows
            o = int(offset[0])
            x[:, : facts.lags] = table[where, o : o + facts.lags]
        else:
            x[:, : facts.lags] = table[where[:, None], offset[:, None] + np.arange(facts.lags)]
        x[:, facts.lags] = value[at]
        _columns(out, at, x, now[at], ind[at], facts, settings)


def _key_positions(keys: np.ndarray, uniques: pd.Index | np.ndarray, space: int) -> np.ndarray:
    """Position of each key among ``uniques`` (-1: absent): a dense table when keys are small."""
    uniq = np.asarray(uniques, dtype=np.int64)
    if space <= 8 * len(uniq) + 1_000_000:
        table = np.full(space, -1, dtype=np.int64)
        table[uniq] = np.arange(len(uniq))
        found: np.ndarray = table[keys]
        return found
    return pd.Index(uniq).get_indexer(pd.Index(keys))


def _groups(group: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions ordered by group, and each group's bounds in that order."""
    if count <= 1:
        return np.arange(len(group)), np.array([0, len(group)])
    small = group.astype(np.int16) if count < 2**15 else group  # a radix sort
    order = np.argsort(small, kind="stable")
    return order, np.searchsorted(group[order], np.arange(count + 1))


def _columns(
    out: np.ndarray,
    at: np.ndarray,
    x: np.ndarray,
    now: np.ndarray,
    ind: np.ndarray,
    facts: _Facts,
    settings: OutlierSettings,
) -> None:
    """HISTORY_COLUMNS of rows ``at`` from their windows ``x`` (column j: month now - L + j,
    the last column the row's own figure; NaN where the store has none)."""
    lags = facts.lags
    acc = facts.accumulates[ind]
    january = now % 12 == 0
    prev = np.where(acc & january, 0.0, x[:, lags - 1])
    out[at, 0] = prev
    out[at, 1] = np.where(acc, prev, np.nan)
    out[at, 2] = np.where(acc & facts.nonneg[ind], prev, np.nan)
    # a change needs two months, a bound min_history changes: skip rows with fewer months
    months = np.count_nonzero(~np.isnan(x[:, :lags]), axis=1)
    cont = np.flatnonzero(facts.continuous[ind] & (months > settings.min_history))
    for lo in range(0, len(cont), _ROW_CHUNK):
        part = cont[lo : lo + _ROW_CHUNK]
        _changes(out, at[part], x[part], now[part], acc[part], lags, settings)


def _changes(
    out: np.ndarray,
    at: np.ndarray,
    x: np.ndarray,
    now: np.ndarray,
    acc: np.ndarray,
    lags: int,
    settings: OutlierSettings,
) -> None:
    """mom_* and yoy_* of continuous rows (see the module docstring). Logs are taken only for
    rows with enough history: counting the months with a change comes first."""
    jan = _january(lags)[now % 12]  # is the month of each column a January?
    # the month's own figure: 本月 for year-to-date flows (NaN without last month), else x
    own = x.copy()
    flow = acc[:, None] & ~jan
    np.subtract(x[:, 1:], x[:, :-1], out=own[:, 1:], where=flow[:, 1:])
    own[:, 0][flow[:, 0]] = np.nan
    positive = own > 0
    # month over month; a month whose own figure drops to zero counts as -100%
    lo = lags - settings.mom_window
    has_mom = positive[:, 1:] & positive[:, :-1] & ~jan[:, 1:]  # column c: mom of column c + 1
    before, current = own[:, lags - 1], own[:, lags]
    checked = ~jan[:, lags] & (before > 0) & ~np.isnan(current)
    enough = np.count_nonzero(has_mom[:, lo - 1 : lags - 1], axis=1) >= settings.min_history
    sel = np.flatnonzero(checked & enough)
    if len(sel):
        hist = _log_ratios(
            own[sel, lo:lags], own[sel, lo - 1 : lags - 1], has_mom[sel, lo - 1 : lags - 1]
        )
        centre = _log_ratios(own[sel, lags - 12], own[sel, lags - 13], has_mom[sel, lags - 13])
        low, high = _bounds(hist, centre, settings.k, settings.mom_min_factor)
        out[at[sel], 3] = (current[sel] / before[sel] - 1.0) * 100.0
        out[at[sel], 4], out[at[sel], 5] = _pcts(low), _pcts(high)
    # year over year, of the year-to-date figure or the level
    lo = lags - settings.yoy_window
    known = x > 0
    has_yoy = known[:, 12:] & known[:, :-12]  # column c: yoy of column c + 12
    enough = np.count_nonzero(has_yoy[:, lo - 12 : lags - 12], axis=1) >= settings.min_history
    sel = np.flatnonzero(has_yoy[:, lags - 12] & enough)
    if len(sel):
        hist = _log_ratios(
            x[sel, lo:lags], x[sel, lo - 12 : lags - 12], has_yoy[sel, lo - 12 : lags - 12]
        )
        change = np.log(x[sel, lags] / x[sel, lags - 12])
        nan = np.full(len(sel), np.nan)
        low, high = _bounds(hist, nan, settings.k, settings.yoy_min_factor)
        out[at[sel], 6] = _pcts(change)
        out[at[sel], 7], out[at[sel], 8] = _pcts(low), _pcts(high)


@functools.cache
def _january(lags: int) -> np.ndarray:
    """(12, lags + 1): for a row whose month is m (0 = January), is column c's month one?"""
    months = np.arange(12)[:, None] - lags + np.arange(lags + 1)[None, :]
    table: np.ndarray = months % 12 == 0
    return table


def _log_ratios(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> np.ndarray:
    """log(a / b) where ``where``, NaN elsewhere."""
    out = np.full(np.shape(a), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.divide(a, b, out=np.full(np.shape(a), np.nan), where=where)
        np.log(ratio, out=out, where=where)
    return out


def _nanmedian(h: np.ndarray) -> np.ndarray:
    """Median of each row's non-NaN values (as ``np.median`` of them; rows have at least one)."""
    s = np.sort(h, axis=1)  # NaN sort last
    count = np.count_nonzero(~np.isnan(h), axis=1)
    r = np.arange(len(h))
    median: np.ndarray = (s[r, (count - 1) // 2] + s[r, count // 2]) / 2.0
    return median


def _bounds(
    h: np.ndarray, center: np.ndarray, k: float, min_factor: float
) -> tuple[np.ndarray, np.ndarray]:
    """``robust_bounds`` of each row of ``h`` (NaN: no change that month) and its centre."""
    median = _nanmedian(h)
    sigma = MAD_TO_SIGMA * _nanmedian(np.abs(h - median[:, None]))
    mid = np.where(np.isnan(center), median, center)
    half = np.maximum(k * sigma, math.log(min_factor))
    return mid - half, mid + half


def _pcts(log_ratio: np.ndarray) -> np.ndarray:
    pct: np.ndarray = (np.exp(log_ratio) - 1.0) * 100.0
    return pct


class _OutlierConfig(Protocol):
    outlier_k: float
    outlier_min_history: int
    outlier_mom_min_factor: float
    outlier_yoy_min_factor: float


def outlier_settings(settings: _OutlierConfig) -> OutlierSettings:
    """The history bounds configured in ``jzplan.core.settings.Settings`` (JZPLAN_OUTLIER_*)."""
    return OutlierSettings(
        k=settings.outlier_k,
        min_history=settings.outlier_min_history,
        mom_min_factor=settings.outlier_mom_min_factor,
        yoy_min_factor=settings.outlier_yoy_min_factor,
    )
