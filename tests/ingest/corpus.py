"""Builds the ingest test corpus: one township form as offices send it, in many shapes.

A ``Table`` is the form as cells (row 1 first) plus merged ranges; ``write`` puts it on disk
as .xlsx (openpyxl), .xls (xlwt) or .csv (any encoding, any delimiter). Variants and defects
are small edits of the standard table, so every defect's sheet, row and column is known.
"""

from __future__ import annotations

import copy
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import openpyxl
import xlwt
from openpyxl.utils import column_index_from_string, get_column_letter

from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog, convert

UNIT = "NGZ"
PERIOD = Period(2013, 5)
FIRST_DATA_ROW = 6  # sheet row of the first indicator in the standard layout
TITLE = "焦作新区主要经济指标月报表"
NOTE = "注：流量指标填报1至本月累计数，存量指标填报月末数；无数据填“—”。"


def file_name(
    catalog: Catalog, unit: str = UNIT, period: Period = PERIOD, ext: str = "xlsx"
) -> str:
    return f"{catalog.unit(unit).name}_{period.year}年{period.month:02d}月_月报.{ext}"


# Plausible figures (canonical units) that satisfy the validation suites' ranges and
# relations (地方财政收入 = 国税 + 地税, 增加值 ≤ 总产值, 农业人口 ≤ 户籍人口 …).
LEVELS: dict[str, float] = {
    "gdp": 4.35, "ind_output": 25600.5, "ind_va": 6120.5, "fai": 2.15, "project_input": 8650.0,
    "external_funds": 3.2, "investment_attracted": 12450.0, "projects_introduced_100m": 2.0,
    "retail_sales": 1.35, "local_fiscal_revenue": 230.5, "national_tax": 120.25,
    "local_tax": 110.25, "rural_net_income": 3560.0, "rural_population": 21500.0,
    "registered_population": 32800.0, "births": 152.0, "deaths": 98.0, "new_urban_jobs": 310.0,
    "rural_communities_started": 1.0, "ind_profit_above": 0.85, "ind_output_above": 12.5,
    "ind_va_above": 3.1, "profit_tax": 1850.0, "fai_5m_plus": 1.9, "operating_revenue": 30500.0,
    "investment_attracted_out_of_province": 5600.0, "fiscal_revenue": 95.0,
}  # fmt: skip


def figures(catalog: Catalog, unit: str = UNIT) -> dict[str, tuple[float, float | None]]:
    """Indicator → (year-to-date or level, month or None) in canonical units: what every
    valid variant must load to."""
    out: dict[str, tuple[float, float | None]] = {}
    for code in catalog.unit(unit).reports:
        ytd = LEVELS[code]
        stock = catalog.indicator(code).measure == "stock"
        out[code] = (ytd, None if stock else round(ytd / 5, 4))
    return out


@dataclass
class Sheet:
    name: str
    rows: list[list[object]]
    merges: list[str] = field(default_factory=list)  # "A1:G1"

    def set(self, ref: str, value: object) -> None:
        col = column_index_from_string("".join(ch for ch in ref if ch.isalpha()))
        row = int("".join(ch for ch in ref if ch.isdigit()))
        while len(self.rows) < row:
            self.rows.append([])
        line = self.rows[row - 1]
        while len(line) < col:
            line.append(None)
        line[col - 1] = value


@dataclass
class Table:
    sheets: list[Sheet]

    @property
    def main(self) -> Sheet:
        return next(s for s in self.sheets if s.name == "月报")

    def edited(self, *edits: Callable[[Table], None]) -> Table:
        table = copy.deepcopy(self)
        for edit in edits:
            edit(table)
        return table


def row_of(catalog: Catalog, code: str, unit: str = UNIT) -> int:
    return FIRST_DATA_ROW + catalog.unit(unit).reports.index(code)


def standard(
    catalog: Catalog,
    *,
    unit: str = UNIT,
    period: Period = PERIOD,
    units: dict[str, str] | None = None,
    ytd_label: str | None = None,
) -> Table:
    """The form as the area sends it out: title, 填报单位/报告期 line, two-row merged header
    (本期数 over 本月 and 1-N月累计), one row per indicator, 填报人/填报日期 and a note."""
    org = catalog.unit(unit)
    rows: list[list[object]] = [
        [TITLE, None, None, None, None, None, None],
        [f"填报单位：{org.name}", None, None, None, None, f"报告期：{period.label}", None],
        [None] * 7,
        ["序号", "指标名称", "计量单位", "本期数", None, "去年同期累计", "同比增长(%)"],
        [None, None, None, "本月", ytd_label or f"1-{period.month}月累计", None, None],
    ]
    for i, (code, (ytd, month)) in enumerate(figures(catalog, unit).items(), start=1):
        ind = catalog.indicator(code)
        shown = (units or {}).get(code, ind.unit)

        def conv(v: float | None, shown: str = shown, canonical: str = ind.unit) -> float | None:
            return None if v is None else round(convert(v, canonical, shown), 10)

        last = conv(ytd * 0.9)
        rows.append([i, ind.name, shown, conv(month), conv(ytd), last, 11.1])
    rows.append([None] * 7)
    rows.append(["填报人：王五", None, None, None, "填报日期：2013年6月3日", None, None])
    rows.append([NOTE, None, None, None, None, None, None])
    n = len(rows)
    merges = ["A1:G1", "A2:C2", "F2:G2", "D4:E4", *(f"{c}4:{c}5" for c in "ABCFG")]
    merges += [f"A{n - 1}:C{n - 1}", f"E{n - 1}:G{n - 1}", f"A{n}:G{n}"]
    return Table([Sheet("月报", rows, merges)])


# --------------------------------------------------------------------------- writers


def write(table: Table, path: Path, fmt: str | None = None, **options: str) -> Path:
    """Write ``table`` as ``fmt`` (default: from the suffix): xlsx, xls or csv."""
    fmt = fmt or path.suffix.lstrip(".").lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    {"xlsx": _write_xlsx, "xls": _write_xls, "csv": _write_csv}[fmt](table, path, **options)
    return path


def _write_xlsx(table: Table, path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for sheet in table.sheets:
        ws = wb.create_sheet(sheet.name)
        for r, row in enumerate(sheet.rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
        for rng in sheet.merges:
            ws.merge_cells(rng)
    wb.save(path)


def _write_xls(table: Table, path: Path) -> None:
    book = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for sheet in table.sheets:
        ws = book.add_sheet(sheet.name)
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, datetime | date):
                    ws.write(r, c, value, date_style)
                else:
                    ws.write(r, c, value)
        for rng in sheet.merges:
            first, last = rng.split(":")
            r1, c1 = _ref(first)
            r2, c2 = _ref(last)
            ws.merge(r1, r2, c1, c2)
    book.save(str(path))


def _ref(ref: str) -> tuple[int, int]:
    letters = "".join(ch for ch in ref if ch.isalpha())
    return int(ref[len(letters) :]) - 1, column_index_from_string(letters) - 1


def csv_text(table: Table, delimiter: str = ",") -> str:
    """The main sheet as Excel's "save as CSV" writes it (numbers as shown, no index)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for row in table.main.rows:
        writer.writerow(["" if v is None else _shown(v) for v in row])
    return out.getvalue()


def _shown(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.10f}".rstrip("0").rstrip(".")
    return str(value)


def _write_csv(table: Table, path: Path, encoding: str = "utf-8", delimiter: str = ",") -> None:
    path.write_bytes(csv_text(table, delimiter).encode(encoding, errors="replace"))


def cell_ref(col: int, row: int) -> str:
    return f"{get_column_letter(col)}{row}"
