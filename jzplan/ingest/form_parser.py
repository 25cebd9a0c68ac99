"""Parsing the monthly report form (月报) a township statistics office sends.

Reading is split from interpreting: ``jzplan.ingest.readers`` turns a file (.xlsx, .xls, .csv in
UTF-8 or GBK) into sheets of cell values; everything after that (``interpret_sheets``) is
pure functions over rows. The table is found by its header text (``form_layout``), identity
by its labels (填报单位, 报告期) and cross-checked with the file name and inbox folder
(``form_identity``); values are converted to each indicator's canonical unit
(``quantities``). Every problem is a located ``SubmissionIssue`` with a stable English code
and a Chinese message.
"""

from __future__ import annotations

import difflib
import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl.utils import get_column_letter

from jzplan.core.periods import Period
from jzplan.core.states import IssueSeverity
from jzplan.core.submissions import OBSERVATION_COLUMNS, ParsedSubmission, SubmissionIssue
from jzplan.ingest.form_identity import (
    arrival_from_folder,
    check_header_span,
    check_identity,
    read_identity,
)
from jzplan.ingest.form_layout import (
    FormHeader,
    SheetIssues,
    find_header,
    is_stop_row,
    sheet_unit,
)
from jzplan.ingest.form_writer import SHEET_NAME
from jzplan.ingest.quantities import (
    NotANumberError,
    indicator_key,
    parse_quantity,
    same_dimension,
    to_canonical,
)
from jzplan.ingest.readers import ReadError, SheetRows, read_workbook
from jzplan.reference.catalog import UNIT_FACTORS, Catalog, Indicator, UnitError, normalize_unit

_MARKER_ROWS = frozenset({"甲", "乙", "丙", "A", "B"})


def _cell(row: Sequence[object], col: int | None) -> object:
    return row[col] if col is not None and col < len(row) else None


@dataclass(frozen=True, slots=True)
class _Table:
    """What every data row of one table is read against."""

    header: FormHeader
    catalog: Catalog
    index: Mapping[str, str]  # indicator name key -> code
    issues: SheetIssues
    sheet_unit: str | None

    def letter(self, col: int | None) -> str | None:
        return get_column_letter(col + 1) if col is not None else None


def interpret_table(
    rows: Sequence[Sequence[object]],
    header: FormHeader,
    catalog: Catalog,
    issues: SheetIssues,
    *,
    sheet_unit: str | None = None,
) -> tuple[list[dict[str, object]], set[str]]:
    """Data rows → observation records in canonical units, and the indicators seen."""
    table = _Table(header, catalog, catalog.name_index(), issues, sheet_unit)
    records: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    for i in range(header.first_data_row, len(rows)):
        row = rows[i]
        if is_stop_row(row):
            break
        code, name_unit = _row_indicator(table, row, i + 1, seen)
        if code is None:
            continue
        record = _row_record(table, row, i + 1, catalog.indicator(code), name_unit)
        if record is not None:
            records.append(record)
    return records, set(seen)


def _row_indicator(
    table: _Table, row: Sequence[object], sheet_row: int, seen: dict[str, int]
) -> tuple[str | None, str | None]:
    """The row's indicator code (recorded in ``seen``) and the unit its name carries; no code
    for a blank or marker row, an unknown or a repeated indicator (the last two are issues)."""
    header = table.header
    raw_name = _cell(row, header.name_col)
    if raw_name is None or not str(raw_name).strip():
        return None, None
    key, name_unit = indicator_key(str(raw_name))
    if key in _MARKER_ROWS:
        return None, None  # the 甲 乙 1 2 3 column-code row of statistical forms
    code = table.index.get(key)
    name_letter = table.letter(header.name_col)
    if code is None:
        hint = _suggest(key, table.index, table.catalog)
        tip = f"，最接近的指标：{'、'.join(hint)}" if hint else ""
        table.issues.add(
            "unknown_indicator",
            f"指标“{raw_name}”不在指标目录中{tip}",
            row=sheet_row,
            column=name_letter,
        )
        return None, None
    if code in seen:
        table.issues.add(
            "duplicate_indicator",
            f"指标“{table.catalog.indicator(code).name}”重复填报"
            f"（第 {seen[code]} 行与第 {sheet_row} 行）",
            row=sheet_row,
            column=name_letter,
        )
        return None, None
    seen[code] = sheet_row
    return code, name_unit


def _row_unit(
    table: _Table, raw_unit_value: object, ind: Indicator, name_unit: str | None, sheet_row: int
) -> str | None:
    """The unit the row's numbers are written in: its unit cell, else its name's, else the
    sheet's, else the indicator's own; None (an issue) when the unit cell cannot convert."""
    written_unit = normalize_unit(str(raw_unit_value)) if raw_unit_value is not None else ""
    if written_unit:
        if not same_dimension(written_unit, ind.unit) and {written_unit, ind.unit} != {"%", "‰"}:
            reason = (
                "不是可识别的计量单位"
                if written_unit not in UNIT_FACTORS
                else f"不能换算为“{ind.unit}”"
            )
            table.issues.add(
                "bad_unit",
                f"指标“{ind.name}”的计量单位“{raw_unit_value}”{reason}",
                row=sheet_row,
                column=table.letter(table.header.unit_col),
            )
            return None
        return written_unit
    if name_unit is not None:
        return name_unit
    if table.sheet_unit is not None and same_dimension(table.sheet_unit, ind.unit):
        return table.sheet_unit
    return ind.unit


def _row_numbers(
    table: _Table, row: Sequence[object], sheet_row: int, ind: Indicator, row_unit: str
) -> dict[str, float | None] | None:
    """累计 (``value``) and 本月 (``month``) in the indicator's unit; None (an issue) when a
    cell is not a number or does not convert."""
    parsed: dict[str, float | None] = {}
    for role, col in (("value", table.header.value_col), ("month", table.header.month_col)):
        if col is None:
            parsed[role] = None
            continue
        letter = table.letter(col)
        raw = _cell(row, col)
        label = "" if role == "value" else "本月"
        try:
            number, cell_unit = parse_quantity(raw)
        except NotANumberError:
            table.issues.add(
                "not_a_number",
                f"指标“{ind.name}”{label}的内容“{raw}”不是数字（只能填数字或“—”）",
                row=sheet_row,
                column=letter,
            )
            return None
        if number is None:
            parsed[role] = None
            continue
        try:
            parsed[role] = to_canonical(number, cell_unit, row_unit, ind.unit)
        except UnitError as exc:
            table.issues.add(
                "bad_unit",
                f"指标“{ind.name}”{label}的“{raw}”无法换算为“{ind.unit}”：{exc}",
                row=sheet_row,
                column=letter,
            )
            return None
    return parsed


def _row_record(
    table: _Table, row: Sequence[object], sheet_row: int, ind: Indicator, name_unit: str | None
) -> dict[str, object] | None:
    """One indicator row as an observation record; None when it has an issue or no value."""
    raw_unit_value = _cell(row, table.header.unit_col)
    row_unit = _row_unit(table, raw_unit_value, ind, name_unit, sheet_row)
    if row_unit is None:
        return None
    parsed = _row_numbers(table, row, sheet_row, ind, row_unit)
    if parsed is None:
        return None
    value_letter = table.letter(table.header.value_col)
    value = parsed["value"]
    if value is None:
        table.issues.add(
            "missing_value",
            f"指标“{ind.name}”未填报数值",
            row=sheet_row,
            column=value_letter,
            severity=IssueSeverity.WARNING,
        )
        return None
    month = parsed["month"]
    return {
        "indicator": ind.code,
        "value": value,
        "value_month": math.nan if month is None else month,
        "unit": ind.unit,
        "raw_unit": str(raw_unit_value) if raw_unit_value is not None else row_unit,
        "sheet": table.issues.sheet,
        "row": sheet_row,
        "column": value_letter,
    }


def _suggest(key: str, index: Mapping[str, str], catalog: Catalog) -> list[str]:
    close = difflib.get_close_matches(key, list(index), n=5, cutoff=0.4)
    names: list[str] = []
    for k in close:
        name = catalog.indicator(index[k]).name
        if name not in names:
            names.append(name)
    return names[:3]


def _frame(
    records: list[dict[str, object]], org: str | None, period: Period | None
) -> pd.DataFrame:
    frame = pd.DataFrame(
        records, columns=[c for c in OBSERVATION_COLUMNS if c not in ("org_unit", "period")]
    )
    frame.insert(0, "org_unit", org)
    frame.insert(1, "period", None if period is None else str(period))
    frame = frame.astype({"value": "float64", "value_month": "float64", "row": "int64"})
    return frame[list(OBSERVATION_COLUMNS)]


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
        issues = SheetIssues(file, sheet or "")
        issues.add(
            "missing_header",
            "未找到表头（含“指标名称”和“1-N月累计”或“本期数”列的行），无法识别表格",
            sheet=bool(sheet),
        )
        result = ParsedSubmission(path=path, sha256="", org_unit=None, period=None)
        result.issues.extend(issues.issues)
        return result
    # a workbook may carry instructions or last month's copy: prefer the sheet named 月报
    chosen, header = next(((s, h) for s, h in found if SHEET_NAME in s.name), found[0])

    issues = SheetIssues(file, chosen.name)
    ident = read_identity(chosen.rows, catalog, issues, header.row)
    check_identity(ident, issues, file=file, catalog=catalog, arrival=arrival)
    check_header_span(header, ident.period, issues)

    org = ident.org
    records, seen = interpret_table(
        chosen.rows, header, catalog, issues, sheet_unit=sheet_unit(chosen.rows, header.row)
    )
    if org is not None:
        for code in org.reports:
            if code not in seen:
                issues.add(
                    "missing_indicator",
                    f"{org.name}月报应填报的指标“{catalog.indicator(code).name}”缺失",
                    severity=IssueSeverity.WARNING,
                )
    return ParsedSubmission(
        path=path,
        sha256="",
        org_unit=org.code if org else None,
        period=ident.period,
        filed_by=ident.filed_by,
        filed_on=ident.filed_on,
        frame=_frame(records, org.code if org else None, ident.period),
        issues=issues.issues,
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
