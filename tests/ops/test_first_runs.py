"""Three first runs on an empty store at once, each initialising it as `jzplan init` does
and then opening it: one creates the schema, the others wait for it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from jzplan.core.settings import Settings
from jzplan.month.resources import Resources, open_resources
from jzplan.store.db import current_heads, init_store, make_engine, script_heads
from jzplan.store.models import TargetRow
from tests.dbutil import BACKENDS, pg_schema, pg_schema_url


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_first_runs_on_an_empty_store(backend: str, tmp_path: Path) -> None:
    def run(url: str) -> None:
        opened: list[Resources] = []
        errors: list[BaseException] = []
        barrier = threading.Barrier(3)

        def first_run() -> None:
            barrier.wait()
            try:
                init_store(url)
                opened.append(open_resources(Settings(database_url=url)))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=first_run, daemon=True) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads), "a first run is stuck"
        for r in opened:
            r.close()
        assert errors == []
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                assert current_heads(conn) == script_heads()
                assert conn.scalar(select(func.count()).select_from(TargetRow)) > 100
        finally:
            engine.dispose()

    if backend == "sqlite":
        run(f"sqlite:///{tmp_path / 'jzplan.db'}")
    else:
        with pg_schema() as schema:
            run(pg_schema_url(schema))
