"""Held rows stored as questions: once per (submission, sheet, row), listed, open only while
their file is current; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func, select

from jzplan.core.periods import Period
from jzplan.core.states import QuestionStatus
from jzplan.core.submissions import HeldRow
from jzplan.store.lifecycle import accept_submission
from jzplan.store.models import HeldRowRow
from jzplan.store.questions import (
    AnswerRefused,
    check_answerable,
    list_questions,
    open_question_units,
    read_question,
    record_answer,
    store_questions,
)
from jzplan.store.submissions import record_submission
from tests.conftest import observation_frame

MAY = Period(2013, 5)
AT = datetime(2013, 6, 4, 9, 0, tzinfo=UTC)


def held(row: int, name: str = "招商引资（实际到位资金）", value: str = "25840") -> HeldRow:
    return HeldRow(
        sheet="月报",
        row=row,
        column="B",
        code="unknown_indicator",
        message=f"第{row}行指标名称「{name}」不在指标目录中",
        name=name,
        unit="万元",
        value=value,
        month="9120",
        hints=("招商引资到位资金", "实际利用外资"),
    )


def accepted(
    engine: Engine, unit: str, sha: str, filed: date, values: dict[str, float] | None = None
) -> int:
    sid = record_submission(
        engine, sha256=sha, file_name=f"{unit}-{sha}.xlsx", archive_path=f"a/{sha}",
        arrival_period=Period(2013, 6), received_at=AT, org_unit=unit, period=str(MAY),
        filed_on=filed,
    )  # fmt: skip
    frame = observation_frame(unit, str(MAY), values or {"fai": 5.0})
    accept_submission(engine, sid, frame)
    return sid


def test_questions_are_stored_once_and_open_while_their_file_is_current(
    ref_engine: Engine,
) -> None:
    first = accepted(ref_engine, "NGZ", "a1", date(2013, 6, 2))
    accepted(ref_engine, "SJZ", "b1", date(2013, 6, 2))
    assert store_questions(ref_engine, first, [held(12), held(14, "其中：外资", "x")]) == 2
    assert store_questions(ref_engine, first, [held(12), held(14, "其中：外资", "x")]) == 0
    with ref_engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(HeldRowRow)) == 2

    assert open_question_units(ref_engine, MAY) == {"NGZ"}
    assert open_question_units(ref_engine, Period(2013, 4)) == set()
    listed = list_questions(ref_engine, period=MAY)
    assert [(q.org_unit, q.row, q.name, q.value, q.hints) for q in listed] == [
        ("NGZ", 12, "招商引资（实际到位资金）", "25840", ("招商引资到位资金", "实际利用外资")),
        ("NGZ", 14, "其中：外资", "x", ("招商引资到位资金", "实际利用外资")),
    ]
    assert all(q.is_open and q.status == QuestionStatus.OPEN for q in listed)
    assert list_questions(ref_engine, org_unit="SJZ") == []
    assert list_questions(ref_engine, submission_id=first) == listed

    # answering one leaves the unit open while the other is unanswered
    with ref_engine.begin() as conn:
        record_answer(
            conn, listed[1].id, status=QuestionStatus.DISCARDED, indicator=None,
            answered_by="张三", answered_at=AT, note="合计行",
        )  # fmt: skip
    assert open_question_units(ref_engine, MAY) == {"NGZ"}
    answered = read_question(ref_engine, listed[1].id)
    assert (answered.status, answered.answered_by, answered.answer_note) == (
        "discarded", "张三", "合计行",
    )  # fmt: skip
    with pytest.raises(AnswerRefused, match="已由 张三") as refused:
        check_answerable(answered)
    assert refused.value.code == "already_answered"
    with ref_engine.begin() as conn, pytest.raises(AnswerRefused, match="只能答复一次"):
        record_answer(
            conn, listed[1].id, status=QuestionStatus.MAPPED, indicator="fai",
            answered_by="李四", answered_at=AT, note=None,
        )  # fmt: skip

    # a correction filed later supersedes the file: its questions stop counting
    accepted(ref_engine, "NGZ", "a2", date(2013, 6, 3), {"fai": 6.0})
    assert open_question_units(ref_engine, MAY) == set()
    assert list_questions(ref_engine, period=MAY) == []
    everything = list_questions(ref_engine, status=None, current_only=False)
    assert [(q.row, q.status, q.current) for q in everything] == [
        (12, "open", False),
        (14, "discarded", False),
    ]
    with pytest.raises(AnswerRefused, match="已不是本单位本月的现行报表"):
        check_answerable(everything[0])
    with pytest.raises(AnswerRefused, match="没有编号为 999"):
        read_question(ref_engine, 999)
