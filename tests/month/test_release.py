"""A month's life (采集中 → 待审核 → 已发布 → 待审核 …) and the correction window, on the domain
functions: every move of the state machine, the refusals with their codes, the audit, and
which late file is held as a pending correction."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from jzplan.core.periods import Period
from jzplan.core.settings import Settings
from jzplan.core.states import MonthAction, MonthState, month_move
from jzplan.core.submissions import ParsedSubmission
from jzplan.month.holds import (
    BULK_LOCKED_CODE,
    RELEASED_CODE,
    WINDOW_CODE,
    CorrectionPolicy,
    beyond_window,
    hold_issue,
    months_between,
    refuse_locked_bulk,
)
from jzplan.month.prepare import PreparedFile
from jzplan.month.refresh import refresh_period
from jzplan.month.release import MonthRefused, release_month, reopen_month
from jzplan.month.resources import Resources
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store.month_states import mark_produced, read_month, read_transitions
from jzplan.store.reference import sync_reference

C, P, R = MonthState.COLLECTING, MonthState.PENDING_REVIEW, MonthState.RELEASED
JUNE = Period(2013, 6)
AT = datetime(2013, 7, 10, 2, tzinfo=UTC)  # 10:00 in Beijing


@pytest.mark.parametrize(
    ("state", "action", "to"),
    [
        (C, MonthAction.PRODUCE, P),
        (C, MonthAction.RELEASE, None),  # not produced yet
        (C, MonthAction.REOPEN, None),
        (P, MonthAction.PRODUCE, None),  # a rerun leaves it as it is
        (P, MonthAction.RELEASE, R),
        (P, MonthAction.REOPEN, None),
        (R, MonthAction.PRODUCE, None),
        (R, MonthAction.RELEASE, None),  # released twice: refused
        (R, MonthAction.REOPEN, P),
    ],
)
def test_month_moves(state: MonthState, action: MonthAction, to: MonthState | None) -> None:
    assert month_move(state, action) == to


@pytest.mark.parametrize(
    ("period", "arrival", "window", "beyond"),
    [
        ("2013-06", "2013-07", 3, False),
        ("2013-04", "2013-07", 3, False),  # exactly 3 months back: still in
        ("2013-03", "2013-07", 3, True),
        ("2012-11", "2013-02", 3, False),  # across the year
        ("2012-10", "2013-02", 3, True),
        ("2013-01", "2013-12", 0, False),  # 0: no window
        ("2013-08", "2013-07", 1, False),  # a month after its batch
    ],
)
def test_correction_window(period: str, arrival: str, window: int, beyond: bool) -> None:
    assert beyond_window(Period.parse(period), Period.parse(arrival), window) is beyond


def test_months_between() -> None:
    assert months_between(Period(2012, 11), Period(2013, 2)) == 3
    assert months_between(JUNE, JUNE) == 0


def _resources(engine: Engine, catalog: Catalog, plan: Plan, reports: Path) -> Resources:
    sync_reference(engine, catalog, plan)
    return Resources(Settings(report_dir=reports), engine, catalog, plan)


def test_release_and_reopen_are_audited(
    engine: Engine, catalog: Catalog, plan: Plan, tmp_path: Path
) -> None:
    res = _resources(engine, catalog, plan, tmp_path / "reports")
    with pytest.raises(MonthRefused) as refused:
        release_month(res, JUNE, by="张三", note="审核通过", at=AT)
    assert refused.value.code == "month_not_produced"
    # what a monthly run does: the month computed (its target progress), then produced
    refresh_period(engine, catalog=catalog, plan=plan, period=JUNE, thresholds=res.thresholds)
    assert mark_produced(engine, JUNE, actor="monthly-progress", at=AT)
    assert not mark_produced(engine, JUNE, actor="monthly-progress", at=AT)  # a rerun
    with pytest.raises(MonthRefused) as refused:
        reopen_month(res, JUNE, by="李四", reason="更正", at=AT)
    assert refused.value.code == "month_not_released"
    with pytest.raises(MonthRefused) as refused:
        release_month(res, JUNE, by="  ", note="审核通过", at=AT)
    assert refused.value.code == "by_missing"
    with pytest.raises(MonthRefused) as refused:  # openpyxl refuses it in a cell
        release_month(res, JUNE, by="张\x07三", note="审核通过", at=AT)
    assert refused.value.code == "by_invalid" and "\n" not in str(refused.value)

    # a v1 folder no release names (its commit failed after the files were written)
    orphan = tmp_path / "reports" / "2013-06" / "v1"
    orphan.mkdir(parents=True)
    (orphan / "snapshot.json").write_text("{}", encoding="utf-8")
    first = release_month(res, JUNE, by="张三", note="审核通过", at=AT)
    [aside] = (tmp_path / "reports" / "2013-06").glob(".v1.unreleased-*")
    assert (aside / "snapshot.json").read_text(encoding="utf-8") == "{}"
    assert (first.version, first.by, first.note) == (1, "张三", "审核通过")
    assert first.files is not None and first.files.folder == tmp_path / "reports/2013-06/v1"
    standing = read_month(engine, JUNE)
    assert standing.figures_text() == "正式（第1版，张三 于 2013-07-10 发布）"
    with pytest.raises(MonthRefused) as refused:
        release_month(res, JUNE, by="张三", note="again", at=AT)
    assert refused.value.code == "month_already_released"
    assert "2013-07-10" in str(refused.value) and "\n" not in str(refused.value)

    reopened = reopen_month(res, JUNE, by="李四", reason="阳庙镇更正", at=AT)
    assert reopened.state == P and reopened.applied == () and reopened.refreshed == (JUNE,)
    assert read_month(engine, JUNE).figures_text() == "暂（待审核）"
    second = release_month(res, JUNE, by="王五", note="第二版", at=AT)
    assert second.version == 2 and second.files is not None
    assert second.files.changes is not None  # against v1's snapshot: nothing changed here
    assert not second.files.changes.figures_changed
    moves = [(t.action, t.from_state, t.to_state, t.version, t.actor, t.note)
             for t in read_transitions(engine, JUNE)]  # fmt: skip
    assert moves == [
        (MonthAction.PRODUCE, C, P, 0, "monthly-progress", None),
        (MonthAction.RELEASE, P, R, 1, "张三", "审核通过"),
        (MonthAction.REOPEN, R, P, 1, "李四", "阳庙镇更正"),
        (MonthAction.RELEASE, P, R, 2, "王五", "第二版"),
    ]
    assert read_month(engine, Period(2013, 7)).figures_text() == "暂（采集中）"  # no row yet


def test_which_late_file_is_held(
    engine: Engine, catalog: Catalog, plan: Plan, tmp_path: Path
) -> None:
    res = _resources(engine, catalog, plan, tmp_path / "reports")
    policy = CorrectionPolicy(window_months=3)
    july, march = Period(2013, 7), Period(2013, 3)
    with engine.connect() as conn:
        assert hold_issue(conn, "f.xlsx", JUNE, july, policy) is None
        too_old = hold_issue(conn, "f.xlsx", march, july, policy)
        assert too_old is not None and too_old.code == WINDOW_CODE
        assert hold_issue(conn, "f.xlsx", march, july, CorrectionPolicy(0)) is None
    mark_produced(engine, JUNE, actor="monthly-progress", at=AT)
    release_month(res, JUNE, by="张三", note="审核通过", at=AT)
    with engine.connect() as conn:
        held = hold_issue(conn, "f.xlsx", JUNE, july, CorrectionPolicy(0))
    assert held is not None and held.code == RELEASED_CODE
    assert "2013-07-10 由 张三 审核发布（第1版）" in held.message


def test_a_bulk_file_for_a_released_month_is_returned_whole(
    engine: Engine, catalog: Catalog, plan: Plan, tmp_path: Path
) -> None:
    res = _resources(engine, catalog, plan, tmp_path / "reports")
    path = Path("全区_2013年06月.csv")
    bulk = PreparedFile(
        path, "a" * 64, parsed=ParsedSubmission(path, "a" * 64, None, JUNE, bulk=True)
    )
    policy = CorrectionPolicy(window_months=3)
    with engine.connect() as conn:
        assert refuse_locked_bulk(conn, bulk, Period(2013, 7), policy) is bulk
    mark_produced(engine, JUNE, actor="monthly-progress", at=AT)
    release_month(res, JUNE, by="张三", note="审核通过", at=AT)
    with engine.connect() as conn:
        returned = refuse_locked_bulk(conn, bulk, Period(2013, 7), policy)
    [issue] = returned.issues
    # an error on no row: load_bulk_file rejects the whole file, no unit of June changes
    assert (issue.code, issue.severity, issue.row) == (BULK_LOCKED_CODE, "error", None)
    assert issue.message.startswith(
        "2013年1-6月的数据已于 2013-07-10 由 张三 审核发布（第1版）：批量文件"
    )
