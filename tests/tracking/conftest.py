"""Fixtures of the tracking tests: the real plan."""

from __future__ import annotations

import pytest

from jzplan.catalog import Catalog
from jzplan.plan import Plan, load_plan
from tests.conftest import REPO_ROOT


@pytest.fixture(scope="session")
def plan(catalog: Catalog) -> Plan:
    return load_plan(REPO_ROOT / "data" / "targets" / "2013.yaml", catalog)
