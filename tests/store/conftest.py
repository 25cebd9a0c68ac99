"""The store's test fixtures: a migrated store holding the catalog and a tiny plan."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from jzplan.reference.catalog import Catalog
from jzplan.store.reference import sync_reference
from tests.store.tiny import tiny_plan


@pytest.fixture
def ref_engine(engine: Engine, catalog: Catalog) -> Engine:
    sync_reference(engine, catalog, tiny_plan())
    return engine
