"""Every row of every table: what tests and the behaviour check compare."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from jzplan.store.db import Bind, connect
from jzplan.store.models import Base


def dump_tables(bind: Bind) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered by primary key (by every column where a table has
    none, like the observation fact table): equal dumps mean nothing changed."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with connect(bind) as conn:
        for table in Base.metadata.sorted_tables:
            query = select(table).order_by(*(table.primary_key.columns or table.columns))
            out[table.name] = [tuple(r) for r in conn.execute(query)]
    return out
