"""Plain workbooks are read by python-calamine and come out as openpyxl reads them; any
workbook that is not plain is read by openpyxl (jzplan.ingest.xlsx_plain). The whole suite
also compares the two readers on every plain workbook it reads (tests/xlsx_crosscheck.py)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from jzplan.core.limits import DEFAULT_LIMITS, Limits
from jzplan.ingest import readers, xlsx_plain
from jzplan.ingest.readers import read_xlsx
from tests.conftest import REPO_ROOT
from tests.hostile.builders import entity_bomb
from tests.xlsx_crosscheck import difference, reference_rows

VALUES: list[object] = [
    1, 2.5, -3, 10**15, 10**16 + 1, 1e20, 0.1, 12345678901234567890, True, False, "  ", " x ",
    "文字", date(2013, 6, 30), datetime(2013, 6, 30, 12, 30), time(8, 15), timedelta(hours=30),
    0, -0.0, 1.0, "＝全角",
]  # fmt: skip


def _workbook(edit: object = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "月报"
    for i, value in enumerate(VALUES, start=3):  # rows 1-2 and column A empty
        ws.cell(row=i, column=2, value=value)
    ws["D3"] = 0.25
    ws["D3"].number_format = "0%"
    ws["E3"] = CellRichText([TextBlock(InlineFont(b=True), "加粗"), "普通"])
    ws.merge_cells("F3:G4")
    ws["F3"] = "合并"
    hidden = wb.create_sheet("隐藏")
    hidden["A1"] = 5
    hidden.sheet_state = "hidden"
    if callable(edit):
        edit(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _sheet_rewritten(data: bytes, edit: object, part: str = "xl/worksheets/sheet1.xml") -> bytes:
    """``data`` with its first worksheet's XML (or ``part``) passed through ``edit``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zo:
        for info in zin.infolist():
            member = zin.read(info.filename)
            if info.filename == part:
                assert callable(edit)
                member = edit(member)
            zo.writestr(info, member)
    return out.getvalue()


def test_a_plain_workbook_reads_as_openpyxl_reads_it() -> None:
    data = _workbook()
    assert xlsx_plain.is_plain(data, DEFAULT_LIMITS)
    ours = read_xlsx(data)
    assert difference(ours, reference_rows(data, DEFAULT_LIMITS)) is None
    rows = ours[0].rows
    assert rows[0] == [] and rows[1] == []  # row numbers start at 1, as in the sheet
    assert rows[2][:2] == [None, 1] and type(rows[2][1]) is int
    assert rows[5][1] == 10**15 and type(rows[5][1]) is int
    assert rows[15][1] == datetime(2013, 6, 30)  # a date cell: datetime, as openpyxl
    assert rows[12] == []  # whitespace only: empty
    assert rows[2][3:6] == [0.25, "加粗普通", "合并"]
    assert [s.name for s in ours] == ["月报", "隐藏"]


def test_the_demo_forms_are_plain_and_read_the_same() -> None:
    forms = sorted((REPO_ROOT / "data" / "inbox").rglob("*.xlsx"))
    assert len(forms) >= 150
    for path in forms:
        data = path.read_bytes()
        assert xlsx_plain.is_plain(data, DEFAULT_LIMITS), path.name
        assert difference(read_xlsx(data), reference_rows(data, DEFAULT_LIMITS)) is None, path


def _set(ref: str, value: object) -> object:
    def edit(wb: openpyxl.Workbook) -> None:
        wb.worksheets[0][ref] = value

    return edit


def _error_cell(xml: bytes) -> bytes:
    return xml.replace(b'<c r="B3" t="n"><v>1</v></c>', b'<c r="B3" t="e"><v>#N/A</v></c>')


def _unplaced(xml: bytes) -> bytes:
    return re.sub(rb'(<c) r="[A-Z]+[0-9]+"', rb"\1", xml)


def _prefixed(xml: bytes) -> bytes:
    main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    xml = re.sub(rb"<(/?)(sheetData|row|c|v)([ >/])", rb"<\1x:\2\3", xml)
    return xml.replace(b"<worksheet ", b'<worksheet xmlns:x="' + main + b'" ', 1)


def _entity_bomb(xml: bytes) -> bytes:
    text = '<?xml version="1.0" encoding="UTF-8"?>' + xml.decode()
    bomb = entity_bomb(text.replace("<v>2.5</v>", "<v>0.772</v>"))
    assert "&j;" in bomb
    return bomb.encode()


def _doctype(xml: bytes) -> bytes:
    return xml.replace(b"<workbook ", b"<!DOCTYPE workbook><workbook ", 1)


NOT_PLAIN = {
    "formula": _workbook(_set("B40", "=B3+B4")),
    # calamine reads an error cell as empty: the figure would go unseen
    "error cell": _sheet_rewritten(_workbook(), _error_cell),
    "cell past the rows": _workbook(_set("B2500", "多余")),
    "cell past the columns": _workbook(_set("CZ7", "多余")),
    "cells placed by order": _sheet_rewritten(_workbook(), _unplaced),
    "prefixed elements": _sheet_rewritten(_workbook(), _prefixed),
    # openpyxl refuses the billion laughs; calamine read the cell as some other figure
    "entity bomb": _sheet_rewritten(_workbook(), _entity_bomb),
    "a DTD in another part": _sheet_rewritten(_workbook(), _doctype, "xl/workbook.xml"),
}


@pytest.mark.parametrize("case", sorted(NOT_PLAIN))
def test_a_workbook_that_is_not_plain_is_read_by_openpyxl(case: str) -> None:
    data = NOT_PLAIN[case]
    assert not xlsx_plain.is_plain(data, DEFAULT_LIMITS)
    assert readers._plain(data, DEFAULT_LIMITS) is None
    if "past" in case:  # openpyxl locates the cell past the limit
        with pytest.raises(readers.LimitError) as refused:
            read_xlsx(data)
        assert refused.value.code in ("too_many_rows", "too_many_columns")
        # under wider limits the same workbook is plain
        wide = Limits(form_max_rows=3000, form_max_columns=200)
        assert xlsx_plain.is_plain(data, wide)
        assert difference(read_xlsx(data, wide), reference_rows(data, wide)) is None
        return
    if case == "entity bomb":
        with pytest.raises(readers.ReadError) as refused:
            readers.read_workbook(data, ".xlsx")
        assert refused.value.code == "unreadable_file"
        return
    assert difference(read_xlsx(data), reference_rows(data, DEFAULT_LIMITS)) is None


def test_the_error_cell_reaches_the_parser_as_text() -> None:
    rows = read_xlsx(NOT_PLAIN["error cell"])[0].rows
    assert rows[2][1] == "#N/A"


def test_a_chartsheet_sends_the_workbook_to_openpyxl() -> None:
    def chart(wb: openpyxl.Workbook) -> None:
        wb.create_chartsheet("图表")

    data = _workbook(chart)
    assert xlsx_plain.is_plain(data, DEFAULT_LIMITS)
    assert xlsx_plain.plain_sheets(data) is None
    assert readers._plain(data, DEFAULT_LIMITS) is None


def test_a_calamine_failure_falls_back_to_openpyxl(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _workbook()

    def broken(_: bytes) -> None:
        raise ValueError("calamine could not read it")

    monkeypatch.setattr(xlsx_plain, "plain_sheets", broken)
    assert readers._plain(data, DEFAULT_LIMITS) is None
    assert difference(read_xlsx(data), reference_rows(data, DEFAULT_LIMITS)) is None


def test_a_lying_dimension_does_not_stop_a_plain_read(tmp_path: Path) -> None:
    data = _sheet_rewritten(
        _workbook(),
        lambda x: re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', x),
    )
    assert xlsx_plain.is_plain(data, DEFAULT_LIMITS)
    assert difference(read_xlsx(data), reference_rows(data, DEFAULT_LIMITS)) is None


# cells an odd writer could put where the form's 2.5 is: each is read as openpyxl reads it,
# or left to openpyxl (which refuses the file where it cannot read the cell)
ODD_CELLS = [
    b'<c r="B4" t="n"><v>abc</v></c>', b'<c r="B4" t="n"><v> 5 </v></c>',
    b'<c r="B4" t="n"><v>1,234</v></c>', b'<c r="B4" t="b"><v>2</v></c>',
    b'<c r="B4" t="s"><v>999</v></c>', b'<c r="B4" t="zz"><v>5</v></c>',
    b'<c r="B4"><v>abc</v></c>', b'<c r="B4" t="str"><v>abc</v></c>',
    b'<c r="B4" t="n"><v>INF</v></c>', b'<c r="B4"><v>NaN</v></c>', b'<c r="B4"><v>0x10</v></c>',
    b'<c r="B4" t="n"><v>2.5</v></c><c r="B4" t="n"><v>7</v></c>',
    b'<c r="C4" t="n"><v>2.5</v></c><c r="B4" t="n"><v>7</v></c>',
    b'<c r="b4" t="n"><v>2.5</v></c>', b'<c r="B4" t="n"><v>-1.5E-3</v></c>',
    # calamine read these as empty (a CDATA value, a value beside an inline string) or read
    # text openpyxl does not (an inline string in a cell of another type)
    b'<c r="B4"><v><![CDATA[5]]></v></c>', b'<c r="B4" t="inlineStr"><is><t>x</t></is><v>5</v></c>',
    b'<c r="B4"><is><t>abc</t></is></c>', b'<c r="B4" t="n"><is><t>abc</t></is></c>',
    b"<c r='B4' t='s'><v>0</v></c>", b'<c r="B4" t=\'e\'><v>#N/A</v></c>',
    b'<c r="B4" t="str"><v>5</v></c>', b'<c r="B4" t="s"><v></v></c>', b'<c r="B4" t="b"/>',
]  # fmt: skip


@pytest.mark.parametrize("cell", ODD_CELLS, ids=lambda c: c.decode())
def test_an_odd_cell_is_read_as_openpyxl_reads_it_or_left_to_it(cell: bytes) -> None:
    data = _sheet_rewritten(
        _workbook(), lambda x: x.replace(b'<c r="B4" t="n"><v>2.5</v></c>', cell)
    )
    ours = readers._plain(data, DEFAULT_LIMITS)
    try:
        reference = reference_rows(data, DEFAULT_LIMITS)
    except Exception:  # openpyxl refuses it: so must the file's reading
        assert ours is None
        return
    assert ours is None or difference(ours, reference) is None
