"""Two runs of one store at once: the write lock serializes them and the constraint holds."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from jzplan.store.locks import StoreLockTimeout, is_transient, locked_transaction, run_locked
from jzplan.store.models import SubmissionRow
from jzplan.store.reference import sync_reference

NOW = datetime(2013, 4, 6, 1, 0, tzinfo=UTC)


def _submission(sha: str, status: str, unit: str = "NGZ", period: str = "2013-03") -> dict:
    return {
        "sha256": sha,
        "file_name": f"{sha}.xlsx",
        "archive_path": f"/a/{sha}.xlsx",
        "org_unit_code": unit,
        "period": period,
        "arrival_period": period,
        "filed_on": date(2013, 4, 3),
        "received_at": NOW,
        "status": status,
        "version": 1,
        "error_count": 0,
    }


@pytest.fixture
def store(engine: Engine, catalog) -> Engine:  # type: ignore[no-untyped-def]
    from jzplan.reference.plan import load_plan
    from tests.conftest import REPO_ROOT

    sync_reference(engine, catalog, load_plan(REPO_ROOT / "data/targets/2013.yaml", catalog))
    return engine


def test_one_accepted_submission_per_unit_and_period(store: Engine) -> None:
    table = SubmissionRow.__table__
    with store.begin() as conn:
        conn.execute(insert(table), [_submission("a" * 64, "accepted")])
        conn.execute(insert(table), [_submission("b" * 64, "superseded")])
        conn.execute(insert(table), [_submission("c" * 64, "rejected")])
        conn.execute(insert(table), [_submission("d" * 64, "accepted", period="2013-04")])
    with pytest.raises(IntegrityError), store.begin() as conn:
        conn.execute(insert(table), [_submission("e" * 64, "accepted")])


def test_second_writer_waits_for_the_first(store: Engine) -> None:
    """While one transaction holds the lock, another cannot start writing; it gets in after."""
    events: list[str] = []
    holding = threading.Event()
    release = threading.Event()

    def first() -> None:
        with locked_transaction(store, timeout=30) as conn:
            conn.execute(insert(SubmissionRow.__table__), [_submission("a" * 64, "accepted")])
            events.append("first wrote")
            holding.set()
            release.wait(30)
            events.append("first commits")

    def second() -> None:
        holding.wait(30)
        with locked_transaction(store, timeout=30) as conn:
            # sees the first run's committed row: it would load this file as a duplicate
            seen = conn.scalar(select(SubmissionRow.id).where(SubmissionRow.sha256 == "a" * 64))
            events.append(f"second sees {seen is not None}")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    holding.wait(30)
    # the second is blocked on the lock: a third with a short timeout cannot get it either
    with pytest.raises(StoreLockTimeout), locked_transaction(store, timeout=0.2):
        pass
    release.set()
    for t in threads:
        t.join(60)
    assert events == ["first wrote", "first commits", "second sees True"]


def test_a_failed_attempt_leaves_nothing_and_is_retried(store: Engine) -> None:
    from sqlalchemy.exc import OperationalError

    attempts: list[int] = []

    def work(conn):  # type: ignore[no-untyped-def]
        attempts.append(len(attempts) + 1)
        conn.execute(insert(SubmissionRow.__table__), [_submission("a" * 64, "accepted")])
        if len(attempts) == 1:
            raise OperationalError("INSERT", {}, Exception("connection lost"))
        return "ok"

    assert run_locked(store, work, timeout=5, delay=0) == "ok"
    assert attempts == [1, 2]
    with store.connect() as conn:
        assert conn.scalar(select(SubmissionRow.sha256)) == "a" * 64  # once, not twice


def test_lock_timeouts_and_bugs_are_not_retried() -> None:
    from sqlalchemy.exc import IntegrityError as Integrity

    assert not is_transient(StoreLockTimeout("x"))
    assert not is_transient(ValueError("bug"))
    assert not is_transient(Integrity("INSERT", {}, Exception("dup")))
