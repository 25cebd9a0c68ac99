"""Plain .xlsx workbooks read through python-calamine (Rust): the same rows as openpyxl's
reader, at about a quarter of its time (the plain check included).

A workbook is *plain* when every worksheet's XML holds only cells of the shapes both readers
read alike (``_CELL``: placed by reference, in order, within the form's rows and columns;
empty, a plain number, a shared string, a boolean, a text or an inline string), rows placed
by reference in order, no formula and no namespace prefix; when no part of it declares a DTD
or uses an entity beyond XML's own; and when its sheets are all worksheets. Anything else
goes to ``jzplan.ingest.readers``' openpyxl path, which is the reference, and so does a
workbook calamine fails on: a workbook an office's program wrote in some other way is read,
and its findings located, as before. Cells calamine reads otherwise, found while writing
this: an error cell (``#N/A``) and a CDATA value come out empty (a figure would go unseen),
a billion-laughs entity is not refused, cells out of order are all kept (openpyxl keeps the
first), text in a number cell is read (openpyxl refuses the file).

The values are then made as openpyxl gives them: a whole number as ``int`` (calamine gives
every number as ``float``; an xlsx stores 25840 as ``25840``, which openpyxl reads as an int),
a date cell at midnight as ``datetime`` (calamine gives ``date``), an empty cell as None.
tests/ingest/test_xlsx_plain.py has the cases; tests/xlsx_crosscheck.py reads every plain
workbook the test suite meets both ways.
"""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from datetime import date, datetime, time

from python_calamine import CalamineWorkbook, SheetTypeEnum

from jzplan.core.limits import Limits

# Tags that make a sheet not plain: a formula, a prefixed element
_NOT_PLAIN = re.compile(rb"<(?:\w+:)?f[ >/]|<\w+:(?:c|row|sheetData|v|is)[\s>/]")
# A DTD or an entity other than XML's own, in any part: openpyxl refuses it (a billion-laughs
# bomb), calamine would read the cell as something else
_DTD = re.compile(rb"<!DOCTYPE|<!ENTITY|&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)")
_CELL_TAG = re.compile(rb"<c[\s>/]")
_ROW_TAG = re.compile(rb"<row[\s>/]")
_ROW_REF = re.compile(rb'<row\s[^>]*?\br="([0-9]{1,7})"')
_NUMBER = rb"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
# The cells both readers read alike, in the attribute order Excel and openpyxl use: placed by
# reference, a style maybe, and an empty cell, a plain number, a shared string's index, a
# boolean, a text, or an inline string with no value element and no CDATA beside it. Any
# other cell (an error, an ISO date, a formula, text in a number cell, a CDATA value,
# attributes in another order or quoting) makes the sheet not plain.
_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]{1,7})"(?: s="[0-9]+")?(?:'
    rb'(?: t="n")?(?:/>|></c>|><v>' + _NUMBER + rb"</v></c>)"
    rb'| t="s"><v>[0-9]+</v></c>'
    rb'| t="b"><v>[01]</v></c>'
    rb'| t="str"><v>[^<]*</v></c>'
    rb'| t="inlineStr"><is>(?:(?!<v[\s>/]|<!\[CDATA\[|</is>).)*</is></c>)',
    re.DOTALL,
)
_WHOLE = float(2**53)  # integers past this are not exact as floats: kept as floats


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _sheet_is_plain(xml: bytes, limits: Limits) -> bool:
    if _NOT_PLAIN.search(xml):
        return False
    cells = [(int(m[2]), _column_number(m[1])) for m in _CELL.finditer(xml)]
    rows = [int(r) for r in _ROW_REF.findall(xml)]
    if len(cells) != len(_CELL_TAG.findall(xml)) or len(rows) != len(_ROW_TAG.findall(xml)):
        return False  # a cell of another shape, or a cell or row placed by its order
    if any(b <= a for a, b in itertools.pairwise(rows)):
        return False  # rows out of order or repeated
    if any(b <= a for a, b in itertools.pairwise(cells)):
        return False  # cells out of order or repeated: openpyxl keeps the first
    last_row = max([*rows, *(r for r, _ in cells)], default=0)
    widest = max((c for _, c in cells), default=0)
    return last_row <= limits.form_max_rows and widest <= limits.form_max_columns


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
