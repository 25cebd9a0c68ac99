"""Engines, migrations and transactions. Nothing here runs at import time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

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


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configuration without an ini file; ``connection`` is used by env.py when given."""
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
    with transaction(bind) as connection:
        command.upgrade(alembic_config(connection), revision)


def current_heads(bind: Bind) -> set[str]:
    """The Alembic revisions the database is at (one per branch); empty before migrating."""
    from alembic.runtime.migration import MigrationContext

    with connect(bind) as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def script_heads() -> set[str]:
    """The head revision of every branch of the migration scripts."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


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
