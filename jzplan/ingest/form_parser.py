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

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from openpyxl.utils import get_column_letter

from jzplan.core.limits import DEFAULT_LIMITS, Limits
from jzplan.core.periods import Period
from jzplan.core.states import FigureOutcome, IssueSeverity
from jzplan.core.submissions import (
    FigureCell,
    HeldRow,
    ParsedSubmission,
    SubmissionIssue,
    observation_frame,
)
from jzplan.ingest.cell_policy import (
    FIGURE_CELL_POLICY,
    FindingAction,
    action_of,
    severity_of,
)
from jzplan.ingest.figure_text import is_quantity, read_figure, unreadable_figure
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
    is_footer_row,
    sheet_unit,
)
from jzplan.ingest.form_writer import SHEET_NAME
from jzplan.ingest.held_rows import HELD_SUFFIX, held_row, holding_issue, refuse_unknown_rows
from jzplan.ingest.name_folding import NameMatch, NameMatcher, name_matcher
from jzplan.ingest.quantities import (
    NotANumberError,
    indicator_key,
    same_dimension,
    to_canonical,
)
from jzplan.ingest.readers import (
    LimitError,
    ReadError,
    SheetRows,
    read_workbook,
)
from jzplan.ingest.row_explanations import explanation_text, row_explanations
from jzplan.ingest.unknown_names import UnknownNames
from jzplan.reference.catalog import UNIT_FACTORS, Catalog, Indicator, UnitError, normalize_unit
from jzplan.reference.catalog_history import outside_validity

_MARKER_ROWS = frozenset({"甲", "乙", "丙", "A", "B"})


def _cell(row: Sequence[object], col: int | None) -> object:
    return row[col] if col is not None and col < len(row) else None


@dataclass(frozen=True, slots=True)
class _Table:
    """What every data row of one table is read against."""

    header: FormHeader
    catalog: Catalog
    names: NameMatcher
    issues: SheetIssues
    sheet_unit: str | None
    policy: Mapping[str, FindingAction]
    limits: Limits
    unknown: UnknownNames
    period: Period | None  # a name's 1-N月 must end at its month; an indicator be valid in it

    def match(self, name: object) -> NameMatch:
        return self.names.match(str(name), month=self.period.month if self.period else None)

    def letter(self, col: int | None) -> str | None:
        return get_column_letter(col + 1) if col is not None else None

    def cell_finding(self, code: str, message: str, sheet_row: int, column: str | None) -> None:
        """A finding whose action the policy table gives (``cell_policy``): a row it holds
        says so in its message."""
        if action_of(code, self.policy) is FindingAction.HOLD_ROW:
            message += HELD_SUFFIX
        self.issues.add(
            code, message, row=sheet_row, column=column, severity=severity_of(code, self.policy)
        )

    def figure_columns(self) -> tuple[int, ...]:
        return tuple(c for c in (self.header.value_col, self.header.month_col) if c is not None)


def interpret_table(
    rows: Sequence[Sequence[object]],
    header: FormHeader,
    catalog: Catalog,
    issues: SheetIssues,
    *,
    sheet_unit: str | None = None,
    policy: Mapping[str, FindingAction] = FIGURE_CELL_POLICY,
    figures: list[FigureCell] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    questions: list[HeldRow] | None = None,
    period: Period | None = None,
) -> tuple[list[dict[str, object]], set[str]]:
    """Data rows → observation records in canonical units, and the indicators seen.

    Every row below the header is looked at: a footer line (填报人, 注 …) ends the table, but
    a later row with figures is still read, never dropped. Each figure cell's outcome is
    appended to ``figures``, each row a finding holds (``policy``) to ``questions``. Past
    ``limits.unknown_rows_max`` unknown indicator rows, the rest are refused under one
    summary issue."""
    names = name_matcher(catalog)
    unknown = UnknownNames(names.index, catalog, limits)
    table = _Table(header, catalog, names, issues, sheet_unit, policy, limits, unknown, period)
    records: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    ended = False
    for i in range(header.first_data_row, len(rows)):
        row = rows[i]
        if is_footer_row(row, header.name_col):
            ended = True
            continue
        cells = [c for c in table.figure_columns() if _cell(row, c) is not None]
        if not is_data_row(row, header) or (ended and not cells):
            continue
        if _is_heading(table, row):
            continue
        before, unlisted = len(issues.issues), unknown.unlisted
        _note_remarks(table, row, i + 1)
        code, name_unit = _row_indicator(table, row, i + 1, seen)
        record = None
        if code is not None:
            record = _row_record(table, row, i + 1, catalog.indicator(code), name_unit)
        held = holding_issue(issues.issues[before:], policy)
        if held is not None:  # a held row never loads, even when its figures were read
            record = None
            if questions is not None:
                questions.append(_question(table, row, held))
        if record is not None:
            records.append(record)
        outcome = _row_outcome(issues.issues[before:], record is not None)
        if unknown.unlisted > unlisted:  # an unknown row past the limit: in the summary
            outcome = FigureOutcome.REFUSED
        if figures is not None:
            figures.extend(FigureCell(issues.sheet, i + 1, str(table.letter(c)), outcome)
                           for c in cells)  # fmt: skip
    if unknown.unlisted:
        refuse_unknown_rows(issues.issues, figures or [], questions or [])
        issues.add("too_many_unknown_indicators", unknown.summary())
    return records, set(seen)


def is_data_row(row: Sequence[object], header: FormHeader) -> bool:
    """An indicator row: a name in the name column, not the 甲 乙 1 2 3 column-code row."""
    raw = _cell(row, header.name_col)
    if raw is None or not str(raw).strip():
        return False
    return indicator_key(str(raw))[0] not in _MARKER_ROWS


def _row_outcome(found: Sequence[SubmissionIssue], loaded: bool) -> FigureOutcome:
    if any(i.severity == IssueSeverity.ERROR for i in found):
        return FigureOutcome.REFUSED
    return FigureOutcome.READ if loaded else FigureOutcome.HELD


def _question(table: _Table, row: Sequence[object], issue: SubmissionIssue) -> HeldRow:
    """The question a held row asks, with its cells as written and the closest names."""
    header = table.header
    name = _cell(row, header.name_col)
    match = table.match(name)
    if match.code is None:
        hints: Sequence[str] = table.unknown.hints.get(match.key, ())
    else:
        hints = (table.catalog.indicator(match.code).name,)
    unit_cell = _cell(row, header.unit_col)
    unit = str(unit_cell).strip() if unit_cell is not None and str(unit_cell).strip() else None
    # the unit its figures are written in: its unit cell, its name's, else the sheet's
    # (单位：万元), so an answer reads 21500 as 万元 and not in the indicator's own unit
    return held_row(
        issue, name=name, unit=unit or match.unit or table.sheet_unit,
        value=_cell(row, header.value_col), month=_cell(row, header.month_col), hints=hints,
        explanation=explanation_text(row, header),
    )  # fmt: skip


def _note_remarks(table: _Table, row: Sequence[object], sheet_row: int) -> None:
    """Text beside a data row, right of its name and outside the unit and figure columns
    (备注：含一次性土地出让税收): kept as a located note; the row's figures are read."""
    header = table.header
    skip = {header.name_col, header.unit_col, header.note_col, *table.figure_columns()}
    for c in range(header.name_col + 1, len(row)):
        value = row[c]
        if c in skip or not isinstance(value, str) or is_quantity(value):
            continue
        table.cell_finding(
            "remark_beside_row",
            f"“{_cell(row, header.name_col)}”一行旁有文字“{value.strip()}”，已作为备注记录"
            "（该行数字照常读取）",
            sheet_row,
            table.letter(c),
        )


def _is_heading(table: _Table, row: Sequence[object]) -> bool:
    """A group heading (一、工业): not a catalog name, nothing right of the name."""
    col = table.header.name_col
    if any(v is not None and str(v).strip() for v in row[col + 1 :]):
        return False
    return table.match(row[col]).code is None


def _row_indicator(
    table: _Table, row: Sequence[object], sheet_row: int, seen: dict[str, int]
) -> tuple[str | None, str | None]:
    """The row's indicator code (recorded in ``seen``) and the unit its name carries; no code
    for a blank or marker row, an unknown or a repeated indicator (the last two are issues)."""
    header = table.header
    raw_name = _cell(row, header.name_col)
    if raw_name is None or not str(raw_name).strip():
        return None, None
    if indicator_key(str(raw_name))[0] in _MARKER_ROWS:
        return None, None  # the 甲 乙 1 2 3 column-code row of statistical forms
    match = table.match(raw_name)
    code, name_unit = match.code, match.unit
    name_letter = table.letter(header.name_col)
    if code is None:
        if not table.unknown.meet():
            return None, None
        hint = table.unknown.hint(match.key)
        tip = f"，最接近的指标：{'、'.join(hint)}" if hint else ""
        table.cell_finding(
            "unknown_indicator", f"指标“{raw_name}”不在指标目录中{tip}", sheet_row, name_letter
        )
        return None, None
    outside = outside_validity(table.catalog.indicator(code), table.period)
    if outside is not None:
        table.cell_finding(
            "indicator_not_valid", f"指标“{raw_name}”{outside}", sheet_row, name_letter
        )
        return None, None
    if code in seen:
        table.cell_finding(
            "duplicate_indicator",
            f"指标“{table.catalog.indicator(code).name}”重复填报"
            f"（第 {seen[code]} 行与第 {sheet_row} 行）",
            sheet_row,
            name_letter,
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
            table.cell_finding(
                "bad_unit",
                f"指标“{ind.name}”的计量单位“{raw_unit_value}”{reason}",
                sheet_row,
                table.letter(table.header.unit_col),
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
            number, cell_unit = read_figure(raw)
        except NotANumberError as exc:
            code, why = unreadable_figure(exc)
            table.cell_finding(code, f"指标“{ind.name}”{label}{why}", sheet_row, letter)
            return None
        if number is None:
            parsed[role] = None
            continue
        try:
            parsed[role] = value = to_canonical(number, cell_unit, row_unit, ind.unit)
        except UnitError as exc:
            table.cell_finding(
                "bad_unit", f"指标“{ind.name}”{label}的“{raw}”无法换算为“{ind.unit}”：{exc}",
                sheet_row, letter,
            )  # fmt: skip
            return None
        if abs(value) > table.limits.max_abs_value:
            table.cell_finding(
                "number_out_of_range",
                f"指标“{ind.name}”{label}的“{raw}”折合 {value:.6g} {ind.unit}，绝对值超过上限 "
                f"{table.limits.max_abs_value:.6g}（JZPLAN_LIMIT_ABS_VALUE）", sheet_row, letter,
            )  # fmt: skip
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
        table.cell_finding("missing_value", f"指标“{ind.name}”未填报数值", sheet_row, value_letter)
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


def interpret_sheets(
    sheets: Sequence[SheetRows],
    path: Path,
    catalog: Catalog,
    *,
    arrival: Period | None = None,
    policy: Mapping[str, FindingAction] = FIGURE_CELL_POLICY,
    limits: Limits = DEFAULT_LIMITS,
) -> ParsedSubmission:
    """Pure part of parsing: sheets of values → observations, issues, the outcome of every
    figure cell and the rows held as questions (``policy``: what each row finding does)."""
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
    figures: list[FigureCell] = []
    questions: list[HeldRow] = []
    records, seen = interpret_table(
        chosen.rows, header, catalog, issues, sheet_unit=sheet_unit(chosen.rows, header.row),
        policy=policy, figures=figures, limits=limits, questions=questions, period=ident.period,
    )  # fmt: skip
    explanations = row_explanations(chosen.rows, header, records, issues)
    if org is not None:
        for code in org.reports:
            valid = ident.period is None or catalog.indicator(code).validity.covers(ident.period)
            if code not in seen and valid:
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
        frame=observation_frame(records, org.code if org else None, ident.period),
        issues=issues.issues,
        figures=figures,
        explanations=explanations,
        questions=questions,
    )


def parse_submission(
    path: Path,
    catalog: Catalog,
    *,
    arrival: Period | None = None,
    data: bytes | None = None,
    policy: Mapping[str, FindingAction] = FIGURE_CELL_POLICY,
    limits: Limits = DEFAULT_LIMITS,
) -> ParsedSubmission:
    """Parse one submitted form; never raises on bad input, every problem is an issue.

    ``arrival`` is the batch the file came with (default: its folder, when named YYYY-MM); a
    report for a later month than its batch is an error. ``data`` is the file's bytes when
    the caller has read them already (so the hash and the parse see the same content).
    ``policy`` says which row findings reject the file and which hold the row as a question
    (``cell_policy``, ``expectations/findings.yaml``); a file
    past one of ``limits`` is refused before or while it is read, with one located issue.
    """
    path = Path(path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            return _unreadable(path, "", f"无法读取文件：{exc}")
    digest = hashlib.sha256(data).hexdigest()
    try:
        book = read_workbook(data, path.suffix, limits)
    except LimitError as exc:
        result = _unreadable(path, digest, exc.message, code=exc.code)
        result.issues[0] = replace(result.issues[0], sheet=exc.sheet, row=exc.row, rule=exc.code)
        return result
    except ReadError as exc:
        return _unreadable(path, digest, exc.message, code=exc.code)
    result = interpret_sheets(
        book.sheets,
        path,
        catalog,
        arrival=arrival if arrival else arrival_from_folder(path),
        policy=policy,
        limits=limits,
    )
    result.sha256 = digest
    return result


def _unreadable(
    path: Path, digest: str, message: str, code: str = "unreadable_file"
) -> ParsedSubmission:
    result = ParsedSubmission(path=path, sha256=digest, org_unit=None, period=None)
    result.issues.append(SubmissionIssue(code=code, message=message, file=path.name))
    return result
