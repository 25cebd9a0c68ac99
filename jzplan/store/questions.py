"""Rows held out of an accepted form as questions (待确认): stored once per (submission, sheet,
row), listed, and answered once (mapped to an indicator or discarded), audited.

A question is *open for its unit and month* only while its submission is the current accepted
one: when a corrected file supersedes it (or it is held with a batch-mate), its questions keep
their own status in the table but no longer count for the unit-month, and cannot be answered —
the file now current carries its own questions, if any.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, Select, Table, func, insert, select, update

from jzplan.core.periods import Period
from jzplan.core.states import QuestionStatus, SubmissionStatus
from jzplan.core.submissions import HeldRow
from jzplan.store.db import Bind, connect, transaction
from jzplan.store.models import HeldRowRow, ObservationRow, SubmissionRow
from jzplan.store.rows import period_key

_held: Table = HeldRowRow.__table__  # type: ignore[assignment]
_submission: Table = SubmissionRow.__table__  # type: ignore[assignment]
_observation: Table = ObservationRow.__table__  # type: ignore[assignment]


class AnswerRefused(ValueError):
    """An answer the store cannot take (unknown or answered question, file not current), with
    a stable English ``code`` and a Chinese message for the operator."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


@dataclass(frozen=True, slots=True)
class Question:
    """A stored held row, with its file and whether that file is still the current one."""

    id: int
    submission_id: int
    org_unit: str | None
    period: str | None
    file_name: str
    sheet: str
    row: int
    column: str | None
    code: str
    message: str
    name: str
    unit: str | None
    value: str | None
    month: str | None
    hints: tuple[str, ...]
    explanation: str | None
    status: QuestionStatus
    current: bool  # its submission is the accepted one of its unit and month
    indicator: str | None = None
    answered_by: str | None = None
    answered_at: datetime | None = None
    answer_note: str | None = None

    @property
    def is_open(self) -> bool:
        """Open for its unit and month: unanswered, and its file is the current one."""
        return self.status == QuestionStatus.OPEN and self.current


def store_questions(bind: Bind, submission_id: int, questions: Sequence[HeldRow]) -> int:
    """Write a submission's held rows as open questions; rows already stored (same sheet and
    row) are left as they are, answered or not. Returns the number of rows inserted."""
    if not questions:
        return 0
    with transaction(bind) as conn:
        sub = conn.execute(
            select(_submission.c.org_unit_code, _submission.c.period).where(
                _submission.c.id == submission_id
            )
        ).first()
        if sub is None:
            raise KeyError(f"no submission {submission_id}")
        stored = {
            (str(s), int(r))
            for s, r in conn.execute(
                select(_held.c.sheet, _held.c.row).where(_held.c.submission_id == submission_id)
            )
        }
        rows: dict[tuple[str, int], dict[str, Any]] = {}
        for q in questions:
            key = (q.sheet, q.row)
            if key in stored or key in rows:  # a row is one question, the first finding wins
                continue
            rows[key] = {
                "submission_id": submission_id,
                "org_unit_code": sub.org_unit_code,
                "period": sub.period,
                "sheet": q.sheet,
                "row": q.row,
                "column": q.column,
                "code": q.code,
                "message": q.message,
                "name_written": q.name,
                "unit_written": q.unit,
                "value_written": q.value,
                "month_written": q.month,
                "hints": list(q.hints),
                "explanation": q.explanation,
                "status": QuestionStatus.OPEN,
            }
        if rows:
            conn.execute(insert(_held), list(rows.values()))
        return len(rows)


def _query() -> Select[Any]:
    return select(
        _held,
        _submission.c.file_name,
        _submission.c.status.label("submission_status"),
    ).join(_submission, _submission.c.id == _held.c.submission_id)


def _question(r: RowMapping) -> Question:
    return Question(
        id=int(r["id"]),
        submission_id=int(r["submission_id"]),
        org_unit=r["org_unit_code"],
        period=r["period"],
        file_name=str(r["file_name"]),
        sheet=str(r["sheet"]),
        row=int(r["row"]),
        column=r["column"],
        code=str(r["code"]),
        message=str(r["message"]),
        name=str(r["name_written"]),
        unit=r["unit_written"],
        value=r["value_written"],
        month=r["month_written"],
        hints=tuple(str(h) for h in (r["hints"] or ())),
        explanation=r["explanation"],
        status=QuestionStatus(r["status"]),
        current=r["submission_status"] == SubmissionStatus.ACCEPTED,
        indicator=r["indicator_code"],
        answered_by=r["answered_by"],
        answered_at=r["answered_at"],
        answer_note=r["answer_note"],
    )


def list_questions(
    bind: Bind,
    *,
    period: Period | None = None,
    org_unit: str | None = None,
    status: QuestionStatus | None = QuestionStatus.OPEN,
    current_only: bool = True,
    submission_id: int | None = None,
) -> list[Question]:
    """Stored questions, by period, unit and file order. By default the open ones of current
    files (what is still to answer); ``status=None, current_only=False`` gives every one;
    ``submission_id`` those of one file (a receipt's)."""
    query = _query().order_by(_held.c.period, _held.c.org_unit_code, _held.c.id)
    if period is not None:
        query = query.where(_held.c.period == period_key(period))
    if org_unit is not None:
        query = query.where(_held.c.org_unit_code == org_unit)
    if status is not None:
        query = query.where(_held.c.status == status)
    if submission_id is not None:
        query = query.where(_held.c.submission_id == submission_id)
    if current_only:
        query = query.where(_submission.c.status == SubmissionStatus.ACCEPTED)
    with connect(bind) as conn:
        return [_question(r) for r in conn.execute(query).mappings()]


def open_question_counts(bind: Bind, periods: Sequence[Period]) -> dict[tuple[str, str], int]:
    """Open questions of each unit's current (accepted) file, by (unit, period): what makes a
    unit-month 有待确认 (``jzplan.store.unit_months``)."""
    query = (
        select(_submission.c.org_unit_code, _submission.c.period, func.count())
        .select_from(_held.join(_submission, _submission.c.id == _held.c.submission_id))
        .where(
            _submission.c.period.in_([period_key(p) for p in periods]),
            _submission.c.status == SubmissionStatus.ACCEPTED,
            _held.c.status == QuestionStatus.OPEN,
        )
        .group_by(_submission.c.org_unit_code, _submission.c.period)
    )
    with connect(bind) as conn:
        return {(str(u), str(p)): int(n) for u, p, n in conn.execute(query)}


def open_question_units(bind: Bind, period: Period) -> set[str]:
    """Units whose current accepted submission for ``period`` has open questions (有待确认)."""
    return {unit for unit, _ in open_question_counts(bind, [period])}


def read_question(bind: Bind, question_id: int) -> Question:
    """One stored question; AnswerRefused (no_such_question) if there is none."""
    with connect(bind) as conn:
        row = conn.execute(_query().where(_held.c.id == question_id)).mappings().first()
    if row is None:
        raise AnswerRefused("no_such_question", f"没有编号为 {question_id} 的待确认行。")
    return _question(row)


def check_answerable(question: Question) -> None:
    """AnswerRefused unless the question is open and its file is the current one."""
    if question.status != QuestionStatus.OPEN:
        when = "" if question.answered_at is None else f"于 {question.answered_at:%Y-%m-%d %H:%M}"
        raise AnswerRefused(
            "already_answered",
            f"待确认行 {question.id}（{question.file_name} {question.sheet} 第{question.row}行"
            f"「{question.name}」）已由 {question.answered_by or '?'} {when}答复为"
            f"「{question.status.label}」，每行只能答复一次。",
        )
    if not question.current:
        raise AnswerRefused(
            "not_current",
            f"待确认行 {question.id} 所在文件 {question.file_name} 已不是本单位本月的现行报表"
            "（已被更正报表替换或与同批文件冲突待定），无需再答复；请查看现行报表的待确认行。",
        )


def record_answer(
    conn: Connection,
    question_id: int,
    *,
    status: QuestionStatus,
    indicator: str | None,
    answered_by: str,
    answered_at: datetime,
    note: str | None,
) -> None:
    """Write the one answer of an open question (in the caller's transaction); a question
    answered meanwhile is refused (already_answered), never answered twice."""
    if status == QuestionStatus.OPEN:
        raise ValueError("an answer maps or discards a question")
    done = conn.execute(
        update(_held)
        .where(_held.c.id == question_id, _held.c.status == QuestionStatus.OPEN)
        .values(
            status=status,
            indicator_code=indicator,
            answered_by=answered_by,
            answered_at=answered_at,
            answer_note=note,
        )
    )
    if done.rowcount != 1:
        check_answerable(read_question(conn, question_id))
        raise AnswerRefused("already_answered", f"待确认行 {question_id} 已答复。")


def add_question_figure(
    conn: Connection, question: Question, indicator: str, value: float, month: float | None
) -> None:
    """Add an answered row's figure to its submission's observations (in the caller's
    transaction); AnswerRefused (indicator_present) if the submission already has one."""
    found = conn.execute(
        select(_observation.c.source_row).where(
            _observation.c.submission_id == question.submission_id,
            _observation.c.indicator_code == indicator,
        )
    ).first()
    if found is not None:
        where = "文件中" if found.source_row is None else f"第{found.source_row}行"
        raise AnswerRefused(
            "indicator_present",
            f"文件 {question.file_name} {where}已填报指标 {indicator}，"
            f"第{question.row}行「{question.name}」不能再对应到同一指标；请选择其他指标或舍弃。",
        )
    conn.execute(
        insert(_observation).values(
            submission_id=question.submission_id,
            org_unit_code=question.org_unit,
            period=question.period,
            indicator_code=indicator,
            value=value,
            value_month=month,
            source_row=question.row,
        )
    )


def submission_figures(conn: Connection, submission_id: int) -> list[RowMapping]:
    """The submission's own figures (indicator_code, value, value_month, source_row)."""
    query = (
        select(
            _observation.c.indicator_code,
            _observation.c.value,
            _observation.c.value_month,
            _observation.c.source_row,
        )
        .where(_observation.c.submission_id == submission_id)
        .order_by(_observation.c.source_row, _observation.c.indicator_code)
    )
    return list(conn.execute(query).mappings())
