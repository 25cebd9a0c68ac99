"""Answering a held row once: mapped (figure added, name learned, month recomputed) or
discarded, audited; refused with a located Chinese message otherwise. SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
import yaml
from sqlalchemy import Engine

from jzplan.core.states import MonthAction, MonthState, QuestionStatus
from jzplan.month.answers import Answering, answer_question
from jzplan.month.refresh import refresh_period
from jzplan.reference.catalog import load_catalog
from jzplan.reference.plan import Plan
from jzplan.store.aggregates import read_aggregates
from jzplan.store.month_states import mark_produced, read_month, record_move
from jzplan.store.progress import read_progress
from jzplan.store.questions import AnswerRefused, list_questions, open_question_units
from jzplan.track.progress import Thresholds
from jzplan.validate.validator import SubmissionValidator
from tests.conftest import REPO_ROOT
from tests.ingest import corpus
from tests.ingest.corpus import PERIOD
from tests.month.held import load, prepare_form

AT = datetime(2013, 6, 6, 10, 30, tzinfo=UTC)


@pytest.fixture
def answering(
    store: Engine, plan: Plan, validator: SubmissionValidator, tmp_path: Path
) -> Answering:
    catalog_dir = tmp_path / "catalog"
    shutil.copytree(REPO_ROOT / "data" / "catalog", catalog_dir)
    return Answering(
        engine=store, catalog=load_catalog(catalog_dir), catalog_dir=catalog_dir, plan=plan,
        thresholds=Thresholds(), validator=validator,
    )  # fmt: skip


def area_value(store: Engine, code: str) -> float | None:
    """The area's total of ``code`` (NGZ is the only unit reporting)."""
    agg = read_aggregates(store, [PERIOD])
    found = agg[(agg["org_unit"] == "JZXQ") & (agg["indicator"] == code)]["value"]
    return None if found.empty else float(found.iloc[0])


def test_answering_maps_discards_and_refuses(
    answering: Answering, validator: SubmissionValidator, tmp_path: Path
) -> None:
    store, catalog = answering.engine, answering.catalog
    prepared = prepare_form(catalog, validator, tmp_path)
    outcome = load(store, prepared, validator)
    assert outcome.status == "accepted"
    refresh_period(store, catalog=catalog, plan=answering.plan, period=PERIOD,
                   thresholds=answering.thresholds)  # fmt: skip
    assert pd.isna(area_value(store, "fai"))  # no unit reported it
    progress = read_progress(store, PERIOD).set_index("target_id")
    assert pd.isna(progress.loc["T-NGZ-02", "actual"])

    listed = list_questions(store, period=PERIOD)
    assert [q.name for q in listed] == [
        "2.固定资产投资（全口径）", "工业增加值（全部）", "合计", "社零总额",
    ]  # fmt: skip
    fai_q, va_q, total_q, known_q = (q.id for q in listed)
    assert open_question_units(store, PERIOD) == {"NGZ"}

    # mapping to an indicator the file already has is refused, nothing written
    with pytest.raises(AnswerRefused, match="已填报指标 gdp") as present:
        answer_question(answering, fai_q, indicator="gdp", answered_by="张三", answered_at=AT)
    assert present.value.code == "indicator_present"
    # a name that is another indicator's cannot be taught to this one
    with pytest.raises(AnswerRefused, match="名称「社零总额」已是指标 retail_sales") as clash:
        answer_question(answering, known_q, indicator="ind_va", answered_by="张三", answered_at=AT)
    assert clash.value.code == "name_clash"
    # 万元 is not 万美元; and no figure written: nothing to map
    with pytest.raises(AnswerRefused, match="第20行「合计」的计量单位“万元”不能换算") as unit:
        answer_question(answering, total_q, indicator="fdi", answered_by="张三", answered_at=AT)
    assert unit.value.code == "bad_unit"
    with pytest.raises(AnswerRefused, match="第20行「合计」没有填写累计数") as blank:
        answer_question(
            answering, total_q, indicator="external_funds", answered_by="张三", answered_at=AT
        )
    assert blank.value.code == "missing_value"
    # the checks of the file fail with the new figure: refused, nothing written
    with pytest.raises(AnswerRefused, match="未通过校验") as failed:
        answer_question(answering, va_q, indicator="ind_va", answered_by="张三", answered_at=AT)
    assert failed.value.code == "check_failed"
    assert "part_exceeds_whole" in str(failed.value)
    assert all(q.status == QuestionStatus.OPEN for q in list_questions(store, period=PERIOD))
    assert not (answering.catalog_dir / "aliases.yaml").exists()
    # a released month's question waits until the month is reopened
    mark_produced(store, PERIOD, actor="monthly-progress", at=AT)
    released = record_move(store, read_month(store, PERIOD), MonthAction.RELEASE,
                           MonthState.RELEASED, actor="王五", note="审核通过", at=AT)  # fmt: skip
    with pytest.raises(AnswerRefused, match="请先 jzplan reopen") as locked:
        answer_question(answering, fai_q, indicator="fai", answered_by="张三", answered_at=AT)
    assert locked.value.code == "month_released"
    record_move(store, released, MonthAction.REOPEN, MonthState.PENDING_REVIEW,
                actor="王五", note="答复待确认行", at=AT)  # fmt: skip

    # June has been run: a later month of the year is recomputed after May's
    refresh_period(store, catalog=catalog, plan=answering.plan, period=PERIOD.next(),
                   thresholds=answering.thresholds)  # fmt: skip
    # map: 21,500 万元 → 2.15 亿元 added, the name learned, the months recomputed
    answer = answer_question(
        answering, fai_q, indicator="fai", answered_by="张三", answered_at=AT, note="即全社会固投"
    )
    assert (answer.value, answer.month, answer.alias_added) == (2.15, 0.43, True)
    assert answer.refreshed == (PERIOD, PERIOD.next())
    q = answer.question
    assert (q.status, q.indicator, q.answered_by, q.answer_note) == (
        "mapped", "fai", "张三", "即全社会固投",
    )  # fmt: skip
    assert q.answered_at is not None and q.answered_at.replace(tzinfo=UTC) == AT
    assert area_value(store, "fai") == pytest.approx(2.15)
    progress = read_progress(store, PERIOD).set_index("target_id")
    assert progress.loc["T-NGZ-02", "actual"] == pytest.approx(2.15)
    learned = yaml.safe_load((answering.catalog_dir / "aliases.yaml").read_text("utf-8"))
    assert learned == [
        {
            "name": "固定资产投资(全口径)", "indicator": "fai",
            "written": "2.固定资产投资（全口径）", "by": "张三", "at": "2013-06-06T10:30:00+00:00",
            "file": corpus.file_name(catalog, "NGZ"), "question": fai_q,
        }
    ]  # fmt: skip
    reloaded = load_catalog(answering.catalog_dir)
    assert reloaded.name_index()["固定资产投资(全口径)"] == "fai"

    # answered once only
    with pytest.raises(AnswerRefused, match="每行只能答复一次") as twice:
        answer_question(answering, fai_q, indicator=None, answered_by="李四", answered_at=AT)
    assert twice.value.code == "already_answered"

    # discard the others: the unit-month has no open question left
    for qid in (va_q, total_q, known_q):
        answer_question(answering, qid, indicator=None, answered_by="李四", answered_at=AT)
    assert open_question_units(store, PERIOD) == set()
    done = list_questions(store, status=None)
    assert [(d.status, d.answered_by) for d in done] == [
        ("mapped", "张三"), ("discarded", "李四"), ("discarded", "李四"), ("discarded", "李四"),
    ]  # fmt: skip

    # a rerun of the same file adds nothing and answers nothing again
    again = load(store, prepared, validator)
    assert again.status == "duplicate"
    assert len(list_questions(store, status=None)) == 4
