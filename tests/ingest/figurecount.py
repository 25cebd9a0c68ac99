"""Figure cells counted from a file's raw cells, apart from the parser.

An .xlsx is opened with openpyxl keeping formulas (a formula with no saved value is a
non-empty cell here, where the parser's reader sees no value); .xls and CSV come from the
reader's rows (cells as stored, nothing interpreted). The table's columns are those the
layout finds from the header text; the rows are counted here by their own rule: every row
below the header whose name cell holds text that is not a footer label (填报人, 注, 说明,
备注 …) nor a column code (甲, 乙 …), with no footer label left of it. A figure cell is a
non-empty 累计 or 本月 cell of such a row.
"""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl

from jzplan.ingest.form_layout import find_header
from jzplan.ingest.form_writer import SHEET_NAME
from jzplan.ingest.readers import SUPPORTED_SUFFIXES, ReadError, SheetRows, read_workbook

FOOTER_LABELS = (
    "填报人",
    "注:",
    "注：",
    "说明",
    "备注",
    "单位负责人",
    "审核人",
    "统计负责人",
    "负责人",
    "填表人",
    "制表人",
    "报出日期",
    "联系电话",
)
COLUMN_CODES = frozenset({"甲", "乙", "丙", "A", "B"})

Cell = tuple[int, str]  # sheet row (1-based), column letter


def raw_sheets(path: Path) -> list[SheetRows]:
    """The file's sheets as stored: formulas as their text; [] when it cannot be read or is
    not a spreadsheet by its name (a workbook named .pdf is refused unread)."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return []
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
        except Exception:  # a damaged workbook: the parser refuses it whole
            return []
        return [
            SheetRows(ws.title, [list(r) for r in ws.iter_rows(values_only=True)])
            for ws in wb.worksheets
        ]
    try:
        return read_workbook(data, path.suffix).sheets
    except ReadError:
        return []


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: object) -> str:
    return "".join(str(value).split()).replace("：", ":")


def _footer(value: object) -> bool:
    return isinstance(value, str) and _text(value).startswith(
        tuple(_text(x) for x in FOOTER_LABELS)
    )


def figure_cells(path: Path) -> set[Cell]:
    """The figure cells of the form at ``path`` (none when no table header is found)."""
    sheets = raw_sheets(path)
    found = [(s, h) for s in sheets if (h := find_header(s.rows)) is not None]
    if not found:
        return set()
    sheet, header = next(((s, h) for s, h in found if SHEET_NAME in s.name), found[0])
    columns = [c for c in (header.value_col, header.month_col) if c is not None]
    cells: set[Cell] = set()
    for i in range(header.first_data_row, len(sheet.rows)):
        row = sheet.rows[i]
        name = row[header.name_col] if header.name_col < len(row) else None
        if not isinstance(name, str) or _empty(name) or _text(name) in COLUMN_CODES:
            continue
        if any(_footer(v) for v in row[: header.name_col + 1]):
            continue
        for c in columns:
            if c < len(row) and not _empty(row[c]):
                cells.add((i + 1, openpyxl.utils.get_column_letter(c + 1)))
    return cells
