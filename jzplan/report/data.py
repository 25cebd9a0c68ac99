"""Everything the monthly HTML report shows, read from the store once: the status summary, the
month's progress table, each key target's course through the year (actual against both pacing
curves, with the year-end forecast range), township contributions, the township × month grid
of each unit's standing (已报 / 有待确认 / 退回待改 / 未报) and the open validation warnings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from jzplan.alert.explanations import KIND as VALIDATION_ALERT
from jzplan.core.periods import Period, period_range
from jzplan.core.states import (
    AlertKind,
    SubmissionStatus,
    TargetStatus,
    UnitMonthStatus,
    count_statuses,
)
from jzplan.reference.catalog import Catalog
from jzplan.reference.display import in_display_unit
from jzplan.reference.plan import Plan, Target
from jzplan.report.markdown import display_unit
from jzplan.report.plan_notes import PlanNote, plan_notes
from jzplan.store.alerts import read_alerts
from jzplan.store.db import Bind
from jzplan.store.month_states import read_month
from jzplan.store.progress import read_actuals, read_progress
from jzplan.store.rows import frame_dicts
from jzplan.store.unit_months import UnitMonth, unit_months
from jzplan.track.aggregate import Fact, FactKey
from jzplan.track.contributions import contributions
from jzplan.track.history import load_history, month_facts
from jzplan.track.progress import PACED_KINDS, History, pace_curve
from jzplan.validate.rules import Rules

# The report's headline: four buckets the leadership asks about, in this order.
SUMMARY_BUCKETS: dict[str, tuple[TargetStatus, ...]] = {
    "已完成": (TargetStatus.ACHIEVED,),
    "进度正常": (TargetStatus.ON_TRACK,),
    "存在风险": (TargetStatus.AT_RISK,),
    "滞后": (TargetStatus.BEHIND, TargetStatus.MISSED, TargetStatus.OVERDUE),
    "待报送/无数据": (TargetStatus.PENDING, TargetStatus.NO_DATA, TargetStatus.UNSET),
}
# Key targets (a chart each): the area's quantitative 主要预期目标
KEY_GROUP = "主要预期目标"

UNIT_MONTH_LABELS: dict[str, str] = {s.value: s.label for s in UnitMonthStatus}
TIMELINESS_COLUMNS = ("org_unit", "period", "state", "timeliness", "detail")
# Statuses of a file whose figures were loaded (a superseded one was, until corrected)
LOADED = frozenset({SubmissionStatus.ACCEPTED, SubmissionStatus.SUPERSEDED})


@dataclass(frozen=True, slots=True)
class TargetCourse:
    """A key target's year in its display unit: actual month by month (1..N), both pacing
    curves (1..12), the annual target, and the latest forecast with its range."""

    target: Target
    unit: str | None
    actual: list[float | None]
    linear: list[float | None]
    seasonal: list[float | None]
    target_value: float | None
    forecast: float | None
    forecast_low: float | None
    forecast_high: float | None
    status: TargetStatus


@dataclass(frozen=True, slots=True)
class ReportData:
    period: Period
    progress: pd.DataFrame  # the month's row per target (read_progress)
    summary: dict[str, int]  # SUMMARY_BUCKETS label → targets
    courses: list[TargetCourse]
    contributions: pd.DataFrame  # target_id, org_unit, value, share_pct
    timeliness: pd.DataFrame  # TIMELINESS_COLUMNS: the unit × month grid
    warnings: pd.DataFrame  # open validation warnings (ALERT_COLUMNS)
    open_alerts: pd.DataFrame  # every open alert
    facts: dict[FactKey, Fact] = field(default_factory=dict)  # month_facts of the period
    # month_facts of the same month last year (growth in the briefing)
    facts_last_year: dict[FactKey, Fact] = field(default_factory=dict)
    # what the figures are: 正式（第N版，NAME 于 DATE 发布） or 暂（待审核） (MonthState)
    figures: str = ""
    # target id → the plan's contradictions touching it (plan_notes), shown in every report
    plan_notes: dict[str, PlanNote] = field(default_factory=dict)


def summarise(progress: pd.DataFrame) -> dict[str, int]:
    """Targets per SUMMARY_BUCKETS label (every target falls in exactly one)."""
    counts = count_statuses(progress["status"])
    return {
        label: sum(counts.get(s, 0) for s in statuses)
        for label, statuses in SUMMARY_BUCKETS.items()
    }


def key_targets(plan: Plan, catalog: Catalog) -> list[Target]:
    return [
        t
        for t in plan.targets
        if t.group == KEY_GROUP
        and t.scope == catalog.area.code
        and t.indicator is not None
        and t.kind in PACED_KINDS
    ]


def target_course(
    target: Target,
    catalog: Catalog,
    monthly: list[pd.DataFrame] | list[dict[str, dict[str, Any]]],
    curve: list[tuple[float | None, float | None]],
) -> TargetCourse:
    """A target's course from its stored progress rows month by month (``monthly``: months
    1..N, as frames or as ``rows_by_target``) and its pacing curve (12 (linear, seasonal)
    pairs in the canonical unit)."""
    unit = display_unit(target, catalog)
    canonical = catalog.indicator(target.indicator).unit if target.indicator else None
    by_month = [rows_by_target(m) if isinstance(m, pd.DataFrame) else m for m in monthly]
    rows = [m.get(target.id, {}) for m in by_month]
    last = rows[-1] if rows else {}
    return TargetCourse(
        target=target,
        unit=unit,
        actual=[in_display_unit(r.get("actual"), canonical, unit) for r in rows],
        linear=[in_display_unit(lin, canonical, unit) for lin, _ in curve],
        seasonal=[in_display_unit(sea, canonical, unit) for _, sea in curve],
        target_value=in_display_unit(last.get("target_value"), canonical, unit),
        forecast=in_display_unit(last.get("forecast"), canonical, unit),
        forecast_low=in_display_unit(last.get("forecast_low"), canonical, unit),
        forecast_high=in_display_unit(last.get("forecast_high"), canonical, unit),
        status=TargetStatus(str(last.get("status", TargetStatus.NO_DATA))),
    )


def rows_by_target(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """A ``read_progress`` frame's rows by target id (the first row of an id)."""
    out: dict[str, dict[str, Any]] = {}
    for record in frame_dicts(frame):
        out.setdefault(str(record["target_id"]), record)
    return out


def timeliness(standings: Iterable[UnitMonth]) -> pd.DataFrame:
    """The township × month grid: each unit's 已报 / 有待确认 / 退回待改 / 未报 (``state``), the
    on-time dimension of a loaded form (``on_time`` or ``late``; empty when none loaded) and
    the detail for the hover text (the files, a rejection's first error)."""
    rows = [
        {
            "org_unit": um.org_unit,
            "period": um.period,
            "state": str(um.status),
            "timeliness": "" if um.timeliness is None else str(um.timeliness),
            "detail": um.detail,
        }
        for um in standings
    ]
    return pd.DataFrame(rows, columns=list(TIMELINESS_COLUMNS))


def read_report_data(
    bind: Bind,
    plan: Plan,
    catalog: Catalog,
    period: Period,
    *,
    rules: Rules,
    history: History | None = None,
) -> ReportData:
    """Read a stored month's report; the month must have been evaluated (target_progress).

    ``rules``: the relations the plan is checked against (``load_rules``), for the notes on
    the targets its contradictions touch; ``history``: what the month's evaluation read
    (``load_history`` of the plan's units), when the caller has it: the targets' pace curves
    read nothing else."""
    months = period_range(Period(period.year, 1), period)
    progress = read_progress(bind, period)
    if progress.empty:
        raise LookupError(f"{period} 尚无目标进度，先运行该月的 monthly-progress")
    if history is None:
        history = load_history(bind, period, catalog=catalog)
    # the earlier months' actuals (all a course reads of them), then the month's whole rows
    by_month = [*read_actuals(bind, months[:-1]), rows_by_target(progress)]
    courses = []
    for t in key_targets(plan, catalog):
        curve = [(p.linear, p.seasonal) for p in pace_curve(t, catalog, history)]
        courses.append(target_course(t, catalog, by_month, curve))
    alerts = read_alerts(bind, open_only=True)
    # the operators' alerts (推送失败) are theirs, not the month's report's
    alerts = alerts[alerts["kind"] != AlertKind.DELIVERY_FAILURE].reset_index(drop=True)
    # a unit in the grid for the months it exists (a new unit from its valid_from)
    units = [u.code for u in catalog.reporting_units if any(u.validity.covers(m) for m in months)]
    grid = timeliness(
        um for um in unit_months(bind, units, months)
        if catalog.unit(um.org_unit).validity.covers(Period.parse(str(um.period)))
    )  # fmt: skip
    facts = month_facts(bind, period)
    return ReportData(
        period=period,
        progress=progress,
        summary=summarise(progress),
        courses=courses,
        contributions=contributions(plan, catalog, facts),
        timeliness=grid,
        warnings=alerts[alerts["kind"] == VALIDATION_ALERT].reset_index(drop=True),
        open_alerts=alerts,
        facts=facts,
        facts_last_year=month_facts(bind, period.same_month_last_year()),
        figures=read_month(bind, period).figures_text(),
        plan_notes=plan_notes(plan, catalog, rules),
    )
