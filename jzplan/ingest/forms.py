"""The monthly report form (月报) a township statistics office sends: written and parsed.

Reading is split from interpreting: ``jzplan.ingest.readers`` turns a file (.xlsx, .xls, .csv in
UTF-8 or GBK) into sheets of cell values; everything after that (``interpret_sheets``) is
pure functions over rows. The table is found by its header text, identity by its labels
(填报单位, 报告期) and cross-checked with the file name and inbox folder; values are
converted to each indicator's canonical unit. Every problem is a located ``SubmissionIssue``
with a stable English code and a Chinese message.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import math
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.xml.functions import tostring

from jzplan.core.periods import Period
from jzplan.core.submissions import OBSERVATION_COLUMNS, ParsedSubmission, SubmissionIssue
from jzplan.ingest.readers import ReadError, SheetRows, as_date, read_workbook
from jzplan.reference.catalog import (
    UNIT_FACTORS,
    Catalog,
    OrgUnit,
    UnitError,
    convert,
    normalize_name,
    normalize_unit,
)

SHEET_NAME = "月报"
TITLE = "焦作新区主要经济指标月报表"
NOTE = "注：流量指标填报1至本月累计数，存量指标填报月末数；无数据填“—”；请于次月3日前报送。"
# Fixed timestamps make the same inputs give the same bytes.
FIXED_TIMESTAMP = datetime(2013, 1, 1, 0, 0, 0)
_ZIP_DATE_TIME = (2013, 1, 1, 0, 0, 0)

_HEADERS = ("序号", "指标名称", "计量单位", "本期数", "", "去年同期累计", "同比增长(%)")
_WIDTHS = (6, 34, 10, 14, 16, 16, 12)
FIRST_DATA_ROW = 6  # below the title, 填报单位/报告期, 金额单位 and the two header rows
# Units of counts: whole numbers (number format here, data validation in jzplan.ingest.template)
WHOLE_UNITS = frozenset({"人", "个", "家", "所", "条", "位", "名"})


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
) -> openpyxl.Workbook:
    """The form as an openpyxl workbook (first data row ``FIRST_DATA_ROW``, 累计 in column E)."""
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
    ws.cell(row=5, column=5, value=f"{ytd_span(period)}累计")
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
    on = f"{filed_on.year}年{filed_on.month}月{filed_on.day}日" if filed_on else ""
    ws.cell(row=r, column=5, value=f"填报日期：{on}")
    ws.merge_cells(start_row=r, start_column=5, end_row=r, end_column=ncols)
    r += 1
    ws.cell(row=r, column=1, value=NOTE)
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)

    for c, width in enumerate(_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "C6"
    return wb


def save_workbook(wb: openpyxl.Workbook, path: Path, *, creator: str) -> None:
    """Save with fixed timestamps, so the same workbook gives the same bytes."""
    wb.properties.creator = creator
    wb.properties.lastModifiedBy = creator
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


# --------------------------------------------------------------------------- interpreting

# Labels of the lines around the table; a value cell stops where the next label starts.
_LABELS = (
    "填报单位", "报告期", "填报人", "填报日期", "单位负责人", "统计负责人", "审核人",
    "负责人", "联系电话", "金额单位", "计量单位",
)  # fmt: skip
_NAME_HEADERS = frozenset({"指标名称", "指标", "项目", "指标项目", "项目名称", "指标名"})
_MARKER_ROWS = frozenset({"甲", "乙", "丙", "A", "B"})
_MULTIPLIERS = {"万": 1e4, "亿": 1e8}
_YTD_SPAN_RE = re.compile(r"1[-~至—–](\d{1,2})月")
_PERIOD_TEXT_RE = re.compile(
    r"(\d{4})(?:年(?:(\d{1,2})[-~至—–])?(\d{1,2})月份?|[-./](\d{1,2}))(?!\d)"
)
_FILE_PERIOD_RE = re.compile(
    r"(\d{4})\s*(?:年\s*(?:\d{1,2}\s*[-~至—–]\s*)?(\d{1,2})\s*月|[-._](\d{1,2})(?!\d))"
)
_FOLDER_RE = re.compile(r"^(\d{4})-(\d{2})$")
_DATE_RE = re.compile(r"(\d{4})(?:年(\d{1,2})月(\d{1,2})日?|[-./](\d{1,2})[-./](\d{1,2}))")
_CIRCLED = re.compile(r"^[\u2460-\u2473\u2776-\u277f]+")
_NAME_PREFIX = re.compile(
    r"^(?:其中[:]?|内[:]|[#*※△▲■□●○-]+|\d{1,2}[.、)]|\([一二三四五六七八九十\d]{1,3}\)"
    r"|[一二三四五六七八九十]{1,3}[、.])+"
)


@dataclass(frozen=True, slots=True)
class FormHeader:
    """Where the table is: header row and the columns that matter (0-based indexes)."""

    row: int  # 0-based index of the row holding 指标名称
    first_data_row: int
    name_col: int
    value_col: int
    unit_col: int | None
    month_col: int | None
    value_label: str = ""  # the value column's header text, e.g. 1-5月累计
    value_label_row: int = 0  # 0-based row of that text


@dataclass(frozen=True, slots=True)
class Located:
    """A labelled value found in the sheet and the cell it sits in (row 1-based, col 0-based)."""

    value: object
    row: int
    col: int
    raw: str


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

    def at(self, code: str, message: str, found: Located, severity: str = "error") -> None:
        self.add(
            code, message, row=found.row, column=get_column_letter(found.col + 1), severity=severity
        )


def _norm(value: object) -> str:
    """NFKC (full-width → ASCII), no whitespace: the key every comparison uses."""
    if value is None:
        return ""
    return normalize_name(str(value))


def _cut_at_label(text: str, own: str) -> str:
    ends = [i for label in _LABELS if label != own and (i := text.find(label)) > 0]
    return text[: min(ends)] if ends else text


def find_labelled(
    rows: Sequence[Sequence[object]], label: str, *, stop: int | None = None
) -> Located | None:
    """The value written after ``label`` (same cell or the next non-empty one), first found."""
    for r, row in enumerate(rows[:stop]):
        for c, value in enumerate(row):
            if not isinstance(value, str):
                continue
            norm = _norm(value)
            i = norm.find(label)
            if i < 0:
                continue
            rest = norm[i + len(label) :]
            rest = re.sub(r"^\((?:盖章|签章|签字|公章|签名)\)", "", rest).lstrip(":")
            rest = _cut_at_label(rest, label)
            if rest:
                return Located(rest, r + 1, c, str(value).strip())
            for c2 in range(c + 1, len(row)):
                nxt = row[c2]
                if nxt is None or (isinstance(nxt, str) and not nxt.strip()):
                    continue
                if isinstance(nxt, str) and any(lab in _norm(nxt) for lab in _LABELS):
                    break
                shown = nxt if isinstance(nxt, date) else _norm(nxt)
                return Located(shown, r + 1, c2, str(nxt).strip())
            return Located("", r + 1, c, str(value).strip())
    return None


def _is_prior(text: str) -> bool:
    return any(k in text for k in ("去年", "上年", "同期"))


def _is_ytd(text: str) -> bool:
    return ("累计" in text or _YTD_SPAN_RE.search(text) is not None) and not _is_prior(text)


def _is_month(text: str) -> bool:
    return text.startswith(("本月", "当月")) and "累计" not in text and "止" not in text


def _is_header_word(text: str) -> bool:
    return any(k in text for k in ("本月", "当月", "累计", "本期", "去年", "同期", "增长")) or bool(
        _YTD_SPAN_RE.search(text)
    )


def find_header(rows: Sequence[Sequence[object]]) -> FormHeader | None:
    """Locate the table by its header text, over one or two header rows (merged 本期数)."""
    for i, row in enumerate(rows):
        texts = [_norm(v) for v in row]
        name_col = next(
            (c for c, t in enumerate(texts) if t in _NAME_HEADERS or "指标名称" in t), None
        )
        if name_col is None:
            continue
        top = texts
        sub = [_norm(v) for v in rows[i + 1]] if i + 1 < len(rows) else []
        width = max(len(top), len(sub))
        top = top + [""] * (width - len(top))
        sub = sub + [""] * (width - len(sub))
        two_rows = not sub[name_col] and any(_is_header_word(s) for s in sub)
        if not two_rows:
            sub = [""] * width
        # a merged top cell spans the empty top cells to its right that have a sub-header
        parent: list[str] = []
        for c in range(width):
            parent.append(top[c] or (parent[c - 1] if c and sub[c] else ""))
        own = [sub[c] or top[c] for c in range(width)]
        full = [f"{parent[c]}{sub[c]}" for c in range(width)]

        value_col = next((c for c in range(width) if c != name_col and _is_ytd(full[c])), None)
        if value_col is None:
            value_col = next(
                (c for c in range(width) if own[c] in ("本期数", "本期", "数值", "本年")), None
            )
        if value_col is None:
            continue
        month_col = next(
            (c for c in range(width) if _is_month(own[c]) and not _is_prior(full[c])), None
        )
        unit_col = next(
            (c for c in range(width) if "计量单位" in full[c] or own[c] == "单位"), None
        )
        label_row = i + 1 if two_rows and sub[value_col] else i
        return FormHeader(
            row=i,
            first_data_row=i + 2 if two_rows else i + 1,
            name_col=name_col,
            value_col=value_col,
            unit_col=unit_col,
            month_col=month_col,
            value_label=own[value_col],
            value_label_row=label_row,
        )
    return None


class NotANumberError(ValueError):
    """A number cell holds text that is neither a number nor an empty marker."""


_EMPTY_MARKERS = frozenset(
    {"", "-", "--", "—", "——", "–", "―", "/", "\\", "无", "空", "空白", "…", "……", "...", "x", "X"}
)
_NUMBER_RE = re.compile(r"([+-]?(?:\d+(?:\.\d*)?|\.\d+))(.*)")


def parse_quantity(value: object) -> tuple[float | None, str | None]:
    """A cell as (number, unit written in the cell), (None, None) when blank or an empty marker.

    Accepts full-width digits and punctuation (１２３，４５６．７), thousands separators, a
    leading △ for minus (statistical tables), and a trailing 万/亿, %, ‰ or unit (1.2亿元).
    Raises ``NotANumberError`` on anything else.
    """
    if value is None:
        return None, None
    if isinstance(value, bool):
        raise NotANumberError(value)
    if isinstance(value, int | float):
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            return None, None
        return number, None
    if not isinstance(value, str):
        raise NotANumberError(value)
    text = _norm(value)
    if text in _EMPTY_MARKERS:
        return None, None
    sign = ""
    if text.startswith(("△", "▲")):
        sign, text = "-", text[1:]
    m = _NUMBER_RE.fullmatch(text.replace(",", "")) if _good_grouping(text) else None
    if m is None:
        raise NotANumberError(value)
    suffix = normalize_unit(m.group(2)) or None
    if suffix is not None and suffix not in _MULTIPLIERS and suffix not in UNIT_FACTORS:
        raise NotANumberError(value)
    return float(sign + m.group(1)), suffix


def _good_grouping(text: str) -> bool:
    """Commas only as thousands separators (1,234,567.8), never 12,34 or 1,2."""
    if "," not in text:
        return True
    integer = re.match(r"[+-]?([\d,]*)", text)
    assert integer is not None
    return re.fullmatch(r"\d{1,3}(,\d{3})+", integer.group(1)) is not None


def parse_number(value: object) -> float | None:
    """A plain number cell (no unit in it) as a float; ``None`` for blank or an empty marker."""
    number, suffix = parse_quantity(value)
    if suffix is not None:
        raise NotANumberError(value)
    return number


def to_canonical(number: float, cell_unit: str | None, row_unit: str, canonical: str) -> float:
    """Convert a value to the indicator's unit; raises ``UnitError``.

    ``cell_unit`` is what the cell itself carries: a full unit (亿元) replaces the row's
    unit, a bare 万/亿 scales the row unit's base (1.2亿 in a 万元 row is 1.2亿元).
    """
    unit = row_unit
    if cell_unit in _MULTIPLIERS:
        if UNIT_FACTORS.get(canonical, ("", 0.0))[0] in ("percent", "permille"):
            raise UnitError(f"比率指标的数值不能带“{cell_unit}”")
        number *= _MULTIPLIERS[cell_unit]
        unit = _bare_unit(row_unit)
    elif cell_unit is not None:
        unit = cell_unit
    pair = {normalize_unit(unit), normalize_unit(canonical)}
    if pair == {"%", "‰"}:
        return number * 10 if normalize_unit(unit) == "%" else number / 10
    return convert(number, unit, canonical)


def _bare_unit(unit: str) -> str:
    for prefix in _MULTIPLIERS:
        if unit.startswith(prefix) and unit[1:] in UNIT_FACTORS:
            return unit[1:]
    return unit


def _same_dimension(a: str, b: str) -> bool:
    da, db = UNIT_FACTORS.get(a), UNIT_FACTORS.get(b)
    return da is not None and db is not None and da[0] == db[0]


def indicator_key(raw: str) -> tuple[str, str | None]:
    """Matching key of a name cell and the unit it carries in brackets, if any.

    ``其中：规上工业增加值（亿元）`` → (``规上工业增加值``, ``亿元``): numbering, 其中 and
    list marks go, full-width forms fold, spaces vanish.
    """
    text = _norm(_CIRCLED.sub("", str(raw).strip()))
    text = _NAME_PREFIX.sub("", text).rstrip(":")
    unit: str | None = None
    m = re.search(r"\(([^()]*)\)$", text)
    if m and normalize_unit(m.group(1)) in UNIT_FACTORS:
        unit = normalize_unit(m.group(1))
        text = text[: m.start()]
    return text, unit


def _make_period(year: int, month: int) -> str | None:
    try:
        return str(Period(year, month))
    except ValueError:
        return None


def period_from_text(text: str) -> tuple[str | None, bool]:
    """(YYYY-MM, recognised) from 2013年3月 / 2013年1-3月 / 2013-03 / 2013.3; a span must start
    in January (the form reports year-to-date)."""
    m = _PERIOD_TEXT_RE.search(text)
    if m is None:
        return None, False
    start = m.group(2)
    period = _make_period(int(m.group(1)), int(m.group(3) or m.group(4)))
    if period is None or (start is not None and int(start) != 1):
        return None, True
    return period, True


def _resolve_unit(text: str, catalog: Catalog) -> OrgUnit | None:
    """The org unit named in 填报单位: exact, or the longest unit name the text contains
    (宁郭镇人民政府, 宁郭镇统计站)."""
    exact = catalog.unit_by_name(text)
    return exact if exact is not None else _longest_unit_in(text, catalog)


@dataclass(slots=True)
class Identity:
    org: OrgUnit | None = None
    org_at: Located | None = None
    period: str | None = None
    period_at: Located | None = None
    filed_by: str | None = None
    filed_on: date | None = None


def read_identity(
    rows: Sequence[Sequence[object]], catalog: Catalog, ctx: _Context, header_row: int
) -> Identity:
    """填报单位, 报告期, 填报人 and 填报日期, wherever they sit in the sheet."""
    ident = Identity()
    found = find_labelled(rows, "填报单位")
    if found is None or not found.value:
        ctx.add("missing_identity", "表中未找到“填报单位”", sheet=True)
    else:
        ident.org_at = found
        ident.org = _resolve_unit(str(found.value), catalog)
        if ident.org is None:
            ctx.at("unknown_org_unit", f"填报单位“{found.value}”不在单位目录中", found)

    found = find_labelled(rows, "报告期")
    if found is None:
        # no label: a line such as 2013年1-5月 under the title
        for r, row in enumerate(rows[:header_row]):
            for c, value in enumerate(row):
                text = _norm(value)
                if isinstance(value, str) and _PERIOD_TEXT_RE.search(text) and "年" in text:
                    found = Located(text, r + 1, c, str(value))
                    break
            if found is not None:
                break
    if found is None or found.value in ("", None):
        ctx.add("missing_identity", "表中未找到“报告期”")
    else:
        ident.period_at = found
        if isinstance(found.value, date):
            ident.period = _make_period(found.value.year, found.value.month)
        else:
            ident.period, _ = period_from_text(str(found.value))
        if ident.period is None:
            ctx.at(
                "bad_period",
                f"报告期“{found.value}”无法识别：应写作“2013年5月”或“2013年1-5月”（从1月起累计）",
                found,
            )

    found = find_labelled(rows, "填报人")
    if found is not None and isinstance(found.value, str) and found.value:
        ident.filed_by = found.value

    found = find_labelled(rows, "填报日期")
    if found is not None and found.value not in ("", None):
        if isinstance(found.value, date):
            ident.filed_on = as_date(found.value)
        else:
            m = _DATE_RE.search(str(found.value))
            if m is None:
                ctx.at("bad_date", f"填报日期“{found.raw}”无法识别", found, severity="warning")
            else:
                parts = [int(g) for g in m.groups() if g is not None]
                try:
                    ident.filed_on = date(parts[0], parts[1], parts[2])
                except ValueError:
                    ctx.at("bad_date", f"填报日期“{found.raw}”不是有效日期", found, "warning")
    return ident


def _unit_name_keys(unit: OrgUnit) -> list[str]:
    """The unit's name and short forms used in file names (新区直报单位 → 新区直报)."""
    full = normalize_name(unit.name)
    short = re.sub(r"\(.*?\)", "", full)
    keys = {full, short, short.removesuffix("单位")}
    return sorted((k for k in keys if len(k) >= 2), key=len, reverse=True)


def _longest_unit_in(text: str, catalog: Catalog) -> OrgUnit | None:
    """The reporting unit whose name or short form is the longest one ``text`` contains."""
    best: tuple[int, OrgUnit] | None = None
    for unit in catalog.units:
        for key in _unit_name_keys(unit):
            if key in text and (best is None or len(key) > best[0]):
                best = (len(key), unit)
    return best[1] if best else None


def identity_from_filename(name: str, catalog: Catalog) -> tuple[OrgUnit | None, str | None]:
    """The unit and period a file name claims, e.g. ``宁郭镇_2013年05月_月报.xlsx``."""
    stem = normalize_name(Path(name).stem)
    period: str | None = None
    m = _FILE_PERIOD_RE.search(stem)
    if m:
        period = _make_period(int(m.group(1)), int(m.group(2) or m.group(3)))
    return _longest_unit_in(stem, catalog), period


def arrival_from_folder(path: Path) -> Period | None:
    """The batch a file arrived with, from its inbox folder ``<YYYY-MM>/`` (None elsewhere)."""
    m = _FOLDER_RE.match(path.parent.name)
    if m is None:
        return None
    try:
        return Period(int(m.group(1)), int(m.group(2)))
    except ValueError:
        return None


def _suggest(key: str, index: Mapping[str, str], catalog: Catalog) -> list[str]:
    close = difflib.get_close_matches(key, list(index), n=5, cutoff=0.4)
    names: list[str] = []
    for k in close:
        name = catalog.indicator(index[k]).name
        if name not in names:
            names.append(name)
    return names[:3]


_STOP_PREFIXES = (
    "填报人", "注:", "注：", "说明", "备注", "单位负责人", "审核人", "统计负责人", "负责人",
)  # fmt: skip


def _is_stop_row(row: Sequence[object]) -> bool:
    return any(isinstance(v, str) and _norm(v).startswith(_STOP_PREFIXES) for v in row)


def _sheet_unit(rows: Sequence[Sequence[object]], header_row: int) -> str | None:
    """A 单位：万元 (or 金额单位：万元) line above the table, when it names a known unit."""
    for row in rows[:header_row]:
        for value in row:
            if not isinstance(value, str):
                continue
            m = re.search(r"(?<!填报)(?<!计量)单位:([^:]+)", _norm(value))
            if m:
                unit = normalize_unit(_cut_at_label(m.group(1), "单位"))
                if unit in UNIT_FACTORS:
                    return unit
    return None


def interpret_table(
    rows: Sequence[Sequence[object]],
    header: FormHeader,
    catalog: Catalog,
    ctx: _Context,
    *,
    sheet_unit: str | None = None,
) -> tuple[list[dict[str, object]], set[str]]:
    """Data rows → observation records in canonical units, and the indicators seen."""
    index = catalog.name_index()
    records: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    value_letter = get_column_letter(header.value_col + 1)
    name_letter = get_column_letter(header.name_col + 1)
    unit_letter = get_column_letter(header.unit_col + 1) if header.unit_col is not None else None

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
        key, name_unit = indicator_key(str(raw_name))
        if key in _MARKER_ROWS:
            continue  # the 甲 乙 1 2 3 column-code row of statistical forms
        code = index.get(key)
        if code is None:
            hint = _suggest(key, index, catalog)
            tip = f"，最接近的指标：{'、'.join(hint)}" if hint else ""
            ctx.add(
                "unknown_indicator",
                f"指标“{raw_name}”不在指标目录中{tip}",
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
        written_unit = normalize_unit(str(raw_unit_value)) if raw_unit_value is not None else ""
        if written_unit:
            if not _same_dimension(written_unit, ind.unit) and {written_unit, ind.unit} != {
                "%",
                "‰",
            }:
                reason = (
                    "不是可识别的计量单位"
                    if written_unit not in UNIT_FACTORS
                    else f"不能换算为“{ind.unit}”"
                )
                ctx.add(
                    "bad_unit",
                    f"指标“{ind.name}”的计量单位“{raw_unit_value}”{reason}",
                    row=sheet_row,
                    column=unit_letter,
                )
                continue
            row_unit = written_unit
        elif name_unit is not None:
            row_unit = name_unit
        elif sheet_unit is not None and _same_dimension(sheet_unit, ind.unit):
            row_unit = sheet_unit
        else:
            row_unit = ind.unit

        parsed: dict[str, float | None] = {}
        failed = False
        for role, col in (("value", header.value_col), ("month", header.month_col)):
            if col is None:
                parsed[role] = None
                continue
            letter = get_column_letter(col + 1)
            raw = cell(row, col)
            label = "" if role == "value" else "本月"
            try:
                number, cell_unit = parse_quantity(raw)
            except NotANumberError:
                ctx.add(
                    "not_a_number",
                    f"指标“{ind.name}”{label}的内容“{raw}”不是数字（只能填数字或“—”）",
                    row=sheet_row,
                    column=letter,
                )
                failed = True
                break
            if number is None:
                parsed[role] = None
                continue
            try:
                parsed[role] = to_canonical(number, cell_unit, row_unit, ind.unit)
            except UnitError as exc:
                ctx.add(
                    "bad_unit",
                    f"指标“{ind.name}”{label}的“{raw}”无法换算为“{ind.unit}”：{exc}",
                    row=sheet_row,
                    column=letter,
                )
                failed = True
                break
        if failed:
            continue
        value = parsed["value"]
        if value is None:
            ctx.add(
                "missing_value",
                f"指标“{ind.name}”未填报数值",
                row=sheet_row,
                column=value_letter,
                severity="warning",
            )
            continue
        month = parsed["month"]
        records.append(
            {
                "indicator": code,
                "value": value,
                "value_month": math.nan if month is None else month,
                "unit": ind.unit,
                "raw_unit": str(raw_unit_value) if raw_unit_value is not None else row_unit,
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


def _check_identity(
    ident: Identity,
    ctx: _Context,
    *,
    file: str,
    catalog: Catalog,
    arrival: Period | None,
) -> None:
    """Cross-check the contents' 填报单位 and 报告期 with the file name and the inbox folder."""
    file_org, file_period = identity_from_filename(file, catalog)
    if file_org is not None and ident.org is not None and file_org.code != ident.org.code:
        assert ident.org_at is not None
        ctx.at(
            "org_unit_mismatch",
            f"表内填报单位“{ident.org.name}”与文件名中的单位“{file_org.name}”不一致",
            ident.org_at,
        )
    if file_period is not None and ident.period is not None and file_period != ident.period:
        assert ident.period_at is not None
        ctx.at(
            "period_mismatch",
            f"表内报告期 {ident.period} 与文件名中的报告期 {file_period} 不一致",
            ident.period_at,
        )
    if arrival is not None and ident.period is not None and Period.parse(ident.period) > arrival:
        assert ident.period_at is not None
        ctx.at(
            "period_after_arrival",
            f"表内报告期 {ident.period} 晚于所在批次文件夹 {arrival}：月报只能在报告期之后报送",
            ident.period_at,
        )
    # the file name stands in only when the contents are silent (still an error above)
    if ident.org is None and ident.org_at is None:
        ident.org = file_org
    if ident.period is None and ident.period_at is None:
        ident.period = file_period


def _check_header_span(header: FormHeader, period: str | None, ctx: _Context) -> None:
    """A 1-N月累计 header must end at the report's month (a copied old form does not)."""
    m = _YTD_SPAN_RE.search(header.value_label)
    if m is None or period is None:
        return
    month = Period.parse(period).month
    if int(m.group(1)) != month:
        ctx.add(
            "header_period_mismatch",
            f"表头“{header.value_label}”与报告期 {period} 不一致（应为“1-{month}月累计”），"
            "可能沿用了上月报表",
            row=header.value_label_row + 1,
            column=get_column_letter(header.value_col + 1),
        )


def interpret_sheets(
    sheets: Sequence[SheetRows],
    path: Path,
    catalog: Catalog,
    *,
    arrival: Period | None = None,
) -> ParsedSubmission:
    """Pure part of parsing: sheets of values → observations and issues."""
    file = path.name
    found = [(s, h) for s in sheets if (h := find_header(s.rows)) is not None]
    if not found:
        sheet = sheets[0].name if sheets else None
        ctx = _Context(file, sheet or "")
        ctx.add(
            "missing_header",
            "未找到表头（含“指标名称”和“1-N月累计”或“本期数”列的行），无法识别表格",
            sheet=bool(sheet),
        )
        result = ParsedSubmission(path=path, sha256="", org_unit=None, period=None)
        result.issues.extend(ctx.issues)
        return result
    # a workbook may carry instructions or last month's copy: prefer the sheet named 月报
    chosen, header = next(((s, h) for s, h in found if SHEET_NAME in s.name), found[0])

    ctx = _Context(file, chosen.name)
    ident = read_identity(chosen.rows, catalog, ctx, header.row)
    _check_identity(ident, ctx, file=file, catalog=catalog, arrival=arrival)
    _check_header_span(header, ident.period, ctx)

    org = ident.org
    records, seen = interpret_table(
        chosen.rows, header, catalog, ctx, sheet_unit=_sheet_unit(chosen.rows, header.row)
    )
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
        period=ident.period,
        filed_by=ident.filed_by,
        filed_on=ident.filed_on,
        frame=_frame(records, org.code if org else None, ident.period),
        issues=ctx.issues,
    )


def parse_submission(
    path: Path,
    catalog: Catalog,
    *,
    arrival: Period | None = None,
    data: bytes | None = None,
) -> ParsedSubmission:
    """Parse one submitted form; never raises on bad input, every problem is an issue.

    ``arrival`` is the batch the file came with (default: its folder, when named YYYY-MM); a
    report for a later month than its batch is an error. ``data`` is the file's bytes when
    the caller has read them already (so the hash and the parse see the same content).
    """
    path = Path(path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            return _unreadable(path, "", f"无法读取文件：{exc}")
    digest = hashlib.sha256(data).hexdigest()
    try:
        book = read_workbook(data, path.suffix)
    except ReadError as exc:
        return _unreadable(path, digest, exc.message, code=exc.code)
    result = interpret_sheets(
        book.sheets, path, catalog, arrival=arrival if arrival else arrival_from_folder(path)
    )
    result.sha256 = digest
    return result


def _unreadable(
    path: Path, digest: str, message: str, code: str = "unreadable_file"
) -> ParsedSubmission:
    result = ParsedSubmission(path=path, sha256=digest, org_unit=None, period=None)
    result.issues.append(SubmissionIssue(code=code, message=message, file=path.name))
    return result
