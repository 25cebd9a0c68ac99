"""A broken environment stops a run with one line and no alerts; bad values in the status and
ranking files are located rows left out, never a stopped month (per backend)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from flows.deadline import deadline_check
from flows.monthly import monthly_progress
from jzplan.core.errors import OperatorError
from jzplan.core.periods import Period
from jzplan.store import tracking
from jzplan.store.db import make_engine
from jzplan.store.models import AlertEventRow, AlertRow
from tests.alert.receivers import http_receiver
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.flow

LONG = ("河南省产业集聚区发展联席会议办公室" * 5)[:80]  # 80 characters: varchar(64) refused it


def _webhook(folder: Path, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    channels = folder / "channels.yaml"
    channels.write_text(
        "channels:\n  - {name: hook, type: webhook, url: {env: TEST_HOOK_URL}}\n", "utf-8"
    )
    monkeypatch.setenv("JZPLAN_ALERT_CHANNELS_FILE", str(channels))
    monkeypatch.setenv("TEST_HOOK_URL", url)


def _alert_rows(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            alerts = conn.scalar(select(func.count()).select_from(AlertRow))
            events = conn.scalar(select(func.count()).select_from(AlertEventRow))
            return int(alerts or 0), int(events or 0)
    finally:
        engine.dispose()


@pytest.mark.parametrize("run", ["deadline", "monthly"])
def test_a_missing_batch_folder_is_an_error_not_seven_alerts(
    run: str, flow_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = flow_env / "inbox"
    inbox.mkdir()  # the inbox, without the month's batch folder
    flow = deadline_check if run == "deadline" else monthly_progress
    with http_receiver() as http:
        _webhook(flow_env, monkeypatch, f"{http.url}/hook")
        with pytest.raises(OperatorError) as caught:
            flow(period="2013-05", inbox_dir=str(inbox))
        assert http.requests == []  # nothing delivered
    assert caught.value.code == "inbox_missing"
    assert str(inbox / "2013-05") in str(caught.value) and "\n" not in str(caught.value)
    assert _alert_rows(os.environ["JZPLAN_DATABASE_URL"]) == (0, 0)


def test_a_mistyped_sqlite_path_is_an_error_not_a_new_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    typo = tmp_path / "vra" / "jzplan.db"
    monkeypatch.setenv("JZPLAN_DATABASE_URL", f"sqlite:///{typo}")
    monkeypatch.setenv("JZPLAN_ARCHIVE_DIR", str(tmp_path / "archive"))
    monkeypatch.setenv("JZPLAN_REPORT_DIR", str(tmp_path / "reports"))
    with http_receiver() as http:
        _webhook(tmp_path, monkeypatch, f"{http.url}/hook")
        with pytest.raises(OperatorError) as caught:
            monthly_progress(period="2013-06")
        assert http.requests == []
    assert caught.value.code == "store_missing" and "\n" not in str(caught.value)
    assert not typo.parent.exists()
    assert not (tmp_path / "archive").exists() and not (tmp_path / "reports").exists()


def test_bad_status_values_are_located_and_the_month_goes_on(flow_env: Path) -> None:
    inbox = flow_env / "inbox"
    shutil.copytree(REPO_ROOT / "data" / "inbox" / "2013-06", inbox / "2013-06")
    ranking = inbox / "2013-06" / "排名.csv"
    good_rankings = ranking.read_text("utf-8-sig").splitlines()
    ranking.write_text(
        "\n".join(
            [
                *good_rankings,
                "焦作新区,全省产业集聚区发展速度位次,3000000000,180,省联席办,2013-07-02",
                "焦作新区,全省城市新区经济总量位次,100000000000000000000,20,省发改委,2013-07-02",
                f"焦作新区,全省城市新区经济总量位次,8,20,{LONG},2013-07-02",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    status = inbox / "2013-06" / "重点工作进展.csv"
    good_status = status.read_text("utf-8-sig").splitlines()
    status.write_text(
        "\n".join([*good_status, f"C15,已完成,通水,{LONG},2013-07-03"]) + "\n",
        "utf-8",  # C15 again
    )

    summary = monthly_progress(period="2013-06", inbox_dir=str(inbox))

    assert summary["accepted"] == summary["files"] == 8  # every form loaded
    n = len(good_rankings)
    assert [i.split("：")[0] for i in summary["status_issues"]] == [
        f"[text_too_long] 文件 重点工作进展.csv，第 {len(good_status) + 1} 行，报送单位 列",
        f"[rank_out_of_range] 文件 排名.csv，第 {n + 1} 行，位次 列",
        f"[rank_out_of_range] 文件 排名.csv，第 {n + 2} 行，位次 列",
        f"[text_too_long] 文件 排名.csv，第 {n + 3} 行，发布单位 列",
    ]
    engine = make_engine(os.environ["JZPLAN_DATABASE_URL"])
    try:
        stored = [r for r in tracking.read_rankings(engine, 2013) if r.period == "2013-06"]
        assert sorted(r.rank for r in stored) == [7, 11]  # the good rows, as sent
        reports = [r for r in tracking.read_status_reports(engine, 2013) if r.period == "2013-06"]
        sent = [line.split(",")[0] for line in good_status[1:]]
        assert sorted(r.target_id for r in reports) == sorted(sent)
        # C15's good row stands; its second, too long row was left out, not stored or cut
        good_c15 = next(line.split(",")[3] for line in good_status if line.startswith("C15,"))
        assert [r.reported_by for r in reports if r.target_id == "C15"] == [good_c15]
    finally:
        engine.dispose()
    assert Period.parse(summary["period"]) == Period(2013, 6)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("run", ["deadline", "monthly"])
def test_a_refused_database_fails_the_run_with_its_one_line(
    run: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The flow run's failure message is the operator's line, not the driver's traceback."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/jzplan"
    monkeypatch.setenv("JZPLAN_DATABASE_URL", url)
    monkeypatch.setenv("JZPLAN_REPORT_DIR", str(tmp_path / "reports"))
    (tmp_path / "inbox" / "2013-06").mkdir(parents=True)
    flow = deadline_check if run == "deadline" else monthly_progress
    state = flow(period="2013-06", inbox_dir=str(tmp_path / "inbox"), return_state=True)
    assert state.is_failed()
    message = state.message or ""
    assert "[database_unreachable]" in message and "连接被拒绝" in message, message
    assert "\n" not in message
    with pytest.raises(OperatorError):
        state.result()
