"""The bench's stores: a fresh SQLite file or a fresh PostgreSQL database per run."""

from __future__ import annotations

import atexit
import contextlib
import getpass
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import floors

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/jzplan_bench"


def postgres_url() -> str:
    return os.environ.get("JZPLAN_BENCH_POSTGRES_URL", DEFAULT_PG_URL)


def _conninfo(url: Any) -> str:
    rendered: str = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return rendered


def fresh_postgres() -> str:
    """Drop and create the bench database; returns its URL. Tries the user ``postgres``, then
    the current user (trust authentication on 127.0.0.1)."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url())
    candidates = [url]
    if "JZPLAN_BENCH_POSTGRES_URL" not in os.environ:
        candidates.append(url.set(username=getpass.getuser()))
    error: Exception | None = None
    for candidate in candidates:
        # one database per process (dropped when it exits): two bench runs never share one
        candidate = candidate.set(database=f"{candidate.database}_{os.getpid()}")
        admin = candidate.set(database="postgres")
        try:
            with psycopg.connect(_conninfo(admin), autocommit=True) as conn:
                name = candidate.database
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
            atexit.register(_drop_database, _conninfo(admin), str(name))
            return str(candidate.render_as_string(hide_password=False))
        except psycopg.OperationalError as exc:
            error = exc
    raise RuntimeError(f"PostgreSQL at {url.host}:{url.port}: {error}")


def _drop_database(admin: str, name: str) -> None:
    import psycopg

    with contextlib.suppress(psycopg.Error), psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def close_store(store: Store) -> None:
    """A tier's store when the tier is done: on PostgreSQL its database dropped at once and a
    checkpoint taken, so what runs next (the end-to-end process) is not timed while the
    server vacuums and flushes the tier's millions of rows (autovacuum reads a 4M-row table
    after its insert; a corrected reload leaves dead rows)."""
    store.engine.dispose()
    if store.db != "postgresql":
        return
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(store.url)
    admin = _conninfo(url.set(database="postgres"))
    _drop_database(admin, str(url.database))
    with contextlib.suppress(psycopg.Error), psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def fresh_sqlite(out: Path, tier: str) -> str:
    path = out / f"bench-{tier}.db"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


@dataclass(slots=True)
class Store:
    db: str  # sqlite | postgresql
    url: str
    engine: Any

    def load_floor(self, frame: Any, out: Path) -> floors.Floor:
        if self.db == "postgresql":
            from sqlalchemy.engine import make_url

            return floors.copy_postgres(_conninfo(make_url(self.url)), frame)
        return floors.executemany_sqlite(out / "floor.db", frame)


def open_store(db: str, tier: str, out: Path) -> Store:
    from jzplan.store.db import make_engine

    url = fresh_postgres() if db == "postgresql" else fresh_sqlite(out, tier)
    return Store(db, url, make_engine(url))


def setup_store(store: Store, catalog: Any, plan: Any) -> dict[str, int]:
    from jzplan.store.db import migrate
    from jzplan.store.reference import sync_reference

    migrate(store.engine)
    counts: dict[str, int] = sync_reference(store.engine, catalog, plan)
    return counts
