"""Locked months hold: a checked file for a released month, or for a month more than the
correction window before its batch, is kept as a pending correction (待更正) — received,
archived, validated, its figures stored under its own submission — and changes nothing of
the month (figures, totals, statuses, alerts, reports) until the month is reopened
(``jzplan.month.release``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection

from jzplan.alert.explanations import explain_from_form
from jzplan.core.periods import Period
from jzplan.core.settings import Settings
from jzplan.core.states import IssueSeverity
from jzplan.core.submissions import ParsedSubmission, SubmissionIssue
from jzplan.month.prepare import PreparedFile
from jzplan.store.corrections import hold_for_correction
from jzplan.store.month_states import read_month
from jzplan.store.questions import store_questions
from jzplan.store.submissions import store_figures

RELEASED_CODE = "month_released"
WINDOW_CODE = "correction_window"
HOLD_CODES = frozenset({RELEASED_CODE, WINDOW_CODE})
BULK_LOCKED_CODE = "bulk_month_released"  # a bulk file is returned instead (not held yet)


@dataclass(frozen=True, slots=True)
class CorrectionPolicy:
    """How late a file may still change an unreleased month: ``window_months`` before its
    batch (0: any month); the timezone release dates are shown in."""

    window_months: int = 0
    timezone: str = "Asia/Shanghai"


def months_between(earlier: Period, later: Period) -> int:
    """How many months ``later`` is after ``earlier`` (negative when before)."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def beyond_window(period: Period, arrival: Period, window_months: int) -> bool:
    """Whether a file for ``period`` in the batch of ``arrival`` is older than the window."""
    return window_months > 0 and months_between(period, arrival) > window_months


def hold_issue(
    conn: Connection, file_name: str, period: Period, arrival: Period, policy: CorrectionPolicy
) -> SubmissionIssue | None:
    """Why a checked file for ``period`` is kept as a pending correction (None: it loads), in
    Chinese for the office: the month was released (when, by whom), or it is too old."""
    month = read_month(conn, period)
    kept = "本文件已接收并通过校验，所报数字作为待审核的更正保存，暂不改变"
    if month.locked:
        day = month.released_on(policy.timezone)
        message = (
            f"{period.label}的数据已于 {day} 由 {month.released_by} 审核发布"
            f"（第{month.version}版）：{kept}已发布的数字；区统计局重新开放该月审核时采用，无需重新报送"
        )
        return SubmissionIssue(RELEASED_CODE, message, file_name, severity=IssueSeverity.WARNING)
    if beyond_window(period, arrival, policy.window_months):
        message = (
            f"报告期 {period.label} 早于本批次（{arrival.label}）超过 {policy.window_months} 个月的"
            f"更正期限：{kept}该月的数字；区统计局审核后采用，无需重新报送"
        )
        return SubmissionIssue(WINDOW_CODE, message, file_name, severity=IssueSeverity.WARNING)
    return None


def hold_form(
    conn: Connection,
    submission_id: int,
    parsed: ParsedSubmission,
    results: Sequence[Mapping[str, object]],
    issue: SubmissionIssue,
    received_at: datetime,
) -> None:
    """Keep a checked form as a pending correction: its figures, rule results, explanations
    and held rows stored under its submission (not current), its status ``correction``."""
    store_figures(conn, submission_id, parsed.frame, results)
    explain_from_form(
        conn, submission_id, parsed.explanations,
        explained_by=parsed.filed_by, explained_on=parsed.filed_on or received_at.date(),
    )  # fmt: skip
    store_questions(conn, submission_id, parsed.questions)
    hold_for_correction(conn, submission_id, issue)


def hold_checked(
    conn: Connection,
    submission_id: int,
    parsed: ParsedSubmission,
    results: Sequence[Mapping[str, object]],
    arrival: Period,
    received_at: datetime,
    policy: CorrectionPolicy | None,
) -> SubmissionIssue | None:
    """A checked form kept as a pending correction when its month is released or too old
    (``hold_issue``): its reason; None when it loads as usual (or ``policy`` is None)."""
    if policy is None or parsed.period is None:
        return None
    issue = hold_issue(conn, parsed.path.name, parsed.period, arrival, policy)
    if issue is not None:
        hold_form(conn, submission_id, parsed, results, issue, received_at)
    return issue


def correction_policy(settings: Settings) -> CorrectionPolicy:
    """The policy of JZPLAN_CORRECTION_WINDOW_MONTHS and JZPLAN_TIMEZONE."""
    return CorrectionPolicy(settings.correction_window_months, settings.timezone)


def refuse_locked_bulk(
    conn: Connection, prepared: PreparedFile, arrival: Period, policy: CorrectionPolicy | None
) -> PreparedFile:
    """A bulk file for a released (or too old) month: not yet kept as a correction, so it
    is returned whole with why (an error on no row), and the month's figures stay as they
    were. A bulk file of several months (no one period) is not checked."""
    parsed = prepared.parsed
    if policy is None or parsed is None or parsed.period is None:
        return prepared
    held = hold_issue(conn, prepared.path.name, parsed.period, arrival, policy)
    if held is None:
        return prepared
    why = held.message.split("：", 1)[0]  # released on DATE by NAME / beyond the window
    message = (
        f"{why}：批量文件暂不能作为待审核的更正保存，整份文件未入库；该月重新开放审核后请重新报送"
    )
    issue = SubmissionIssue(BULK_LOCKED_CODE, message, prepared.path.name)
    return replace(prepared, issues=(*prepared.issues, issue))
