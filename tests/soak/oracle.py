"""An independent recomputation of what the store should hold (the comparer: compare.py).

Deliberately simple and separate: plain pandas and Python over the figures the generator
knows it wrote (``tests.soak.generate.Intent``), the catalog and plan YAML files read with
``yaml.safe_load`` and the status CSVs read with ``pandas.read_csv``. No jzplan import: the
rules are re-derived here from docs/tracking-and-alerts.md (and read, not imported, from
jzplan/track/aggregate.py and jzplan/track/progress.py).

What it reimplements, and compares exactly (floats to 1e-9 relative):

- **current figures**: every unit-month's current accepted file (the later 填报日期 wins);
- **the catalog over time**: units and indicators exist from ``valid_from`` to ``valid_to``
  (docs/catalog-changes.md); a month's reporting units and their forms are those valid in it;
- **area totals**: ``sum`` indicators (the catalog's default) over the units valid in the
  month whose form has the indicator, with n of N (a row whenever some form has it, value
  NULL when none reported);
  ``weighted_mean`` (Σ value·weight / Σ weight over the units with both); ``recompute``
  rates from the area's component totals (n = min, N = max of the components'), and each
  unit's own rate from its own figures; ``none``: no total;
- **the comparable base (可比口径)** (``oracle_catalog.rebase``): last year's figures as this
  year's units make them up, for growth, last December and the seasonal profile: a unit split
  off takes its
  ``base_share`` of the parent's sums and the parent's per-head figures, the parent keeps the
  rest of its sums; a merged unit sums its predecessors' (and its own, when it existed),
  per-head figures weighted by their weight; rates recomputed from the re-based parts; the
  area total as stored (every change here is inside the area);
- **every target, every month of the plan year**: actual, target value, completion %,
  provisional, linear and seasonal pace (``expected``, ``expected_seasonal``), the point
  forecast of level targets, status and pace model. Levels, counts (floored paces), ceilings
  and ratios: seasonal pace when last year's profile has this month and December (stocks also
  the December before, which the soak never feeds, so stocks pace linearly), else linear;
  statuses 已完成/正常/预警 (≥ 0.95 of pace)/滞后, December 已完成/未完成, and the hysteresis
  (a target leaving 滞后/预警 must also clear the boundary with its actual moved 3% against it;
  growth: 1 point). Growth: this month over the same month last year against the target rate,
  预警 within 3 points. Rankings: the latest published place of the year (排名.csv), 预警
  within 2 places. Milestones and qualitative targets: the latest 重点工作进展.csv row of the
  year, 已逾期 past the deadline, qualitative 未完成 in December when reported but not done;
- **open alerts**: each target's alert of the last evaluated month (预警, 滞后, 未完成,
  已逾期; none before February), and every unit-month's 未报 (``missing``) and 退回待改
  (``rejected``) alert with the batch that resolved it (or still open).

Compared loosely, and why: ``forecast_low``/``forecast_high`` (the band widened to the other
model's projection: a second forecast for little extra assurance), ``required_monthly`` and
the ``note`` texts (wording, not figures) are not compared. Validation-warning alerts are not
recomputed; held-row alerts (有待确认) are compared with none: the soak's one held row is in a
file that a later-filed correction supersedes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from tests.soak.oracle_catalog import Reference, convert, formula, names, rebase

EPS = 1e-9
AT_RISK_RATIO = 0.95
GROWTH_AT_RISK_POINTS = 3.0
RANKING_AT_RISK_PLACES = 2
HYSTERESIS = 0.03
ALERT_FROM_MONTH = 2
ALERTING = ("at_risk", "behind", "missed", "overdue")
REPORTED = {
    "已完成": "done",
    "正常推进": "on_track",
    "进度偏慢": "slow",
    "滞后": "behind",
    "未启动": "not_started",
}
PROGRESS_COMPARED = [
    "actual", "expected", "target_value", "completion_pct", "expected_seasonal", "forecast",
    "status", "provisional", "pace_model",
]  # fmt: skip


# --- totals ----------------------------------------------------------------------------------


def aggregates(ref: Reference, figures: pd.DataFrame, period: str) -> pd.DataFrame:
    """One period's totals: (unit, indicator) → value, n_reported, n_expected."""
    own = {(u, i): v for u, i, v in figures[["unit", "indicator", "value"]].itertuples(False)}
    rows: dict[tuple[str, str], tuple[float, int, int]] = {}
    forms = ref.forms_in(period)
    for code, ind in ref.indicators.items():
        how = ind.get("aggregation", "sum")
        on_form = [u for u, form in forms.items() if code in form]
        if not on_form or how in ("none", "recompute"):
            continue
        have = [u for u in on_form if (u, code) in own]
        if how == "sum":
            value = sum(own[(u, code)] for u in have) if have else math.nan
            rows[(ref.area, code)] = (value, len(have), len(on_form))
        elif how == "weighted_mean":
            both = [u for u in have if (u, ind["weight"]) in own]
            weights = sum(own[(u, ind["weight"])] for u in both)
            num = sum(own[(u, code)] * own[(u, ind["weight"])] for u in both)
            rows[(ref.area, code)] = (
                num / weights if weights else math.nan,
                len(both),
                len(on_form),
            )
    for code, ind in ref.indicators.items():
        if ind.get("aggregation") != "recompute":
            continue
        parts = [c for c in names(ind) if c in ref.indicators]
        if all((ref.area, p) in rows for p in parts):
            got = [rows[(ref.area, p)] for p in parts]
            values = {p: g[0] for p, g in zip(parts, got, strict=True)}
            known = not any(math.isnan(v) for v in values.values())
            value = formula(ind["formula"], values) if known else math.nan
            rows[(ref.area, code)] = (value, min(g[1] for g in got), max(g[2] for g in got))
        for unit in forms:
            if all((unit, p) in own for p in parts):
                value = formula(ind["formula"], {p: own[(unit, p)] for p in parts})
                rows[(unit, code)] = (value, 1, 1)
    return pd.DataFrame(
        [(u, i, v, n, big) for (u, i), (v, n, big) in rows.items()],
        columns=["unit", "indicator", "value", "n_reported", "n_expected"],
    )


@dataclass
class Fact:
    value: float
    provisional: bool = False


def facts(figures: pd.DataFrame, totals: pd.DataFrame) -> dict[tuple[str, str], Fact]:
    out = {(u, i): Fact(v) for u, i, v in figures[["unit", "indicator", "value"]].itertuples(False)}
    for u, i, v, n, big in totals.itertuples(index=False):
        if not math.isnan(v):
            out[(u, i)] = Fact(v, n < big)
    return out


# --- targets ---------------------------------------------------------------------------------

_RANK = {"on_track": 0, "at_risk": 1, "behind": 2}


def _pace_status(actual: float, expected: float, target: float, lower: bool, final: bool) -> str:
    if lower:
        if final:
            return "achieved" if actual <= target + EPS else "missed"
        if actual <= expected + EPS:
            return "on_track"
        return "at_risk" if expected > 0 and actual * AT_RISK_RATIO <= expected else "behind"
    if actual >= target - EPS:
        return "achieved"
    if final:
        return "missed"
    if actual >= expected - EPS:
        return "on_track"
    return "at_risk" if actual >= expected * AT_RISK_RATIO else "behind"


def _sticky(raw: str, shifted: str, previous: str | None) -> str:
    if previous not in _RANK or raw not in _RANK or _RANK[previous] <= _RANK[raw]:
        return raw
    held = min(_RANK[previous], _RANK.get(shifted, 0))
    return raw if held <= _RANK[raw] else next(k for k, v in _RANK.items() if v == held)


def _month_end(year: int, month: int) -> date:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


@dataclass
class MonthInput:
    year: int
    month: int
    now: dict[tuple[str, str], Fact]
    profile: dict[tuple[str, str], dict[int, float]]  # last year's month-ends (0 = Dec Y-2)
    reports: dict[str, str] = field(default_factory=dict)  # target → reported status code
    rankings: dict[str, float] = field(default_factory=dict)  # indicator → latest place
    previous: dict[str, str] = field(default_factory=dict)


def _row(t: dict[str, Any], **values: Any) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(PROGRESS_COMPARED)
    out.update({"target_id": t["id"], "provisional": False, **values})
    return out


def _as_of(t: dict[str, Any], year: int, month: int) -> dict[str, Any]:
    """The target as tracked in ``year-month``: its latest revision (调整目标) whose
    ``revised_on`` month has come, else the original."""
    value = t.get("value")
    for r in sorted(t.get("revisions") or [], key=lambda r: str(r["revised_on"])):
        on = date.fromisoformat(str(r["revised_on"]))
        if (on.year, on.month) <= (year, month):
            value = r["value"]
    return {**t, "value": value}


def evaluate(t: dict[str, Any], ref: Reference, m: MonthInput) -> dict[str, Any]:
    t = _as_of(t, m.year, m.month)
    kind, code = t["kind"], t.get("indicator")
    final = m.month == 12
    if kind in ("milestone", "qualitative") or code is None:
        reported = m.reports.get(t["id"])
        deadline = t.get("deadline")
        due = deadline is not None and deadline <= _month_end(m.year, m.month)
        if reported == "done":
            status = "achieved"
        elif kind == "milestone" and due:
            status = "overdue"
        elif final and kind == "qualitative":
            status = "missed" if reported is not None else "pending"
        elif reported in (None, "not_started"):
            status = "pending"
        else:
            status = {"on_track": "on_track", "slow": "at_risk", "behind": "behind"}[reported]
        return _row(t, status=status, pace_model="report" if reported is not None else None)
    ind = ref.indicators[code]
    key = (t["scope"], code)
    from_zero = ind["measure"] in ("flow", "per_capita", "rate")
    profile = m.profile.get(key, {})
    dec = profile.get(12)
    if kind == "growth":
        return _growth(t, ind, m, key, from_zero, profile, dec, final)
    if kind == "ranking":
        tv = float(t["value"])
        actual = m.rankings.get(code)
        if actual is None:
            return _row(t, target_value=tv, status="no_data")
        if actual <= tv:
            status = "achieved" if final else "on_track"
        elif final:
            status = "missed"
        else:
            status = "at_risk" if actual <= tv + RANKING_AT_RISK_PLACES else "behind"
        return _row(t, actual=actual, expected=tv, target_value=tv, expected_seasonal=tv,
                    forecast=actual, status=status, pace_model="report")  # fmt: skip
    tv = convert(float(t["value"]), t["unit"], ind["unit"])
    fact = m.now.get(key)
    if fact is None:
        return _row(t, target_value=tv, status="no_data")
    if from_zero:
        start = 0.0
        share = None
        if 12 in profile and m.month in profile and profile[12] > 0 and profile[m.month] >= 0:
            share = min(max(profile[m.month] / profile[12], 0.0), 1.0)
    else:
        base = t.get("baseline")
        start = (
            dec
            if dec is not None
            else (convert(base, t["unit"], ind["unit"]) if base is not None else 0.0)
        )
        share = None
        if {0, 12, m.month} <= profile.keys() and profile[12] != profile[0]:
            raw = (profile[m.month] - profile[0]) / (profile[12] - profile[0])
            share = min(max(raw, 0.0), 1.0)
    linear = start + (tv - start) * m.month / 12
    seasonal = start + (tv - start) * share if share is not None else None
    if kind == "count":
        linear = math.floor(linear + EPS)
        seasonal = math.floor(seasonal + EPS) if seasonal is not None else None
    expected = seasonal if seasonal is not None else linear
    lower = t.get("comparison", "<=" if kind == "ceiling" else ">=") == "<="
    actual = fact.value
    status = _pace_status(actual, expected, tv, lower, final)
    if status in _RANK and expected:
        shifted = actual * (1 + HYSTERESIS) if lower else actual * (1 - HYSTERESIS)
        status = _sticky(status, _pace_status(shifted, expected, tv, lower, final),
                         m.previous.get(t["id"]))  # fmt: skip
    used = share if seasonal is not None else m.month / 12
    forecast = start + (actual - start) / used if used and used > 0 else None
    return _row(t, actual=actual, expected=linear, target_value=tv,
                completion_pct=actual / tv * 100 if tv else None, expected_seasonal=seasonal,
                forecast=forecast, status=status, provisional=fact.provisional,
                pace_model="seasonal" if seasonal is not None else "linear")  # fmt: skip


def _growth(t: dict[str, Any], ind: dict[str, Any], m: MonthInput, key: tuple[str, str],
            from_zero: bool, profile: dict[int, float], dec: float | None,
            final: bool) -> dict[str, Any]:  # fmt: skip
    g = float(t["value"])
    fact = m.now.get(key)
    last = profile.get(m.month)
    if t.get("baseline") is not None:
        tv: float | None = float(t["baseline"]) * (1 + g / 100)
    else:
        tv = dec * (1 + g / 100) if dec is not None else None
    linear = None
    if tv is not None:
        start = dec if dec is not None and not from_zero else 0.0
        linear = start + (tv - start) * m.month / 12
    provisional = bool(fact and fact.provisional)
    if fact is None or last is None or not last:
        return _row(t, actual=fact.value if fact else None, target_value=tv, status="no_data",
                    provisional=provisional)  # fmt: skip
    growth = (fact.value / last - 1) * 100
    if final:
        status = "achieved" if growth >= g - EPS else "missed"
    else:

        def grade(shift: float) -> str:
            if growth - shift >= g - EPS:
                return "on_track"
            return "at_risk" if growth - shift >= g - GROWTH_AT_RISK_POINTS else "behind"

        status = _sticky(grade(0.0), grade(HYSTERESIS * 100 / 3), m.previous.get(t["id"]))
    forecast = dec * fact.value / last if dec else None  # last December at this year's rate
    return _row(t, actual=fact.value, expected=linear, target_value=tv,
                completion_pct=fact.value / tv * 100 if tv else None,
                expected_seasonal=last * (1 + g / 100), forecast=forecast, status=status,
                provisional=provisional, pace_model="yoy")  # fmt: skip


# --- the comparable base ----------------------------------------------------------------------


def _profile(ref: Reference, fact_of: dict[str, dict[tuple[str, str], Fact]], year: int,
             now: str) -> dict[tuple[str, str], dict[int, float]]:  # fmt: skip
    """Last year's month-ends (0: the December before) on the comparable base of ``now``."""
    profile: dict[tuple[str, str], dict[int, float]] = {}
    for month, then in [(0, f"{year - 2}-12")] + [(k, f"{year - 1}-{k:02d}") for k in range(1, 13)]:
        values = {k: f.value for k, f in fact_of.get(then, {}).items()}
        for key, value in rebase(ref, values, then, now).items():
            profile.setdefault(key, {})[month] = value
    return profile


# --- the year --------------------------------------------------------------------------------


@dataclass
class Expected:
    figures: pd.DataFrame  # unit, indicator, period, value
    totals: pd.DataFrame  # unit, indicator, period, value, n_reported, n_expected
    progress: pd.DataFrame  # period, target_id, PROGRESS_COMPARED
    alerts: pd.DataFrame  # dedup_key, resolved (None: open)


def _status_files(
    inbox: Path, folders: list[str], ref: Reference
) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, float]]]:
    reports: dict[str, dict[str, str]] = {}
    ranks: dict[str, dict[str, float]] = {}
    names = {i["name"]: c for c, i in ref.indicators.items()}
    for folder in folders:
        path = inbox / folder / "重点工作进展.csv"
        if path.exists():
            frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
            reports[folder] = dict(
                zip(frame["目标编号"], frame["进展状态"].map(REPORTED), strict=True)
            )
        path = inbox / folder / "排名.csv"
        if path.exists():
            frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
            ranks[folder] = {
                names[n]: float(r) for n, r in zip(frame["排名指标"], frame["位次"], strict=True)
            }
    return reports, ranks


def recompute(ref: Reference, figures: pd.DataFrame, arrivals: pd.DataFrame, folders: list[str],
              year: int, inbox: Path) -> Expected:  # fmt: skip
    """Everything the store should hold once every folder in ``folders`` has run."""
    by_period = {p: f for p, f in figures.groupby("period")}
    empty = figures.iloc[0:0]
    totals = []
    fact_of: dict[str, dict[tuple[str, str], Fact]] = {}
    for period in folders:
        own = by_period.get(period, empty)
        agg = aggregates(ref, own, period)
        totals.append(agg.assign(period=period))
        fact_of[period] = facts(own, agg)
    reports_by, ranks_by = _status_files(inbox, folders, ref)
    progress: list[dict[str, Any]] = []
    previous: dict[str, str] = {}
    reports: dict[str, str] = {}
    ranks: dict[str, float] = {}
    last_month = 0
    for period in folders:
        y, month = int(period[:4]), int(period[5:])
        if y != year:
            continue
        reports.update({k: v for k, v in reports_by.get(period, {}).items() if isinstance(v, str)})
        ranks.update(ranks_by.get(period, {}))
        now = dict(fact_of[period])
        profile = _profile(ref, fact_of, year, period)
        m = MonthInput(
            year, month, now, profile, dict(reports), dict(ranks), previous if month > 1 else {}
        )
        rows = [evaluate(t, ref, m) for t in ref.targets]
        for r in rows:
            r["period"] = period
        progress += rows
        previous = {r["target_id"]: r["status"] for r in rows}
        last_month = month
    alerts = _alerts(ref, progress, arrivals, folders, year, last_month)
    return Expected(
        figures,
        pd.concat(totals, ignore_index=True),
        pd.DataFrame(progress),
        alerts,
    )


def _alerts(ref: Reference, progress: list[dict[str, Any]], arrivals: pd.DataFrame,
            folders: list[str], year: int, last_month: int) -> pd.DataFrame:  # fmt: skip
    """Open target alerts (last seen in the last month), and every 未报 / 退回待改 unit-month:
    first and last seen in its own month's run, resolved by the batch its form came with."""
    rows: list[tuple[str, str | None, str | None, str | None]] = []
    if last_month >= ALERT_FROM_MONTH:
        last = f"{year}-{last_month:02d}"
        for r in progress:
            if r["period"] == last and r["status"] in ALERTING:
                rows.append((f"target:{r['target_id']}:{r['status']}", None, last, None))
    order = {f: k for k, f in enumerate(folders)}
    for period in folders:
        for unit in ref.forms_in(period):
            mine = arrivals[(arrivals.unit == unit) & (arrivals.period == period)]
            accepted = mine[mine.outcome == "accepted"]
            came = sorted(order[f] for f in accepted.folder)
            on_time = came and came[0] <= order[period]
            if on_time:
                continue
            rejected = mine[(mine.outcome == "rejected") & (mine.folder == period)]
            family = "rejected" if len(rejected) else "missing"
            resolved = folders[came[0]] if came else None
            rows.append((f"{family}:{unit}:{period}", period, period, resolved))
    return pd.DataFrame(rows, columns=["dedup_key", "first_seen", "last_seen", "resolved"])
