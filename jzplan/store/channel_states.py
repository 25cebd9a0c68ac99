"""Each channel's delivery health (migration 0013): consecutive failures, since when, the last
error and when it may be tried again. A failing channel is retried with backoff on its own
(``jzplan.alert.backoff``); a success clears its row. The model lives here, imported by
``jzplan.store.models``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer, String, Table, Text, UniqueConstraint, select, update
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
