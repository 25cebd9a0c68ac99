"""tasks.artifacts: within the block, artifacts are created off the caller's thread, in its
context, and all waited for when the block ends; outside it, in place."""

from __future__ import annotations

import contextvars
import threading

import pytest

from tasks import artifacts

CURRENT_RUN: contextvars.ContextVar[str] = contextvars.ContextVar("run", default="none")


class Recorder:
    def __init__(self) -> None:
        self.made: list[tuple[str, str, bool]] = []
        self.gate = threading.Event()
        self.gate.set()

    def create(self, *, key: str) -> str:
        self.gate.wait(5)
        if key.startswith("bad"):
            raise RuntimeError(f"server said 500 for {key}")
        on_main = threading.current_thread() is threading.main_thread()
        self.made.append((key, CURRENT_RUN.get(), on_main))
        return key


def test_within_the_block_the_call_runs_later_in_the_callers_context() -> None:
    rec = Recorder()
    rec.gate.clear()  # still waiting when publish returns
    with artifacts.sent_in_background() as sender:
        token = CURRENT_RUN.set("task-run-1")
        try:
            artifacts.publish(rec.create, key="progress-2013-06")
        finally:
            CURRENT_RUN.reset(token)
        artifacts.publish(rec.create, key="plan-check-2013")
        assert rec.made == []
        rec.gate.set()
    assert sorted(rec.made) == [  # sent side by side: in either order
        ("plan-check-2013", "none", False),
        ("progress-2013-06", "task-run-1", False),
    ]
    assert sender.close() == 2  # closed once already: nothing more to wait for


def test_artifacts_go_out_side_by_side() -> None:
    """Several requests in flight at once: each of these waits until all are being sent,
    which one sender at a time never reaches (the barrier breaks after 5 s)."""
    together = threading.Barrier(artifacts._SENDERS, timeout=5)
    sent: list[str] = []

    def create(*, key: str) -> None:
        together.wait()
        sent.append(key)

    with artifacts.sent_in_background():
        for k in range(artifacts._SENDERS):
            artifacts.publish(create, key=f"progress-2013-{k + 1:02d}")
    assert len(sent) == artifacts._SENDERS


def test_tasks_on_other_threads_inherit_the_block() -> None:
    rec = Recorder()
    with artifacts.sent_in_background():
        context = contextvars.copy_context()  # what a task runner's thread runs in
        worker = threading.Thread(target=context.run, args=(artifacts.publish, rec.create),
                                  kwargs={"key": "submissions-2013-06"})  # fmt: skip
        worker.start()
        worker.join()
    assert rec.made == [("submissions-2013-06", "none", False)]


def test_outside_the_block_the_artifact_is_created_in_place() -> None:
    rec = Recorder()
    artifacts.publish(rec.create, key="report-2013-06")
    assert rec.made == [("report-2013-06", "none", True)]
    with pytest.raises(RuntimeError, match="500"):
        artifacts.publish(rec.create, key="bad-in-place")


def test_a_failed_artifact_fails_the_block_once_all_have_finished() -> None:
    rec = Recorder()
    with pytest.raises(RuntimeError, match="bad-1"), artifacts.sent_in_background():
        artifacts.publish(rec.create, key="bad-1")
        artifacts.publish(rec.create, key="good")
        artifacts.publish(rec.create, key="bad-2")
    assert [key for key, *_ in rec.made] == ["good"]
    artifacts.publish(rec.create, key="after")  # the block is gone: in place again
    assert rec.made[-1] == ("after", "none", True)


def test_a_failing_block_keeps_its_own_error_and_leaves_nothing_queued() -> None:
    rec = Recorder()
    with pytest.raises(ValueError, match="load failed"), artifacts.sent_in_background():
        artifacts.publish(rec.create, key="bad-artifact")
        artifacts.publish(rec.create, key="sent-anyway")
        raise ValueError("load failed")
    assert [key for key, *_ in rec.made] == ["sent-anyway"]
