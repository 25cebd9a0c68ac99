"""Forms whose figure cells other offices' tools write in ways the parser must not pass over.

Each case is the standard township form (``tests/ingest/corpus.py``, 20 indicators, 38 figure
cells) with one edit the way another office's software or habit makes it: a remark typed in
column H beside a data row, a formula saved by openpyxl (which stores no cached value), 1E999
typed as text or stored as a number by a writer that prints floats raw, NaN as text and as an
.xls number. Each carries its expected outcome: the findings (code, severity, row, column),
whether the file loads, and how many of its figure cells are read, held and refused.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from jzplan.reference.catalog import Catalog, load_catalog
from tests.conftest import REPO_ROOT
from tests.ingest import corpus
from tests.ingest.corpus import Table, row_of, standard, write

FIGURE_CELLS = 38  # 20 indicators' 累计 cells and the 18 flows' 本月 cells
ROW_CELLS = 2  # figure cells of a flow indicator's row (本月 and 累计)
REMARK = "备注：含一次性土地出让税收"
PLACEHOLDER = 987654.321  # a number written first and then rewritten in the sheet XML

Finding = tuple[str, str, int, str]  # code, severity, row, column


@dataclass(frozen=True)
class CellCase:
    id: str
    build: Callable[[Catalog, Path], Path]
    findings: list[Finding]  # every issue but missing_indicator, in sheet order
    accepted: bool
    held: int = 0
    refused: int = 0

    @property
    def read(self) -> int:
        return FIGURE_CELLS - self.held - self.refused


def _r(code: str) -> int:
    return row_of(_CATALOG, code)


def _form(*edits: Callable[[Table], None], ext: str = "xlsx") -> Callable[[Catalog, Path], Path]:
    def build(catalog: Catalog, folder: Path) -> Path:
        table = standard(catalog).edited(*edits)
        return write(table, folder / corpus.file_name(catalog, ext=ext))

    return build


def _set(ref: str, value: object) -> Callable[[Table], None]:
    return lambda t: t.main.set(ref, value)


def _merge(ref: str) -> Callable[[Table], None]:
    return lambda t: t.main.merges.append(ref)


def _raw_number(ref: str, text: str) -> Callable[[Catalog, Path], Path]:
    """A number cell whose stored text is ``text`` (``1E999``): what a writer that prints
    floats with ``repr`` or ``%G`` leaves in the sheet XML; openpyxl itself writes inf empty."""

    def build(catalog: Catalog, folder: Path) -> Path:
        path = _form(_set(ref, PLACEHOLDER))(catalog, folder)
        rewrite_sheet_xml(path, lambda xml: xml.replace(f"<v>{PLACEHOLDER}</v>", f"<v>{text}</v>"))
        return path

    return build


def rewrite_sheet_xml(path: Path, edit: Callable[[str], str]) -> None:
    """Apply ``edit`` to the first worksheet's XML inside the .xlsx at ``path``."""
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if re.fullmatch(r"xl/worksheets/sheet1\.xml", item.filename):
                changed = edit(data.decode("utf-8"))
                assert changed != data.decode("utf-8"), "nothing rewritten"
                data = changed.encode("utf-8")
            target.writestr(item, data)
    path.write_bytes(out.getvalue())


def _after_footer(t: Table) -> None:
    """The 死亡人口 row moved under the 填报人 and 注 lines (the table's end), as a second
    clerk pastes a forgotten line."""
    t.main.rows.append(t.main.rows.pop(_r("deaths") - 1))
    t.main.merges = [m for m in t.main.merges if int(re.sub(r"\D", "", m.split(":")[0])) < 6]


_CATALOG: Catalog = load_catalog(REPO_ROOT / "data" / "catalog")
_FISCAL = _r("local_fiscal_revenue")
_IN_H = _set(f"H{_FISCAL}", REMARK)
_FISCAL_SUM = f"=D{_r('national_tax')}+D{_r('local_tax')}"  # 地方财政收入 = 国税 + 地税
_GROWTH = f"=E{_r('gdp')}/F{_r('gdp')}-1"

CASES: list[CellCase] = [
    CellCase("remark_in_h", _form(_IN_H),
             [("remark_beside_row", "warning", _FISCAL, "H")], accepted=True),
    CellCase("remark_merged_h_to_j", _form(_IN_H, _merge(f"H{_FISCAL}:J{_FISCAL}")),
             [("remark_beside_row", "warning", _FISCAL, "H")], accepted=True),
    CellCase("remark_merged_down_two_rows",
             _form(_set(f"H{_FISCAL}", "说明：国税、地税含划转"),
                   _merge(f"H{_FISCAL}:H{_FISCAL + 2}")),
             [("remark_beside_row", "warning", _FISCAL, "H")], accepted=True),
    CellCase("remark_in_last_year_column", _form(_set(f"F{_r('fai')}", "见附表")),
             [("remark_beside_row", "warning", _r("fai"), "F")], accepted=True),
    CellCase("remark_csv", _form(_IN_H, ext="csv"),
             [("remark_beside_row", "warning", _FISCAL, "H")], accepted=True),
    CellCase("remark_xls", _form(_IN_H, ext="xls"),
             [("remark_beside_row", "warning", _FISCAL, "H")], accepted=True),
    CellCase("row_after_footer", _form(_after_footer), [], accepted=True),
    CellCase("formula_without_value", _form(_set(f"E{_r('ind_va')}", f"=D{_r('ind_va')}*5")),
             [("formula_without_value", "warning", _r("ind_va"), "E")], accepted=True,
             held=ROW_CELLS),
    CellCase("formula_sum_in_month_cell",
             _form(_set(f"D{_FISCAL}", _FISCAL_SUM)),
             [("formula_without_value", "warning", _FISCAL, "D")], accepted=True,
             held=ROW_CELLS),
    CellCase("formula_outside_figure_columns", _form(_set(f"G{_r('gdp')}", _GROWTH)),
             [], accepted=True),
    CellCase("inf_as_text", _form(_set(f"E{_r('gdp')}", "1E999")),
             [("non_finite_number", "warning", _r("gdp"), "E")], accepted=True, held=ROW_CELLS),
    CellCase("inf_as_number", _raw_number(f"E{_r('fai')}", "1E999"),
             [("non_finite_number", "warning", _r("fai"), "E")], accepted=True, held=ROW_CELLS),
    CellCase("minus_inf_as_number_in_month", _raw_number(f"D{_r('births')}", "-1E999"),
             [("non_finite_number", "warning", _r("births"), "D")], accepted=True,
             held=ROW_CELLS),
    CellCase("nan_as_text", _form(_set(f"E{_r('births')}", "NaN")),
             [("non_finite_number", "warning", _r("births"), "E")], accepted=True,
             held=ROW_CELLS),
    CellCase("nan_as_xls_number", _form(_set(f"D{_r('deaths')}", float("nan")), ext="xls"),
             [("non_finite_number", "warning", _r("deaths"), "D")], accepted=True,
             held=ROW_CELLS),
    CellCase("inf_as_xls_number", _form(_set(f"E{_r('deaths')}", float("inf")), ext="xls"),
             [("non_finite_number", "warning", _r("deaths"), "E")], accepted=True,
             held=ROW_CELLS),
    CellCase("inf_in_csv", _form(_set(f"E{_r('new_urban_jobs')}", "inf"), ext="csv"),
             [("non_finite_number", "warning", _r("new_urban_jobs"), "E")], accepted=True,
             held=ROW_CELLS),
    CellCase("empty_marker_held", _form(_set(f"E{_r('births')}", "—")),
             [("missing_value", "warning", _r("births"), "E")], accepted=True, held=ROW_CELLS),
]  # fmt: skip
