"""Where a failed rule points in the office's file, and the Chinese message that says so.

Figures are quoted in the unit the office wrote them in (``raw_unit``: 25840 万元, not the
canonical 2.584 亿元), the unit named.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from jzplan.core.states import IssueSeverity
from jzplan.core.submissions import ParsedSubmission, SubmissionIssue
from jzplan.reference.catalog import Catalog, UnitError, convert, normalize_unit
from jzplan.validate.columns import indicator_name


def _pct(v: Any) -> str:
    return "—" if v is None or pd.isna(v) else f"{float(v):+.1f}%"


def _number(v: float) -> str:
    """A figure as an office writes it: no thousands separator, no float noise."""
    return f"{v:.4f}".rstrip("0").rstrip(".")


class Amounts:
    """Figures of one row, in canonical units, quoted in the unit the office wrote them in."""

    def __init__(self, row: pd.Series) -> None:
        self.canonical = _text(row.get("unit")) or ""
        written = normalize_unit(_text(row.get("raw_unit")) or "")
        self.unit = self.canonical
        if written and self.canonical:
            try:
                convert(1.0, self.canonical, written)
                self.unit = written
            except UnitError:
                pass  # a unit cell that named no convertible unit: the canonical one

    def __call__(self, v: Any) -> str:
        """``v`` (canonical unit) in the office's unit, with the unit named."""
        if v is None or pd.isna(v):
            return "—"
        x = float(v)
        if self.unit != self.canonical:
            x = convert(x, self.canonical, self.unit)
        if not self.unit:
            return _number(x)
        gap = "" if self.unit in ("%", "‰") else " "
        return f"{_number(x)}{gap}{self.unit}"


def _context(code: str, row: pd.Series) -> str:
    """The figures a failed rule compared, in the office's words and units."""
    get = row.get
    amount = Amounts(row)
    if code == "implausible_value":
        return f"合理范围 {amount(get('plausible_min'))} ~ {amount(get('plausible_max'))}"
    if code == "parts_sum_to_whole":
        return f"{get('parts')} = {amount(get('parts_sum'))}"
    if code == "part_exceeds_whole":
        return f"{get('whole')} {amount(get('whole_value'))}"
    if code == "ytd_decreased":
        return f"上月累计 {amount(get('prev_value'))}"
    if code == "month_not_ytd_difference":
        return (
            f"本月数 {amount(get('value_month'))}，上月累计 {amount(get('prev_value'))}，"
            f"本月数应为 {amount(float(row['value']) - float(row['prev_value']))}"
        )
    if code in ("mom_jump", "yoy_jump"):
        what = "环比" if code == "mom_jump" else "同比"
        p = code[:3]
        return (
            f"{what} {_pct(get(f'{p}_pct'))}，本单位正常区间 "
            f"{_pct(get(f'{p}_low_pct'))} ~ {_pct(get(f'{p}_high_pct'))}"
        )
    if code == "unit_mismatch":
        return f"计量单位 {get('unit')}，应为 {get('expected_unit')}"
    return ""


def locate_issue(
    parsed: ParsedSubmission,
    frame: pd.DataFrame,
    idx: Any,
    code: str,
    message: str,
    severity: IssueSeverity,
    catalog: Catalog,
) -> SubmissionIssue:
    row = frame.loc[idx]
    indicator = str(row["indicator"])
    context = _context(code, row)
    facts = f"指标：{indicator_name(catalog, indicator)}，数值：{Amounts(row)(row['value'])}"
    return SubmissionIssue(
        code=code,
        message=f"{message}（{facts}{'；' + context if context else ''}）",
        file=parsed.path.name,
        sheet=_text(row.get("sheet")),
        row=_int(row.get("row")),
        column=_text(row.get("column")),
        rule=code,
        severity=severity,
    )


def row_facts(frame: pd.DataFrame, idx: Any) -> dict[str, Any]:
    row = frame.loc[idx]
    value = row.get("value")
    return {
        "indicator": _text(row.get("indicator")),
        "value": None if value is None or pd.isna(value) else float(value),
    }


def issue_detail(issue: SubmissionIssue) -> dict[str, Any]:
    return {
        "file": issue.file,
        "sheet": issue.sheet,
        "row": issue.row,
        "column": issue.column,
        "message": issue.message,
    }


def _text(v: Any) -> str | None:
    return None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)


def _int(v: Any) -> int | None:
    return None if v is None or pd.isna(v) else int(v)
