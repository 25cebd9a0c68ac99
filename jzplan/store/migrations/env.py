"""Alembic environment: runs on the connection handed in by ``jzplan.store.db.migrate``.

Without one (the ``alembic`` command line), it connects to ``Settings().database_url``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from jzplan.store.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things in place; batch mode copies the table
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from jzplan.core.settings import Settings
    from jzplan.store.db import make_engine

    engine = make_engine(Settings().database_url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
