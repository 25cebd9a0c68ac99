"""Shared fixtures: a migrated database on each backend, the catalog, small frames.

No Prefect here; flow tests have their own conftest in tests/flows/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from jzplan.core.submissions import OBSERVATION_COLUMNS, ParsedSubmission
from jzplan.reference.catalog import Catalog, load_catalog
from jzplan.reference.plan import Plan, load_plan
from jzplan.store.db import make_engine, migrate
from jzplan.store.reference import sync_reference
from jzplan.validate.rules import Rules, load_rules
from jzplan.validate.validator import SubmissionValidator
from tests import xlsx_crosscheck
from tests.dbutil import BACKENDS, backend_engine

REPO_ROOT = Path(__file__).resolve().parent.parent

# A test process runs many months one after another: its runs would start the Data Docs
# helper (jzplan.validate.docs_helper) and then build each site there or in the run, by
# which was ready first. The suite builds them in the run, as a one-month process does; the
# helper's own tests turn it on (tests/validate/test_datadocs.py, test_validation_flow.py).
os.environ.setdefault("JZPLAN_DATA_DOCS_HELPER", "false")


@pytest.fixture(autouse=True)
def _xlsx_read_both_ways(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every plain .xlsx a test reads is read by openpyxl too; the test fails where the two
    readings differ (tests/xlsx_crosscheck.py)."""
    from jzplan.ingest import readers

    monkeypatch.setattr(readers, "_plain", xlsx_crosscheck.checked_plain)
    xlsx_crosscheck.MISMATCHES.clear()
    yield
    assert not xlsx_crosscheck.MISMATCHES, xlsx_crosscheck.MISMATCHES[:5]


@pytest.fixture(params=BACKENDS)
def bare_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database (no tables) on SQLite (a file under tmp_path) or PostgreSQL."""
    with backend_engine(request.param, tmp_path) as engine:
        yield engine


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session (migrating takes ~0.5 s)."""
    path = tmp_path_factory.mktemp("migrated") / "jzplan.db"
    template = make_engine(f"sqlite:///{path}")
    try:
        migrate(template)
    finally:
        template.dispose()
    return path


@pytest.fixture
def engine(bare_engine: Engine, request: pytest.FixtureRequest) -> Engine:
    """A database migrated to head, on each backend: SQLite a copy of the session's migrated
    file (the test's own file, not opened yet), PostgreSQL its new schema migrated."""
    database = bare_engine.url.database
    if bare_engine.dialect.name == "sqlite" and database and not Path(database).exists():
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), database)
    else:
        migrate(bare_engine)
    return bare_engine


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(REPO_ROOT / "data" / "catalog")


@pytest.fixture(scope="session")
def plan(catalog: Catalog) -> Plan:
    """The real 2013 plan."""
    return load_plan(REPO_ROOT / "data" / "targets" / "2013.yaml", catalog)


@pytest.fixture(scope="session")
def rules(catalog: Catalog) -> Rules:
    """The relations and ranges of expectations/ (the plan check's, the reports')."""
    return load_rules(REPO_ROOT / "expectations", catalog)


def observation_frame(
    org_unit: str,
    period: str,
    values: Mapping[str, float | tuple[float, float | None]],
    units: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A parsed-submission frame: indicator → value, or (value, value_month)."""
    rows = []
    for i, (indicator, v) in enumerate(values.items()):
        value, month = v if isinstance(v, tuple) else (v, None)
        unit = (units or {}).get(indicator, "万元")
        rows.append(
            {
                "org_unit": org_unit,
                "period": period,
                "indicator": indicator,
                "value": float(value),
                "value_month": float("nan") if month is None else float(month),
                "unit": unit,
                "raw_unit": unit,
                "sheet": "月报",
                "row": 5 + i,
                "column": "C",
            }
        )
    return pd.DataFrame(rows, columns=list(OBSERVATION_COLUMNS))


@pytest.fixture
def make_observations() -> Callable[..., pd.DataFrame]:
    """The ``observation_frame`` helper as a fixture."""
    return observation_frame


@pytest.fixture(scope="session")
def parsed_inbox(catalog: Catalog) -> Mapping[Path, ParsedSubmission]:
    """Every form of the bundled demo inbox (data/inbox), parsed once per session: the demo
    data tests and the demo store read the same 234 workbooks (read-only)."""
    from jzplan.ingest.form_parser import parse_submission

    inbox = REPO_ROOT / "data" / "inbox"
    return {p: parse_submission(p, catalog) for p in sorted(inbox.rglob("*.xlsx"))}


@pytest.fixture(scope="session")
def demo_year(
    tmp_path_factory: pytest.TempPathFactory,
    catalog: Catalog,
    plan: Plan,
    parsed_inbox: Mapping[Path, ParsedSubmission],
) -> Iterator[Engine]:
    """A SQLite store with the bundled 2012–2013 demo loaded month by month (read-only: tests
    that change a store build their own)."""
    from tests.demo_store import build_demo_year

    db = tmp_path_factory.mktemp("demo-year") / "jzplan.db"
    engine = build_demo_year(db, catalog, plan, parsed=parsed_inbox)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def validator(catalog: Catalog) -> SubmissionValidator:
    """One Great Expectations validator for the session (building one costs seconds)."""
    return SubmissionValidator(REPO_ROOT / "expectations", catalog)


@pytest.fixture
def store(engine: Engine, catalog: Catalog, plan: Plan) -> Engine:
    """A migrated store (each backend) holding the catalog's units and the plan's targets."""
    sync_reference(engine, catalog, plan)
    return engine
