"""A bulk append keeps PostgreSQL's planner statistics current inside the loading transaction
(``fastwrite.refresh_statistics``), as autovacuum would only after the commit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Column, Connection, Engine, Float, Integer, MetaData, String, Table, text

from jzplan.store.fastwrite import append_rows, refresh_statistics
from tests.dbutil import BACKENDS, backend_engine

_meta = MetaData()
_figures = Table(
    "stats_figures",
    _meta,
    Column("unit", String(16)),
    Column("month", Integer),
    Column("value", Float),
)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with backend_engine(request.param, tmp_path) as engine:
        _meta.create_all(engine)
        yield engine


def _rows(n: int, start: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit": [f"U{i % 97:03d}" for i in range(start, start + n)],
            "month": np.arange(start, start + n) % 12 + 1,
            "value": np.linspace(0.0, 1.0, n),
        }
    )


def _known_rows(conn: Connection) -> float:
    return float(
        conn.scalar(text("SELECT reltuples FROM pg_class WHERE oid = 'stats_figures'::regclass"))
    )


def test_statistics_follow_bulk_appends_not_small_ones(store: Engine) -> None:
    if store.dialect.name != "postgresql":
        with store.begin() as conn:
            assert append_rows(conn, _figures, _rows(5_000)) == 5_000
            assert not refresh_statistics(conn, _figures, 5_000)  # SQLite: nothing to do
        return
    with store.begin() as conn:
        assert _known_rows(conn) < 0  # never analyzed
        append_rows(conn, _figures, _rows(5_000))
        # analyzed inside the transaction: the planner already knows the rows it holds
        assert _known_rows(conn) == 5_000
        plan = conn.scalar(text("EXPLAIN SELECT * FROM stats_figures"))
        assert "rows=5000 " in str(plan)
    with store.begin() as conn:
        append_rows(conn, _figures, _rows(300, start=5_000))  # < 50 + 10 % of 5,000
        assert _known_rows(conn) == 5_000
        assert not refresh_statistics(conn, _figures, 549)
        append_rows(conn, _figures, _rows(600, start=5_300))  # >= 50 + 10 %
        assert _known_rows(conn) == 5_900
    with store.connect() as conn:
        assert _known_rows(conn) == 5_900  # kept after the commit
