"""Each channel's delivery health (migration 0013): consecutive failures, since when, the last
error and when it may be tried again. A failing channel is retried with backoff on its own
(``jzplan.alert.backoff``); a success clears its row. And the delivery lease: one delivery
at a time (a month's run and the 15-minute drain never send the same transition twice). The
models live here, imported by ``jzplan.store.models``."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from sqlalchemy import (
    DateTime,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from jzplan.store.db import Bind, connect, transaction
from jzplan.store.models import Base


class ChannelStateRow(Base):
    """One channel of channels.yaml (by name) that has been tried at least once."""

    __tablename__ = "channel_state"
    __table_args__ = (UniqueConstraint("channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer)  # consecutive; 0 once it delivers
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


_state: Table = ChannelStateRow.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class ChannelState:
    """A channel's health; ``failures`` 0 means healthy (no backoff)."""

    channel: str
    failures: int = 0
    failing_since: datetime | None = None
    next_attempt_at: datetime | None = None
    last_error: str | None = None

    @property
    def failing(self) -> bool:
        return self.failures > 0

    def due(self, now: datetime) -> bool:
        """Whether the channel may be tried at ``now`` (healthy, or its backoff is over)."""
        return self.next_attempt_at is None or self.next_attempt_at <= now


def _utc(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back: they were written in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def read_channel_states(bind: Bind) -> dict[str, ChannelState]:
    """Every recorded channel's state by name."""
    with connect(bind) as conn:
        rows = conn.execute(select(_state)).mappings().all()
    return {
        str(r["channel"]): ChannelState(
            str(r["channel"]),
            int(r["failures"]),
            _utc(r["failing_since"]),
            _utc(r["next_attempt_at"]),
            r["last_error"],
        )
        for r in rows
    }


def _write(bind: Bind, channel: str, values: dict[str, object]) -> None:
    with transaction(bind) as conn:
        found = conn.execute(select(_state.c.id).where(_state.c.channel == channel)).first()
        if found is None:
            conn.execute(_state.insert(), [{"channel": channel, **values}])
        else:
            conn.execute(update(_state).where(_state.c.id == found[0]).values(values))


def record_failure(
    bind: Bind, previous: ChannelState, error: str, at: datetime, next_attempt_at: datetime
) -> ChannelState:
    """One more consecutive failure of ``previous.channel``; returns its new state."""
    state = ChannelState(
        previous.channel,
        previous.failures + 1,
        previous.failing_since or at,
        next_attempt_at,
        error,
    )
    _write(bind, state.channel, {
        "failures": state.failures, "failing_since": state.failing_since,
        "next_attempt_at": next_attempt_at, "last_error": error, "last_attempt_at": at,
    })  # fmt: skip
    return state


def record_success(bind: Bind, channel: str, at: datetime) -> ChannelState:
    """``channel`` delivered: healthy again, no backoff."""
    _write(bind, channel, {
        "failures": 0, "failing_since": None, "next_attempt_at": None, "last_error": None,
        "last_attempt_at": at, "last_success_at": at,
    })  # fmt: skip
    return ChannelState(channel)


class DeliveryLeaseRow(Base):
    """Who delivers now, until when: a lease a killed delivery gives up by expiring, or at
    once when its holder was a process of this host that is gone."""

    __tablename__ = "delivery_lease"
    __table_args__ = (UniqueConstraint("name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(32))
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


_lease: Table = DeliveryLeaseRow.__table__  # type: ignore[assignment]
LEASE = "delivery"


def acquire_lease(bind: Bind, holder: str, at: datetime, ttl: timedelta) -> bool:
    """Take the delivery lease for ``holder`` unless another holder's is still valid."""
    until = at + ttl
    try:
        with transaction(bind) as conn:
            found = conn.execute(select(_lease.c.id).where(_lease.c.name == LEASE)).first()
            if found is None:
                conn.execute(_lease.insert(), [{"name": LEASE, "holder": holder,
                                                "expires_at": until}])  # fmt: skip
                return True
            taken = conn.execute(
                update(_lease)
                .where(
                    (_lease.c.name == LEASE)
                    & ((_lease.c.expires_at <= at) | (_lease.c.holder == holder))
                )
                .values(holder=holder, expires_at=until)
            )
            if taken.rowcount:
                return True
            current = conn.scalar(select(_lease.c.holder).where(_lease.c.name == LEASE))
            if current is None or not holder_gone(current):
                return False
            # a killed run's lease (its process is gone): taken over now, not in ``ttl``
            taken = conn.execute(
                update(_lease)
                .where((_lease.c.name == LEASE) & (_lease.c.holder == current))
                .values(holder=holder, expires_at=until)
            )
            return bool(taken.rowcount)
    except IntegrityError:  # another delivery inserted the row first
        return False


def lease_holder() -> str:
    """This delivery's holder name: host, process id and a random part (64 characters)."""
    return f"{socket.gethostname()[:20]}:{os.getpid()}:{uuid4().hex}"


def holder_gone(holder: str) -> bool:
    """Whether ``holder`` was a process of this host that no longer runs (a holder of another
    host, or a name not made by ``lease_holder``, is never judged gone: its lease expires)."""
    host, _, rest = holder.partition(":")
    pid_text, _, _ = rest.partition(":")
    if host != socket.gethostname()[:20] or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def release_lease(bind: Bind, holder: str) -> None:
    """Give the lease back, if ``holder`` still has it: no row is left between deliveries."""
    with transaction(bind) as conn:
        conn.execute(delete(_lease).where((_lease.c.name == LEASE) & (_lease.c.holder == holder)))


@contextmanager
def delivery_lease(
    bind: Bind, at: datetime, ttl: timedelta = timedelta(minutes=10)
) -> Iterator[bool]:
    """Whether this delivery holds the lease (False: another one is under way: skip)."""
    holder = lease_holder()
    held = acquire_lease(bind, holder, at, ttl)
    try:
        yield held
    finally:
        if held:
            release_lease(bind, holder)
