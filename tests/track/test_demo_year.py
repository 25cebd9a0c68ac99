"""The bundled 2012–2013 demo, month by month as the schedule runs it (the deadline check on
the 5th, then the month's batch), through the domain functions on a SQLite file: the alert
history reads like a real year."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine

from jzplan.cli import main
from jzplan.core.periods import Period
from jzplan.core.states import UnitMonthStatus
from jzplan.reference.plan import Plan
from jzplan.store import tracking
from jzplan.store.progress import read_progress
from jzplan.store.tracking import AlertEvent
from jzplan.store.unit_months import unit_statuses


@pytest.fixture(scope="module")
def year(demo_year: Engine) -> tuple[Engine, list[AlertEvent]]:
    return demo_year, tracking.read_alert_events(demo_year)


def _history(events: list[AlertEvent], target_id: str) -> list[str]:
    return [
        f"{e.period}{'+' if e.action == 'opened' else '-'}{e.dedup_key.rsplit(':', 1)[1]}"
        for e in events
        if e.target_id == target_id
    ]


def test_the_late_township_is_alerted_once_at_the_deadline(year) -> None:  # type: ignore[no-untyped-def]
    _, events = year
    missing = [(e.dedup_key, e.action, e.period) for e in events if e.kind == "missing_submission"]
    assert missing == [
        ("missing:LWJ:2013-05", "opened", "2013-05"),  # at the deadline, 2013-06-05 17:00
        ("missing:LWJ:2013-05", "resolved", "2013-06"),  # the batch that brought the late file
    ]


@pytest.mark.parametrize(
    "target_id",
    ["A02", "A06", "T-NGZ-04", "T-WCJ-03", "P01", "I06h", "A13"],  # slow starts, slips
)
def test_targets_that_recover(year, target_id: str) -> None:  # type: ignore[no-untyped-def]
    engine, events = year
    history = _history(events, target_id)
    assert any("+" in h for h in history), history  # alerted during the year
    opened = {h[8:] for h in history if h[7] == "+"}
    resolved = {h[8:] for h in history if h[7] == "-"}
    assert opened <= resolved, history  # every alert of theirs resolved
    december = read_progress(engine, Period(2013, 12)).set_index("target_id")
    assert december.loc[target_id, "status"] == "achieved"


@pytest.mark.parametrize(
    ("target_id", "final"),
    [("A03", "missed"), ("A05", "missed"), ("P03a", "missed"), ("P03b", "missed"),
     ("T-NGZ-05", "missed"), ("C13", "missed"), ("P09b", "overdue")],
)  # fmt: skip
def test_targets_that_end_missed(year, target_id: str, final: str) -> None:  # type: ignore[no-untyped-def]
    engine, events = year
    assert _history(events, target_id)[-1] == f"2013-12+{final}"
    december = read_progress(engine, Period(2013, 12)).set_index("target_id")
    assert december.loc[target_id, "status"] == final


def test_a_persisting_status_is_one_alert_not_one_a_month(year) -> None:  # type: ignore[no-untyped-def]
    _, events = year
    # 全社会固定资产投资 is behind from February to November: one alert, then 未完成
    assert _history(events, "A03") == ["2013-02+behind", "2013-12-behind", "2013-12+missed"]
    keys = [(e.dedup_key, e.action, e.period) for e in events]
    assert len(keys) == len(set(keys))
    # a year of about a hundred transitions over 184 targets, not thousands
    assert 60 <= sum(e.action == "opened" for e in events) <= 150


def test_every_kind_is_tracked_in_december(year, plan: Plan) -> None:  # type: ignore[no-untyped-def]
    engine, _ = year
    december = read_progress(engine, Period(2013, 12)).set_index("target_id")
    kinds = {t.kind for t in plan.targets}
    for kind in kinds:
        ids = [t.id for t in plan.targets if t.kind == kind]
        statuses = set(december.loc[ids, "status"])
        assert statuses <= {"achieved", "missed", "overdue"}, (kind, statuses)
    assert december.loc["C15", "status"] == "achieved"  # 黄河水 in June
    assert december["forecast"].notna().sum() > 60


def test_the_held_file_corrected_in_its_batch_leaves_the_month_已报(year) -> None:  # type: ignore[no-untyped-def]
    """宁郭镇's August file with 约1300 loads with that row held; its 更正, filed later in the
    same batch, is the month's file: the first file's question is not open, the month 已报."""
    engine, events = year
    units = ["NGZ", "LWJ"]
    aug = unit_statuses(engine, units, Period(2013, 8))
    assert aug["NGZ"].status == UnitMonthStatus.REPORTED
    assert (aug["NGZ"].returned, aug["NGZ"].open_questions) == ((), 0)
    may = unit_statuses(engine, units, Period(2013, 5))
    assert (may["LWJ"].status, may["LWJ"].timeliness) == ("reported", "late")
    assert not [e for e in events if e.kind in ("rejected_submission", "held_submission")]


def test_jzplan_progress_prints_each_units_word(
    demo_year: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = demo_year.url.database
    assert source is not None
    db = tmp_path / "jzplan.db"
    shutil.copy(source, db)  # the command opens (and may migrate) its store: a copy
    monkeypatch.setenv("JZPLAN_DATABASE_URL", f"sqlite:///{db}")
    assert main(["progress", "--period", "2013-08"]) == 0
    out = capsys.readouterr().out
    assert "### 报送情况\n\n未报：无\n" in out
    assert "| 宁郭镇 | 已报 | 按时：2013-08 批次收到；更正 1 次 |" in out
    assert out.count(" | 已报 | ") == 7
