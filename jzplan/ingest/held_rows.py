"""Rows of an accepted form held out of the load as questions (待确认), kept as written.

The parser calls ``held_row`` for a data row whose findings include one the policy table
(``cell_policy``) says holds the row: the question carries the row's cells as the office wrote
them (a number as it reads in the sheet, a formula as its text), so it can be answered without
the file being sent again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

from jzplan.core.states import FigureOutcome, IssueSeverity
from jzplan.core.submissions import FigureCell, HeldRow, SubmissionIssue
from jzplan.ingest.cell_policy import FindingAction, action_of
from jzplan.ingest.readers import UncachedFormula

HELD_SUFFIX = "；该行暂不入库，列为待确认，文件其余数字照常入库"


def written(value: object) -> str | None:
    """A cell as the office wrote it: None when blank, 25840 (not 25840.0) for a whole float."""
    if value is None:
        return None
    if isinstance(value, UncachedFormula):
        return value.formula
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def holding_issue(
    found: Sequence[SubmissionIssue], policy: Mapping[str, FindingAction]
) -> SubmissionIssue | None:
    """The first of a row's findings that holds it, unless another one rejects the file."""
    if any(i.severity == IssueSeverity.ERROR for i in found):
        return None
    return next((i for i in found if action_of(i.code, policy) is FindingAction.HOLD_ROW), None)


def held_row(
    issue: SubmissionIssue,
    *,
    name: object,
    unit: str | None,
    value: object,
    month: object,
    hints: Sequence[str],
    explanation: object = None,
) -> HeldRow:
    """The question for one held row: located where its finding is."""
    assert issue.sheet is not None and issue.row is not None
    return HeldRow(
        sheet=issue.sheet,
        row=issue.row,
        column=issue.column or "",
        code=issue.code,
        message=issue.message,
        name=written(name) or "",
        unit=unit,
        value=written(value),
        month=written(month),
        hints=tuple(hints),
        explanation=written(explanation),
    )


def refuse_unknown_rows(
    issues: list[SubmissionIssue], figures: list[FigureCell], questions: list[HeldRow]
) -> None:
    """Past the limit of unknown rows the file is rejected: its listed unknown rows are no
    longer questions but errors, and their figure cells refused."""
    rows: set[int | None] = set()
    for k, issue in enumerate(issues):
        if issue.code == "unknown_indicator" and issue.severity == IssueSeverity.WARNING:
            rows.add(issue.row)
            message = issue.message.removesuffix(HELD_SUFFIX)
            issues[k] = replace(issue, severity=IssueSeverity.ERROR, message=message)
    for k, cell in enumerate(figures):
        if cell.row in rows:
            figures[k] = replace(cell, outcome=FigureOutcome.REFUSED)
    questions[:] = [q for q in questions if q.code != "unknown_indicator"]
