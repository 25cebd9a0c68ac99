"""Reference sync is idempotent and returns counts, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses

from sqlalchemy import Engine

from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store.dump import dump_tables
from jzplan.store.reference import sync_reference
from tests.store.tiny import tiny_plan


def test_sync_reference_twice_changes_nothing(engine: Engine, catalog: Catalog) -> None:
    first = sync_reference(engine, catalog, tiny_plan())
    n_units = 1 + len(catalog.units)
    assert first["org_unit_inserted"] == n_units
    assert first["indicator_inserted"] == len(catalog.indicators)
    assert first["target_inserted"] == 3
    assert first["updated"] == 0
    before = dump_tables(engine)

    second = sync_reference(engine, catalog, tiny_plan())
    assert second["inserted"] == second["updated"] == 0
    assert second["unchanged"] == first["inserted"]
    assert dump_tables(engine) == before
    target = next(r for r in before["target"] if r[0] == "main-fai")
    assert target[7:9] == (80.0, "亿元")  # seed value and unit kept as given


def test_sync_reference_updates_a_changed_target(engine: Engine, catalog: Catalog) -> None:
    sync_reference(engine, catalog, tiny_plan())
    plan = tiny_plan()
    changed = Plan(
        plan.year,
        (plan.targets[0], dataclasses.replace(plan.targets[1], value=85.0), plan.targets[2]),
        (),
    )
    counts = sync_reference(engine, catalog, changed)
    assert (counts["inserted"], counts["updated"], counts["target_updated"]) == (0, 1, 1)
