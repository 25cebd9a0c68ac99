"""Writing the monthly report form (月报) a township statistics office sends.

The layout is the one ``jzplan.ingest.form_parser`` reads and ``jzplan.ingest.template``
leaves blank: title, 填报单位 and 报告期, a two-row header, one line per indicator, 填报人 and
填报日期 below. The same inputs give the same bytes (fixed timestamps in the zip).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring

from jzplan.core.files import write_atomic
from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog, convert

SHEET_NAME = "月报"
TITLE = "焦作新区主要经济指标月报表"
NOTE = "注：流量指标填报1至本月累计数，存量指标填报月末数；无数据填“—”；请于次月3日前报送。"


def deadline_note(day: int, hour: int) -> str:
    """The form's note with the configured deadline (``Settings.submission_deadline_*``);
    ``NOTE``, the 3rd, is what the 2013 forms of the demo inbox said."""
    return NOTE.replace("次月3日前", f"次月{day}日{hour}时前")


# Fixed timestamps make the same inputs give the same bytes.
FIXED_TIMESTAMP = datetime(2013, 1, 1, 0, 0, 0)
_ZIP_DATE_TIME = (2013, 1, 1, 0, 0, 0)

_HEADERS = ("序号", "指标名称", "计量单位", "本期数", "", "去年同期累计", "同比增长(%)")
_WIDTHS = (6, 34, 10, 14, 16, 16, 12)
FIRST_DATA_ROW = 6  # below the title, 填报单位/报告期, 金额单位 and the two header rows
# Units of counts: whole numbers (number format here, data validation in jzplan.ingest.template)
WHOLE_UNITS = frozenset({"人", "个", "家", "所", "条", "位", "名"})

_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


@dataclass(frozen=True, slots=True)
class FormRow:
    """One indicator line of a form; ``raw`` replaces the 累计 cell verbatim (defective files)."""

    indicator: str
    ytd: float | None
    month: float | None
    last_year_ytd: float | None
    raw: object | None = None


def _growth_pct(current: float | None, previous: float | None) -> float | None:
    if current is None or previous is None or previous == 0:
        return None
    return round((current / previous - 1) * 100, 1)


def _number_format(unit: str) -> str:
    return "#,##0" if unit in WHOLE_UNITS else "#,##0.00##"


def ytd_span(period: Period) -> str:
    """The months the 累计 column covers: ``1-3月`` (``1月`` in January)."""
    return period.label.removeprefix(f"{period.year}年")


def write_form(
    path: Path,
    *,
    catalog: Catalog,
    unit_code: str,
    period: Period,
    rows: Sequence[FormRow],
    filed_by: str,
    filed_on: date,
    units: Mapping[str, str] | None = None,
) -> None:
    """Write one unit's monthly form as .xlsx; the same inputs give the same bytes."""
    wb = build_form(
        catalog=catalog,
        unit_code=unit_code,
        period=period,
        rows=rows,
        filed_by=filed_by,
        filed_on=filed_on,
        units=units,
    )
    save_workbook(wb, path, creator=catalog.unit(unit_code).name)


def build_form(
    *,
    catalog: Catalog,
    unit_code: str,
    period: Period,
    rows: Sequence[FormRow],
    filed_by: str,
    filed_on: date | None,
    units: Mapping[str, str] | None = None,
    note: str = NOTE,
) -> openpyxl.Workbook:
    """The form as an openpyxl workbook (first data row ``FIRST_DATA_ROW``, 累计 in column E)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET_NAME
    _write_title(ws, catalog.unit(unit_code).name, period)
    _write_header(ws, period)
    r = _write_rows(ws, catalog, rows, dict(units or {}))
    _write_footer(ws, r + 1, filed_by, filed_on, note)  # after a blank row
    for c, width in enumerate(_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "C6"
    return wb


def _center() -> Alignment:
    return Alignment(horizontal="center", vertical="center", wrap_text=True)


def _write_title(ws: Worksheet, org_name: str, period: Period) -> None:
    """Rows 1-3: the title, 填报单位 and 报告期, 金额单位."""
    last_col = get_column_letter(len(_HEADERS))
    ws["A1"] = TITLE
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = _center()
    ws.merge_cells(f"A1:{last_col}1")
    ws.row_dimensions[1].height = 28
    ws["A2"] = f"填报单位：{org_name}"
    ws.merge_cells("A2:C2")
    ws["F2"] = f"报告期：{period.label}"
    ws.merge_cells(f"F2:{last_col}2")
    ws["F2"].alignment = Alignment(horizontal="right")
    ws["A3"] = "金额单位：见计量单位列"
    ws.merge_cells("A3:C3")


def _write_header(ws: Worksheet, period: Period) -> None:
    """Rows 4-5: the two-row header, 本期数 over 本月 and 1-N月累计."""
    ncols = len(_HEADERS)
    for idx, text in enumerate(_HEADERS, start=1):
        if text:
            ws.cell(row=4, column=idx, value=text)
    ws.cell(row=5, column=4, value="本月")
    ws.cell(row=5, column=5, value=f"{ytd_span(period)}累计")
    for col in ("A", "B", "C", "F", "G"):
        ws.merge_cells(f"{col}4:{col}5")
    ws.merge_cells("D4:E4")
    for r in (4, 5):
        for c in range(1, ncols + 1):
            cell = ws.cell(row=r, column=c)
            cell.font = Font(bold=True)
            cell.alignment = _center()
            cell.border = _BOX


def _write_rows(
    ws: Worksheet, catalog: Catalog, rows: Sequence[FormRow], overrides: Mapping[str, str]
) -> int:
    """One line per indicator from ``FIRST_DATA_ROW``; returns the row after the last."""
    r = FIRST_DATA_ROW
    for seq, form_row in enumerate(rows, start=1):
        ind = catalog.indicator(form_row.indicator)
        unit = overrides.get(ind.code, ind.unit)

        def shown(value: float | None, unit: str = unit, canonical: str = ind.unit) -> float | None:
            # round off float noise from the conversion (0.572648 亿元, not 0.57264799…)
            return None if value is None else round(convert(value, canonical, unit), 10)

        ytd = shown(form_row.ytd)
        values: list[object] = [
            seq,
            ind.name,
            unit,
            shown(form_row.month),
            form_row.raw if form_row.raw is not None else ytd,
            shown(form_row.last_year_ytd),
            _growth_pct(form_row.ytd, form_row.last_year_ytd),
        ]
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            cell.border = _BOX
            if c in (4, 5, 6) and isinstance(value, int | float):
                cell.number_format = _number_format(unit)
            elif c == 7 and value is not None:
                cell.number_format = "0.0"
            if c in (1, 3):
                cell.alignment = Alignment(horizontal="center")
        r += 1
    return r


def _write_footer(
    ws: Worksheet, r: int, filed_by: str, filed_on: date | None, note: str = NOTE
) -> None:
    """填报人 and 填报日期 on row ``r``, the note below."""
    ncols = len(_HEADERS)
    ws.cell(row=r, column=1, value=f"填报人：{filed_by}")
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=3)
    on = f"{filed_on.year}年{filed_on.month}月{filed_on.day}日" if filed_on else ""
    ws.cell(row=r, column=5, value=f"填报日期：{on}")
    ws.merge_cells(start_row=r, start_column=5, end_row=r, end_column=ncols)
    r += 1
    ws.cell(row=r, column=1, value=note)
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)


def save_workbook(wb: openpyxl.Workbook, path: Path, *, creator: str) -> None:
    """Save with fixed timestamps, so the same workbook gives the same bytes; atomically (a
    failure leaves the previous file)."""
    wb.properties.creator = creator
    wb.properties.lastModifiedBy = creator
    wb.properties.created = FIXED_TIMESTAMP
    buffer = io.BytesIO()
    wb.save(buffer)
    wb.properties.modified = FIXED_TIMESTAMP  # save() stamps "now"; core.xml is rewritten below
    core_xml = tostring(wb.properties.to_tree())
    write_atomic(path, normalize_zip(buffer.getvalue(), {"docProps/core.xml": core_xml}))


def normalize_zip(data: bytes, replace: Mapping[str, bytes]) -> bytes:
    """Rewrite a zip with fixed entry timestamps (and some entries replaced)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            content = replace.get(info.filename, src.read(info.filename))
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, content)
    return out.getvalue()
