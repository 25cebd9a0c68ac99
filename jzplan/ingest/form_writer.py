"""Writing the monthly report form (月报) a township statistics office sends.

The layout is the one ``jzplan.ingest.form_parser`` reads: title, 填报单位 and 报告期, a
two-row header, one line per indicator, 填报人 and 填报日期 below (the 2013 forms of the demo
inbox). With a ``FormHead`` it is the standard statistical form ``jzplan.ingest.template``
leaves blank: 表号, 制定机关 and 批准文号 top right, a 情况说明 column, the signatures
(单位负责人, 统计负责人, 填表人), 联系电话 and 报出日期 below, every cell locked but the
inputs. The same inputs give the same bytes (fixed timestamps in the zip).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Border, Font, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from jzplan.core.files import write_atomic
from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog, convert
from jzplan.reference.display import WHOLE_UNITS  # whole numbers: format here, check in template

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
# The standard form: 表号, 制定机关 and 批准文号 above 填报单位/报告期, and a 情况说明 column
STANDARD_FIRST_DATA_ROW = 8
EXPLANATION_HEADER = "情况说明"
EXPLANATION_COLUMN = "H"
_EXPLANATION_WIDTH = 30
_UNLOCKED = Protection(locked=False)

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
    explanation: str | None = None  # the 情况说明 cell (standard form only)


@dataclass(frozen=True, slots=True)
class FormHead:
    """The standard head of a statistical form: who set the form and under which number."""

    number: str = "焦新统月1表"  # 表号
    issuer: str = "焦作新区统计局"  # 制定机关
    approval: str = ""  # 批准文号 (blank: the line says “—”)


@dataclass(frozen=True, slots=True)
class FormFoot:
    """The standard foot, as the office fills it in (blank in a template)."""

    head_of_unit: str = ""  # 单位负责人
    head_of_statistics: str = ""  # 统计负责人
    filled_by: str = ""  # 填表人
    phone: str = ""  # 联系电话
    filed_on: date | None = None  # 报出日期


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
    head: FormHead | None = None,
    foot: FormFoot | None = None,
) -> openpyxl.Workbook:
    """The form as an openpyxl workbook (first data row ``FIRST_DATA_ROW``, 累计 in column E);
    with ``head``, the standard protected form (first data row ``STANDARD_FIRST_DATA_ROW``,
    情况说明 in column H, ``foot`` below; ``filed_by``/``filed_on`` fill the foot if it has
    none)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET_NAME
    if head is None:
        _write_title(ws, catalog.unit(unit_code).name, period)
        _write_header(ws, period)
        r = _write_rows(ws, catalog, rows, dict(units or {}))
        _write_footer(ws, r + 1, filed_by, filed_on, note)  # after a blank row
    else:
        foot = foot or FormFoot(filled_by=filed_by, filed_on=filed_on)
        _write_standard(ws, catalog, unit_code, period, rows, dict(units or {}), head, foot, note)
    for c, width in enumerate(_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    if head is not None:
        ws.column_dimensions[EXPLANATION_COLUMN].width = _EXPLANATION_WIDTH
    ws.freeze_panes = "C6" if head is None else f"C{STANDARD_FIRST_DATA_ROW}"
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


def _write_header(ws: Worksheet, period: Period, top: int = 4, explained: bool = False) -> None:
    """Rows ``top`` and the next: the two-row header, 本期数 over 本月 and 1-N月累计 (and
    情况说明 last when ``explained``)."""
    headers = (*_HEADERS, EXPLANATION_HEADER) if explained else _HEADERS
    ncols = len(headers)
    for idx, text in enumerate(headers, start=1):
        if text:
            ws.cell(row=top, column=idx, value=text)
    ws.cell(row=top + 1, column=4, value="本月")
    ws.cell(row=top + 1, column=5, value=f"{ytd_span(period)}累计")
    for c in range(1, ncols + 1):
        if c not in (4, 5):
            col = get_column_letter(c)
            ws.merge_cells(f"{col}{top}:{col}{top + 1}")
    ws.merge_cells(f"D{top}:E{top}")
    for r in (top, top + 1):
        for c in range(1, ncols + 1):
            cell = ws.cell(row=r, column=c)
            cell.font = Font(bold=True)
            cell.alignment = _center()
            cell.border = _BOX


def _write_rows(
    ws: Worksheet,
    catalog: Catalog,
    rows: Sequence[FormRow],
    overrides: Mapping[str, str],
    first: int = FIRST_DATA_ROW,
) -> int:
    """One line per indicator from ``first``; returns the row after the last."""
    r = first
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


def _date_text(on: date | None) -> str:
    return f"{on.year}年{on.month}月{on.day}日" if on else ""


def _write_standard(
    ws: Worksheet,
    catalog: Catalog,
    unit_code: str,
    period: Period,
    rows: Sequence[FormRow],
    overrides: Mapping[str, str],
    head: FormHead,
    foot: FormFoot,
    note: str,
) -> None:
    """The standard form: title, 表号/制定机关/批准文号 (rows 2-4), 填报单位/报告期 (5), the
    header (6-7), the rows, the foot; inputs unlocked."""
    ws["A1"] = TITLE
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = _center()
    ws.merge_cells(f"A1:{EXPLANATION_COLUMN}1")
    ws.row_dimensions[1].height = 28
    right = Alignment(horizontal="right")
    approval = head.approval or "—"
    lines = (f"表号：{head.number}", f"制定机关：{head.issuer}", f"批准文号：{approval}")
    for r, text in enumerate(lines, start=2):
        ws[f"F{r}"] = text
        ws[f"F{r}"].alignment = right
        ws.merge_cells(f"F{r}:{EXPLANATION_COLUMN}{r}")
    ws["A5"] = f"填报单位：{catalog.unit(unit_code).name}"
    ws.merge_cells("A5:C5")
    ws["D5"] = f"报告期：{period.label}"
    ws.merge_cells("D5:E5")
    ws["F5"] = "金额单位：见计量单位列"
    ws["F5"].alignment = right
    ws.merge_cells(f"F5:{EXPLANATION_COLUMN}5")
    _write_header(ws, period, top=STANDARD_FIRST_DATA_ROW - 2, explained=True)
    end = _write_rows(ws, catalog, rows, overrides, first=STANDARD_FIRST_DATA_ROW)
    for i, form_row in enumerate(rows):
        r = STANDARD_FIRST_DATA_ROW + i
        for col in ("D", "E", "F"):
            ws[f"{col}{r}"].protection = _UNLOCKED
        cell = ws[f"{EXPLANATION_COLUMN}{r}"]
        cell.value = form_row.explanation
        cell.border = _BOX
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.protection = _UNLOCKED
    _write_standard_foot(ws, end + 1, foot, note)  # after a blank row
    # locked but for the inputs; no password: the lock keeps the layout, not a secret
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # an office may widen a column
    ws.protection.formatRows = False


def _write_standard_foot(ws: Worksheet, r: int, foot: FormFoot, note: str) -> None:
    """单位负责人, 统计负责人, 填表人 on row ``r``; 联系电话 and 报出日期 below; the note."""
    fields = (
        (r, "A", "单位负责人：", "C", foot.head_of_unit),
        (r, "D", "统计负责人：", "E", foot.head_of_statistics),
        (r, "F", "填表人：", "G", foot.filled_by),
        (r + 1, "A", "联系电话：", "C", foot.phone),
        (r + 1, "D", "报出日期：", "E", _date_text(foot.filed_on)),
    )
    for row, label_col, label, value_col, value in fields:
        ws[f"{label_col}{row}"] = label
        ws[f"{label_col}{row}"].alignment = Alignment(horizontal="right")
        cell = ws[f"{value_col}{row}"]
        cell.value = value or None
        cell.protection = _UNLOCKED
        cell.border = Border(bottom=_THIN)
    ws.merge_cells(f"A{r}:B{r}")
    ws.merge_cells(f"A{r + 1}:B{r + 1}")
    ws.merge_cells(f"G{r}:{EXPLANATION_COLUMN}{r}")
    ws[f"E{r + 1}"].number_format = "yyyy年m月d日"
    ws.cell(row=r + 2, column=1, value=note)
    ws.merge_cells(f"A{r + 2}:{EXPLANATION_COLUMN}{r + 2}")


def save_workbook(wb: openpyxl.Workbook, path: Path, *, creator: str) -> None:
    """Save with fixed timestamps, so the same workbook gives the same bytes; atomically (a
    failure leaves the previous file)."""
    wb.properties.creator = creator
    wb.properties.lastModifiedBy = creator
    wb.properties.created = FIXED_TIMESTAMP
    wb.properties.modified = FIXED_TIMESTAMP  # Workbook.save would stamp "now"
    buffer = io.BytesIO()
    # openpyxl's writer (what Workbook.save runs) into an uncompressed zip: the rewrite with
    # fixed timestamps below compresses once (a month's report workbook: 33 against 28 ms)
    ExcelWriter(wb, zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED, allowZip64=True)).save()
    write_atomic(path, normalize_zip(buffer.getvalue()))


def normalize_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed entry timestamps, every entry compressed."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            content = src.read(info.filename)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, content)
    return out.getvalue()
