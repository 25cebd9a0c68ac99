"""Plain .xlsx workbooks read through python-calamine (Rust): the same rows as openpyxl's
reader, at a tenth of the time and less.

A workbook is *plain* when every worksheet's XML holds only what both readers turn into
the same values: cells and rows that each name their place (``r="B7"``), in order, within the
form's rows and columns; number cells holding plain numbers; no formula and no error cell
(calamine reads ``#N/A`` as an empty cell: a figure would go unseen), no ISO date cell
(``t="d"``) and no namespace prefix on the sheet's elements; no part of it declares a DTD or
uses an entity beyond XML's own (an entity bomb: openpyxl refuses the file, calamine would
read the cell some other way); and its sheets are worksheets (no chart, macro or dialog
sheet). Anything else goes to ``jzplan.ingest.readers``' openpyxl path, which is the
reference: a workbook an office's program wrote in some other way is read as before, its
findings located as before; so is a workbook calamine fails on.

The values are then made as openpyxl gives them: a whole number as ``int`` (calamine gives
every number as ``float``; an xlsx stores 25840 as ``25840``, which openpyxl reads as an int),
a date cell at midnight as ``datetime`` (calamine gives ``date``), an empty cell as None.
tests/ingest/test_xlsx_plain.py reads every workbook of the test corpora both ways.
"""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from datetime import date, datetime, time

from python_calamine import CalamineWorkbook, SheetTypeEnum

from jzplan.core.limits import Limits

_COLUMN_LIMIT = 16_384  # XFD: the last column a workbook can have
# Tags that make a sheet not plain: a formula, an error or ISO-date cell, a prefixed element
_NOT_PLAIN = re.compile(rb'<(?:\w+:)?f[ >/]|\st="(?:e|d)"|<\w+:(?:c|row|sheetData|v|is)[\s>/]')
# A DTD or an entity other than XML's own, in any part: openpyxl refuses it (a billion-laughs
# bomb), calamine would read the cell as something else
_DTD = re.compile(rb"<!DOCTYPE|<!ENTITY|&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)")
_CELL_TAG = re.compile(rb"<c[\s>/]")
_ROW_TAG = re.compile(rb"<row[\s>/]")
_CELL_REF = re.compile(rb'<c\s[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"')
_ROW_REF = re.compile(rb'<row\s[^>]*?\br="([0-9]{1,7})"')
# a number cell (no type, or t="n") and its value: a plain number as Excel writes it
_NUMBER_CELL = re.compile(
    rb'<c\s(?:(?!t=")[^>])*>\s*<v>([^<]*)</v>|<c\s[^>]*\bt="n"[^>]*>\s*<v>([^<]*)</v>'
)
_NUMBER = re.compile(rb"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_WHOLE = float(2**53)  # integers past this are not exact as floats: kept as floats


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _sheet_is_plain(xml: bytes, limits: Limits) -> bool:
    if _NOT_PLAIN.search(xml):
        return False
    cells = _CELL_REF.findall(xml)
    rows = _ROW_REF.findall(xml)
    if len(cells) != len(_CELL_TAG.findall(xml)) or len(rows) != len(_ROW_TAG.findall(xml)):
        return False  # a cell or row placed by its order, not by its reference
    numbers = [int(r) for r in rows]
    if any(b <= a for a, b in itertools.pairwise(numbers)):
        return False  # rows out of order or repeated
    if numbers and numbers[-1] > limits.form_max_rows:
        return False
    places = [(int(r), _column_number(letters)) for letters, r in cells]
    if any(b <= a for a, b in itertools.pairwise(places)):
        return False  # cells out of order or repeated: openpyxl keeps the first
    if any(column > min(limits.form_max_columns, _COLUMN_LIMIT) for _, column in places):
        return False
    if places and max(r for r, _ in places) > limits.form_max_rows:
        return False
    # openpyxl refuses a number cell holding text (INF, 1,234); calamine would read it
    return all(_NUMBER.fullmatch(a or b) for a, b in _NUMBER_CELL.findall(xml))


def is_plain(data: bytes, limits: Limits) -> bool:
    """Whether ``data`` (an .xlsx that passed ``readers.check_zip``) is plain (module doc):
    each XML part is inflated and scanned; their size is bounded by ``check_zip``."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if not name.endswith((".xml", ".rels")):
                continue
            xml = zf.read(name)
            if _DTD.search(xml):
                return False
            if name.startswith("xl/worksheets/") and not _sheet_is_plain(xml, limits):
                return False
    return True


def _value(value: object) -> object:
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _WHOLE:
            return int(value)
        return value
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time())
    if value == "":
        return None
    return value


def plain_sheets(data: bytes) -> list[tuple[str, list[list[object]]]] | None:
    """Each worksheet of a plain workbook as (name, rows from row 1, values as openpyxl gives
    them, trailing empties kept); None when the workbook has a sheet that is not a worksheet
    (then openpyxl reads it)."""
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    try:
        meta = book.sheets_metadata
        if any(m.typ is not SheetTypeEnum.WorkSheet for m in meta):
            return None
        sheets = []
        for m in meta:
            rows = book.get_sheet_by_name(m.name).to_python(skip_empty_area=False)
            sheets.append((m.name, [[_value(v) for v in row] for row in rows]))
        return sheets
    finally:
        book.close()
