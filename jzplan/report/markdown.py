"""The monthly progress report (进度表) in Markdown, in the units the plan states its targets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from jzplan.core.markup import md_escape, visible
from jzplan.core.periods import Period
from jzplan.core.states import AlertAction, TargetStatus, UnitMonthStatus, count_statuses
from jzplan.reference.catalog import Catalog, OrgUnit
from jzplan.reference.display import (
    ceiling_margin,
    display_unit_of,
    fmt_monthly_pace,
    fmt_value,
    present,
)
from jzplan.reference.display import number as _number
from jzplan.reference.plan import GROUPS, Plan, Target
from jzplan.report.plan_notes import NOTE_MARK, PlanNote
from jzplan.store.db import Bind
from jzplan.store.rows import frame_dicts
from jzplan.store.unit_months import SHOWN, UnitMonth, unit_statuses
from jzplan.track.contributions import contributions
from jzplan.track.history import month_facts
from jzplan.track.progress import status_label


def display_unit(target: Target, catalog: Catalog) -> str | None:
    """The unit a target is read in: the plan's own, else (growth, %) the indicator's."""
    if target.indicator is None:
        return None
    return display_unit_of(target.kind, target.unit, catalog.indicator(target.indicator).unit)


def _figure(t: Target, value: float | None) -> str:
    if value is None:
        return "待填写"
    if t.kind == "growth":
        return f"增长{_number(value)}%"
    if t.kind == "ranking":
        return f"前{_number(value)}名"
    return f"{_number(value)}{t.unit or ''}"


def _target_text(t: Target, period: object = None) -> str:
    """The plan's target value, with each revision in force at ``period`` (all without it):
    ``≥96.2亿元（7月调整为90亿元）``."""
    if t.kind in ("milestone", "qualitative"):
        return f"{t.deadline.isoformat()}前" if t.deadline and t.kind == "milestone" else "定性"
    if t.kind == "ceiling" and t.value is not None:
        return f"控制在{_figure(t, t.value)}以内" + revision_note(t, period)
    sign = "" if t.kind in ("growth", "ranking") or t.value is None else t.comparison
    text = {"<=": "≤", ">=": "≥", "": ""}[sign] + _figure(t, t.value)
    return text + revision_note(t, period)


def revision_note(t: Target, period: object = None) -> str:
    """``（7月调整为90亿元）``: the revisions in force at ``period`` (all without it), or ""."""
    when = Period.parse(str(period)) if present(period) else None
    shown = [r for r in t.revisions if when is None or r.period <= when]
    if not shown:
        return ""
    return (
        "（" + "，".join(f"{r.revised_on.month}月调整为{_figure(t, r.value)}" for r in shown) + "）"
    )


def progress_table(
    plan: Plan,
    catalog: Catalog,
    progress: pd.DataFrame,
    notes: Mapping[str, PlanNote] | None = None,
) -> str:
    """One Markdown table per target group, every target of the plan in plan order;
    ``notes``: the plan's contradictions (``plan_notes``), in the 说明 of the targets touched."""
    by_group = group_rows(plan, catalog, progress, notes)
    header = " | ".join(TABLE_COLUMNS)
    out: list[str] = []
    for group in GROUPS:
        if group not in by_group:
            continue
        out += [f"### {group}", "", f"| {header} |", "|" + "---|" * len(TABLE_COLUMNS)]
        for cells in by_group[group]:
            out.append("| " + " | ".join(md_escape(cells[c]) for c in TABLE_COLUMNS) + " |")
        out.append("")
    return "\n".join(out)


TABLE_COLUMNS = (
    "编号", "目标", "范围", "目标值", "累计完成", "进度要求", "季节进度", "完成率", "年末预计",
    "剩余月均需完成", "状态", "说明",
)  # fmt: skip


def row_cells(
    t: Target, catalog: Catalog, row: Mapping[Any, Any], note: PlanNote | None = None
) -> dict[str, str]:
    """One target's cells in the plan's own units: 进度要求 is the linear pace (时间进度),
    季节进度 the seasonal one, 年末预计 the forecast with its range; 说明 the evaluation's
    note, then the plan's contradiction touching the target (``note``), marked ※."""
    unit = display_unit(t, catalog)
    canonical = row.get("unit")

    def fmt(column: str) -> str:
        return fmt_value(row.get(column), canonical, unit)

    actual = fmt("actual")
    if row.get("provisional"):
        actual += "（暂）"
    pct = row.get("completion_pct")
    forecast = fmt("forecast")
    low, high = fmt("forecast_low"), fmt("forecast_high")
    if forecast != "—" and "—" not in (low, high) and low != high:
        forecast += f"（{low}～{high}）"
    if t.kind == "ceiling":  # 控制在…以内: how far under the cap, not a completion rate
        completion = ceiling_margin(row.get("actual"), row.get("target_value"), canonical, unit)
    else:
        completion = f"{float(pct):.1f}%" if pct is not None and present(pct) else "—"
    left = None
    if present(row.get("target_value")) and present(row.get("actual")):
        left = float(row["target_value"]) - float(row["actual"])
    raw_note = row.get("note")
    remarks = [str(raw_note)] if present(raw_note) else []
    if note is not None:
        remarks.append(f"{NOTE_MARK}{note.text}")
    return {
        "编号": t.id,
        "目标": t.label,
        "范围": catalog.unit(t.scope).name,
        "目标值": _target_text(t, row.get("period")),
        "累计完成": actual,
        "进度要求": fmt("expected"),
        "季节进度": fmt("expected_seasonal"),
        "完成率": completion,
        "年末预计": forecast,
        "剩余月均需完成": fmt_monthly_pace(
            row.get("required_monthly"), left, canonical, unit, t.comparison == "<="
        ),
        "状态": status_label(row.get("status"), "—"),
        "说明": "；".join(remarks),
    }


def group_rows(
    plan: Plan,
    catalog: Catalog,
    progress: pd.DataFrame,
    notes: Mapping[str, PlanNote] | None = None,
) -> dict[str, list[dict[str, str]]]:
    """Per target group, the rows of its table (for table artifacts)."""
    by_id = {str(r["target_id"]): r for r in frame_dicts(progress)}
    notes = notes or {}
    out: dict[str, list[dict[str, str]]] = {}
    for t in plan.targets:
        cells = row_cells(t, catalog, by_id.get(t.id, {}), notes.get(t.id))
        out.setdefault(t.group, []).append(cells)
    return out


def overall_progress(progress: pd.DataFrame) -> float:
    """Share (%) of targets achieved or on track: the leadership's one number."""
    if progress.empty:
        return 0.0
    good = progress["status"].isin([TargetStatus.ACHIEVED, TargetStatus.ON_TRACK]).sum()
    return float(good) / len(progress) * 100


@dataclass(frozen=True, slots=True)
class ContributionRow:
    """An area target on a summed figure: its total as shown and each unit's share (%, or
    ``—`` when the unit reported nothing), per unit code."""

    target: Target
    total: str
    shares: dict[str, str]


def contribution_rows(
    plan: Plan, catalog: Catalog, contributions: pd.DataFrame, progress: pd.DataFrame
) -> tuple[list[OrgUnit], list[ContributionRow]]:
    """The units that contribute (catalog order) and a row per target of ``contributions``."""
    units = [u for u in catalog.units if u.code in set(contributions["org_unit"])]
    totals = {str(r["target_id"]): r for r in frame_dicts(progress)}
    rows: list[ContributionRow] = []
    for target_id, part in contributions.groupby("target_id", sort=False):
        t = plan.target(str(target_id))
        total = totals.get(t.id, {})
        shares = dict(zip(map(str, part["org_unit"]), part["share_pct"].tolist(), strict=True))
        rows.append(
            ContributionRow(
                t,
                fmt_value(total.get("actual"), total.get("unit"), display_unit(t, catalog)),
                {
                    u.code: f"{float(shares[u.code]):.1f}%" if present(shares.get(u.code)) else "—"
                    for u in units
                },
            )
        )
    return units, rows


def contribution_table(
    plan: Plan, catalog: Catalog, contributions: pd.DataFrame, progress: pd.DataFrame
) -> str:
    """Area targets on summed figures: each reporting unit's share of the area total."""
    if contributions.empty:
        return ""
    units, rows = contribution_rows(plan, catalog, contributions, progress)
    lines = [
        "| 编号 | 目标 | 合计 | " + " | ".join(md_escape(u.name) for u in units) + " |",
        "|---|---|---|" + "---|" * len(units),
    ]
    for row in rows:
        cells = " | ".join(md_escape(row.shares[u.code]) for u in units)
        head = " | ".join(md_escape(c) for c in (row.target.id, row.target.label, row.total))
        lines.append(f"| {head} | {cells} |")
    return "\n".join(lines) + "\n"


def status_counts(progress: pd.DataFrame) -> dict[str, int]:
    """Targets per status label, in the statuses' fixed order (``count_statuses``)."""
    return {s.label: n for s, n in count_statuses(progress["status"]).items()}


def standing_line(catalog: Catalog, standings: Mapping[str, UnitMonthStatus]) -> str:
    """未报：X；退回待改：Y、Z；有待确认：W — 未报 always (无 when none), the others when some
    unit stands there; units in the catalog's order."""
    order = {u.code: i for i, u in enumerate(catalog.units)}
    parts = []
    for status in SHOWN:
        units = sorted((u for u, s in standings.items() if s == status), key=order.__getitem__)
        names = "、".join(md_escape(catalog.unit(u).name) for u in units)
        if names or status == UnitMonthStatus.MISSING:
            parts.append(f"{status.label}：{names or '无'}")
    return "；".join(parts)


def standing_table(catalog: Catalog, standings: Iterable[UnitMonth]) -> str:
    """One row per unit: its standing's word and the detail (files, a rejection's reason)."""
    lines = ["| 单位 | 报送情况 | 说明 |", "|---|---|---|"]
    for um in standings:
        cells = (catalog.unit(um.org_unit).name, um.status.label, visible(um.detail))
        lines.append("| " + " | ".join(md_escape(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def monthly_report(
    plan: Plan,
    catalog: Catalog,
    period: Period,
    progress: pd.DataFrame,
    standings: Mapping[str, UnitMonthStatus],
    open_alerts: pd.DataFrame,
    *,
    preface: str = "",
    figures: str = "",
    notes: Mapping[str, PlanNote] | None = None,
) -> str:
    """The whole report of a month: summary, alerts, then the progress tables.
    ``standings``: each reporting unit's 已报 / 有待确认 / 退回待改 / 未报; ``preface``:
    Markdown placed under the title (a released version's heading and change section);
    ``figures``: what the figures are (``MonthStanding.figures_text``), in a working report;
    ``notes``: the plan's contradictions (``ReportData.plan_notes``), each in its target's 说明
    and counted in the header."""
    counts = status_counts(progress)
    summary = "，".join(f"{k} {v} 项" for k, v in counts.items())
    lines = [
        f"# 焦作新区 {plan.year} 年目标进度（{md_escape(period.label)}）",
        "",
        *([preface, ""] if preface else []),
        *([f"- 数据：{figures}"] if figures else []),
        f"- 时间进度：{period.year_fraction * 100:.1f}%（线性，时间过半、任务过半）；"
        "季节进度按上年同月累计占全年比重",
        f"- 目标 {len(progress)} 项：{summary}",
        f"- {standing_line(catalog, standings)}",
        f"- 未解除告警：{len(open_alerts)} 条",
        *([f"- {NOTE_MARK}计划自相矛盾的目标 {len(notes)} 项，见各目标说明"] if notes else []),
        "",
    ]
    if len(open_alerts):
        lines += ["## 告警", ""]
        lines += [
            f"- {md_escape(m)}（自 {md_escape(f)} 起）"
            for m, f in open_alerts[["message", "first_seen"]].itertuples(index=False)
        ]
        lines.append("")
    lines += ["## 目标进度", "", progress_table(plan, catalog, progress, notes)]
    return "\n".join(lines)


def stored_contribution_table(
    bind: Bind, plan: Plan, catalog: Catalog, period: Period, progress: pd.DataFrame
) -> str:
    """The contribution table of a stored month (empty without data)."""
    parts = contributions(plan, catalog, month_facts(bind, period))
    return contribution_table(plan, catalog, parts, progress)


def standing_text(bind: Bind, catalog: Catalog, period: Period) -> str:
    """The reporting units' standing in a stored month: the header's line, then the table."""
    units = [u.code for u in catalog.reporting_units_in(period)]
    standings = unit_statuses(bind, units, period)
    line = standing_line(catalog, {u: um.status for u, um in standings.items()})
    return f"### 报送情况\n\n{line}\n\n{standing_table(catalog, standings.values())}"


def contributions_text(
    bind: Bind, plan: Plan, catalog: Catalog, period: Period, progress: pd.DataFrame
) -> str:
    """The contribution table of a stored month, with its heading (empty without data)."""
    table = stored_contribution_table(bind, plan, catalog, period, progress)
    return f"### 各单位对新区目标的贡献\n\n{table}" if table else ""


def alert_history_text(bind: Bind, period: Period | None = None) -> str:
    """Every alert transition (opened / resolved) in order, one line each (a control character
    in a message shown as \\xNN: it cannot forge a line)."""
    from jzplan.alert.messages import severity_label
    from jzplan.store.tracking import read_alert_events

    events = read_alert_events(bind, [str(period)] if period else None)
    lines = [
        f"{e.period}  {'新增' if e.action == AlertAction.OPENED else '解除'}  "
        f"{severity_label(e.severity)}  {visible(e.message.removeprefix('已解除：'))}"
        for e in events
    ]
    return "\n".join(lines) if lines else "无告警记录"
