"""How long a failing channel waits before it is tried again: doubling from ``first`` after
each consecutive failure, never longer than ``cap`` (15 min, 30 min, 1 h, ... 6 h)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from jzplan.core.settings import Settings
from jzplan.store.channel_states import (
    ChannelState,
    read_channel_states,
    record_failure,
    record_success,
)
from jzplan.store.db import Bind


@dataclass(frozen=True, slots=True)
class Backoff:
    first: timedelta = timedelta(minutes=15)
    cap: timedelta = timedelta(hours=6)

    def delay(self, failures: int) -> timedelta:
        """The wait after the ``failures``-th consecutive failure (1, 2, ...)."""
        if failures < 1:
            return timedelta(0)
        # 2**20 × 15 min is far past any sane cap: stop doubling there
        return min(self.first * (1 << min(failures - 1, 20)), self.cap)

    def next_attempt(self, failures: int, at: datetime) -> datetime:
        return at + self.delay(failures)


DEFAULT_BACKOFF = Backoff()


def delivery_backoff(settings: Settings) -> Backoff:
    """The backoff of JZPLAN_DELIVERY_BACKOFF_FIRST_MINUTES / _CAP_MINUTES."""
    return Backoff(
        timedelta(minutes=settings.delivery_backoff_first_minutes),
        timedelta(minutes=settings.delivery_backoff_cap_minutes),
    )


class ChannelBook:
    """Each channel's standing during one delivery (``channel_state``, read once): whether
    it may be tried now, and what a success or failure does to it — a success clears a
    failing (or new) channel's row, a failure counts one more and sets the next attempt."""

    def __init__(self, bind: Bind, at: datetime, backoff: Backoff) -> None:
        self.bind, self.at, self.backoff = bind, at, backoff
        self.states: dict[str, ChannelState] = read_channel_states(bind)

    def state(self, name: str) -> ChannelState:
        return self.states.get(name, ChannelState(name))

    def succeeded(self, name: str) -> None:
        if self.state(name).failing or name not in self.states:
            self.states[name] = record_success(self.bind, name, self.at)

    def failed(self, name: str, error: str) -> None:
        old = self.state(name)
        nxt = self.backoff.next_attempt(old.failures + 1, self.at)
        self.states[name] = record_failure(self.bind, old, error, self.at, nxt)
