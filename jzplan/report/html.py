"""The monthly report as one self-contained HTML file: it opens offline (plotly.js is inlined
once), charts are Plotly figures, text is rendered by the reader's browser with a Chinese font
stack, so nothing depends on fonts on the machine that writes it."""

from __future__ import annotations

import secrets
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from jinja2 import Environment, PackageLoader, select_autoescape
from plotly.offline import get_plotlyjs

from jzplan.alert.messages import severity_label
from jzplan.core.files import write_atomic
from jzplan.core.markup import visible
from jzplan.core.states import TargetStatus
from jzplan.reference.catalog import Catalog
from jzplan.reference.display import WHOLE_UNITS, number, present
from jzplan.reference.plan import GROUPS, Plan
from jzplan.report.briefing import build_briefing
from jzplan.report.briefing_model import Briefing
from jzplan.report.data import UNIT_MONTH_LABELS, ReportData, TargetCourse
from jzplan.report.markdown import TABLE_COLUMNS, contribution_rows, group_rows
from jzplan.report.plan_notes import PlanNote
from jzplan.report.versions_diff import CHANGE_COLUMNS, NO_CHANGES, VersionHeader
from jzplan.store.rows import frame_dicts

FONT_STACK = (
    '"Microsoft YaHei", "PingFang SC", "Hiragino Sans GB", "Noto Sans CJK SC", '
    '"Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif'
)
MONTHS = [f"{m}月" for m in range(1, 13)]
# Status colours, shared by the table, the cards and the charts' titles
STATUS_COLORS: dict[str, str] = {
    TargetStatus.ACHIEVED: "#1a7f37",
    TargetStatus.ON_TRACK: "#2f81f7",
    TargetStatus.AT_RISK: "#d29922",
    TargetStatus.BEHIND: "#cf222e",
    TargetStatus.MISSED: "#cf222e",
    TargetStatus.OVERDUE: "#cf222e",
    TargetStatus.PENDING: "#6e7781",
    TargetStatus.NO_DATA: "#6e7781",
    TargetStatus.UNSET: "#6e7781",
}
_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "locale": "zh-CN"}


@cache
def environment() -> Environment:
    """The report templates (jzplan/report/templates), autoescaped: one for every page."""
    return Environment(
        loader=PackageLoader("jzplan.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


# Figures are Plotly's JSON built directly: the figure objects validate every property as it
# is set, which is slow for a report of many charts; the JSON is the same.
Figure = dict[str, Any]


@cache
def _template() -> dict[str, Any]:
    """Plotly's default template, which every figure carries (as ``go.Figure`` adds it)."""
    template: dict[str, Any] = go.Figure().to_plotly_json()["layout"]["template"]
    return template


def _layout(title: str, height: int = 360) -> dict[str, Any]:
    return {
        "font": {"family": FONT_STACK, "size": 12},
        "height": height,
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": -0.15},
        "margin": {"b": 40, "l": 56, "r": 16, "t": 48},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "title": {"font": {"size": 15}, "text": title},
        "template": _template(),
    }


def course_figure(course: TargetCourse) -> Figure:
    """Actual to date against the linear (时间进度) and seasonal pace through the year, the
    annual target, and the year-end forecast with its range at December."""
    t = course.target
    unit = course.unit or ""
    n = len(course.actual)
    layout = _layout(f"{t.id} {t.label}（{course.status.label}）")
    data: list[dict[str, Any]] = [
        {"line": {"color": "#8c959f", "dash": "dash"}, "mode": "lines",
         "name": "时间进度（线性）", "x": MONTHS, "y": course.linear, "type": "scatter"},
    ]  # fmt: skip
    if any(v is not None for v in course.seasonal):
        data.append(
            {"line": {"color": "#bf8700", "dash": "dot"}, "mode": "lines",
             "name": "季节进度（上年同期比重）", "x": MONTHS, "y": course.seasonal,
             "type": "scatter"}
        )  # fmt: skip
    data.append(
        {"line": {"color": STATUS_COLORS.get(course.status, "#2f81f7"), "width": 3},
         "mode": "lines+markers", "name": "实际累计", "x": MONTHS[:n], "y": course.actual,
         "type": "scatter"}
    )  # fmt: skip
    if course.forecast is not None and n < 12:
        low = course.forecast_low if course.forecast_low is not None else course.forecast
        high = course.forecast_high if course.forecast_high is not None else course.forecast
        data.append(
            {"error_y": {"array": [high - course.forecast], "arrayminus":
                         [course.forecast - low], "color": "#8250df", "symmetric": False,
                         "type": "data"},
             "marker": {"color": "#8250df", "size": 10, "symbol": "diamond"},
             "mode": "markers", "name": "年末预计（区间）", "x": [MONTHS[-1]],
             "y": [course.forecast], "type": "scatter"}
        )  # fmt: skip
    if course.target_value is not None:
        # a horizontal line across the plot at the annual target, labelled top left
        y = course.target_value
        layout["shapes"] = [
            {"line": {"color": "#1a7f37", "width": 1}, "type": "line", "x0": 0, "x1": 1,
             "xref": "x domain", "y0": y, "y1": y, "yref": "y"}
        ]  # fmt: skip
        layout["annotations"] = [
            {"showarrow": False, "text": f"年度目标 {number(y)}{unit}", "x": 0, "xanchor": "left",
             "xref": "x domain", "y": y, "yanchor": "bottom", "yref": "y"}
        ]  # fmt: skip
    # ticks and hover as the tables write figures: 20,000 (never 20k), whole things whole
    layout["separators"] = ".,"
    layout["yaxis"] = {"title": {"text": unit}, "rangemode": "tozero", "gridcolor": "#eaeef2",
                       "tickformat": ",~f", "hoverformat": value_format(course.unit)}  # fmt: skip
    layout["xaxis"] = {"gridcolor": "#eaeef2"}
    return {"data": data, "layout": layout}


def value_format(unit: str | None) -> str:
    """The d3 format of a figure in ``unit`` (as ``display.number``): whole units without
    decimals, others with at most two; thousands grouped."""
    return ",.0f" if unit in WHOLE_UNITS else ",.2~f"


def shared_contributions(parts: pd.DataFrame) -> pd.DataFrame:
    """The contributions of targets that more than one unit contributes to (the rest come
    wholly from one unit: a bar of 100% says nothing)."""
    if parts.empty:
        return parts
    contributing = parts[parts["value"].fillna(0) != 0]
    shared = contributing.groupby("target_id")["org_unit"].nunique()
    return parts[parts["target_id"].isin(shared[shared > 1].index)].reset_index(drop=True)


def contribution_figure(parts: pd.DataFrame, plan: Plan, catalog: Catalog) -> Figure | None:
    """Each reporting unit's share of the area's summed targets, as stacked bars."""
    if parts.empty:
        return None
    order = list(dict.fromkeys(parts["target_id"]))
    labels = [f"{tid} {plan.target(tid).label}" for tid in order]
    layout = _layout("各单位对新区目标的贡献（占新区合计 %）", 120 + 26 * len(order))
    data: list[dict[str, Any]] = []
    for unit in catalog.units:
        mine = parts[parts["org_unit"] == unit.code].set_index("target_id")["share_pct"]
        if mine.empty:
            continue
        data.append(
            {"name": unit.name, "orientation": "h",
             "x": [float(mine.get(tid, 0.0)) for tid in order], "y": labels, "type": "bar"}
        )  # fmt: skip
    layout |= {"barmode": "stack", "hovermode": "y unified"}
    layout["margin"] = {**layout["margin"], "l": 260}
    layout["legend"] = {**layout["legend"], "traceorder": "normal"}
    layout["yaxis"] = {"autorange": "reversed"}
    layout["xaxis"] = {"range": [0, 100], "ticksuffix": "%"}
    return {"data": data, "layout": layout}


def _figure_html(fig: Figure, div_id: str) -> str:
    html: str = pio.to_html(
        fig,
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config=_PLOTLY_CONFIG,
        validate=False,
    )
    return html


def _timeliness_grid(data: ReportData, catalog: Catalog) -> list[dict[str, object]]:
    grid = data.timeliness
    periods = list(dict.fromkeys(str(p) for p in grid["period"]))
    out: list[dict[str, object]] = []
    for unit in catalog.reporting_units:
        mine = {str(r["period"]): r for r in frame_dicts(grid[grid["org_unit"] == unit.code])}
        if not mine:  # not valid in any month of the grid
            continue
        cells = []
        for p in periods:
            r = mine.get(p)
            if r is None:  # a month outside the unit's validity: nothing was owed
                cells.append({"period": p, "state": "none", "label": "—", "timeliness": "",
                              "detail": "该月不在本单位有效期内"})  # fmt: skip
                continue
            cells.append(
                {
                    "period": r["period"],
                    "state": r["state"],
                    "label": UNIT_MONTH_LABELS[r["state"]],
                    "timeliness": r["timeliness"],
                    "detail": visible(r["detail"]),
                }
            )
        out.append({"code": unit.code, "name": unit.name, "cells": cells})
    return out


def _alert_rows(frame: pd.DataFrame, catalog: Catalog) -> list[dict[str, str]]:
    names = {u.code: u.name for u in catalog.units}
    return [
        {
            "unit": names.get(str(r["org_unit"]), "—") if present(r["org_unit"]) else "—",
            "severity": severity_label(str(r["severity"])),
            "message": visible(r["message"]),  # a file name's control characters as \\xNN
            "since": str(r["first_seen"]),
        }
        for r in frame_dicts(frame)
    ]


def report_link(path: Path, base_url: str | None, root: Path | None = None) -> str:
    """Where a reader opens a report: under JZPLAN_REPORT_BASE_URL when it is served (at its
    path below ``root``, the served folder, when given; else by name), else the file itself."""
    if base_url:
        relative = path.name if root is None else path.resolve().relative_to(root.resolve())
        return base_url.rstrip("/") + "/" + quote(str(PurePosixPath(relative)))
    return path.resolve().as_uri()


def _note_codes(note: PlanNote | None) -> str:
    """The codes of the plan's findings a row's ※ stands for (empty without a note)."""
    return "" if note is None else " ".join(dict.fromkeys(note.codes))


def _release(header: VersionHeader | None) -> dict[str, object] | None:
    if header is None:
        return None
    changes = header.changes
    return {
        "heading": visible(header.heading),
        "note": visible(header.note),
        "changes": None if changes is None else [[visible(c) for c in r.cells()] for r in changes],
    }


@cache
def _plotly_js() -> str:
    """plotly.js, read from plotly's package once per process (3.6 MB)."""
    js: str = get_plotlyjs()
    return js


@cache
def _plotly_js_bytes() -> bytes:
    return _plotly_js().encode("utf-8")


def render_report(
    data: ReportData,
    plan: Plan,
    catalog: Catalog,
    *,
    version: VersionHeader | None = None,
    briefing: Briefing | None = None,
) -> str:
    """The month's report as a self-contained HTML page (``version``: a released version's
    heading, note and change section; ``briefing``: its 文字分析, built from ``data`` when
    not given)."""
    return _render(data, plan, catalog, version, briefing, _plotly_js())


def _render(
    data: ReportData,
    plan: Plan,
    catalog: Catalog,
    version: VersionHeader | None,
    briefing: Briefing | None,
    plotly_js: str,
) -> str:
    table = group_rows(plan, catalog, data.progress, data.plan_notes)
    status_of = dict(zip(data.progress["target_id"], data.progress["status"], strict=True))
    groups = [
        {
            "name": g,
            "rows": [
                {
                    "cells": {k: visible(v) for k, v in cells.items()},
                    "status": str(status_of.get(cells["编号"], TargetStatus.NO_DATA)),
                    "plan_note": _note_codes(data.plan_notes.get(cells["编号"])),
                }
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
    template = environment().get_template("report.html.j2")
    return template.render(
        title=f"{catalog.area.name}{plan.year}年目标进度月报（{data.period.label}）",
        period=str(data.period),
        period_label=data.period.label,
        figures=data.figures,
        time_progress=f"{data.period.year_fraction * 100:.1f}",
        total=len(data.progress),
        summary=list(data.summary.items()),
        groups=groups,
        columns=TABLE_COLUMNS,
        note_count=len(data.plan_notes),
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
        timeliness_labels=UNIT_MONTH_LABELS,
        warnings=_alert_rows(data.warnings, catalog),
        alerts=_alert_rows(data.open_alerts, catalog),
        release=_release(version),
        briefing=briefing or build_briefing(data, plan, catalog),
        change_columns=CHANGE_COLUMNS,
        no_changes=NO_CHANGES,
        font_stack=FONT_STACK,
        plotly_js=plotly_js,
    )


def write_report(
    data: ReportData,
    plan: Plan,
    catalog: Catalog,
    path: Path,
    *,
    version: VersionHeader | None = None,
    briefing: Briefing | None = None,
) -> Path:
    """Write the month's HTML report to ``path`` (UTF-8, atomically) and return it: the
    page of ``render_report``, plotly.js written from its encoded bytes rather than joined
    into the page and encoded again for every report (~25 ms a report)."""
    mark = f"/*plotly.js {secrets.token_hex(16)}*/"  # in no page's text
    before, found, after = _render(data, plan, catalog, version, briefing, mark).partition(mark)
    if not found:
        raise RuntimeError("report.html.j2 no longer writes plotly_js")
    return write_atomic(path, (before.encode("utf-8"), _plotly_js_bytes(), after.encode("utf-8")))
