"""A run's artifacts sent to the Prefect server beside its work, not in its way.

A six-township month creates 16 artifacts (tables, Markdown, links, a progress bar), each a
request its task waited for (0.2-0.3 s of a warm run). Inside ``sent_in_background()``
(the monthly flow's body), ``publish`` hands the Prefect call to the block's own background
threads (``_SENDERS`` requests in flight; the run's Prefect client, an httpx client, is
shared between threads), run in a copy of the caller's context, so the artifact is linked
to the task run and flow run that made it exactly as if it had been made in place; the
block waits for every artifact it was handed before it ends, while the run's client is open,
and a failure fails the run as a failing task did.

Outside such a block (another flow, a test calling a task) ``publish`` creates the artifact
in place: nothing is ever left queued past the block or the run that made it (an earlier,
process-wide queue let one flow's unsent artifacts fail the next flow's run; reverted in
c08eb43).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

# requests in flight at once: one at a time, a run's end waited for the last of its 16 (a
# warm first run of 2013-06 outside its tasks: 0.33-0.42 s with one, 0.25-0.27 s with four)
_SENDERS = 4


class ArtifactSender:
    """Background threads and the artifacts handed to them."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=_SENDERS, thread_name_prefix="jzplan-artifacts")
        self._pending: list[Future[Any]] = []

    def submit(self, create: Callable[..., Any], kwargs: dict[str, Any]) -> None:
        context = contextvars.copy_context()
        self._pending.append(self._pool.submit(lambda: context.run(create, **kwargs)))

    def close(self, *, raise_first: bool = True) -> int:
        """Wait for every artifact handed over; how many. The first failure is raised once
        all have finished (``raise_first=False``: not raised, when the block is already
        failing for another reason)."""
        self._pool.shutdown(wait=True)
        errors = [e for e in (f.exception() for f in self._pending) if e is not None]
        if errors and raise_first:
            raise errors[0]
        return len(self._pending)


_SENDER: contextvars.ContextVar[ArtifactSender | None] = contextvars.ContextVar(
    "jzplan_artifact_sender", default=None
)


@contextmanager
def sent_in_background() -> Iterator[ArtifactSender]:
    """Within the block (and the tasks it runs, which inherit its context), ``publish``
    sends from a background thread; leaving it waits for them all."""
    sender = ArtifactSender()
    token = _SENDER.set(sender)
    try:
        yield sender
    except BaseException:
        _SENDER.reset(token)
        sender.close(raise_first=False)  # nothing left behind, no second error
        raise
    _SENDER.reset(token)
    sender.close()


def publish(create: Callable[..., Any], /, **kwargs: Any) -> None:
    """``create(**kwargs)`` (one of ``prefect.artifacts.create_*_artifact``): in the
    background within ``sent_in_background``, in place otherwise."""
    sender = _SENDER.get()
    if sender is None:
        create(**kwargs)
    else:
        sender.submit(create, kwargs)
