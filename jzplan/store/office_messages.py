"""The outbox of messages to offices (receipts 回执, reminders 催报): one row per message key,
so a rerun records nothing new and a message whose channel failed is retried by the next
delivery (migration 0011). The model lives here, imported by ``jzplan.store.models``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Table, Text, insert, select, update
from sqlalchemy.orm import Mapped, mapped_column

from jzplan.core.states import MessageKind, MessageStatus
from jzplan.store.db import Bind, connect, transaction
from jzplan.store.models import Base, text_lengths


class OfficeMessageRow(Base):
    """A message to one office, kept until delivered: ``dedup_key`` is ``receipt:<sha256>``
    (a file's receipt) or ``reminder:<unit>:<period>``."""

    __tablename__ = "office_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dedup_key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # MessageKind
    period: Mapped[str] = mapped_column(String(7), index=True)
    org_unit_code: Mapped[str] = mapped_column(String(16))  # the office it is addressed to
    file_name: Mapped[str | None] = mapped_column(String(255))  # a receipt's file
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)  # Markdown
    status: Mapped[str] = mapped_column(String(16))  # MessageStatus
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[str | None] = mapped_column(Text)  # the last failure, or why skipped
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


_message: Table = OfficeMessageRow.__table__  # type: ignore[assignment]
_LENGTHS = text_lengths(OfficeMessageRow)


@dataclass(frozen=True, slots=True)
class OfficeMessage:
    """A message to record (``id`` 0) or as the outbox holds it."""

    dedup_key: str
    kind: MessageKind
    period: str
    org_unit: str
    title: str
    body: str
    file_name: str | None = None
    id: int = 0
    status: MessageStatus = MessageStatus.PENDING
    attempts: int = 0
    detail: str | None = None


def record_messages(bind: Bind, messages: Sequence[OfficeMessage], now: datetime) -> int:
    """Add the messages whose key the outbox does not hold yet; returns how many were added.
    A rerun adds nothing, so nothing is sent twice."""
    if not messages:
        return 0
    with transaction(bind) as conn:
        keys = [m.dedup_key for m in messages]
        held = set(conn.scalars(select(_message.c.dedup_key).where(_message.c.dedup_key.in_(keys))))
        new = {m.dedup_key: m for m in messages if m.dedup_key not in held}  # one per key
        rows = [
            {
                "dedup_key": m.dedup_key,
                "kind": str(m.kind),
                "period": m.period,
                "org_unit_code": m.org_unit,
                "file_name": _fitted(m.file_name, "file_name"),
                "title": _fitted(m.title, "title"),
                "body": m.body,
                "status": str(MessageStatus.PENDING),
                "attempts": 0,
                "created_at": now,
            }
            for m in new.values()
        ]
        if rows:
            conn.execute(insert(_message), rows)
        return len(rows)


def _fitted(value: str | None, column: str) -> str | None:
    """A name or title as its column holds it: a file name may be longer than any column (its
    file is rejected for it); the receipt's body keeps it whole."""
    limit = _LENGTHS[column]
    return value if value is None or len(value) <= limit else value[: limit - 1] + "…"


def _message_of(r: dict[str, object]) -> OfficeMessage:
    return OfficeMessage(
        dedup_key=str(r["dedup_key"]),
        kind=MessageKind(str(r["kind"])),
        period=str(r["period"]),
        org_unit=str(r["org_unit_code"]),
        title=str(r["title"]),
        body=str(r["body"]),
        file_name=None if r["file_name"] is None else str(r["file_name"]),
        id=int(str(r["id"])),
        status=MessageStatus(str(r["status"])),
        attempts=int(str(r["attempts"] or 0)),
        detail=None if r["detail"] is None else str(r["detail"]),
    )


def read_messages(
    bind: Bind,
    *,
    kind: MessageKind | None = None,
    status: MessageStatus | None = None,
    period: str | None = None,
) -> list[OfficeMessage]:
    """The outbox's messages in order of recording, optionally of one kind, status, period."""
    query = select(_message).order_by(_message.c.id)
    if kind is not None:
        query = query.where(_message.c.kind == str(kind))
    if status is not None:
        query = query.where(_message.c.status == str(status))
    if period is not None:
        query = query.where(_message.c.period == period)
    with connect(bind) as conn:
        return [_message_of(dict(r)) for r in conn.execute(query).mappings()]


def mark_messages(
    bind: Bind,
    ids: Iterable[int],
    status: MessageStatus,
    now: datetime,
    detail: str | None = None,
) -> int:
    """Record one delivery attempt of each message: sent (with the time), skipped (with why),
    or still pending after a failure (with the error)."""
    ids = list(ids)
    if not ids:
        return 0
    values: dict[str, object] = {
        "status": str(status),
        "attempts": _message.c.attempts + 1,
        "detail": detail,
    }
    if status == MessageStatus.SENT:
        values["sent_at"] = now
    with transaction(bind) as conn:
        result = conn.execute(update(_message).where(_message.c.id.in_(ids)).values(values))
        return int(result.rowcount or 0)
