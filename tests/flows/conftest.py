"""Flow tests: one real Prefect test server per session, and a database per test on each backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

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
        yield f"sqlite:///{tmp_path / 'jzplan.db'}"
    else:
        with pg_schema() as schema:
            yield pg_schema_url(schema)


@pytest.fixture
def flow_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the flow's settings at this test's database and output folders."""
    monkeypatch.setenv("JZPLAN_DATABASE_URL", database_url)
    monkeypatch.setenv("JZPLAN_ARCHIVE_DIR", str(tmp_path / "archive"))
    monkeypatch.setenv("JZPLAN_REPORT_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("JZPLAN_DATA_DOCS_DIR", str(tmp_path / "data_docs"))
    return tmp_path
