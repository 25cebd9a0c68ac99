"""The Alembic migrations build exactly the schema of jzplan.store.models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from jzplan.reference.catalog import Catalog
from jzplan.store.db import (
    alembic_config,
    current_heads,
    make_engine,
    migrate,
    normalize_url,
    script_heads,
)
from jzplan.store.models import Base
from jzplan.store.reference import sync_reference
from tests.store.tiny import tiny_plan


def _diffs(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def _heads_applied(engine: Engine) -> bool:
    """The database is at every head of the migration scripts (branches are allowed)."""
    return current_heads(engine) == script_heads()


def test_migrate_matches_models(bare_engine: Engine) -> None:
    assert current_heads(bare_engine) == set()
    migrate(bare_engine)
    assert _heads_applied(bare_engine)
    assert _diffs(bare_engine) == []
    tables = set(inspect(bare_engine).get_table_names())
    assert tables == set(Base.metadata.tables) | {"alembic_version"}


def test_migrate_twice_is_a_no_op(bare_engine: Engine) -> None:
    migrate(bare_engine)
    migrate(bare_engine)
    assert _heads_applied(bare_engine)
    assert _diffs(bare_engine) == []


def test_downgrade_to_base_drops_every_table(bare_engine: Engine) -> None:
    migrate(bare_engine)
    with bare_engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert set(inspect(bare_engine).get_table_names()) <= {"alembic_version"}
    migrate(bare_engine)
    assert _diffs(bare_engine) == []


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO org_unit (code, name, kind, parent_code)"
                " VALUES ('X', 'x', 'x', 'NOPE')"
            )
        )


def test_sqlite_engine_creates_the_parent_folder(tmp_path: Path) -> None:
    db_file = tmp_path / "a" / "b" / "jz.db"
    engine = make_engine(f"sqlite:///{db_file}")
    try:
        migrate(engine)
    finally:
        engine.dispose()
    assert db_file.exists()


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("sqlite:///x.db", "sqlite"),
    ],
)
def test_normalize_url_picks_psycopg(url: str, driver: str) -> None:
    assert normalize_url(url).drivername == driver


def test_make_engine_does_not_connect() -> None:
    engine = make_engine("postgresql://nobody@127.0.0.1:1/none")
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_upgrade_resolves_a_targets_second_open_alert(
    bare_engine: Engine, catalog: Catalog
) -> None:
    """A store from before 0009 holding two open alerts of one target (months run out of
    order): the upgrade keeps the one seen last open, resolves the other there, then the
    partial unique index holds."""
    migrate(bare_engine, "0008_status_files")
    columns = "dedup_key, kind, severity, target_id, message, first_seen, last_seen"
    sync_reference(bare_engine, catalog, tiny_plan())
    with bare_engine.begin() as conn:
        for key, last in (("target:A01:behind", "2013-09"), ("target:A01:at_risk", "2013-08")):
            conn.execute(
                text(f"INSERT INTO alert ({columns}) VALUES (:k, 'target_status', 'warning', "
                     "'main-fai', 'x', :last, :last)"),
                {"k": key, "last": last},
            )  # fmt: skip
    migrate(bare_engine)
    with bare_engine.connect() as conn:
        rows = conn.execute(text("SELECT dedup_key, resolved FROM alert ORDER BY dedup_key"))
        assert rows.all() == [("target:A01:at_risk", "2013-09"), ("target:A01:behind", None)]


def test_postgresql_migrates_to_the_models_with_a_block_range_period_index() -> None:
    """On PostgreSQL the totals' period index is BRIN (0016), the schema matches the models,
    and a downgrade to base and back leaves it so."""
    from tests.dbutil import pg_schema_engine

    with pg_schema_engine() as pg:
        for _ in range(2):
            migrate(pg)
            assert _diffs(pg) == []
            with pg.connect() as conn:
                method = conn.scalar(
                    text(
                        "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam "
                        "WHERE c.relname = 'ix_aggregate_period' "
                        "AND c.relnamespace = current_schema()::regnamespace"
                    )
                )
            assert method == "brin"
            with pg.begin() as conn:
                command.downgrade(alembic_config(conn), "base")
            assert set(inspect(pg).get_table_names()) <= {"alembic_version"}
