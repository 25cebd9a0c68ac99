"""Where things are in a form's sheet: the table's header, labelled cells, and the issues
found there, located by sheet, row and column."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from openpyxl.utils import get_column_letter

from jzplan.core.states import IssueSeverity
from jzplan.core.submissions import SubmissionIssue
from jzplan.reference.catalog import UNIT_FACTORS, normalize_name, normalize_unit

# Labels of the lines around the table; a value cell stops where the next label starts.
LABELS = (
    "填报单位", "报告期", "填报人", "填表人", "填报日期", "报出日期", "单位负责人", "统计负责人",
    "审核人", "负责人", "联系电话", "金额单位", "计量单位",
)  # fmt: skip
_NAME_HEADERS = frozenset({"指标名称", "指标", "项目", "指标项目", "项目名称", "指标名"})
YTD_SPAN_RE = re.compile(r"1[-~至—–](\d{1,2})月")
_STOP_PREFIXES = (
    "填报人", "填表人", "制表人", "注:", "注：", "说明", "备注", "单位负责人", "审核人",
    "统计负责人", "负责人", "联系电话", "报出日期", "填报日期",
)  # fmt: skip
# The header of the column whose text explains a warning on its row (上报说明)
EXPLANATION_HEADER = "情况说明"


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
    note_col: int | None = None  # the 情况说明 column, if the form has one


@dataclass(frozen=True, slots=True)
class Located:
    """A labelled value found in the sheet and the cell it sits in (row 1-based, col 0-based)."""

    value: object
    row: int
    col: int
    raw: str


@dataclass(slots=True)
class SheetIssues:
    """The issues found in one sheet of one file, as they are found."""

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
        severity: IssueSeverity = IssueSeverity.ERROR,
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

    def at(
        self,
        code: str,
        message: str,
        found: Located,
        severity: IssueSeverity = IssueSeverity.ERROR,
    ) -> None:
        self.add(
            code, message, row=found.row, column=get_column_letter(found.col + 1), severity=severity
        )


def norm(value: object) -> str:
    """NFKC (full-width → ASCII), no whitespace: the key every comparison uses."""
    if value is None:
        return ""
    return normalize_name(str(value))


def cut_at_label(text: str, own: str) -> str:
    """``text`` up to the next label other than ``own`` (two labels on one line)."""
    ends = [i for label in LABELS if label != own and (i := text.find(label)) > 0]
    return text[: min(ends)] if ends else text


def find_labelled(
    rows: Sequence[Sequence[object]], label: str, *, stop: int | None = None
) -> Located | None:
    """The value written after ``label`` (same cell or the next non-empty one), first found."""
    for r, row in enumerate(rows[:stop]):
        for c, value in enumerate(row):
            if not isinstance(value, str):
                continue
            text = norm(value)
            i = text.find(label)
            if i < 0:
                continue
            rest = text[i + len(label) :]
            rest = re.sub(r"^\((?:盖章|签章|签字|公章|签名)\)", "", rest).lstrip(":")
            rest = cut_at_label(rest, label)
            if rest:
                return Located(rest, r + 1, c, str(value).strip())
            return _next_cell(row, r, c, str(value).strip())
    return None


def _next_cell(row: Sequence[object], r: int, c: int, raw: str) -> Located:
    """The first non-empty cell right of a bare label, unless another label comes first."""
    for c2 in range(c + 1, len(row)):
        nxt = row[c2]
        if nxt is None or (isinstance(nxt, str) and not nxt.strip()):
            continue
        if isinstance(nxt, str) and any(lab in norm(nxt) for lab in LABELS):
            break
        shown = nxt if isinstance(nxt, date) else norm(nxt)
        return Located(shown, r + 1, c2, str(nxt).strip())
    return Located("", r + 1, c, raw)


def _is_prior(text: str) -> bool:
    return any(k in text for k in ("去年", "上年", "同期"))


def _is_ytd(text: str) -> bool:
    return ("累计" in text or YTD_SPAN_RE.search(text) is not None) and not _is_prior(text)


def _is_month(text: str) -> bool:
    return text.startswith(("本月", "当月")) and "累计" not in text and "止" not in text


def _is_header_word(text: str) -> bool:
    return any(k in text for k in ("本月", "当月", "累计", "本期", "去年", "同期", "增长")) or bool(
        YTD_SPAN_RE.search(text)
    )


def find_header(rows: Sequence[Sequence[object]]) -> FormHeader | None:
    """Locate the table by its header text, over one or two header rows (merged 本期数)."""
    for i, row in enumerate(rows):
        texts = [norm(v) for v in row]
        name_col = next(
            (c for c, t in enumerate(texts) if t in _NAME_HEADERS or "指标名称" in t), None
        )
        if name_col is None:
            continue
        sub = [norm(v) for v in rows[i + 1]] if i + 1 < len(rows) else []
        header = _header_at(i, name_col, texts, sub)
        if header is not None:
            return header
    return None


def _header_at(i: int, name_col: int, top: list[str], sub: list[str]) -> FormHeader | None:
    """The header whose 指标名称 is at (``i``, ``name_col``), from its row's texts ``top`` and
    the next row's ``sub``; None without a value column."""
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
        return None
    month_col = next(
        (c for c in range(width) if _is_month(own[c]) and not _is_prior(full[c])), None
    )
    unit_col = next((c for c in range(width) if "计量单位" in full[c] or own[c] == "单位"), None)
    note_col = next((c for c in range(width) if EXPLANATION_HEADER in full[c]), None)
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
        note_col=note_col,
    )


def is_footer_row(row: Sequence[object], name_col: int) -> bool:
    """A line below the table (填报人, 注, 说明…), not an indicator row with a remark beside
    it: a label in the row and no indicator name (the name cell empty, or a label itself, or
    a label left of it)."""
    labelled = [c for c, v in enumerate(row) if isinstance(v, str) and is_footer_label(v)]
    if not labelled:
        return False
    name = row[name_col] if name_col < len(row) else None
    return not (isinstance(name, str) and name.strip()) or min(labelled) <= name_col


def is_footer_label(text: str) -> bool:
    return norm(text).startswith(_STOP_PREFIXES)


def sheet_unit(rows: Sequence[Sequence[object]], header_row: int) -> str | None:
    """A 单位：万元 (or 金额单位：万元) line above the table, when it names a known unit."""
    for row in rows[:header_row]:
        for value in row:
            if not isinstance(value, str):
                continue
            m = re.search(r"(?<!填报)(?<!计量)单位:([^:]+)", norm(value))
            if m:
                unit = normalize_unit(cut_at_label(m.group(1), "单位"))
                if unit in UNIT_FACTORS:
                    return unit
    return None
