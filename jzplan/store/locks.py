"""The store's write lock: one run writes to a store at a time, in one transaction.

A month's loads and recomputation happen in one transaction that first takes this lock, so
two runs of the same month at once cannot both load a file: the second waits, then finds
every file already stored (by sha256) and only recomputes. The lock lives in the database
and is tied to the transaction, so a killed run releases it with its connection; no lock
row can be left behind, and it works without a Prefect server (CLI, tests).

- PostgreSQL: ``pg_advisory_xact_lock`` on a key of (jzplan, current schema), waiting at
  most ``timeout`` seconds (``lock_timeout``); released at commit or rollback.
- SQLite: ``BEGIN IMMEDIATE`` takes the database's write lock at the start of the
  transaction, waiting at most ``timeout`` seconds (``busy_timeout``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from jzplan.core.errors import OperatorError

T = TypeVar("T")

# First half of the advisory lock key; the second is a hash of the schema name.
LOCK_CLASS_ID = 0x6A7A  # "jz"


class StoreLockTimeout(OperatorError):
    """Another run held the store's write lock for longer than the timeout: one line for the
    operator (the driver's error is the exception's cause)."""

    def __init__(self, message: str) -> None:
        super().__init__("store_lock_timeout", message)


def lock_timeout_message(timeout: float) -> str:
    return (
        f"数据库正被另一次运行占用，等待 {timeout:g} 秒仍未释放：请等它结束后重试"
        "（等待时长由 JZPLAN_LOCK_TIMEOUT_SECONDS 设定）"
    )


@contextmanager
def locked_transaction(engine: Engine, *, timeout: float = 600.0) -> Iterator[Connection]:
    """A transaction holding the store's write lock: commits on success, rolls back on error."""
    millis = max(1, int(timeout * 1000))
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            previous = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {millis}")
            conn.commit()  # end the autobegun transaction: the next one must be IMMEDIATE
            try:
                with conn.begin():
                    try:
                        conn.exec_driver_sql("BEGIN IMMEDIATE")
                    except OperationalError as exc:
                        raise StoreLockTimeout(lock_timeout_message(timeout)) from exc
                    yield conn
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(previous or 0)}")
                conn.commit()
        elif conn.dialect.name == "postgresql":
            with conn.begin():
                conn.execute(text(f"SET LOCAL lock_timeout = {millis}"))
                try:
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(:cls, hashtext(current_schema()))"),
                        {"cls": LOCK_CLASS_ID},
                    )
                except OperationalError as exc:
                    raise StoreLockTimeout(lock_timeout_message(timeout)) from exc
                conn.execute(text("SET LOCAL lock_timeout = 0"))
                yield conn
        else:
            raise NotImplementedError(f"no store lock for {conn.dialect.name}")


def is_transient(exc: BaseException) -> bool:
    """A database error worth retrying the whole transaction for: lost connection, busy."""
    if isinstance(exc, StoreLockTimeout):
        return False
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError)


def run_locked(
    engine: Engine,
    work: Callable[[Connection], T],
    *,
    timeout: float = 600.0,
    attempts: int = 3,
    delay: float = 2.0,
    on_retry: Callable[[int, BaseException], None] | None = None,
) -> T:
    """``work(conn)`` in a locked transaction, retried as a whole on transient errors.

    Nothing of a failed attempt stays in the database, so a retry starts from the same state.
    """
    for attempt in range(1, attempts + 1):
        try:
            with locked_transaction(engine, timeout=timeout) as conn:
                return work(conn)
        except Exception as exc:
            if attempt == attempts or not is_transient(exc):
                raise
            if on_retry is not None:
                on_retry(attempt, exc)
            time.sleep(delay)
    raise AssertionError("unreachable")
