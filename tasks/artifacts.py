"""Artifacts sent to the Prefect server beside a run's work, not in its way.

A six-township month creates 16 artifacts (tables, Markdown, links, a progress bar), each a
request its task waited for: 0.30-0.36 s of a warm run of ~3.1 s. ``publish`` hands the
Prefect call to one background thread, run in a copy of the caller's context, so that the
artifact is linked to the task run and flow run that made it exactly as if it had been made
in place; the run's work goes on meanwhile. ``drain`` waits for every artifact handed over:
the flow calls it before it returns (the run's client is still open, and a failure fails
the run, as a failing task did). At interpreter exit the thread finishes what it holds."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pending: list[Future[Any]] = []


def publish(create: Callable[..., Any], /, **kwargs: Any) -> None:
    """``create(**kwargs)`` (one of ``prefect.artifacts.create_*_artifact``), in the
    background, in this context."""
    global _pool
    context = contextvars.copy_context()
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jzplan-artifacts")
        _pending.append(_pool.submit(lambda: context.run(create, **kwargs)))


def drain(*, raise_first: bool = True) -> int:
    """Wait for every artifact handed over so far; how many. The first failure is raised
    once all have finished (``raise_first=False``: not raised, when the run is already
    failing for another reason)."""
    with _lock:
        pending = list(_pending)
        _pending.clear()
    errors = [e for e in (f.exception() for f in pending) if e is not None]
    if errors and raise_first:
        raise errors[0]
    return len(pending)
