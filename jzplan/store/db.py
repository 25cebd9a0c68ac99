"""Engines, migrations and transactions. Nothing here runs at import time."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from jzplan.core.errors import OperatorError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps

Bind = Engine | Connection


def normalize_url(url: str | URL) -> URL:
    """Pick the psycopg 3 driver for PostgreSQL URLs that name no driver (or psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """Create an engine for a SQLite file or PostgreSQL (psycopg 3); extra kwargs go to
    ``create_engine`` (e.g. ``connect_args``)."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


def sqlite_file(url: str | URL) -> Path | None:
    """The file of a SQLite URL; None for another backend or an in-memory database."""
    parsed = normalize_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):
        return None
    return Path(database).expanduser()


def shown_url(url: str | URL) -> str:
    """The URL as an operator may see it (no password)."""
    return normalize_url(url).render_as_string(hide_password=True)


def check_store_exists(url: str | URL) -> None:
    """A SQLite store's file must exist before a run opens it: connecting would otherwise
    create an empty store in a mistyped place and run the month without its history.
    ``jzplan init`` (``init_store``) is the one way a store is created."""
    path = sqlite_file(url)
    if path is None or path.is_file():
        return
    where = "文件夹" if not path.parent.is_dir() else "文件"
    raise OperatorError(
        "store_missing",
        f"数据库{where}不存在：{path}（JZPLAN_DATABASE_URL={shown_url(url)}）；"
        "请检查路径，新建数据库请先运行 jzplan init",
    )


# What a driver's connection error says → what the operator reads
_CONNECT_REASONS = (
    ('role "', "数据库用户不存在"),
    ("does not exist", "数据库不存在"),
    ("connection refused", "连接被拒绝（数据库服务未运行，或主机、端口不对）"),
    ("password authentication failed", "用户名或密码不对"),
    ("no password supplied", "缺少密码"),
    ("could not translate host name", "主机名无法解析"),
    ("name or service not known", "主机名无法解析"),
    ("timeout", "连接超时"),
    ("unable to open database file", "数据库文件无法打开"),
)


def check_reachable(engine: Engine) -> None:
    """Connect once: a database that refuses (no server on the port, a wrong database name or
    password) raises OperatorError ``database_unreachable``, one line naming the URL (no
    password) and the reason, instead of the driver's traceback."""
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        said = " ".join(str(exc.orig or exc).split())
        reason = next((r for key, r in _CONNECT_REASONS if key in said.lower()), said[:200])
        raise OperatorError(
            "database_unreachable",
            f"无法连接数据库 {shown_url(engine.url)}：{reason}；"
            "请检查 JZPLAN_DATABASE_URL 与数据库服务",
        ) from exc


def check_store_reachable(url: str | URL) -> None:
    """Before a flow starts: the store exists (``check_store_exists``) and its database
    answers (``check_reachable``), so the operator reads the one line, not a flow's log."""
    check_store_exists(url)
    engine = make_engine(url)
    try:
        check_reachable(engine)
    finally:
        engine.dispose()


def check_schema(bind: Bind, heads: set[str] | frozenset[str], known: Collection[str]) -> bool:
    """Whether the store must be upgraded to ``heads``: False when it is at them, True when
    it is at older revisions of these scripts. A store with no migration history, or at a
    revision these scripts do not know, raises OperatorError ``store_not_initialised``."""
    current = current_heads(bind)
    if current == set(heads):
        return False
    where = shown_url(bind.engine.url)
    if not current:
        raise OperatorError(
            "store_not_initialised",
            f"数据库 {where} 没有迁移记录（alembic_version），不是由 jzplan init 建立的："
            "请检查 JZPLAN_DATABASE_URL，新建数据库请先运行 jzplan init",
        )
    unknown = sorted(current - set(known))
    if unknown:
        raise OperatorError(
            "store_not_initialised",
            f"数据库 {where} 的迁移版本 {'、'.join(unknown)} 不在本程序的迁移脚本中"
            "（可能由更新的版本建立）：请检查 JZPLAN_DATABASE_URL 或升级程序",
        )
    return True


def init_store(url: str | URL, *, timeout: float = 600.0) -> set[str]:
    """Create the store (a SQLite file and its folder) and migrate it to head, under the
    store lock so that two at once do not both create the schema; an existing store is
    upgraded (idempotent). Returns the heads it is at."""
    from jzplan.store.locks import locked_transaction

    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        check_reachable(engine)
        with locked_transaction(engine, timeout=timeout) as conn:
            if current_heads(conn) != script_heads():
                migrate(conn)
            return current_heads(conn)
    finally:
        engine.dispose()


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configuration without an ini file; ``connection`` is used by env.py when given."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(bind: Bind, revision: str = "heads") -> None:
    """Upgrade the schema to ``revision`` (every branch head by default) in one transaction:
    the engine's own, or the caller's when ``bind`` is a Connection (e.g. one holding the
    store lock). For PostgreSQL the tables go to the connection's first search_path schema.
    """
    from alembic import command

    with transaction(bind) as connection:
        command.upgrade(alembic_config(connection), revision)


# Checking that a store is at head is every run's first question; Alembic (0.08 s to import
# in a new process, once the pipeline is imported) is only imported to migrate. The
# database's revisions are read as Alembic reads them, from its version table; the scripts'
# from their ``revision`` and ``down_revision`` lines (tests/store/test_schema_heads.py
# compares both with Alembic's own answers).


def current_heads(bind: Bind) -> set[str]:
    """The Alembic revisions the database is at (one per branch); empty before migrating."""
    with connect(bind) as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return set()
        rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
        return {str(row[0]) for row in rows}


_REVISION = re.compile(r"""^revision\s*(?::[^=\n]*)?=\s*["']([^"']+)["']""", re.MULTILINE)
# one revision, None, or a merge's tuple (over several lines)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=\n]*)?=\s*(\([^)]*\)|.+)$", re.MULTILINE)


def _scripts() -> dict[str, tuple[str, ...]]:
    """Each migration script's revision and the revisions it revises."""
    found: dict[str, tuple[str, ...]] = {}
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down is None:
            raise ValueError(f"{path.name}: no revision or down_revision line")
        found[revision[1]] = tuple(re.findall(r"""["']([^"']+)["']""", down[1]))
    return found


def script_heads() -> set[str]:
    """The head revision of every branch of the migration scripts."""
    scripts = _scripts()
    revised = {down for downs in scripts.values() for down in downs}
    return set(scripts) - revised


def script_revisions() -> set[str]:
    """Every revision of the migration scripts."""
    return set(_scripts())


@contextmanager
def transaction(bind: Bind) -> Iterator[Connection]:
    """A connection inside a transaction: commits on success, rolls back on error.

    Given a Connection already in a transaction, joins it (the caller commits).
    """
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            yield connection
    elif bind.in_transaction():
        yield bind
    else:
        with bind.begin():
            yield bind


@contextmanager
def connect(bind: Bind) -> Iterator[Connection]:
    """A connection for reading: a new one from an Engine, or the given Connection."""
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            yield connection
    else:
        yield bind
