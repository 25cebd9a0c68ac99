"""Test databases: a SQLite file, or a fresh PostgreSQL schema per test (reusable by flow tests)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url, text
from sqlalchemy.exc import SQLAlchemyError

from jzplan.store.db import make_engine

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def pg_test_url() -> str:
    return os.environ.get("JZPLAN_TEST_PG_URL", DEFAULT_PG_URL)


def postgres_required() -> bool:
    return os.environ.get("JZPLAN_REQUIRE_POSTGRES") == "1"


def _unavailable(url: str, reason: str) -> None:
    shown = make_url(url).render_as_string(hide_password=True)
    message = f"PostgreSQL not reachable at {shown}: {reason}"
    if postgres_required():
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def pg_schema(url: str | None = None) -> Iterator[str]:
    """A new schema ``t_<hex>`` on the test server, dropped (CASCADE) afterwards.

    Skips the test when the server is unreachable, or fails it if JZPLAN_REQUIRE_POSTGRES=1.
    """
    url = url or pg_test_url()
    admin = make_engine(url, connect_args={"connect_timeout": 3})
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except SQLAlchemyError as exc:
        admin.dispose()
        _unavailable(url, str(getattr(exc, "orig", exc)).strip().splitlines()[0])
        raise  # unreachable: skip/fail raise
    try:
        yield schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def pg_schema_engine(url: str | None = None) -> Iterator[Engine]:
    """An engine whose search_path is a new schema, dropped afterwards (see ``pg_schema``)."""
    url = url or pg_test_url()
    with pg_schema(url) as schema:
        engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
        try:
            yield engine
        finally:
            engine.dispose()


def pg_schema_url(schema: str, url: str | None = None) -> str:
    """The test server's URL with ``schema`` as search_path, for code that connects itself."""
    return (
        make_url(url or pg_test_url())
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )


@contextmanager
def sqlite_engine(folder: Path) -> Iterator[Engine]:
    """An engine on a real SQLite file under ``folder`` (its parent folders are created)."""
    engine = make_engine(f"sqlite:///{folder / 'db' / 'jzplan.db'}")
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def backend_engine(backend: str, folder: Path) -> Iterator[Engine]:
    """``sqlite`` or ``postgres``: an empty database, not yet migrated."""
    if backend == "sqlite":
        with sqlite_engine(folder) as engine:
            yield engine
    elif backend == "postgres":
        with pg_schema_engine() as engine:
            yield engine
    else:
        raise ValueError(f"unknown backend {backend!r}")
