"""Every plain workbook the test suite reads is read twice: by python-calamine (what the
reader returns) and by openpyxl (the reference). ``tests/conftest.py`` installs this for the
whole session and fails the test that read a workbook on which the two disagree, naming it."""

from __future__ import annotations

from jzplan.core.limits import Limits
from jzplan.ingest import readers
from jzplan.ingest.readers import SheetRows

MISMATCHES: list[str] = []


def same_cell(ours: object, reference: object) -> bool:
    """Equal and of the same type; a whole number openpyxl gives as a float (the XML wrote
    ``5.0`` or ``1E3``) may be an int here (downstream reads both as the same figure)."""
    if type(ours) is type(reference):
        return ours == reference
    return type(ours) is int and type(reference) is float and float(ours) == reference


def difference(ours: list[SheetRows], reference: list[SheetRows]) -> str | None:
    """Where two readings of a workbook differ, or None."""
    if [s.name for s in ours] != [s.name for s in reference]:
        return f"sheets {[s.name for s in ours]} != {[s.name for s in reference]}"
    for a, b in zip(ours, reference, strict=True):
        if len(a.rows) != len(b.rows):
            return f"{a.name}: {len(a.rows)} rows != {len(b.rows)}"
        for number, (x, y) in enumerate(zip(a.rows, b.rows, strict=True), start=1):
            if len(x) != len(y) or not all(map(same_cell, x, y)):
                return f"{a.name} row {number}: {x!r} != {y!r}"
    return None


def reference_rows(data: bytes, limits: Limits) -> list[SheetRows]:
    """The sheets as openpyxl reads them (``readers.read_xlsx`` without its plain path)."""
    readers.check_zip(data, limits)
    return readers.openpyxl_sheets(data, limits)


def checked_plain(data: bytes, limits: Limits) -> list[SheetRows] | None:
    """``readers._plain``, and openpyxl's reading of the same workbook compared with it."""
    ours = ORIGINAL_PLAIN(data, limits)
    if ours is not None:
        try:
            reference = reference_rows(data, limits)
        except readers.ReadError as exc:
            MISMATCHES.append(f"calamine read a workbook openpyxl refuses ({exc.code})")
        else:
            if (found := difference(ours, reference)) is not None:
                MISMATCHES.append(found)
    return ours


ORIGINAL_PLAIN = readers._plain
