"""Flow tests: one real Prefect test server per session, and a database per test on each backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prefect.settings import (
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    PREFECT_HOME,
    PREFECT_LOGGING_TO_API_ENABLED,
    PREFECT_RESULTS_LOCAL_STORAGE_PATH,
    PREFECT_SERVER_ANALYTICS_ENABLED,
    PREFECT_SERVER_LOGGING_LEVEL,
    PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED,
    PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED,
    temporary_settings,
)
from prefect.testing.utilities import prefect_test_harness

from jzplan.store.db import init_store
from tests.dbutil import BACKENDS, pg_schema, pg_schema_url


@pytest.fixture(scope="session", autouse=True)
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    os.environ["DO_NOT_TRACK"] = "1"
    home = tmp_path_factory.mktemp("prefect-home")
    with (
        temporary_settings(
            {
                PREFECT_HOME: home,
                PREFECT_RESULTS_LOCAL_STORAGE_PATH: home / "results",
                PREFECT_SERVER_LOGGING_LEVEL: "CRITICAL",
                PREFECT_LOGGING_TO_API_ENABLED: False,
                PREFECT_SERVER_ANALYTICS_ENABLED: False,
                # about 1 s less per flow run
                PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None,
                # The server's bookkeeping for the UI, which no test reads: task runs rebuilt
                # from the runs' events, and the events stored. Off, the server process spent
                # about 40% less CPU during the monthly-flow tests; automations (triggers,
                # actions), artifacts, deployments and flow runs work as before.
                PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED: False,
                PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED: False,
            }
        ),
        prefect_test_harness(server_startup_timeout=60),
    ):
        yield


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL the flow itself connects to: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'jzplan.db'}"
        init_store(url)  # as `jzplan init` does: a run never creates a store
        yield url
    else:
        with pg_schema() as schema:
            init_store(pg_schema_url(schema))
            yield pg_schema_url(schema)


@pytest.fixture
def flow_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the flow's settings at this test's database and output folders."""
    monkeypatch.setenv("JZPLAN_DATABASE_URL", database_url)
    monkeypatch.setenv("JZPLAN_ARCHIVE_DIR", str(tmp_path / "archive"))
    monkeypatch.setenv("JZPLAN_REPORT_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("JZPLAN_DATA_DOCS_DIR", str(tmp_path / "data_docs"))
    return tmp_path


@dataclass(frozen=True)
class MonthRun:
    """A monthly run's summary and the database URL of its store."""

    summary: dict[str, Any]
    database_url: str


@pytest.fixture(scope="session")
def august_on_sqlite(tmp_path_factory: pytest.TempPathFactory) -> MonthRun:
    """August 2013 (a defective file and its correction) run once by the monthly flow on the
    thread runner, on a fresh SQLite store: checked by test_monthly_flow, and the reference of
    test_dask_runner (read-only; both ran this same month on SQLite before)."""
    from flows.monthly import monthly_progress

    folder = tmp_path_factory.mktemp("august-sqlite")
    url = f"sqlite:///{folder / 'jzplan.db'}"
    init_store(url)
    with pytest.MonkeyPatch.context() as m:
        m.setenv("JZPLAN_DATABASE_URL", url)
        m.setenv("JZPLAN_ARCHIVE_DIR", str(folder / "archive"))
        m.setenv("JZPLAN_REPORT_DIR", str(folder / "reports"))
        m.setenv("JZPLAN_DATA_DOCS_DIR", str(folder / "data_docs"))
        m.setenv("JZPLAN_TASK_RUNNER", "thread")
        summary = monthly_progress(period="2013-08")
    return MonthRun(summary, url)
