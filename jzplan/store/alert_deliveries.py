"""Which channel has which alert transition (migration 0012): one row per (transition,
channel) once that channel took it, so a failing channel is retried on its own and never makes
the channels that already have a transition receive it again. The model lives here, imported
by ``jzplan.store.models``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Table, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from jzplan.store.db import Bind, connect, transaction
from jzplan.store.models import Base


class AlertDeliveryRow(Base):
    """One alert transition (``alert_event``) taken by one channel of channels.yaml."""

    __tablename__ = "alert_delivery"
    __table_args__ = (UniqueConstraint("event_id", "channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("alert_event.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(64))  # the channel's name
    delivered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


_delivery: Table = AlertDeliveryRow.__table__  # type: ignore[assignment]


def delivered_to(bind: Bind, event_ids: Iterable[int]) -> set[tuple[int, str]]:
    """(event id, channel) pairs already delivered, among ``event_ids``."""
    ids = list(event_ids)
    if not ids:
        return set()
    query = select(_delivery.c.event_id, _delivery.c.channel).where(_delivery.c.event_id.in_(ids))
    with connect(bind) as conn:
        return {(int(e), str(c)) for e, c in conn.execute(query)}


def record_deliveries(bind: Bind, channel: str, event_ids: Iterable[int], at: datetime) -> int:
    """Record that ``channel`` took ``event_ids`` (those it had already are left alone)."""
    ids = sorted(set(event_ids))
    have = {e for e, c in delivered_to(bind, ids) if c == channel}
    rows = [{"event_id": e, "channel": channel, "delivered_at": at} for e in ids if e not in have]
    if rows:
        with transaction(bind) as conn:
            conn.execute(_delivery.insert(), rows)
    return len(rows)
