"""A run killed at a random point and run again leaves the same store as one clean run.

Every run here is a real process (``tests/ops/child.py``: the backfill flow; June 2013 brings
LWJ's late May file, so both months are recomputed; or the release scenario: June run and
released, a July batch with a corrected June file held, June reopened and released again).
The first runs to the end on SQLite: the clean store, and its length T. Each seed's run
(SQLite or PostgreSQL) is sent SIGKILL after a seeded random delay in (0.05 T, 0.95 T)
(halved, on a fresh store, when the run ended first: a loaded machine can stretch the clean
run), then the same flow runs again in this process. Stores are compared on natural keys
(tests/ops/natural.py): surrogate ids and wall-clock times may differ, nothing else, across
backends too.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from prefect.settings import PREFECT_API_URL
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from flows.backfill import backfill
from jzplan.store.db import init_store, make_engine
from jzplan.store.models import SubmissionRow
from tests.conftest import REPO_ROOT
from tests.dbutil import pg_schema, pg_schema_url
from tests.flows.release_inbox import release_inbox
from tests.ops.child import release_scenario
from tests.ops.natural import differences, natural_dump

pytestmark = pytest.mark.flow

START, END = "2013-06", "2013-06"


RELEASE = "release"  # the scenario of tests.ops.child.release_scenario


@contextmanager
def _store(backend: str, folder: Path, scenario: str = "") -> Iterator[dict[str, str]]:
    """The JZPLAN_* variables of a fresh store (SQLite file or PostgreSQL schema); for the
    release scenario its own small inbox."""
    folder.mkdir(parents=True, exist_ok=True)
    dirs = {
        "JZPLAN_ARCHIVE_DIR": str(folder / "archive"),
        "JZPLAN_REPORT_DIR": str(folder / "reports"),
        "JZPLAN_DATA_DOCS_DIR": str(folder / "data_docs"),
    }
    if scenario == RELEASE:
        dirs["JZPLAN_INBOX_DIR"] = str(release_inbox(folder / "inbox"))
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'jzplan.db'}"
        init_store(url)
        yield {"JZPLAN_DATABASE_URL": url, **dirs}
    else:
        with pg_schema() as schema:
            init_store(pg_schema_url(schema))
            yield {"JZPLAN_DATABASE_URL": pg_schema_url(schema), **dirs}


class Child:
    """``python -m tests.ops.child`` on one store; ready once its imports are done."""

    def __init__(self, env: dict[str, str], folder: Path, scenario: str = "") -> None:
        self.env = env
        self.scenario = scenario
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.ops.child"],
            cwd=REPO_ROOT,
            env={
                **os.environ,
                **env,
                "PREFECT_API_URL": str(PREFECT_API_URL.value()),
                "PREFECT_HOME": str(folder / "prefect-home"),
                "PREFECT_LOGGING_TO_API_ENABLED": "false",
                "PREFECT_LOGGING_LEVEL": "WARNING",
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "DO_NOT_TRACK": "1",
            },
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=(folder / "child.log").open("w"),
            text=True,
        )

    def go(self) -> float:
        """Wait until ready, start the run; returns when it started (perf_counter)."""
        assert self.proc.stdout is not None and self.proc.stdin is not None
        assert self.proc.stdout.readline().strip() == "ready"
        self.proc.stdin.write(f"{self.scenario or f'{START} {END}'}\n")
        self.proc.stdin.flush()
        return time.perf_counter()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.kill()
        return self.proc.wait(timeout=30)


def _archived(env: dict[str, str]) -> set[str]:
    root = Path(env["JZPLAN_ARCHIVE_DIR"])
    return {p.name for p in root.rglob("*") if p.is_file() and not p.name.endswith(".part")}


def _dump(env: dict[str, str]) -> dict[str, Any]:
    engine = make_engine(env["JZPLAN_DATABASE_URL"])
    try:
        return natural_dump(engine)
    finally:
        engine.dispose()


def _committed(env: dict[str, str]) -> int | None:
    engine = make_engine(env["JZPLAN_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(SubmissionRow)) or 0)
    except SQLAlchemyError:  # killed before the schema was created
        return None
    finally:
        engine.dispose()


_clean: dict[str, dict[str, Any]] = {}


def _clean_run(folder: Path, scenario: str = "") -> tuple[dict[str, Any], set[str], float]:
    """One uninterrupted run in a process of its own (SQLite): the reference and its length."""
    if scenario not in _clean:
        with _store("sqlite", folder, scenario) as env:
            child = Child(env, folder, scenario)
            started = child.go()
            assert child.proc.stdout is not None
            assert child.proc.stdout.readline().strip() == "done", (
                folder / "child.log"
            ).read_text()
            length = time.perf_counter() - started
            assert child.proc.wait(timeout=60) == 0
            _clean[scenario] = {"dump": _dump(env), "files": _archived(env), "length": length}
    done = _clean[scenario]
    return done["dump"], done["files"], done["length"]


@pytest.mark.parametrize(
    ("backend", "seed", "scenario"),
    [
        ("sqlite", 11, ""),
        ("sqlite", 22, ""),
        pytest.param("postgres", 33, "", marks=pytest.mark.postgres),
        ("sqlite", 77, RELEASE),
        pytest.param("postgres", 44, RELEASE, marks=pytest.mark.postgres),
    ],
)
def test_killed_run_then_rerun_equals_a_clean_run(
    backend: str,
    seed: int,
    scenario: str,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fraction = random.Random(seed).uniform(0.05, 0.95)
    for attempt in range(4):
        folder = tmp_path / f"killed-{attempt}"
        with _store(backend, folder, scenario) as env:
            child = Child(env, folder, scenario)  # its imports overlap the clean run
            try:
                clean, clean_files, length = _clean_run(tmp_path_factory.mktemp("clean"), scenario)
                delay = fraction * length
                started = child.go()
                time.sleep(max(0.0, started + delay - time.perf_counter()))
                child.proc.send_signal(signal.SIGKILL)
            finally:
                returncode = child.stop()
            if returncode != -signal.SIGKILL:
                # it ended before the kill: this run went faster than the clean one (whose
                # length the machine's load inflated); again on a fresh store, killed earlier
                assert returncode == 0, (folder / "child.log").read_text()
                fraction /= 2
                continue
            print(
                f"{backend} seed {seed}: killed {delay:.2f} s into a {length:.2f} s run,"
                f" {_committed(env)} files committed (attempt {attempt + 1})"
            )

            # a kill inside a delivery leaves its lease: the rerun, on this host, finds the
            # holder's process gone and takes it over (jzplan.store.channel_states)
            with monkeypatch.context() as m:
                for key, value in env.items():
                    m.setenv(key, value)
                if scenario == RELEASE:
                    release_scenario()
                else:
                    backfill(start=START, end=END)
            diff = differences(clean, _dump(env))
            assert diff == {}, diff
            assert _archived(env) == clean_files
            return
    pytest.fail("the run ended before the kill four times: nothing tested")
