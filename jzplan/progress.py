"""Where every target stands at the end of a month: actual to date vs linear pace (时间进度)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date

import pandas as pd

from jzplan.aggregate import Fact, FactKey
from jzplan.catalog import Catalog, convert
from jzplan.periods import Period
from jzplan.plan import Plan, Target, target_value_canonical

STATUS_LABELS: dict[str, str] = {
    "achieved": "已完成",
    "on_track": "正常",
    "at_risk": "预警",
    "behind": "滞后",
    "missed": "未完成",
    "overdue": "已逾期",
    "pending": "待报送",
    "no_data": "无数据",
}
# Statuses that raise an alert, and how loudly
ALERTING: dict[str, str] = {
    "at_risk": "warning",
    "behind": "critical",
    "missed": "critical",
    "overdue": "critical",
}

# Tolerance for float noise: 120 / 100 - 1 is not exactly 0.2
_EPS = 1e-9

PROGRESS_COLUMNS = [
    "target_id",
    "actual",
    "expected",
    "target_value",
    "unit",
    "completion_pct",
    "status",
    "provisional",
    "note",
]


@dataclass(frozen=True, slots=True)
class Thresholds:
    at_risk_ratio: float = 0.95  # actual/expected at or above this (but below 1) → 预警
    growth_at_risk_points: float = 3.0  # growth short of target by at most this → 预警


@dataclass(frozen=True, slots=True)
class TargetProgress:
    """One target at one month-end, all values in the indicator's canonical unit."""

    target_id: str
    actual: float | None
    expected: float | None
    target_value: float | None
    unit: str | None
    completion_pct: float | None
    status: str
    provisional: bool
    note: str | None = None


@dataclass(frozen=True, slots=True)
class History:
    """Facts of the evaluated month, the same month last year and last December."""

    now: Mapping[FactKey, Fact]
    same_month_last_year: Mapping[FactKey, Fact]
    last_december: Mapping[FactKey, Fact]


def _month_end(period: Period) -> date:
    nxt = period.next()
    return date.fromordinal(date(nxt.year, nxt.month, 1).toordinal() - 1)


def _pace_status(
    actual: float,
    expected: float,
    target: float,
    lower_is_better: bool,
    final: bool,
    th: Thresholds,
) -> str:
    if lower_is_better:
        if final:
            return "achieved" if actual <= target + _EPS else "missed"
        if actual <= expected + _EPS:
            return "on_track"
        return "at_risk" if expected > 0 and actual * th.at_risk_ratio <= expected else "behind"
    if actual >= target - _EPS:
        return "achieved"
    if final:
        return "missed"
    if actual >= expected - _EPS:
        return "on_track"
    return "at_risk" if actual >= expected * th.at_risk_ratio else "behind"


def _completion(actual: float | None, target: float | None) -> float | None:
    if actual is None or not target:
        return None
    return actual / target * 100


def evaluate_target(
    target: Target, catalog: Catalog, period: Period, history: History, th: Thresholds
) -> TargetProgress:
    """Evaluate one target; pure, so each kind is tested with hand-computed figures."""
    final = period.month == 12
    if target.kind in ("milestone", "qualitative") or target.indicator is None:
        overdue = target.deadline is not None and _month_end(period) > target.deadline
        status = "overdue" if target.kind == "milestone" and overdue else "pending"
        note = f"截止 {target.deadline.isoformat()}" if target.deadline else None
        return TargetProgress(target.id, None, None, None, None, None, status, False, note)

    ind = catalog.indicator(target.indicator)
    key = (target.scope, ind.code)
    fact = history.now.get(key)
    unit = ind.unit
    provisional = bool(fact and fact.provisional)
    actual = fact.value if fact else None

    if target.kind == "growth":
        assert target.value is not None
        g = target.value
        last = history.same_month_last_year.get(key)
        # The plan's own baseline first; else last December as stored.
        target_value = target_value_canonical(target, catalog)
        dec = history.last_december.get(key)
        if target_value is None and dec is not None:
            target_value = dec.value * (1 + g / 100)
        if actual is None or last is None or not last.value:
            return TargetProgress(
                target.id, actual, None, target_value, unit, None, "no_data", provisional,
                "缺少本期或去年同期数据",
            )  # fmt: skip
        growth = (actual / last.value - 1) * 100
        expected = last.value * (1 + g / 100)
        if growth >= g - _EPS:
            status = "achieved" if final else "on_track"
        elif final:
            status = "missed"
        else:
            status = "at_risk" if growth >= g - th.growth_at_risk_points else "behind"
        note = f"同比增长 {growth:.1f}%（目标 {g:g}%）"
        return TargetProgress(
            target.id, actual, expected, target_value, unit, _completion(actual, target_value),
            status, provisional, note,
        )  # fmt: skip

    # A ranking's value is a position (第N名), not a quantity to convert.
    target_value = (
        target.value if target.kind == "ranking" else target_value_canonical(target, catalog)
    )
    assert target_value is not None
    if actual is None:
        return TargetProgress(
            target.id, None, None, target_value, unit, None, "no_data", False, "本期无数据"
        )

    if target.kind == "ranking":
        status = "achieved" if actual <= target_value else ("missed" if final else "behind")
        if status == "achieved" and not final:
            status = "on_track"
        return TargetProgress(
            target.id, actual, target_value, target_value, unit, None, status, provisional
        )

    lower_is_better = target.comparison == "<="
    if ind.accumulates or ind.measure == "rate":
        # Year-to-date figures: on pace when a month-share of the annual target is done.
        expected = target_value * period.year_fraction
    else:
        dec = history.last_december.get(key)
        start = dec.value if dec else None
        if start is None and target.baseline is not None and target.unit is not None:
            start = convert(target.baseline, target.unit, unit)
        expected = (
            start + (target_value - start) * period.year_fraction
            if start is not None
            else target_value * period.year_fraction
        )
    status = _pace_status(actual, expected, target_value, lower_is_better, final, th)
    note = None
    if target.growth_pct is not None:
        note = f"目标同比增长 {target.growth_pct:g}%"
    return TargetProgress(
        target.id, actual, expected, target_value, unit, _completion(actual, target_value),
        status, provisional, note,
    )  # fmt: skip


def evaluate_targets(
    plan: Plan, catalog: Catalog, period: Period, history: History, th: Thresholds
) -> pd.DataFrame:
    """Every target of the plan at ``period``, as a frame with PROGRESS_COLUMNS."""
    rows = [asdict(evaluate_target(t, catalog, period, history, th)) for t in plan.targets]
    frame = pd.DataFrame(rows, columns=PROGRESS_COLUMNS)
    for col in ("actual", "expected", "target_value", "completion_pct"):
        frame[col] = frame[col].astype("float64")
    return frame
