"""The monthly report form (月报) a township statistics office sends: written and parsed.

Reading is split from interpreting: a reader turns a file into sheets of cell values
(``read_xlsx``); everything after that (``interpret_sheets``) is pure functions over rows,
so other formats only need another reader.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.xml.functions import tostring

from jzplan.catalog import Catalog, OrgUnit, UnitError, convert, normalize_name, normalize_unit
from jzplan.periods import Period
from jzplan.submissions import OBSERVATION_COLUMNS, ParsedSubmission, SubmissionIssue

SHEET_NAME = "月报"
TITLE = "焦作新区主要经济指标月报表"
NOTE = "注：流量指标填报1至本月累计数，存量指标填报月末数；无数据填“—”；请于次月3日前报送。"
# Fixed timestamps make the same inputs give the same bytes.
FIXED_TIMESTAMP = datetime(2013, 1, 1, 0, 0, 0)
_ZIP_DATE_TIME = (2013, 1, 1, 0, 0, 0)

_HEADERS = ("序号", "指标名称", "计量单位", "本期数", "", "去年同期累计", "同比增长(%)")
_WIDTHS = (6, 34, 10, 14, 16, 16, 12)
_INTEGER_UNITS = frozenset({"人", "个", "家", "所", "条", "位", "名"})
_EMPTY_MARKERS = frozenset({"", "-", "--", "—", "——", "/", "无", "…", "……"})
_STOP_PREFIXES = ("填报人", "注:", "注：", "单位负责人", "审核人", "统计负责人")


@dataclass(frozen=True, slots=True)
class FormRow:
    """One indicator line of a form; ``raw`` replaces the 累计 cell verbatim (defective files)."""

    indicator: str
    ytd: float | None
    month: float | None
    last_year_ytd: float | None
    raw: object | None = None


# --------------------------------------------------------------------------- writing


def _growth_pct(current: float | None, previous: float | None) -> float | None:
    if current is None or previous is None or previous == 0:
        return None
    return round((current / previous - 1) * 100, 1)


def _number_format(unit: str) -> str:
    return "#,##0" if unit in _INTEGER_UNITS else "#,##0.00##"


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
    org = catalog.unit(unit_code)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET_NAME
    ncols = len(_HEADERS)
    last_col = get_column_letter(ncols)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)

    ws["A1"] = TITLE
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = center
    ws.merge_cells(f"A1:{last_col}1")
    ws.row_dimensions[1].height = 28
    ws["A2"] = f"填报单位：{org.name}"
    ws.merge_cells("A2:C2")
    ws["F2"] = f"报告期：{period.label}"
    ws.merge_cells(f"F2:{last_col}2")
    ws["F2"].alignment = Alignment(horizontal="right")
    ws["A3"] = "金额单位：见计量单位列"
    ws.merge_cells("A3:C3")

    for idx, text in enumerate(_HEADERS, start=1):
        if text:
            ws.cell(row=4, column=idx, value=text)
    ws.cell(row=5, column=4, value="本月")
    ws.cell(row=5, column=5, value=f"{period.label.removeprefix(f'{period.year}年')}累计")
    for col in ("A", "B", "C", "F", "G"):
        ws.merge_cells(f"{col}4:{col}5")
    ws.merge_cells("D4:E4")
    for r in (4, 5):
        for c in range(1, ncols + 1):
            cell = ws.cell(row=r, column=c)
            cell.font = Font(bold=True)
            cell.alignment = center
            cell.border = box

    overrides = dict(units or {})
    r = 6
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
            cell.border = box
            if c in (4, 5, 6) and isinstance(value, int | float):
                cell.number_format = _number_format(unit)
            elif c == 7 and value is not None:
                cell.number_format = "0.0"
            if c in (1, 3):
                cell.alignment = Alignment(horizontal="center")
        r += 1

    r += 1  # blank row
    ws.cell(row=r, column=1, value=f"填报人：{filed_by}")
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=3)
    ws.cell(row=r, column=5, value=f"填报日期：{filed_on.year}年{filed_on.month}月{filed_on.day}日")
    ws.merge_cells(start_row=r, start_column=5, end_row=r, end_column=ncols)
    r += 1
    ws.cell(row=r, column=1, value=NOTE)
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)

    for c, width in enumerate(_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "C6"

    wb.properties.creator = org.name
    wb.properties.lastModifiedBy = org.name
    wb.properties.created = FIXED_TIMESTAMP
    buffer = io.BytesIO()
    wb.save(buffer)
    wb.properties.modified = FIXED_TIMESTAMP  # save() stamps "now"; core.xml is rewritten below
    core_xml = tostring(wb.properties.to_tree())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_normalize_zip(buffer.getvalue(), {"docProps/core.xml": core_xml}))


def _normalize_zip(data: bytes, replace: Mapping[str, bytes]) -> bytes:
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


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class SheetRows:
    """A sheet as rows of cell values (row 1 first), as a reader returns it."""

    name: str
    rows: list[list[object]]


class UnsupportedFormatError(ValueError):
    """No reader for the file's extension."""


def read_xlsx(path: Path) -> list[SheetRows]:
    """Every sheet of an .xlsx workbook as rows of values (merged cells: top-left only)."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheets: list[SheetRows] = []
        for ws in wb.worksheets:
            rows = [list(row) for row in ws.iter_rows(values_only=True)]
            sheets.append(SheetRows(ws.title, rows))
        return sheets
    finally:
        wb.close()


READERS: dict[str, Callable[[Path], list[SheetRows]]] = {".xlsx": read_xlsx, ".xlsm": read_xlsx}


def read_sheets(path: Path) -> list[SheetRows]:
    """Pick the reader by extension."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise UnsupportedFormatError(path.suffix)
    return reader(path)


# --------------------------------------------------------------------------- interpreting


@dataclass(frozen=True, slots=True)
class FormHeader:
    """Where the table is: header row and the columns that matter (0-based indexes)."""

    row: int  # 0-based index of the row holding 指标名称
    first_data_row: int
    name_col: int
    value_col: int
    unit_col: int | None
    month_col: int | None


@dataclass(slots=True)
class _Context:
    file: str
    sheet: str
    issues: list[SubmissionIssue] = field(default_factory=list)

    def add(
        self,
        code: str,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        severity: str = "error",
        sheet: bool = True,
    ) -> None:
        self.issues.append(
            SubmissionIssue(
                code=code,
                message=message,
                file=self.file,
                sheet=self.sheet if sheet else None,
                row=row,
                column=column,
                severity=severity,
            )
        )


def _text(value: object) -> str:
    if value is None:
        return ""
    return normalize_name(str(value))


def _is_prior(text: str) -> bool:
    return any(k in text for k in ("去年", "上年", "同期"))


def _find_column(
    top: Sequence[str], sub: Sequence[str], pred: Callable[[str, str], bool]
) -> int | None:
    return next((c for c, (t, s) in enumerate(zip(top, sub, strict=True)) if pred(t, s)), None)


def find_header(rows: Sequence[Sequence[object]]) -> FormHeader | None:
    """Locate the table by its header text, over one or two header rows (merged 本期数)."""
    for i, row in enumerate(rows):
        name_col = next((c for c, v in enumerate(row) if "指标名称" in _text(v)), None)
        if name_col is None:
            continue
        top = [_text(v) for v in row]
        sub = [_text(v) for v in rows[i + 1]] if i + 1 < len(rows) else []
        width = max(len(top), len(sub))
        top += [""] * (width - len(top))
        sub += [""] * (width - len(sub))
        two_rows = any(k in s for s in sub for k in ("本月", "累计", "本期"))
        if not two_rows:
            sub = [""] * width
        value_col = _find_column(
            top, sub, lambda t, s: "累计" in s and not _is_prior(s) and not _is_prior(t)
        )
        if value_col is None:
            value_col = _find_column(top, sub, lambda t, s: "累计" in t and not _is_prior(t))
        if value_col is None:
            value_col = _find_column(top, sub, lambda t, s: "本期数" in t and not s)
        if value_col is None:
            continue
        return FormHeader(
            row=i,
            first_data_row=i + 2 if two_rows else i + 1,
            name_col=name_col,
            value_col=value_col,
            unit_col=_find_column(top, sub, lambda t, s: "计量单位" in t + s or t == "单位"),
            month_col=_find_column(top, sub, lambda t, s: s.startswith("本月") or t == "本月"),
        )
    return None


class NotANumberError(ValueError):
    """A number cell holds text that is neither a number nor an empty marker."""


def parse_number(value: object) -> float | None:
    """A cell as a float, ``None`` for blank or an empty marker (—, -, /, 无).

    Accepts numeric strings with thousands separators or full-width digits; raises
    ``NotANumberError`` on anything else.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise NotANumberError(value)
    if isinstance(value, int | float):
        number = float(value)
        return None if math.isnan(number) else number
    if not isinstance(value, str):
        raise NotANumberError(value)
    text = unicodedata.normalize("NFKC", value).strip().replace(" ", "")
    if text in _EMPTY_MARKERS:
        return None
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")
    if re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        return float(text)
    raise NotANumberError(value)


_UNIT_RE = re.compile(r"填报单位[:：]\s*(\S.*)")
_PERIOD_RE = re.compile(
    r"报告期[:：]?\s*(\d{4})\s*(?:年\s*(?:(\d{1,2})\s*[-－—~～至]\s*)?(\d{1,2})\s*月|-(\d{1,2}))"
)
_BY_RE = re.compile(r"填报人[:：]\s*(\S+)")
_ON_RE = re.compile(
    r"填报日期[:：]?\s*(?:(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日|(\d{4})-(\d{1,2})-(\d{1,2}))"
)
_FILE_PERIOD_RE = re.compile(r"(\d{4})\s*(?:年\s*(\d{1,2})\s*月|-(\d{1,2})(?!\d))")


def _labelled(rows: Sequence[Sequence[object]], label: str) -> list[str]:
    """Texts of cells that carry ``label``, with the next non-empty cell appended if needed."""
    found: list[str] = []
    for row in rows:
        for c, value in enumerate(row):
            if not isinstance(value, str) or label not in value:
                continue
            text = unicodedata.normalize("NFKC", value).strip()
            if re.fullmatch(rf"{label}\s*[:：]?", text):
                nxt = next((v for v in row[c + 1 :] if v not in (None, "")), None)
                if isinstance(nxt, datetime | date):
                    nxt = nxt.strftime("%Y-%m-%d")
                text = f"{label}：{nxt}" if nxt is not None else text
            found.append(text)
    return found


def _make_period(year: int, month: int) -> str | None:
    try:
        return str(Period(year, month))
    except ValueError:
        return None


def read_identity(
    rows: Sequence[Sequence[object]], catalog: Catalog, ctx: _Context
) -> tuple[OrgUnit | None, str | None, str | None, date | None]:
    """填报单位, 报告期, 填报人 and 填报日期, wherever they sit in the sheet."""
    org: OrgUnit | None = None
    for text in _labelled(rows, "填报单位"):
        m = _UNIT_RE.search(text)
        if m:
            name = m.group(1).strip()
            org = catalog.unit_by_name(name)
            if org is None:
                ctx.add("unknown_org_unit", f"填报单位“{name}”不在单位目录中")
            break
    else:
        ctx.add("missing_identity", "表中未找到“填报单位”")

    period: str | None = None
    for text in _labelled(rows, "报告期"):
        m = _PERIOD_RE.search(text)
        if m:
            start = m.group(2)
            month = int(m.group(3) or m.group(4))
            period = _make_period(int(m.group(1)), month)
            if period is None or (start is not None and int(start) != 1):
                ctx.add("bad_period", f"报告期“{text}”无法识别")
                period = None
        else:
            ctx.add("bad_period", f"报告期“{text}”无法识别")
        break
    else:
        ctx.add("missing_identity", "表中未找到“报告期”")

    filed_by: str | None = None
    for text in _labelled(rows, "填报人"):
        m = _BY_RE.search(text)
        if m:
            filed_by = m.group(1)
            break

    filed_on: date | None = None
    for text in _labelled(rows, "填报日期"):
        m = _ON_RE.search(text)
        if m:
            parts = [int(g) for g in m.groups() if g is not None]
            try:
                filed_on = date(parts[0], parts[1], parts[2])
            except ValueError:
                ctx.add("bad_date", f"填报日期“{text}”不是有效日期", severity="warning")
        else:
            ctx.add("bad_date", f"填报日期“{text}”无法识别", severity="warning")
        break
    return org, period, filed_by, filed_on


def _unit_name_keys(unit: OrgUnit) -> list[str]:
    """The unit's name and short forms used in file names (新区直报单位 → 新区直报)."""
    full = normalize_name(unit.name)
    short = re.sub(r"\(.*?\)", "", full)
    keys = {full, short, short.removesuffix("单位")}
    return sorted((k for k in keys if len(k) >= 2), key=len, reverse=True)


def identity_from_filename(name: str, catalog: Catalog) -> tuple[OrgUnit | None, str | None]:
    """The unit and period a file name claims, e.g. ``宁郭镇_2013年05月_月报.xlsx``."""
    stem = normalize_name(Path(name).stem)
    best: tuple[int, OrgUnit] | None = None
    for unit in catalog.units:
        for key in _unit_name_keys(unit):
            if key in stem and (best is None or len(key) > best[0]):
                best = (len(key), unit)
    period: str | None = None
    m = _FILE_PERIOD_RE.search(stem)
    if m:
        period = _make_period(int(m.group(1)), int(m.group(2) or m.group(3)))
    return (best[1] if best else None), period


def _suggest(key: str, index: Mapping[str, str], catalog: Catalog) -> list[str]:
    close = difflib.get_close_matches(key, list(index), n=3, cutoff=0.4)
    names: list[str] = []
    for k in close:
        name = catalog.indicator(index[k]).name
        if name not in names:
            names.append(name)
    return names


def _is_stop_row(row: Sequence[object]) -> bool:
    return any(isinstance(v, str) and _text(v).startswith(_STOP_PREFIXES) for v in row)


def interpret_table(
    rows: Sequence[Sequence[object]],
    header: FormHeader,
    catalog: Catalog,
    ctx: _Context,
) -> tuple[list[dict[str, object]], set[str]]:
    """Data rows → observation records in canonical units, and the indicators seen."""
    index = catalog.name_index()
    records: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    value_letter = get_column_letter(header.value_col + 1)
    name_letter = get_column_letter(header.name_col + 1)

    def cell(row: Sequence[object], col: int | None) -> object:
        return row[col] if col is not None and col < len(row) else None

    for i in range(header.first_data_row, len(rows)):
        row = rows[i]
        sheet_row = i + 1
        if _is_stop_row(row):
            break
        raw_name = cell(row, header.name_col)
        if raw_name is None or not str(raw_name).strip():
            continue
        key = re.sub(
            r"^(其中[:：]?|\d+[.、]|[(（][一二三四五六七八九十\d]+[)）])", "", _text(raw_name)
        )
        code = index.get(key)
        if code is None:
            hint = _suggest(key, index, catalog)
            tip = f"，是否为：{'、'.join(hint)}" if hint else ""
            ctx.add(
                "unknown_indicator",
                f"第 {sheet_row} 行 {name_letter} 列的指标“{raw_name}”不在指标目录中{tip}",
                row=sheet_row,
                column=name_letter,
            )
            continue
        ind = catalog.indicator(code)
        if code in seen:
            ctx.add(
                "duplicate_indicator",
                f"指标“{ind.name}”重复填报（第 {seen[code]} 行与第 {sheet_row} 行）",
                row=sheet_row,
                column=name_letter,
            )
            continue
        seen[code] = sheet_row

        raw_unit_value = cell(row, header.unit_col)
        raw_unit = (
            normalize_unit(str(raw_unit_value)) if raw_unit_value not in (None, "") else ind.unit
        )

        try:
            value = parse_number(cell(row, header.value_col))
        except NotANumberError:
            ctx.add(
                "not_a_number",
                f"工作表“{ctx.sheet}”第 {sheet_row} 行 {value_letter} 列"
                f"（{ind.name}）的内容“{cell(row, header.value_col)}”不是数字",
                row=sheet_row,
                column=value_letter,
            )
            continue
        if value is None:
            ctx.add(
                "missing_value",
                f"指标“{ind.name}”未填报数值（第 {sheet_row} 行 {value_letter} 列）",
                row=sheet_row,
                column=value_letter,
                severity="warning",
            )
            continue
        try:
            month_value = parse_number(cell(row, header.month_col))
        except NotANumberError:
            month_letter = get_column_letter((header.month_col or 0) + 1)
            ctx.add(
                "not_a_number",
                f"工作表“{ctx.sheet}”第 {sheet_row} 行 {month_letter} 列"
                f"（{ind.name}本月）的内容“{cell(row, header.month_col)}”不是数字",
                row=sheet_row,
                column=month_letter,
            )
            continue
        try:
            canonical = convert(value, raw_unit, ind.unit)
            month = (
                convert(month_value, raw_unit, ind.unit) if month_value is not None else math.nan
            )
        except UnitError as exc:
            ctx.add(
                "bad_unit",
                f"指标“{ind.name}”的计量单位“{raw_unit_value}”无法换算为“{ind.unit}”：{exc}",
                row=sheet_row,
                column=get_column_letter((header.unit_col or header.value_col) + 1),
            )
            continue
        records.append(
            {
                "indicator": code,
                "value": canonical,
                "value_month": month,
                "unit": ind.unit,
                "raw_unit": str(raw_unit_value) if raw_unit_value is not None else "",
                "sheet": ctx.sheet,
                "row": sheet_row,
                "column": value_letter,
            }
        )
    return records, set(seen)


def _frame(records: list[dict[str, object]], org: str | None, period: str | None) -> pd.DataFrame:
    frame = pd.DataFrame(
        records, columns=[c for c in OBSERVATION_COLUMNS if c not in ("org_unit", "period")]
    )
    frame.insert(0, "org_unit", org)
    frame.insert(1, "period", period)
    frame = frame.astype({"value": "float64", "value_month": "float64", "row": "int64"})
    return frame[list(OBSERVATION_COLUMNS)]


def interpret_sheets(sheets: Sequence[SheetRows], path: Path, catalog: Catalog) -> ParsedSubmission:
    """Pure part of parsing: sheets of values → observations and issues."""
    file = path.name
    chosen = next((s for s in sheets if find_header(s.rows) is not None), None)
    if chosen is None:
        sheet = sheets[0].name if sheets else None
        ctx = _Context(file, sheet or "")
        ctx.add(
            "missing_header",
            "未找到表头（含“指标名称”和“累计”列的行），无法识别表格",
            sheet=bool(sheet),
        )
        result = ParsedSubmission(path=path, sha256="", org_unit=None, period=None)
        result.issues.extend(ctx.issues)
        return result

    ctx = _Context(file, chosen.name)
    header = find_header(chosen.rows)
    assert header is not None
    org, period, filed_by, filed_on = read_identity(chosen.rows, catalog, ctx)

    file_org, file_period = identity_from_filename(file, catalog)
    if file_org is not None and org is not None and file_org.code != org.code:
        ctx.add(
            "identity_mismatch",
            f"文件名中的单位“{file_org.name}”与表内填报单位“{org.name}”不一致",
            sheet=False,
        )
    if file_period is not None and period is not None and file_period != period:
        ctx.add(
            "identity_mismatch",
            f"文件名中的报告期 {file_period} 与表内报告期 {period} 不一致",
            sheet=False,
        )
    if (
        org is None
        and file_org is not None
        and not any(i.code == "unknown_org_unit" for i in ctx.issues)
    ):
        org = file_org
    if (
        period is None
        and file_period is not None
        and not any(i.code == "bad_period" for i in ctx.issues)
    ):
        period = file_period

    records, seen = interpret_table(chosen.rows, header, catalog, ctx)
    if org is not None:
        for code in org.reports:
            if code not in seen:
                ctx.add(
                    "missing_indicator",
                    f"{org.name}月报应填报的指标“{catalog.indicator(code).name}”缺失",
                    severity="warning",
                )
    return ParsedSubmission(
        path=path,
        sha256="",
        org_unit=org.code if org else None,
        period=period,
        filed_by=filed_by,
        filed_on=filed_on,
        frame=_frame(records, org.code if org else None, period),
        issues=ctx.issues,
    )


def parse_submission(path: Path, catalog: Catalog) -> ParsedSubmission:
    """Parse one submitted form; never raises on bad input, every problem is an issue."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _unreadable(path, "", f"无法读取文件：{exc}")
    digest = hashlib.sha256(data).hexdigest()
    try:
        sheets = read_sheets(path)
    except UnsupportedFormatError:
        message = f"暂不支持“{path.suffix}”格式，请报送 .xlsx 文件"
        return _unreadable(path, digest, message, code="unsupported_format")
    except Exception as exc:  # any reader failure: the file is damaged or not a workbook
        message = f"文件无法打开，可能已损坏或不是 Excel 文件（{type(exc).__name__}）"
        return _unreadable(path, digest, message)
    result = interpret_sheets(sheets, path, catalog)
    result.sha256 = digest
    return result


def _unreadable(
    path: Path, digest: str, message: str, code: str = "unreadable_file"
) -> ParsedSubmission:
    result = ParsedSubmission(path=path, sha256=digest, org_unit=None, period=None)
    result.issues.append(SubmissionIssue(code=code, message=message, file=path.name))
    return result
