"""The states, kinds and severities of the domain: one enum each, stored as their values.

A ``StrEnum`` member equals its value (``SubmissionStatus.ACCEPTED == "accepted"``), so the
store's columns and the JSON of events keep the strings they always had; code names the member.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Self

from jzplan.core.periods import Period


class SubmissionStatus(StrEnum):
    """A received file's life: received → rejected | accepted → superseded; or held (有待确认):
    checked, but another file of the same unit, month, filing date and batch says otherwise
    (``jzplan.store.currency``); or a pending correction (待更正): checked, for a month that is
    released (or beyond the correction window), kept until the month is reopened."""

    RECEIVED = "received"
    REJECTED = "rejected"
    ACCEPTED = "accepted"
    SUPERSEDED = "superseded"
    HELD = "held"
    PENDING_CORRECTION = "correction"  # the column holds 16 characters

    @property
    def label(self) -> str:
        return {
            SubmissionStatus.RECEIVED: "已收到",
            SubmissionStatus.REJECTED: "已退回",
            SubmissionStatus.ACCEPTED: "已采用",
            SubmissionStatus.SUPERSEDED: "已被替代",
            SubmissionStatus.HELD: "有待确认",
            SubmissionStatus.PENDING_CORRECTION: "待更正（该月已发布）",
        }[self]


_S = SubmissionStatus
# Every status and its allowed moves; staying put is always allowed (a rerun repeats the
# same decision). Within one batch a file accepted first may be held once its batch-mate
# says otherwise, and the file current before the batch then is again (superseded → accepted);
# a stale or identical file is superseded straight from received. A pending correction is
# settled like a received file when its month is reopened.
TRANSITIONS: dict[SubmissionStatus, frozenset[SubmissionStatus]] = {
    _S.RECEIVED: frozenset(
        {_S.REJECTED, _S.ACCEPTED, _S.SUPERSEDED, _S.HELD, _S.PENDING_CORRECTION}
    ),
    _S.PENDING_CORRECTION: frozenset({_S.ACCEPTED, _S.SUPERSEDED, _S.HELD}),
    _S.REJECTED: frozenset(),
    _S.ACCEPTED: frozenset({_S.SUPERSEDED, _S.HELD}),
    _S.SUPERSEDED: frozenset({_S.ACCEPTED, _S.HELD}),
    _S.HELD: frozenset({_S.SUPERSEDED}),
}


class LifecycleError(ValueError):
    """A status change the lifecycle does not allow (e.g. rejecting an accepted file)."""


def check_transition(old: str, new: str) -> None:
    """Raise ``LifecycleError`` unless a submission may move from ``old`` to ``new``."""
    try:
        before, after = SubmissionStatus(old), SubmissionStatus(new)
    except ValueError:
        raise LifecycleError(f"unknown submission status {old!r} → {new!r}") from None
    if before != after and after not in TRANSITIONS[before]:
        raise LifecycleError(f"a {before} submission cannot become {after}")


class IngestStatus(StrEnum):
    """What a run did with one inbox entry: loaded it, rejected its content, found it stored
    already, or refused to read it at all (a symlink, a folder, an unsafe name: the inbox is a
    boundary)."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    REFUSED = "refused"
    HELD = "held"  # checked, but its batch-mate of the same date says otherwise: 有待确认
    STALE = "stale"  # checked, but filed before the file that stays current: not taken
    # checked, for a released month (or one beyond the correction window): kept, not loaded
    PENDING_CORRECTION = "correction"

    @property
    def label(self) -> str:
        return {
            IngestStatus.ACCEPTED: "已接收",
            IngestStatus.REJECTED: "已退回",
            IngestStatus.DUPLICATE: "重复文件，已忽略",
            IngestStatus.REFUSED: "已拒收",
            IngestStatus.HELD: "有待确认",
            IngestStatus.STALE: "未采用（已有填报日期更晚的报表）",
            IngestStatus.PENDING_CORRECTION: "待更正（该月已发布）",
        }[self]


class Timeliness(StrEnum):
    """How a unit's form for a month came in (the report's submission table)."""

    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"
    REJECTED = "rejected"
    HELD = "held"  # only files held against each other (jzplan.store.currency)

    @property
    def label(self) -> str:
        return {
            Timeliness.ON_TIME: "按时",
            Timeliness.LATE: "迟报",
            Timeliness.MISSING: "未报",
            Timeliness.REJECTED: "退回",
            Timeliness.HELD: "有待确认",
        }[self]


class IssueSeverity(StrEnum):
    """Of a finding in a file: an error rejects the file, a warning loads it and flags it."""

    ERROR = "error"
    WARNING = "warning"


class FigureOutcome(StrEnum):
    """What the parser did with one figure cell (a non-empty 累计 or 本月 cell of a data row):
    read it, held its row out of the load by a warning (the file loads), or refused it by an
    error (the file is rejected)."""

    READ = "read"
    HELD = "held"
    REFUSED = "refused"


class ReportedStatus(StrEnum):
    """What an office writes in 进展状态 of 重点工作进展.csv, as a stable code."""

    DONE = "done"
    ON_TRACK = "on_track"
    SLOW = "slow"
    BEHIND = "behind"
    NOT_STARTED = "not_started"


class StatusFileKind(StrEnum):
    """Which of a month's two status files: 重点工作进展.csv or 排名.csv."""

    PROGRESS = "progress"
    RANKING = "ranking"


class StatusFileOutcome(StrEnum):
    """What became of a received status file: every row loaded, some rows left out (each with
    its located issue), or the file refused whole (unreadable, columns missing, no data row:
    the month's stored rows stay as they were)."""

    ACCEPTED = "accepted"
    PARTIAL = "partial"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {
            StatusFileOutcome.ACCEPTED: "已接收",
            StatusFileOutcome.PARTIAL: "已接收·部分行未入库",
            StatusFileOutcome.REJECTED: "已退回",
        }[self]


class TargetStatus(StrEnum):
    """Where a target stands at the end of a month. The members' order, best first, is the one
    order every count by status is listed in (``count_statuses``)."""

    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BEHIND = "behind"
    MISSED = "missed"
    OVERDUE = "overdue"
    PENDING = "pending"
    NO_DATA = "no_data"
    UNSET = "unset"  # a draft's target whose value is still to be written: not tracked

    @property
    def label(self) -> str:
        """The Chinese word reports and messages use."""
        return TARGET_STATUS_LABELS[self]


TARGET_STATUS_LABELS: dict[TargetStatus, str] = {
    TargetStatus.ACHIEVED: "已完成",
    TargetStatus.ON_TRACK: "正常",
    TargetStatus.AT_RISK: "预警",
    TargetStatus.BEHIND: "滞后",
    TargetStatus.MISSED: "未完成",
    TargetStatus.OVERDUE: "已逾期",
    TargetStatus.PENDING: "待报送",
    TargetStatus.NO_DATA: "无数据",
    TargetStatus.UNSET: "待定",
}


def count_statuses(statuses: Iterable[object]) -> dict[TargetStatus, int]:
    """Targets per status, in ``TargetStatus`` order whatever the counts (statuses that no
    target has are left out), so a month's summary lists them as the month before did."""
    counts = Counter(TargetStatus(str(s)) for s in statuses)
    return {s: counts[s] for s in TargetStatus if counts[s]}


class AlertSeverity(StrEnum):
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def label(self) -> str:
        return {AlertSeverity.WARNING: "一般", AlertSeverity.CRITICAL: "严重"}[self]


# Statuses that raise an alert, and how loudly
ALERTING: dict[TargetStatus, AlertSeverity] = {
    TargetStatus.AT_RISK: AlertSeverity.WARNING,
    TargetStatus.BEHIND: AlertSeverity.CRITICAL,
    TargetStatus.MISSED: AlertSeverity.CRITICAL,
    TargetStatus.OVERDUE: AlertSeverity.CRITICAL,
}


class AlertKind(StrEnum):
    TARGET_STATUS = "target_status"
    MILESTONE_OVERDUE = "milestone_overdue"
    MISSING_SUBMISSION = "missing_submission"
    REJECTED_SUBMISSION = "rejected_submission"
    HELD_SUBMISSION = "held_submission"  # a unit's month 有待确认: files say different things
    VALIDATION_WARNING = "validation_warning"
    # for the operators, not the targets' office: a channel that cannot deliver (推送失败)
    DELIVERY_FAILURE = "delivery_failure"

    @property
    def label(self) -> str:
        return {
            AlertKind.TARGET_STATUS: "目标进度",
            AlertKind.MILESTONE_OVERDUE: "节点逾期",
            AlertKind.MISSING_SUBMISSION: "未报",
            AlertKind.REJECTED_SUBMISSION: "退回待改",
            AlertKind.HELD_SUBMISSION: "有待确认",
            AlertKind.VALIDATION_WARNING: "校验提示",
            AlertKind.DELIVERY_FAILURE: "推送失败",
        }[self]


class PipelineNotice(StrEnum):
    """What the operators are told about the pipeline itself (flows/automations.py)."""

    FAILED = "failed"  # a run ended Failed
    CRASHED = "crashed"  # a run ended Crashed (process killed, out of memory)
    MONTHLY_LATE = "monthly-late"  # the monthly run not completed by its due time
    DEADLINE_CHECK_LATE = "deadline-check-late"  # the deadline check not completed in time


class AlertAction(StrEnum):
    """What happened to an alert in a month, as the alert-event outbox records it."""

    OPENED = "opened"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class AlertKey:
    """An alert's identity: one per cause. Its text form is what the store's ``dedup_key``
    column holds (``target:T-01:behind``, ``missing:NGZ:2013-03``,
    ``validation:2013-03:NGZ:rule:indicator``); code builds and reads the fields, never the
    text."""

    family: str  # target | missing | rejected | held | validation | delivery
    parts: tuple[str, ...]

    def __str__(self) -> str:
        return ":".join((self.family, *self.parts))

    @classmethod
    def parse(cls, text: str) -> Self:
        """The store's column back into a key (at the store's edge only)."""
        family, *parts = text.split(":")
        return cls(family, tuple(parts))

    @classmethod
    def for_target(cls, target_id: str, status: TargetStatus) -> Self:
        return cls("target", (target_id, str(status)))

    @classmethod
    def missing(cls, org_unit: str, period: Period) -> Self:
        return cls("missing", (org_unit, str(period)))

    @classmethod
    def rejected(cls, org_unit: str, period: Period) -> Self:
        return cls("rejected", (org_unit, str(period)))

    @classmethod
    def held(cls, org_unit: str, period: Period) -> Self:
        return cls("held", (org_unit, str(period)))

    @classmethod
    def validation(cls, period: Period, org_unit: str, rule: str, indicator: str) -> Self:
        return cls("validation", (str(period), org_unit, rule, indicator))

    @classmethod
    def delivery(cls, channel: str, since: str) -> Self:
        """A channel's failure, one per outage (``since``: when it began, e.g. 20131203T0915Z)."""
        return cls("delivery", (channel, since))

    @property
    def target_status(self) -> TargetStatus | None:
        """The status a target alert is about; None for other families."""
        return TargetStatus(self.parts[-1]) if self.family == "target" else None


class QuestionStatus(StrEnum):
    """A row held out of an accepted form as a question (待确认) and how it was answered:
    mapped to a catalog indicator (its name becomes an alias) or discarded."""

    OPEN = "open"
    MAPPED = "mapped"
    DISCARDED = "discarded"

    @property
    def label(self) -> str:
        return {
            QuestionStatus.OPEN: "待确认",
            QuestionStatus.MAPPED: "已对应指标",
            QuestionStatus.DISCARDED: "已舍弃",
        }[self]


class UnitMonthStatus(StrEnum):
    """One unit's standing for one month, the same word everywhere (alerts, the timeliness
    grid, the report header, ``jzplan progress``): a file accepted; accepted with questions
    still open (or files that disagree); every file returned; nothing received."""

    REPORTED = "reported"
    QUESTIONS = "questions"
    RETURNED = "returned"
    MISSING = "missing"

    @property
    def label(self) -> str:
        return {
            UnitMonthStatus.REPORTED: "已报",
            UnitMonthStatus.QUESTIONS: "有待确认",
            UnitMonthStatus.RETURNED: "退回待改",
            UnitMonthStatus.MISSING: "未报",
        }[self]


class MessageKind(StrEnum):
    """What an office is sent through its own channel (``office_message`` outbox)."""

    RECEIPT = "receipt"  # 回执: what became of a received file
    REMINDER = "reminder"  # 催报: the month's form has not been accepted yet

    @property
    def label(self) -> str:
        return {MessageKind.RECEIPT: "回执", MessageKind.REMINDER: "催报"}[self]


class MessageStatus(StrEnum):
    """An office message's delivery: waiting (new, or its channel failed: retried), sent, or
    skipped for good because the office has no channel configured (reported, not an error)."""

    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"


class ChannelStatus(StrEnum):
    """What one delivery did on one notification channel (webhook, DingTalk, WeCom, email): sent;
    skipped (disabled, nothing for it, or no URL or mail server configured: said in its
    detail); failed (kept for a retry); deferred (the channel is waiting out its backoff)."""

    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    DEFERRED = "deferred"

    @property
    def label(self) -> str:
        return {
            ChannelStatus.SENT: "已发送",
            ChannelStatus.SKIPPED: "未发送",
            ChannelStatus.FAILED: "发送失败",
            ChannelStatus.DEFERRED: "暂缓",
        }[self]


class ReceiptStatus(StrEnum):
    """The status line of a file's receipt (回执): loaded; loaded with rows held as questions
    (or disagreeing with a batch-mate); loaded but some rows left out (a status file); returned."""

    ACCEPTED = "accepted"
    QUESTIONS = "questions"
    PARTIAL = "partial"
    RETURNED = "returned"
    CORRECTION = "correction"  # kept as a correction of a released month, awaiting review

    @property
    def label(self) -> str:
        return {
            ReceiptStatus.ACCEPTED: "已接收",
            ReceiptStatus.QUESTIONS: "已接收·有待确认",
            ReceiptStatus.PARTIAL: "已接收·部分行未入库",
            ReceiptStatus.RETURNED: "退回",
            ReceiptStatus.CORRECTION: "已接收·作为更正待审核",
        }[self]


class MonthState(StrEnum):
    """A month's life (审核定稿): its files are still coming in; the monthly run has produced
    it and it awaits review; a named person released it (its figures are 正式 and locked: a
    later file for it waits as a pending correction until the month is reopened)."""

    COLLECTING = "collecting"
    PENDING_REVIEW = "pending_review"
    RELEASED = "released"

    @property
    def label(self) -> str:
        return {
            MonthState.COLLECTING: "采集中",
            MonthState.PENDING_REVIEW: "待审核",
            MonthState.RELEASED: "已发布",
        }[self]

    @property
    def figures_label(self) -> str:
        """What the month's figures are called in reports: 正式 once released, else 暂."""
        return "正式" if self is MonthState.RELEASED else "暂"


class MonthAction(StrEnum):
    """What moves a month: its monthly run produces it, a named person releases it, or
    reopens it (its pending corrections are then applied)."""

    PRODUCE = "produce"
    RELEASE = "release"
    REOPEN = "reopen"


# (from, action) → to; anything else is refused (jzplan.month.release says why, in Chinese)
MONTH_MOVES: dict[tuple[MonthState, MonthAction], MonthState] = {
    (MonthState.COLLECTING, MonthAction.PRODUCE): MonthState.PENDING_REVIEW,
    (MonthState.PENDING_REVIEW, MonthAction.RELEASE): MonthState.RELEASED,
    (MonthState.RELEASED, MonthAction.REOPEN): MonthState.PENDING_REVIEW,
}


def month_move(state: MonthState, action: MonthAction) -> MonthState | None:
    """Where ``action`` takes a month in ``state``; None when it may not."""
    return MONTH_MOVES.get((state, action))
