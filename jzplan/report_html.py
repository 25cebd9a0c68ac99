"""The monthly report as one self-contained HTML file: it opens offline (plotly.js is inlined
once), charts are Plotly figures, text is rendered by the reader's browser with a Chinese font
stack, so nothing depends on fonts on the machine that writes it."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from jinja2 import Environment, PackageLoader, select_autoescape
from plotly.offline import get_plotlyjs

from jzplan.catalog import Catalog
from jzplan.delivery import SEVERITY_LABELS
from jzplan.plan import GROUPS, Plan
from jzplan.progress import STATUS_LABELS
from jzplan.report import TABLE_COLUMNS, contribution_rows, group_rows, present
from jzplan.report_data import TIMELINESS_LABELS, ReportData, TargetCourse

FONT_STACK = (
    '"Microsoft YaHei", "PingFang SC", "Hiragino Sans GB", "Noto Sans CJK SC", '
    '"Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif'
)
MONTHS = [f"{m}月" for m in range(1, 13)]
# Status colours, shared by the table, the cards and the charts' titles
STATUS_COLORS: dict[str, str] = {
    "achieved": "#1a7f37",
    "on_track": "#2f81f7",
    "at_risk": "#d29922",
    "behind": "#cf222e",
    "missed": "#cf222e",
    "overdue": "#cf222e",
    "pending": "#6e7781",
    "no_data": "#6e7781",
}
_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "locale": "zh-CN"}


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("jzplan", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _layout(title: str, height: int = 360) -> go.Layout:
    return go.Layout(
        title={"text": title, "font": {"size": 15}},
        font={"family": FONT_STACK, "size": 12},
        height=height,
        margin={"l": 56, "r": 16, "t": 48, "b": 40},
        legend={"orientation": "h", "y": -0.15},
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
        hovermode="x unified",
    )


def course_figure(course: TargetCourse) -> go.Figure:
    """Actual to date against the linear (时间进度) and seasonal pace through the year, the
    annual target, and the year-end forecast with its range at December."""
    t = course.target
    unit = course.unit or ""
    n = len(course.actual)
    fig = go.Figure(layout=_layout(f"{t.id} {t.label}（{STATUS_LABELS.get(course.status, '')}）"))
    fig.add_trace(
        go.Scatter(
            x=MONTHS, y=course.linear, name="时间进度（线性）", mode="lines",
            line={"color": "#8c959f", "dash": "dash"},
        )
    )  # fmt: skip
    if any(v is not None for v in course.seasonal):
        fig.add_trace(
            go.Scatter(
                x=MONTHS, y=course.seasonal, name="季节进度（上年同期比重）", mode="lines",
                line={"color": "#bf8700", "dash": "dot"},
            )
        )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=MONTHS[:n], y=course.actual, name="实际累计", mode="lines+markers",
            line={"color": STATUS_COLORS.get(course.status, "#2f81f7"), "width": 3},
        )
    )  # fmt: skip
    if course.forecast is not None and n < 12:
        low = course.forecast_low if course.forecast_low is not None else course.forecast
        high = course.forecast_high if course.forecast_high is not None else course.forecast
        fig.add_trace(
            go.Scatter(
                x=[MONTHS[-1]], y=[course.forecast], name="年末预计（区间）", mode="markers",
                marker={"color": "#8250df", "size": 10, "symbol": "diamond"},
                error_y={"type": "data", "symmetric": False, "array": [high - course.forecast],
                         "arrayminus": [course.forecast - low], "color": "#8250df"},
            )
        )  # fmt: skip
    if course.target_value is not None:
        fig.add_hline(
            y=course.target_value, line={"color": "#1a7f37", "width": 1},
            annotation_text=f"年度目标 {course.target_value:g}{unit}",
            annotation_position="top left",
        )  # fmt: skip
    fig.update_yaxes(title_text=unit, rangemode="tozero", gridcolor="#eaeef2")
    fig.update_xaxes(gridcolor="#eaeef2")
    return fig


def shared_contributions(parts: pd.DataFrame) -> pd.DataFrame:
    """The contributions of targets that more than one unit contributes to (the rest come
    wholly from one unit: a bar of 100% says nothing)."""
    if parts.empty:
        return parts
    contributing = parts[parts["value"].fillna(0) != 0]
    shared = contributing.groupby("target_id")["org_unit"].nunique()
    return parts[parts["target_id"].isin(shared[shared > 1].index)].reset_index(drop=True)


def contribution_figure(parts: pd.DataFrame, plan: Plan, catalog: Catalog) -> go.Figure | None:
    """Each reporting unit's share of the area's summed targets, as stacked bars."""
    if parts.empty:
        return None
    order = list(dict.fromkeys(parts["target_id"]))
    labels = [f"{tid} {plan.target(tid).label}" for tid in order]
    fig = go.Figure(layout=_layout("各单位对新区目标的贡献（占新区合计 %）", 120 + 26 * len(order)))
    for unit in catalog.units:
        mine = parts[parts["org_unit"] == unit.code].set_index("target_id")["share_pct"]
        if mine.empty:
            continue
        fig.add_trace(
            go.Bar(
                y=labels, x=[float(mine.get(tid, 0.0)) for tid in order], name=unit.name,
                orientation="h",
            )
        )  # fmt: skip
    fig.update_layout(
        barmode="stack", hovermode="y unified", margin={"l": 260}, legend={"traceorder": "normal"}
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, 100], ticksuffix="%")
    return fig


def _figure_html(fig: go.Figure, div_id: str) -> str:
    html: str = fig.to_html(
        full_html=False, include_plotlyjs=False, div_id=div_id, config=_PLOTLY_CONFIG
    )
    return html


def _timeliness_grid(data: ReportData, catalog: Catalog) -> list[dict[str, object]]:
    grid = data.timeliness
    out: list[dict[str, object]] = []
    for unit in catalog.reporting_units:
        mine = grid[grid["org_unit"] == unit.code]
        out.append(
            {
                "code": unit.code,
                "name": unit.name,
                "cells": [
                    {
                        "period": r["period"],
                        "state": r["state"],
                        "label": TIMELINESS_LABELS[r["state"]],
                        "detail": r["detail"],
                    }
                    for r in mine.to_dict("records")
                ],
            }
        )
    return out


def _alert_rows(frame: pd.DataFrame, catalog: Catalog) -> list[dict[str, str]]:
    names = {u.code: u.name for u in catalog.units}
    return [
        {
            "unit": names.get(str(r["org_unit"]), "—") if present(r["org_unit"]) else "—",
            "severity": SEVERITY_LABELS.get(str(r["severity"]), str(r["severity"])),
            "message": str(r["message"]),
            "since": str(r["first_seen"]),
        }
        for r in frame.to_dict("records")
    ]


def render_report(data: ReportData, plan: Plan, catalog: Catalog) -> str:
    """The month's report as a self-contained HTML page."""
    table = group_rows(plan, catalog, data.progress)
    status_of = dict(zip(data.progress["target_id"], data.progress["status"], strict=True))
    groups = [
        {
            "name": g,
            "rows": [
                {"cells": cells, "status": str(status_of.get(cells["编号"], "no_data"))}
                for cells in table[g]
            ],
        }
        for g in GROUPS
        if g in table
    ]
    charts = [
        {"id": c.target.id, "html": _figure_html(course_figure(c), f"chart-{c.target.id}")}
        for c in data.courses
    ]
    shared = shared_contributions(data.contributions)
    contribution = contribution_figure(shared, plan, catalog)
    units, rows = contribution_rows(plan, catalog, shared, data.progress)
    single = data.contributions["target_id"].nunique() - shared["target_id"].nunique()
    template = _environment().get_template("report.html.j2")
    return template.render(
        title=f"{catalog.area.name}{plan.year}年目标进度月报（{data.period.label}）",
        period=str(data.period),
        period_label=data.period.label,
        time_progress=f"{data.period.year_fraction * 100:.1f}",
        total=len(data.progress),
        summary=list(data.summary.items()),
        groups=groups,
        columns=TABLE_COLUMNS,
        status_colors=STATUS_COLORS,
        charts=charts,
        contribution_chart=(
            _figure_html(contribution, "chart-contributions") if contribution else None
        ),
        contribution_units=units,
        contribution_rows=rows,
        single_source=single,
        months=[m.split("-")[1].lstrip("0") + "月" for m in sorted(set(data.timeliness["period"]))],
        timeliness=_timeliness_grid(data, catalog),
        timeliness_labels=TIMELINESS_LABELS,
        warnings=_alert_rows(data.warnings, catalog),
        alerts=_alert_rows(data.open_alerts, catalog),
        font_stack=FONT_STACK,
        plotly_js=get_plotlyjs(),
    )


def write_report(data: ReportData, plan: Plan, catalog: Catalog, path: Path) -> Path:
    """Write the month's HTML report to ``path`` (UTF-8) and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(data, plan, catalog), encoding="utf-8")
    return path
