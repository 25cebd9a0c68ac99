"""A bad parameter or a broken environment: the CLI prints one Chinese line with a stable
code, exits 2, and shows a traceback only with JZPLAN_DEBUG=1 (run as a real subprocess)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from jzplan.store.db import init_store, make_engine
from jzplan.store.locks import locked_transaction
from tests.dbutil import pg_test_url

CLI = [str(Path(sys.executable).with_name("jzplan"))]  # the installed console script


def _free_port() -> int:
    """A port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _jzplan(args: list[str], tmp: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("JZPLAN_")}
    environ |= {"JZPLAN_DATABASE_URL": f"sqlite:///{tmp / 'none' / 'jzplan.db'}"} | env
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, env=environ, timeout=300, check=False
    )


def _one_line(done: subprocess.CompletedProcess[str], code: str) -> str:
    lines = (done.stdout + done.stderr).splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"[{code}] ") and "Traceback" not in lines[0]
    return lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ["progress", "--period", "2013-13"],
        ["report", "--period", "abc"],
        ["alerts", "--period", "2013-1"],
        ["run", "--period", "2013-00"],  # checked before a flow (and Prefect) starts
        ["deadline", "--period", "13-2013"],
        ["backfill", "--start", "2013-01", "--end", "2013-13"],
    ],
)
def test_a_bad_period_is_one_line(args: list[str], tmp_path: Path) -> None:
    line = _one_line(_jzplan(args, tmp_path), "bad_period")
    assert "YYYY-MM" in line and args[-1] in line


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("where", "reason"),
    [("refused", "连接被拒绝"), ("no_such_database", "数据库不存在")],
)
def test_a_database_that_refuses_is_one_line(where: str, reason: str, tmp_path: Path) -> None:
    base = pg_test_url().rsplit("/", 1)[0]
    if where == "refused":
        url = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/jzplan"
    else:
        url = f"{base}/jzplan_no_such_database"
    for args in (["init"], ["progress", "--period", "2013-06"]):
        line = _one_line(_jzplan(args, tmp_path, JZPLAN_DATABASE_URL=url), "database_unreachable")
        assert reason in line and "JZPLAN_DATABASE_URL" in line


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/jzplan"
    done = _jzplan(["init"], tmp_path, JZPLAN_DATABASE_URL=url, JZPLAN_DEBUG="1")
    assert done.returncode != 0
    assert "Traceback" in done.stderr and "database_unreachable" in done.stderr


@pytest.fixture
def held_store(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A SQLite store whose write lock this test process holds."""
    url = f"sqlite:///{tmp_path / 'store' / 'jzplan.db'}"
    init_store(url)
    engine = make_engine(url)
    try:
        yield url, engine
    finally:
        engine.dispose()


def test_a_lock_timeout_is_one_line(held_store: tuple[str, Engine], tmp_path: Path) -> None:
    url, engine = held_store
    with locked_transaction(engine):
        done = _jzplan(
            ["progress", "--period", "2013-06"],
            tmp_path,
            JZPLAN_DATABASE_URL=url,
            JZPLAN_LOCK_TIMEOUT_SECONDS="0.5",
        )
    line = _one_line(done, "store_lock_timeout")
    assert "另一次运行" in line and "JZPLAN_LOCK_TIMEOUT_SECONDS" in line


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--period", "2013-06"],
        ["deadline", "--period", "2013-06"],
        ["backfill", "--start", "2013-01", "--end", "2013-02"],
    ],
)
def test_a_flow_command_checks_the_store_before_prefect_starts(
    args: list[str], tmp_path: Path
) -> None:
    """A mistyped SQLite path: the one line, not a temporary Prefect server's log around it."""
    line = _one_line(_jzplan(args, tmp_path), "store_missing")
    assert str(tmp_path / "none") in line
    assert not (tmp_path / "none").exists()


# --------------------------------------------------------------- a table of bad inputs
# Each case: arguments, extra environment ({store} is an initialised SQLite store, {tmp} the
# test's folder), the code, the exit status. One subprocess each (~1.5 s: no Prefect import).
BAD_INPUTS = [
    ([], {}, "bad_argument", 2),
    (["bogus"], {}, "bad_argument", 2),
    (["run", "--bad"], {}, "bad_argument", 2),
    (["progress"], {}, "bad_argument", 2),
    (["answer", "x", "--by", "a", "--discard"], {}, "bad_argument", 2),
    (["run", "--period", "2013-13"], {}, "bad_period", 2),
    (["backfill", "--start", "2013-05", "--end", "2013-02"], {}, "bad_range", 2),
    (["explain", "--unit", "XXX", "--period", "2013-06", "--indicator", "fai", "--text", "t"],
     {}, "unknown_unit", 2),
    (["answer", "1", "--by", "a", "--indicator", "fia"], {}, "unknown_indicator", 2),
    (["questions", "--unit", "XXX"], {}, "unknown_unit", 2),
    (["template", "--unit", "XXX", "--period", "2013-06", "--out", "{tmp}/t.xlsx"], {},
     "bad_unit", 2),
    (["run", "--period", "2013-06"], {"JZPLAN_INBOX_DIR": "{tmp}/nowhere"}, "inbox_missing", 2),
    (["backfill", "--start", "2013-05", "--end", "2013-07"], {"JZPLAN_INBOX_DIR": "{tmp}/inbox"},
     "inbox_missing", 2),
    (["progress", "--period", "2013-06"], {}, "no_progress", 1),
    (["report", "--period", "2013-06"], {}, "no_progress", 1),
]  # fmt: skip


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'jzplan.db'}"
    init_store(url)
    return url


@pytest.mark.parametrize(("args", "env", "code", "status"), BAD_INPUTS)
def test_bad_input_is_one_chinese_line(
    args: list[str], env: dict[str, str], code: str, status: int, store_url: str, tmp_path: Path
) -> None:
    (tmp_path / "inbox" / "2013-05").mkdir(parents=True)  # 2013-06 and 2013-07 missing
    shown = {"tmp": str(tmp_path)}
    env = {k: v.format(**shown) for k, v in env.items()}
    done = _jzplan(
        [a.format(**shown) for a in args], tmp_path, **({"JZPLAN_DATABASE_URL": store_url} | env)
    )
    lines = (done.stdout + done.stderr).splitlines()
    assert (done.returncode, len(lines)) == (status, 1), done.stdout + done.stderr
    assert lines[0].startswith(f"[{code}] ") and "Traceback" not in lines[0]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in lines[0]), lines[0]  # Chinese
    if code == "inbox_missing":
        assert env["JZPLAN_INBOX_DIR"] in lines[0]
        assert "2013-05" not in lines[0]  # only the months whose folder is missing


def test_the_cli_turns_prefect_telemetry_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before any command (here one that fails at once), unless the operator set them."""
    from jzplan.cli import main

    monkeypatch.delenv("PREFECT_SERVER_ANALYTICS_ENABLED", raising=False)
    monkeypatch.setenv("DO_NOT_TRACK", "0")
    assert main(["progress", "--period", "2013-13"]) == 2
    assert os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert os.environ["DO_NOT_TRACK"] == "0"
