"""The dump of every table that idempotence checks compare."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from jzplan.store.dump import dump_tables
from jzplan.store.models import SubmissionRow


def test_dump_tables_covers_every_table(ref_engine: Engine) -> None:
    dump = dump_tables(ref_engine)
    with ref_engine.connect() as conn:
        n_sub = conn.scalar(select(func.count()).select_from(SubmissionRow))
    assert set(dump) >= {"org_unit", "indicator", "target", "submission", "alert"}
    assert len(dump["submission"]) == n_sub == 0
