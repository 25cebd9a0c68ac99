"""tasks.artifacts: artifacts created off the task's thread, in its context, all waited for."""

from __future__ import annotations

import contextvars
import threading

import pytest

from tasks import artifacts

CURRENT_RUN: contextvars.ContextVar[str] = contextvars.ContextVar("run", default="none")


def test_publish_runs_the_call_in_the_callers_context_and_drain_waits_for_it() -> None:
    made: list[tuple[str, str, bool]] = []
    gate = threading.Event()

    def create(*, key: str) -> str:
        gate.wait(5)  # still running when publish returns
        made.append((key, CURRENT_RUN.get(), threading.current_thread() is threading.main_thread()))
        return key

    token = CURRENT_RUN.set("task-run-1")
    try:
        artifacts.publish(create, key="progress-2013-06")
    finally:
        CURRENT_RUN.reset(token)
    artifacts.publish(create, key="plan-check-2013")
    assert made == []
    gate.set()
    assert artifacts.drain() == 2
    assert made == [("progress-2013-06", "task-run-1", False), ("plan-check-2013", "none", False)]
    assert artifacts.drain() == 0


def test_a_failed_artifact_is_raised_at_drain_once_all_have_finished() -> None:
    made: list[str] = []

    def create(*, key: str) -> None:
        if key == "bad":
            raise RuntimeError("server said 500")
        made.append(key)

    artifacts.publish(create, key="bad")
    artifacts.publish(create, key="good")
    with pytest.raises(RuntimeError, match="500"):
        artifacts.drain()
    assert made == ["good"]
    artifacts.publish(create, key="bad")
    assert artifacts.drain(raise_first=False) == 1
