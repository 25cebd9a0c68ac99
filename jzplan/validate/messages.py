"""Where a failed rule points in the office's file, and the Chinese message that says so."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from jzplan.core.states import IssueSeverity
from jzplan.core.submissions import ParsedSubmission, SubmissionIssue
from jzplan.reference.catalog import Catalog
from jzplan.validate.columns import indicator_name


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, float):
        return f"{v:,.4f}".rstrip("0").rstrip(".")
    return str(v)


def _pct(v: Any) -> str:
    return "—" if v is None or pd.isna(v) else f"{float(v):+.1f}%"


def _context(code: str, row: pd.Series) -> str:
    """The figures a failed rule compared, in the office's words."""
    get = row.get
    if code == "implausible_value":
        return f"合理范围 {_fmt(get('plausible_min'))} ~ {_fmt(get('plausible_max'))}"
    if code == "parts_sum_to_whole":
        return f"{get('parts')} = {_fmt(get('parts_sum'))}"
    if code == "part_exceeds_whole":
        return f"{get('whole')} {_fmt(get('whole_value'))}"
    if code == "ytd_decreased":
        return f"上月累计 {_fmt(get('prev_value'))}"
    if code == "month_not_ytd_difference":
        return (
            f"本月数 {_fmt(get('value_month'))}，上月累计 {_fmt(get('prev_value'))}，"
            f"应为 {_fmt(float(row['value']) - float(row['prev_value']))}"
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
    facts = f"指标：{indicator_name(catalog, indicator)}，数值：{_fmt(row['value'])}"
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
