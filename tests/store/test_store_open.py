"""A run opens only a store that `jzplan init` created: a mistyped SQLite path, or a database
without this program's migration history, stops it with one line (``store_missing``,
``store_not_initialised``) and creates nothing; an older schema is still upgraded."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, inspect, select, text

from jzplan.cli import main
from jzplan.core.errors import OperatorError
from jzplan.core.settings import Settings
from jzplan.month.resources import open_resources
from jzplan.store.db import (
    alembic_config,
    current_heads,
    init_store,
    make_engine,
    script_heads,
    transaction,
)
from jzplan.store.models import TargetRow
from tests.dbutil import BACKENDS, pg_schema, pg_schema_url


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An existing, empty database: a SQLite file with no tables, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        path = tmp_path / "jzplan.db"
        sqlite3.connect(path).close()
        yield f"sqlite:///{path}"
    else:
        with pg_schema() as schema:
            yield pg_schema_url(schema)


def _open_error(url: str) -> OperatorError:
    with pytest.raises(OperatorError) as caught:
        open_resources(Settings(database_url=url)).close()
    assert "\n" not in str(caught.value)
    return caught.value


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("relative", "shown"),
    [("no-such-folder/jzplan.db", "数据库文件夹不存在"), ("jzplam.db", "数据库文件不存在")],
)
def test_a_mistyped_sqlite_path_creates_nothing(relative: str, shown: str, tmp_path: Path) -> None:
    path = tmp_path / relative
    error = _open_error(f"sqlite:///{path}")
    assert error.code == "store_missing"
    assert shown in error.message and str(path) in error.message and "jzplan init" in error.message
    assert list(tmp_path.iterdir()) == []  # no file, no folder made


def test_a_database_without_history_is_not_opened(url: str) -> None:
    error = _open_error(url)
    assert error.code == "store_not_initialised" and "jzplan init" in error.message
    assert _tables(url) == set()  # nothing created


def test_a_revision_these_scripts_do_not_know_is_not_opened(url: str) -> None:
    init_store(url)
    engine = make_engine(url)
    try:
        with transaction(engine) as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    finally:
        engine.dispose()
    error = _open_error(url)
    assert error.code == "store_not_initialised" and "ffffffffffff" in error.message


def test_init_then_open_and_an_older_schema_is_upgraded(url: str) -> None:
    engine = make_engine(url)
    try:
        with transaction(engine) as conn:
            command.upgrade(alembic_config(conn), "0004_tracking")
        assert current_heads(engine) == {"0004_tracking"}
        resources = open_resources(Settings(database_url=url))  # an older store: upgraded
        resources.close()
        assert current_heads(engine) == script_heads()
        assert init_store(url) == script_heads()  # init again: nothing to do
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(TargetRow)) > 100
    finally:
        engine.dispose()


def test_cli_init_creates_the_store_and_errors_are_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "var" / "jzplan.db"
    monkeypatch.setenv("JZPLAN_DATABASE_URL", f"sqlite:///{db}")
    assert main(["progress", "--period", "2013-06"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("[store_missing] 数据库文件夹不存在") and err.count("\n") == 1
    assert not db.parent.exists()

    assert main(["init"]) == 0
    assert "数据库已就绪" in capsys.readouterr().out and db.is_file()
    assert main(["progress", "--period", "2013-06"]) == 1  # opened: nothing stored yet
    assert "尚无目标进度" in capsys.readouterr().err
