"""Which channel has which office message (migration 0013): one row per (message, channel)
once that channel took it, so an office with two channels, one failing, is sent the message
again on the failing one alone. Like ``alert_delivery`` for alert transitions. The model
lives here, imported by ``jzplan.store.models``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Table, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from jzplan.store.db import Bind, connect, transaction
from jzplan.store.models import Base


class OfficeDeliveryRow(Base):
    """One office message (``office_message``) taken by one channel of its office."""

    __tablename__ = "office_delivery"
    __table_args__ = (UniqueConstraint("message_id", "channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("office_message.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(64))
    delivered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


_delivery: Table = OfficeDeliveryRow.__table__  # type: ignore[assignment]


def office_delivered_to(bind: Bind, message_ids: Iterable[int]) -> dict[int, set[str]]:
    """The channels that already took each of ``message_ids`` (those with none left out)."""
    ids = list(message_ids)
    if not ids:
        return {}
    query = select(_delivery.c.message_id, _delivery.c.channel).where(
        _delivery.c.message_id.in_(ids)
    )
    out: dict[int, set[str]] = {}
    with connect(bind) as conn:
        for m, c in conn.execute(query):
            out.setdefault(int(m), set()).add(str(c))
    return out


def record_office_deliveries(
    bind: Bind, message_id: int, channels: Iterable[str], at: datetime
) -> int:
    """Record that ``channels`` took message ``message_id`` (those that had it are left)."""
    have = office_delivered_to(bind, [message_id]).get(message_id, set())
    rows = [
        {"message_id": message_id, "channel": c, "delivered_at": at}
        for c in sorted(set(channels) - have)
    ]
    if rows:
        with transaction(bind) as conn:
            conn.execute(_delivery.insert(), rows)
    return len(rows)
