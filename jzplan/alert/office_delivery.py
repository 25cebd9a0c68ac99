"""Delivering the office outbox (receipts 回执, reminders 催报) through each office's own
channels (``offices:`` in ``data/alerting/channels.yaml``), with the same senders as alerts
(``jzplan.alert.channels.send``). A message stays pending until sent, so a retry or the next
run sends what did not go out; one whose office has no channel is skipped and reported."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from jzplan.alert.channels import (
    SEND_ERRORS,
    Channel,
    Resolver,
    load_channels,
    load_office_channels,
    send,
)
from jzplan.core.states import MessageKind, MessageStatus
from jzplan.store.db import Bind
from jzplan.store.office_messages import OfficeMessage, mark_messages, read_messages

NO_CHANNEL = "no channel configured for this office"


@dataclass(frozen=True, slots=True)
class OfficeResult:
    """What became of one message: sent, skipped (no channel resolves), or failed (pending)."""

    dedup_key: str
    org_unit: str
    status: MessageStatus | None  # None: failed, still pending
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status is None


def office_channels(channels_file: Path, area: str) -> Mapping[str, Sequence[Channel]]:
    """Each office's channels; the area office falls back to the alert channels."""
    offices = dict(load_office_channels(channels_file))
    if area not in offices:
        offices[area] = load_channels(channels_file)
    return offices


def send_message(
    message: OfficeMessage,
    channels: Sequence[Channel],
    resolve: Resolver,
    http: httpx.Client,
    clock_ms: Callable[[], int],
) -> OfficeResult:
    """One message through every enabled channel of its office."""
    sent, failed, skipped = [], [], []
    for ch in channels:
        if not ch.enabled:
            skipped.append(f"{ch.name}: disabled")
            continue
        try:
            why = send(ch, message.title, message.body, resolve, http, clock_ms=clock_ms)
        except SEND_ERRORS as exc:
            failed.append(f"{ch.name}: {exc}")
            continue
        if why:
            skipped.append(f"{ch.name}: {why}")
        else:
            sent.append(ch.name)
    key, unit = message.dedup_key, message.org_unit
    if failed:
        return OfficeResult(key, unit, None, "；".join(failed))
    if sent:
        return OfficeResult(key, unit, MessageStatus.SENT, "、".join(sent))
    return OfficeResult(key, unit, MessageStatus.SKIPPED, "；".join(skipped) or NO_CHANNEL)


def deliver_office_messages(
    bind: Bind,
    channels_file: Path,
    resolve: Resolver,
    *,
    area: str,
    now: datetime,
    kind: MessageKind | None = None,
    client: httpx.Client | None = None,
    clock_ms: Callable[[], int] = lambda: int(time.time() * 1000),
) -> list[OfficeResult]:
    """Send every pending message (of ``kind``) of the outbox to its office and record each
    attempt. The monthly run sends receipts, the reminder run reminders: a reminder whose
    channel failed is retried by a rerun of the reminder, never after the month's run."""
    pending = read_messages(bind, kind=kind, status=MessageStatus.PENDING)
    if not pending:
        return []
    offices = office_channels(channels_file, area)
    http = client or httpx.Client()
    results = []
    try:
        for m in pending:
            r = send_message(m, offices.get(m.org_unit, ()), resolve, http, clock_ms)
            mark_messages(bind, [m.id], r.status or MessageStatus.PENDING, now, r.detail)
            results.append(r)
    finally:
        if client is None:
            http.close()
    return results
