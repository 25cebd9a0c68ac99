"""The monthly Excel workbook (主要指标完成情况表) in the layout statistics offices use.

One sheet for the area (焦作新区) and one per township (乡/镇/街道, catalog order); the direct
reporting unit has none. Columns: 指标, 单位, 年度目标, 1-N月累计, 完成进度%, 时间进度%,
同比增长%, 状态, 备注. Every figure is a number (percentages as 87.3, the header carries the %);
a cell without a figure is left empty, never 0 or "—".

Rows of a sheet, under group headings (一、主要预期目标 …, in ``plan.GROUPS`` order, plan
order within a group):

- every target whose scope is the sheet's unit. A quantitative target (with an
  indicator) gets its figures in the plan's display unit
  (``jzplan.report.markdown.display_unit``): 年度目标 the stored target value (for a growth
  target the level the growth implies; the growth itself is in the label, e.g. "增长15%"),
  1-N月累计 the stored actual, 完成进度% the stored completion. A ranking target shows places
  (单位 "位"): the place aimed at and the current one. A milestone or qualitative target
  shows its label and 状态 only.
- on a township sheet, then, under 其他月报指标: each indicator of the township's monthly
  form that no quantitative target of the township shows (a qualitative target naming an
  indicator shows no figure, so it does not count), with 1-N月累计 and 同比增长% only, in
  the indicator's catalog unit.

时间进度% (month/12) is given only where comparing it with 完成进度% makes sense: targets on
an indicator reported as a year-to-date total (``Indicator.accumulates``), not on stocks,
rates or rankings. A ceiling (控制在…以内) has no 完成进度%: its 状态 carries the margin
under the cap instead (正常（低于上限1.2个千分点）). 同比增长% compares the unit's stored
figure with the same month last year and is left empty for rates (their change is in points,
not %), rankings, and when last year's figure is missing or not positive. 状态 is coloured
by status; a provisional figure (the area total not yet covering every reporting unit) is
marked "（暂）". 备注 carries the note of the plan's own contradictions (``plan_notes``) on
the targets they touch: what contradicts what, and the figure the status is judged against;
empty elsewhere.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Mapping
from copy import copy
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from jzplan.core.periods import Period
from jzplan.core.states import TargetStatus
from jzplan.ingest.form_writer import save_workbook, ytd_span
from jzplan.reference.catalog import Catalog
from jzplan.reference.display import WHOLE_UNITS, ceiling_margin, in_display_unit, present
from jzplan.reference.plan import GROUPS, QUANTITATIVE_KINDS, Plan, Target, target_value_canonical
from jzplan.report.briefing_model import Briefing
from jzplan.report.briefing_render import add_briefing_sheet
from jzplan.report.data import rows_by_target
from jzplan.report.markdown import display_unit, revision_note
from jzplan.report.plan_notes import NOTE_MARK, PlanNote
from jzplan.report.sheet_print import set_print_setup
from jzplan.report.versions_diff import CHANGE_COLUMNS, CHANGES_TITLE, NO_CHANGES, VersionHeader
from jzplan.store.db import Bind
from jzplan.store.progress import read_progress
from jzplan.store.rows import frame_dicts
from jzplan.track.aggregate import Fact, FactKey
from jzplan.track.comparable import comparable_base
from jzplan.track.history import month_facts
from jzplan.track.progress import status_label

OTHER_INDICATORS = "其他月报指标"
PROVISIONAL_MARK = "（暂）"
REMARK_COLUMN = "备注"
# Columns after 指标, 单位, 年度目标 and the 累计 column (its name depends on the month)
PCT_COLUMNS = ("完成进度%", "时间进度%", "同比增长%")
# Not written to the sheet: target id or indicator code, "group" | "target" | "indicator",
# and the status code the 状态 cell is coloured by
META_COLUMNS = ("key", "row_kind", "status")

AMOUNT_FORMAT = "#,##0.00"
WHOLE_FORMAT = "#,##0"
PCT_FORMAT = "0.0"

_NUMERALS = "一二三四五六七八九十"
_RED = ("FFC7CE", "9C0006")
_AMBER = ("FFEB9C", "9C5700")
_GREEN = ("C6EFCE", "006100")
_GREY = ("EDEDED", "595959")
# status → (fill, font colour) of the 状态 cell
STATUS_COLOURS: dict[str, tuple[str, str]] = {
    TargetStatus.ACHIEVED: _GREEN,
    TargetStatus.ON_TRACK: _GREEN,
    TargetStatus.AT_RISK: _AMBER,
    TargetStatus.BEHIND: _RED,
    TargetStatus.MISSED: _RED,
    TargetStatus.OVERDUE: _RED,
    TargetStatus.PENDING: _GREY,
    TargetStatus.NO_DATA: _GREY,
    TargetStatus.UNSET: _GREY,
}
_HEADER_FILL = "DDEBF7"
_TITLE_ROW, _HEADER_ROW, _FIRST_DATA_ROW = 1, 2, 3


def ytd_column(period: Period) -> str:
    """The 累计 column's header: ``1-6月累计`` (``1月累计`` in January)."""
    return f"{ytd_span(period)}累计"


def sheet_columns(period: Period) -> list[str]:
    """The columns of a sheet, as written."""
    return ["指标", "单位", "年度目标", ytd_column(period), *PCT_COLUMNS, "状态", REMARK_COLUMN]


def sheet_title(unit_name: str, period: Period) -> str:
    return f"{unit_name}{period.label}主要指标完成情况"


def yoy_pct(now: Fact | None, last_year: Fact | None) -> float | None:
    """Year-on-year growth in %; None without both figures or with a base that is not positive."""
    if now is None or last_year is None or last_year.value <= 0:
        return None
    return round((now.value / last_year.value - 1) * 100, 10)


def _shows_figures(t: Target) -> bool:
    return t.kind in QUANTITATIVE_KINDS and t.indicator is not None


def _target_row(
    t: Target,
    catalog: Catalog,
    period: Period,
    row: Mapping[Any, Any],
    facts_now: Mapping[FactKey, Fact],
    facts_last_year: Mapping[FactKey, Fact],
    note: PlanNote | None = None,
) -> dict[str, object]:
    status = str(row["status"]) if present(row.get("status")) else None
    label = status_label(status) if status else None
    if label and present(row.get("provisional")) and bool(row["provisional"]):
        label += PROVISIONAL_MARK
    out: dict[str, object] = {"指标": t.label + revision_note(t, period), "状态": label}
    if note is not None:
        out[REMARK_COLUMN] = f"{NOTE_MARK}{note.text}"
    out |= {"key": t.id, "row_kind": "target", "status": status}
    if not _shows_figures(t):
        return out
    assert t.indicator is not None
    indicator = catalog.indicator(t.indicator)
    unit = display_unit(t, catalog)
    canonical = str(row["unit"]) if present(row.get("unit")) else indicator.unit
    goal = row.get("target_value")
    if not present(goal):  # not evaluated this month: the plan still states the goal
        goal = t.value if t.kind == "ranking" else target_value_canonical(t, catalog)
    ranking, ceiling = t.kind == "ranking", t.kind == "ceiling"
    key = (t.scope, t.indicator)
    margin = ceiling_margin(row.get("actual"), goal, canonical, unit) if ceiling else "—"
    if label and margin != "—":  # 控制在…以内: the margin under the cap, not a completion rate
        label += f"（{margin}）"
    out |= {
        "单位": unit,
        "年度目标": in_display_unit(goal, canonical, unit),
        ytd_column(period): in_display_unit(row.get("actual"), canonical, unit),
        "完成进度%": None if ceiling else in_display_unit(row.get("completion_pct"), None, None),
        "状态": label,
        "时间进度%": period.year_fraction * 100 if indicator.accumulates and not ranking else None,
        "同比增长%": None
        if ranking or indicator.measure == "rate"
        else yoy_pct(facts_now.get(key), facts_last_year.get(key)),
    }
    return out


def _indicator_row(
    unit_code: str,
    code: str,
    catalog: Catalog,
    period: Period,
    facts_now: Mapping[FactKey, Fact],
    facts_last_year: Mapping[FactKey, Fact],
) -> dict[str, object]:
    indicator = catalog.indicator(code)
    now = facts_now.get((unit_code, code))
    yoy = (
        None
        if indicator.measure == "rate"
        else yoy_pct(now, facts_last_year.get((unit_code, code)))
    )
    return {
        "指标": indicator.name,
        "单位": indicator.unit,
        ytd_column(period): now.value if now is not None else None,
        "同比增长%": yoy,
        "状态": PROVISIONAL_MARK if now is not None and now.provisional else None,
        "key": code,
        "row_kind": "indicator",
        "status": None,
    }


def _heading(number: int, text: str) -> dict[str, object]:
    return {"指标": f"{_NUMERALS[number]}、{text}", "key": text, "row_kind": "group"}


def sheet_rows(
    plan: Plan,
    catalog: Catalog,
    period: Period,
    unit_code: str,
    progress: pd.DataFrame,
    facts_now: Mapping[FactKey, Fact],
    facts_last_year: Mapping[FactKey, Fact],
    notes: Mapping[str, PlanNote] | None = None,
    by_id: Mapping[str, Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """The rows of one unit's sheet: the sheet's columns, then ``META_COLUMNS``.

    ``progress`` is a ``read_progress`` frame (canonical units); the facts are ``month_facts``
    of the month and of the same month last year; ``notes`` the plan's contradictions
    (``plan_notes``), in 备注; ``by_id``: ``rows_by_target(progress)``, if the caller has
    it (one for every sheet of a workbook).
    """
    if by_id is None:
        by_id = rows_by_target(progress)
    targets = [t for t in plan.targets if t.scope == unit_code]
    notes = notes or {}
    sections = {
        group: [
            _target_row(
                t, catalog, period, by_id.get(t.id, {}), facts_now, facts_last_year, notes.get(t.id)
            )
            for t in targets
            if t.group == group
        ]
        for group in GROUPS
    }
    shown = {t.indicator for t in targets if _shows_figures(t)}
    sections[OTHER_INDICATORS] = [
        _indicator_row(unit_code, code, catalog, period, facts_now, facts_last_year)
        for code in catalog.unit(unit_code).reports  # the area has no form of its own
        if code not in shown
    ]
    rows: list[dict[str, object]] = []
    number = 0
    for heading, section in sections.items():
        if section:
            rows += [_heading(number, heading), *section]
            number += 1
    columns = [*sheet_columns(period), *META_COLUMNS]
    frame = pd.DataFrame(rows, columns=columns)
    numeric = ["年度目标", ytd_column(period), *PCT_COLUMNS]
    return frame.astype(dict.fromkeys(numeric, "float64"))


def workbook_sheets(
    plan: Plan,
    catalog: Catalog,
    period: Period,
    progress: pd.DataFrame,
    facts_now: Mapping[FactKey, Fact],
    facts_last_year: Mapping[FactKey, Fact],
    notes: Mapping[str, PlanNote] | None = None,
) -> dict[str, pd.DataFrame]:
    """Sheet name (the unit's name) → its rows: the area first, then the townships."""
    by_id = rows_by_target(progress)
    return {
        u.name: sheet_rows(
            plan, catalog, period, u.code, progress, facts_now, facts_last_year, notes, by_id
        )
        for u in (catalog.area, *catalog.townships)
        if u.validity.covers(period)
    }


def _text_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell_value(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, float | int):
        return float(value)
    return str(value)


def _style(
    cell: Cell,
    key: tuple[object, ...],
    styled: dict[tuple[object, ...], StyleArray],
    apply: Callable[..., None],
    *args: object,
) -> None:
    """``apply(cell, *args)``, the styles of kind ``key``; or, once the workbook has a cell of
    that kind (``styled``), a copy of that cell's."""
    if key in styled:
        cell._style = copy(styled[key])
        return
    apply(cell, *args)
    styled[key] = copy(cell._style)


def _data_style(
    cell: Cell,
    box: Border,
    name: str,
    fmt: str | None,
    bold: bool,
    coloured: tuple[str, str] | None,
) -> None:
    """A figure table cell's styles: column ``name``'s, a figure's number format ``fmt``, the
    bold of a group heading, the colours of a status."""
    cell.border = box
    if fmt is not None:
        cell.number_format = fmt
    elif name in PCT_COLUMNS:
        cell.number_format = PCT_FORMAT
    elif name in ("单位", "状态"):
        cell.alignment = Alignment(horizontal="center")
    elif name == REMARK_COLUMN:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    if bold:
        cell.font = Font(bold=True)
    if coloured is not None:
        cell.fill = PatternFill("solid", fgColor=coloured[0])
        cell.font = Font(color=coloured[1])


def _write_sheet(
    ws: Worksheet,
    title: str,
    period: Period,
    rows: pd.DataFrame,
    styled: dict[tuple[object, ...], StyleArray],
) -> None:
    """A unit's sheet. Setting a style on a cell looks it up in the workbook's style tables
    (slow in openpyxl: it hashes the style each time): a cell takes a copy of the styles of
    the first cell of the workbook styled alike instead (``styled``, the workbook's; a
    sheet's own: 35 against 22 ms to build a month's workbook of 7 sheets, same bytes)."""
    columns = sheet_columns(period)
    ncols = len(columns)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)

    def title_style(cell: Cell) -> None:
        cell.font = Font(bold=True, size=14)
        cell.alignment = center

    def header_style(cell: Cell) -> None:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=_HEADER_FILL)
        cell.alignment = center
        cell.border = box

    _style(ws.cell(row=_TITLE_ROW, column=1, value=title), ("title",), styled, title_style)
    ws.merge_cells(start_row=_TITLE_ROW, start_column=1, end_row=_TITLE_ROW, end_column=ncols)
    ws.row_dimensions[_TITLE_ROW].height = 30
    for c, name in enumerate(columns, start=1):
        cell = ws.cell(row=_HEADER_ROW, column=c, value=name)
        _style(cell, ("header",), styled, header_style)

    figure_columns = {"年度目标", ytd_column(period)}
    for r, record in enumerate(frame_dicts(rows), start=_FIRST_DATA_ROW):
        unit = record.get("单位")
        amount_format = WHOLE_FORMAT if unit in WHOLE_UNITS else AMOUNT_FORMAT
        group = record["row_kind"] == "group"
        status = record.get("status")
        colours = STATUS_COLOURS.get(status) if isinstance(status, str) else None
        for c, name in enumerate(columns, start=1):
            cell = ws.cell(row=r, column=c, value=_cell_value(record.get(name)))
            bold = group and c == 1
            coloured = colours if name == "状态" else None
            fmt = amount_format if name in figure_columns else None
            key = (name, fmt, bold, coloured)
            _style(cell, key, styled, _data_style, box, *key)

    labels = [str(v) for v in rows["指标"] if isinstance(v, str)]
    ws.column_dimensions["A"].width = min(60, max([16, *(_text_width(s) + 2 for s in labels)]))
    for c, width in enumerate((8, 14, 14, 11, 11, 11, 12, 48), start=2):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = ws.cell(row=_FIRST_DATA_ROW, column=2).coordinate
    set_print_setup(ws, title, header_rows=_HEADER_ROW)


def _write_change_sheet(ws: Worksheet, version: VersionHeader) -> None:
    """较上一版变化: the version's heading and note, then a row per change (or 无变化)."""
    ws.cell(row=1, column=1, value=version.heading).font = Font(bold=True, size=14)
    ws.cell(row=2, column=1, value=f"发布说明：{version.note}" if version.note else None)
    changes = version.changes or []
    if not changes:
        ws.cell(row=4, column=1, value=NO_CHANGES)
    else:
        for c, name in enumerate(CHANGE_COLUMNS, start=1):
            cell = ws.cell(row=4, column=c, value=name)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor=_HEADER_FILL)
        for r, row in enumerate(changes, start=5):
            for c, text in enumerate(row.cells(), start=1):
                ws.cell(row=r, column=c, value=text)
    for c, width in enumerate((12, 12, 40, 16, 16, 22, 10), start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    set_print_setup(ws, version.heading, header_rows=4 if changes else 1)


def build_workbook(
    sheets: Mapping[str, pd.DataFrame],
    period: Period,
    *,
    version: VersionHeader | None = None,
    briefing: Briefing | None = None,
) -> openpyxl.Workbook:
    """The workbook of ``workbook_sheets``: a titled sheet per unit, in the given order.
    A released version's titles carry its heading, and from version 2 on a last sheet
    较上一版变化 lists the changes; with ``briefing``, a 文字分析 sheet follows the units'."""
    wb = openpyxl.Workbook()
    default = wb.active
    if default is not None:
        wb.remove(default)
    styled: dict[tuple[object, ...], StyleArray] = {}  # the workbook's cell styles, by kind
    for name, rows in sheets.items():
        title = sheet_title(name, period)
        if version is not None:
            title += f"　{version.heading}"
        _write_sheet(wb.create_sheet(title=name), title, period, rows, styled)
    if briefing is not None:
        add_briefing_sheet(wb, briefing)
    if version is not None and version.changes is not None:
        _write_change_sheet(wb.create_sheet(title=CHANGES_TITLE), version)
    return wb


def write_workbook(
    bind: Bind,
    plan: Plan,
    catalog: Catalog,
    period: Period,
    path: Path,
    *,
    progress: pd.DataFrame | None = None,
    facts_now: Mapping[FactKey, Fact] | None = None,
    facts_then: Mapping[FactKey, Fact] | None = None,
    version: VersionHeader | None = None,
    notes: Mapping[str, PlanNote] | None = None,
    briefing: Briefing | None = None,
) -> Path:
    """Read the month's progress and figures from the store and write the workbook to ``path``.

    ``progress``, ``facts_now`` and ``facts_then``: the month's ``read_progress`` and
    ``month_facts`` and the same month's of last year, when the caller has already read them
    (the HTML report has); ``version``: a released version's
    heading and change sheet (``build_workbook``); ``notes``: the plan's contradictions
    (``ReportData.plan_notes``), in 备注; ``briefing``: the month's 文字分析 sheet."""
    if progress is None:
        progress = read_progress(bind, period)
    now = month_facts(bind, period) if facts_now is None else facts_now
    then = period.same_month_last_year()
    last_year = comparable_base(
        month_facts(bind, then) if facts_then is None else facts_then, catalog, then, period
    )
    sheets = workbook_sheets(plan, catalog, period, progress, now, last_year, notes)
    wb = build_workbook(sheets, period, version=version, briefing=briefing)
    save_workbook(wb, path, creator=catalog.area.name)
    return path
