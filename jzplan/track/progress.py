"""Where every target stands at the end of a month, where it should stand under two pacing
models (linear 时间进度 and seasonal: last year's own monthly profile), where it will end (a
year-end forecast with a range) and what is still needed per month (剩余月均需完成)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date

import pandas as pd

from jzplan.core.periods import Period
from jzplan.core.states import ReportedStatus, TargetStatus
from jzplan.ingest.status_files import REPORT_LABELS, StatusReport
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan, Target, target_baseline_canonical, target_value_canonical
from jzplan.reference.plan_revisions import target_at
from jzplan.track.aggregate import Fact, FactKey
from jzplan.track.hysteresis import boundary, held_note, in_deadband, sticky

# Tolerance for float noise: 120 / 100 - 1 is not exactly 0.2
_EPS = 1e-9

FLOAT_COLUMNS = (
    "actual", "expected", "target_value", "completion_pct", "expected_seasonal", "forecast",
    "forecast_low", "forecast_high", "required_monthly",
)  # fmt: skip

Profile = Mapping[int, float]  # month (1-12; 0 = the December before) → month-end value


def status_label(status: object, default: str | None = None) -> str:
    """The Chinese word of a status as stored or evaluated; ``default`` (else the value as
    text) for one that is not a status."""
    try:
        return TargetStatus(str(status)).label
    except ValueError:
        return str(status) if default is None else default


@dataclass(frozen=True, slots=True)
class Thresholds:
    at_risk_ratio: float = 0.95  # actual/expected at or above this (but below 1) → 预警
    growth_at_risk_points: float = 3.0  # growth short of target by at most this → 预警
    pace_model: str = "seasonal"  # which expected-to-date sets the status (linear fallback)
    ranking_at_risk_places: int = 2  # at most this many places worse than the target → 预警
    forecast_band: float = 0.15  # forecast range ± band × share of the year still to come
    # Deadband: a target leaves 滞后/预警 for a better status only when it clears the boundary
    # by this share of pace (growth: hysteresis × 100 / 3 points), so noise does not flap
    hysteresis: float = 0.03
    # 1-2月 are judged together (the Spring Festival): no target alerts before this month
    alert_from_month: int = 2


@dataclass(frozen=True, slots=True)
class TargetProgress:
    """One target at one month-end, all values in the indicator's canonical unit.

    ``expected`` is the linear pace, ``expected_seasonal`` the seasonal one; ``pace_model``
    says what set the status (linear, seasonal, yoy for growth against the same period last
    year, report for a status reported by the responsible office).
    """

    target_id: str
    actual: float | None
    expected: float | None
    target_value: float | None
    unit: str | None
    completion_pct: float | None
    status: TargetStatus
    provisional: bool
    note: str | None = None
    expected_seasonal: float | None = None
    forecast: float | None = None
    forecast_low: float | None = None
    forecast_high: float | None = None
    required_monthly: float | None = None
    pace_model: str | None = None


PROGRESS_COLUMNS = [f.name for f in fields(TargetProgress)]


@dataclass(frozen=True, slots=True)
class History:
    """Facts of the evaluated month, the same month last year and last December; last year's
    month-end values per fact (the seasonal profile); the latest status report per target."""

    now: Mapping[FactKey, Fact]
    same_month_last_year: Mapping[FactKey, Fact]
    last_december: Mapping[FactKey, Fact]
    last_year: Mapping[FactKey, Profile] = field(default_factory=dict)
    reports: Mapping[str, StatusReport] = field(default_factory=dict)
    previous: Mapping[str, str] = field(default_factory=dict)  # last month's status per target
    # facts whose last-year figures are on a comparable base (可比口径), with the note saying how
    comparable: Mapping[FactKey, str] = field(default_factory=dict)


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
) -> TargetStatus:
    if lower_is_better:
        if final:
            return TargetStatus.ACHIEVED if actual <= target + _EPS else TargetStatus.MISSED
        if actual <= expected + _EPS:
            return TargetStatus.ON_TRACK
        near = expected > 0 and actual * th.at_risk_ratio <= expected
        return TargetStatus.AT_RISK if near else TargetStatus.BEHIND
    if actual >= target - _EPS:
        return TargetStatus.ACHIEVED
    if final:
        return TargetStatus.MISSED
    if actual >= expected - _EPS:
        return TargetStatus.ON_TRACK
    return TargetStatus.AT_RISK if actual >= expected * th.at_risk_ratio else TargetStatus.BEHIND


def _completion(actual: float | None, target: float | None) -> float | None:
    if actual is None or not target:
        return None
    return actual / target * 100


def seasonal_share(profile: Profile | None, month: int, *, stock: bool = False) -> float | None:
    """Share of last year's annual result (flows: YTD; stocks: change since the December
    before) reached by the end of ``month``; None without a usable profile."""
    if not profile or month not in profile or 12 not in profile:
        return None
    if stock:
        if 0 not in profile or profile[12] == profile[0]:
            return None
        share = (profile[month] - profile[0]) / (profile[12] - profile[0])
    else:
        if profile[12] <= 0 or profile[month] < 0:
            return None
        share = profile[month] / profile[12]
    return min(max(share, 0.0), 1.0)


def forecast_range(
    point: float, share: float, band: float, other: float | None = None
) -> tuple[float, float]:
    """± ``band`` × (1 - share) around ``point``, widened to include the other model's
    projection: the range closes as the year runs out and is a single value in December."""
    width = abs(point) * band * (1 - share)
    low, high = point - width, point + width
    if other is not None and share < 1:
        low, high = min(low, other), max(high, other)
    return low, high


def required_monthly(
    actual: float, target: float, month: int, lower_is_better: bool
) -> float | None:
    """剩余月均需完成: what each remaining month must add to reach the target (ceilings: the
    most each month may add); None in December."""
    if month >= 12:
        return None
    left = target - actual
    if not lower_is_better:
        left = max(left, 0.0)
    return left / (12 - month)


def _report_status(target: Target, period: Period, report: StatusReport | None) -> TargetProgress:
    """Milestones and qualitative targets: the office's latest report, and the deadline."""
    final = period.month == 12
    due = target.deadline is not None and target.deadline <= _month_end(period)
    parts: list[str] = []
    if target.deadline is not None:
        parts.append(f"截止 {target.deadline.isoformat()}")
    if report is not None:
        when = f"（{report.period}）" if report.period != str(period) else ""
        parts.append(f"{REPORT_LABELS[report.status]}{when}：{report.evidence or '—'}")
    code = report.status if report is not None else None
    if code == ReportedStatus.DONE:
        status = TargetStatus.ACHIEVED
    elif target.kind == "milestone" and due:
        status = TargetStatus.OVERDUE
    elif final and target.kind == "qualitative":
        status = TargetStatus.MISSED if code is not None else TargetStatus.PENDING
    elif code is None or code == ReportedStatus.NOT_STARTED:
        status = TargetStatus.PENDING
    else:
        status = {
            ReportedStatus.ON_TRACK: TargetStatus.ON_TRACK,
            ReportedStatus.SLOW: TargetStatus.AT_RISK,
            ReportedStatus.BEHIND: TargetStatus.BEHIND,
        }[ReportedStatus(code)]
    return TargetProgress(
        target.id, None, None, None, None, None, status, False, "；".join(parts) or None,
        pace_model="report" if report is not None else None,
    )  # fmt: skip


def _level_pace(
    target: Target, catalog: Catalog, history: History, month: int
) -> tuple[float, float, float | None, float | None]:
    """A level-type target's starting level, linear and seasonal expected values at the end of
    ``month``, and the seasonal share of the year done (None without last year's profile)."""
    assert target.indicator is not None
    ind = catalog.indicator(target.indicator)
    key = (target.scope, ind.code)
    target_value = target_value_canonical(target, catalog)
    assert target_value is not None
    profile = history.last_year.get(key)
    if ind.paced_from_zero:
        # Year-to-date figures: on pace when a month-share of the annual target is done.
        start = 0.0
        share = seasonal_share(profile, month)
    else:
        dec = history.last_december.get(key)
        start_or_none = dec.value if dec else target_baseline_canonical(target, catalog)
        start = start_or_none if start_or_none is not None else 0.0
        share = seasonal_share(profile, month, stock=True)
    linear = start + (target_value - start) * month / 12
    seasonal = start + (target_value - start) * share if share is not None else None
    if target.kind == "count":
        # Whole things (projects, schools): by June half of 5 clinics means 2, not 2.5
        linear = math.floor(linear + _EPS)
        seasonal = math.floor(seasonal + _EPS) if seasonal is not None else None
    return start, linear, seasonal, share


@dataclass(frozen=True, slots=True)
class PacePoint:
    """Where a target should stand at the end of ``month``: linear and seasonal pace, in the
    indicator's canonical unit (seasonal None without last year's profile)."""

    month: int
    linear: float | None
    seasonal: float | None


PACED_KINDS = ("level", "count", "ceiling", "ratio", "growth")


def pace_curve(target: Target, catalog: Catalog, history: History) -> list[PacePoint]:
    """Both pacing curves of a target through its year (months 1-12), as ``evaluate_target``
    sets ``expected`` and ``expected_seasonal`` month by month (a revised value from its
    month on); empty for kinds not paced and for a draft's target without a value."""
    if target.kind not in PACED_KINDS or target.indicator is None or target.value is None:
        return []
    points = []
    for month in range(1, 13):
        t = target_at(target, Period(target.year, month))
        if t.kind == "growth":
            points.append(PacePoint(month, *_growth_pace(t, catalog, history, month)[1:]))
        else:
            _, linear, seasonal, _ = _level_pace(t, catalog, history, month)
            points.append(PacePoint(month, linear, seasonal))
    return points


def _growth_pace(
    target: Target, catalog: Catalog, history: History, month: int
) -> tuple[float | None, float | None, float | None]:
    """A growth target's implied year-end level (the plan's baseline grown, else last December
    grown), its linear pace and the same period last year grown at the target rate."""
    assert target.value is not None and target.indicator is not None
    ind = catalog.indicator(target.indicator)
    key = (target.scope, ind.code)
    dec = history.last_december.get(key)
    last = history.last_year.get(key, {}).get(month)
    target_value = target_value_canonical(target, catalog)
    if target_value is None and dec is not None:
        target_value = dec.value * (1 + target.value / 100)
    linear = None
    if target_value is not None:
        start = dec.value if dec is not None and not ind.paced_from_zero else 0.0
        linear = start + (target_value - start) * month / 12
    same_period = last * (1 + target.value / 100) if last is not None else None
    return target_value, linear, same_period


def evaluate_target(
    target: Target, catalog: Catalog, period: Period, history: History, th: Thresholds
) -> TargetProgress:
    """Evaluate one target; pure, so each kind is tested with hand-computed figures."""
    if target.kind in ("milestone", "qualitative") or target.indicator is None:
        return _report_status(target, period, history.reports.get(target.id))
    if target.value is None:  # a draft's 待填写: nothing to track against
        unit = catalog.indicator(target.indicator).unit
        return TargetProgress(
            target.id, None, None, None, unit, None, TargetStatus.UNSET, False, "目标值待填写"
        )
    if target.kind == "growth":
        return _growth_progress(target, catalog, period, history, th)
    # A ranking's value is a position (第N名), not a quantity to convert.
    target_value = (
        target.value if target.kind == "ranking" else target_value_canonical(target, catalog)
    )
    assert target_value is not None
    ind = catalog.indicator(target.indicator)
    fact = history.now.get((target.scope, ind.code))
    if fact is None:
        return TargetProgress(
            target.id, None, None, target_value, ind.unit, None, TargetStatus.NO_DATA, False,
            "本期无数据",
        )  # fmt: skip
    if target.kind == "ranking":
        return _ranking_progress(target, fact, target_value, ind.unit, period, th)
    return _level_progress(target, catalog, period, history, th, fact, target_value)


def _growth_progress(
    target: Target, catalog: Catalog, period: Period, history: History, th: Thresholds
) -> TargetProgress:
    """A growth target: this month against the same month last year, at the target rate."""
    assert target.value is not None and target.indicator is not None
    final = period.month == 12
    ind = catalog.indicator(target.indicator)
    key = (target.scope, ind.code)
    fact = history.now.get(key)
    provisional = bool(fact and fact.provisional)
    actual = fact.value if fact else None
    accumulates = ind.paced_from_zero
    dec = history.last_december.get(key)
    g = target.value
    last = history.same_month_last_year.get(key)
    # The plan's own baseline first; else last December as stored.
    target_value, linear, _ = _growth_pace(target, catalog, history, period.month)
    if actual is None or last is None or not last.value:
        return TargetProgress(
            target.id, actual, None, target_value, ind.unit, None, TargetStatus.NO_DATA,
            provisional, "缺少本期或去年同期数据",
        )  # fmt: skip
    growth = (actual / last.value - 1) * 100
    same_period = last.value * (1 + g / 100)
    held: str | None = None
    if final:
        status = TargetStatus.ACHIEVED if growth >= g - _EPS else TargetStatus.MISSED
    else:
        points = th.hysteresis * 100 / 3

        def grade(shift: float) -> TargetStatus:
            if growth - shift >= g - _EPS:
                return TargetStatus.ON_TRACK
            near = growth - shift >= g - th.growth_at_risk_points
            return TargetStatus.AT_RISK if near else TargetStatus.BEHIND

        raw, previous = grade(0.0), history.previous.get(target.id)
        status = sticky(raw, grade(points), previous)
        held = held_note(
            status, raw, previous, f"增速需高出{boundary(raw, '目标增速')}{points:g}个百分点"
        )
    forecast: float | None = None
    low: float | None = None
    high: float | None = None
    if dec is not None and dec.value:
        # last year's December grown at this year's rate so far
        forecast = dec.value * actual / last.value
        done = min(max(last.value / dec.value, 0.0), 1.0) if accumulates else period.year_fraction
        low, high = forecast_range(forecast, done, th.forecast_band)
    note = f"同比增长 {growth:.1f}%（目标 {g:g}%）"
    if forecast is not None and dec is not None and not final:
        note += f"，预计全年增长 {(forecast / dec.value - 1) * 100:.1f}%"
    if key in history.comparable:
        note += f"；{history.comparable[key]}"
    if held:
        note += f"；{held}"
    needed = (
        required_monthly(actual, target_value, period.month, False)
        if target_value is not None and accumulates
        else None
    )
    return TargetProgress(
        target.id, actual, linear, target_value, ind.unit, _completion(actual, target_value),
        status, provisional, note, same_period, forecast, low, high, needed, "yoy",
    )  # fmt: skip


def _ranking_progress(
    target: Target,
    fact: Fact,
    target_value: float,
    unit: str | None,
    period: Period,
    th: Thresholds,
) -> TargetProgress:
    """A ranking target: the latest position against the place the plan asks for."""
    actual = fact.value
    final = period.month == 12
    if actual <= target_value:
        status = TargetStatus.ACHIEVED if final else TargetStatus.ON_TRACK
    elif final:
        status = TargetStatus.MISSED
    else:
        near = actual <= target_value + th.ranking_at_risk_places
        status = TargetStatus.AT_RISK if near else TargetStatus.BEHIND
    return TargetProgress(
        target.id, actual, target_value, target_value, unit, None, status, fact.provisional,
        f"最新位次 第{actual:g}位（目标 前{target_value:g}位）", target_value, actual,
        actual, actual, None, "report",
    )  # fmt: skip


def _level_growth_note(target: Target, now: Fact, last: Fact | None) -> str | None:
    """A level stated with a growth (“10.4亿元，增长12%”) is judged against the level; the
    note gives the growth beside it, so a level reached at a lower growth reads as such (the
    stated growth alone without last year's figure)."""
    if target.growth_pct is None:
        return None
    g = target.growth_pct
    if last is None or last.value <= 0:
        return f"目标同比增长 {g:g}%"
    return f"同比增长 {(now.value / last.value - 1) * 100:.1f}%（目标 {g:g}%）"


def _level_progress(
    target: Target,
    catalog: Catalog,
    period: Period,
    history: History,
    th: Thresholds,
    fact: Fact,
    target_value: float,
) -> TargetProgress:
    """A level, count, ceiling or ratio target: paced linearly or seasonally, with a
    year-end forecast and what each remaining month must add."""
    assert target.indicator is not None
    actual, final, f = fact.value, period.month == 12, period.year_fraction
    lower_is_better = target.comparison == "<="
    start, linear, seasonal, share = _level_pace(target, catalog, history, period.month)
    key = (target.scope, target.indicator)
    use_seasonal = th.pace_model == "seasonal" and seasonal is not None
    expected = seasonal if use_seasonal and seasonal is not None else linear
    status = raw = _pace_status(actual, expected, target_value, lower_is_better, final, th)
    held = None
    if in_deadband(status) and expected:
        # the same evaluation with the target's progress shifted against it by the deadband
        shifted = actual * (1 + th.hysteresis) if lower_is_better else actual * (1 - th.hysteresis)
        previous = history.previous.get(target.id)
        status = sticky(
            raw, _pace_status(shifted, expected, target_value, lower_is_better, final, th), previous
        )
        way = "低于" if lower_is_better else "高出"
        margin = f"{th.hysteresis * 100:g}%"
        held = held_note(status, raw, previous, f"累计需{way}{boundary(raw, '进度')}{margin}")

    used = share if use_seasonal and share is not None else f
    forecast = low = high = None
    if used > 0:
        forecast = start + (actual - start) / used
        other_share = f if use_seasonal else share
        other = start + (actual - start) / other_share if other_share else None
        low, high = forecast_range(forecast, used, th.forecast_band, other)
    level_note = _level_growth_note(target, fact, history.same_month_last_year.get(key))
    based = history.comparable.get(key)
    if based is not None and (use_seasonal or not catalog.indicator(target.indicator).accumulates):
        level_note = based if level_note is None else f"{level_note}；{based}"
    if held:
        level_note = f"{level_note}；{held}" if level_note else held
    return TargetProgress(
        target.id, actual, linear, target_value, catalog.indicator(target.indicator).unit,
        _completion(actual, target_value), status, fact.provisional, level_note, seasonal,
        forecast, low, high, required_monthly(actual, target_value, period.month, lower_is_better),
        "seasonal" if use_seasonal else "linear",
    )  # fmt: skip


def evaluate_targets(
    plan: Plan, catalog: Catalog, period: Period, history: History, th: Thresholds
) -> pd.DataFrame:
    """Every target of the plan at ``period`` (revised values from their month on), as a
    frame with PROGRESS_COLUMNS."""
    rows = [
        asdict(evaluate_target(target_at(t, period), catalog, period, history, th))
        for t in plan.targets
    ]
    frame = pd.DataFrame(rows, columns=PROGRESS_COLUMNS)
    for col in FLOAT_COLUMNS:
        frame[col] = frame[col].astype("float64")
    return frame
