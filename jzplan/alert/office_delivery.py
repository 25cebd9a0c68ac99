"""Delivering the office outbox (receipts 回执, reminders 催报) through each office's own
channels (``offices:`` in ``data/alerting/channels.yaml``), with the same senders as alerts
(``jzplan.alert.channels.send``). A message stays pending until sent, so a retry or the next
run sends what did not go out; one whose office has no channel is skipped and reported. A
channel that fails waits out its backoff (``jzplan.alert.backoff``, ``channel_state``): the
messages of its office stay pending until then, and the ``deliver-pending`` deployment sends
them once it is due. Each channel that took a message is recorded (``office_delivery``): a
retry sends it to the channels that lack it, never again to one that has it."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from jzplan.alert.backoff import DEFAULT_BACKOFF, Backoff, ChannelBook
from jzplan.alert.channels import (
    SEND_ERRORS,
    Channel,
    Resolver,
    load_channels,
    load_office_channels,
    send,
)
from jzplan.alert.http import http_client
from jzplan.core.states import MessageKind, MessageStatus
from jzplan.store.channel_states import (
    delivery_lease,
)
from jzplan.store.db import Bind
from jzplan.store.office_deliveries import office_delivered_to, record_office_deliveries
from jzplan.store.office_messages import OfficeMessage, mark_messages, read_messages

NO_CHANNEL = "no channel configured for this office"
DEFERRED = "渠道退避中，稍后重试"


@dataclass(frozen=True, slots=True)
class OfficeResult:
    """What became of one message: sent, skipped (no channel resolves), or failed (pending)."""

    dedup_key: str
    org_unit: str
    status: MessageStatus | None  # None: failed (or deferred), still pending
    detail: str = ""
    sent_by: tuple[str, ...] = ()  # the channels that took it
    failed_by: tuple[tuple[str, str], ...] = ()  # (channel, error) of those that failed
    deferred: bool = False  # not tried: a channel of its office is in backoff

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
    have: Collection[str] = (),
) -> OfficeResult:
    """One message through every enabled channel of its office but those that ``have`` it."""
    sent: list[str] = []
    failed: list[tuple[str, str]] = []
    skipped: list[str] = []
    already = [ch.name for ch in channels if ch.name in have]
    for ch in channels:
        if ch.name in have:
            continue
        if not ch.enabled:
            skipped.append(f"{ch.name}: disabled")
            continue
        try:
            why = send(ch, message.title, message.body, resolve, http, clock_ms=clock_ms)
        except SEND_ERRORS as exc:
            failed.append((ch.name, str(exc)))
            continue
        if why:
            skipped.append(f"{ch.name}: {why}")
        else:
            sent.append(ch.name)
    key, unit = message.dedup_key, message.org_unit
    by, errors = tuple(sent), tuple(failed)
    if failed:
        detail = "；".join(f"{name}: {error}" for name, error in failed)
        return OfficeResult(key, unit, None, detail, by, errors)
    if sent or already:
        return OfficeResult(key, unit, MessageStatus.SENT, "、".join(already + sent), by, errors)
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
    backoff: Backoff = DEFAULT_BACKOFF,
    lease: bool = True,
) -> list[OfficeResult]:
    """Send every pending message (of ``kind``) of the outbox to its office and record each
    attempt. The monthly run sends receipts, the reminder run reminders, ``deliver-pending``
    every 15 minutes what is left. A message whose office has a channel in backoff is not
    tried (``deferred``); a channel that fails goes into backoff for the rest of the run.
    One delivery at a time (``lease``; False: the caller holds it): while another one is
    under way, nothing is sent here and the next drain sends it."""
    if lease:
        with delivery_lease(bind, now) as held:
            if not held:
                return []
            return _deliver(bind, channels_file, resolve, area, now, kind, client, clock_ms,
                            backoff)  # fmt: skip
    return _deliver(bind, channels_file, resolve, area, now, kind, client, clock_ms, backoff)


def _deliver(
    bind: Bind,
    channels_file: Path,
    resolve: Resolver,
    area: str,
    now: datetime,
    kind: MessageKind | None,
    client: httpx.Client | None,
    clock_ms: Callable[[], int],
    backoff: Backoff,
) -> list[OfficeResult]:
    pending = read_messages(bind, kind=kind, status=MessageStatus.PENDING)
    if not pending:
        return []
    offices = office_channels(channels_file, area)
    book = ChannelBook(bind, now, backoff)
    taken = office_delivered_to(bind, [m.id for m in pending])
    http = client or http_client()
    results = []
    try:
        for m in pending:
            channels = offices.get(m.org_unit, ())
            have = taken.get(m.id, set())
            waiting = [
                ch.name
                for ch in channels
                if ch.enabled and ch.name not in have and not book.state(ch.name).due(now)
            ]
            if waiting:
                detail = f"{'、'.join(waiting)}：{DEFERRED}"
                results.append(OfficeResult(m.dedup_key, m.org_unit, None, detail, deferred=True))
                continue
            r = send_message(m, channels, resolve, http, clock_ms, have)
            record_office_deliveries(bind, m.id, r.sent_by, now)
            for name in r.sent_by:
                book.succeeded(name)
            for name, error in r.failed_by:
                book.failed(name, error)
            mark_messages(bind, [m.id], r.status or MessageStatus.PENDING, now, r.detail)
            results.append(r)
    finally:
        if client is None:
            http.close()
    return results


def office_owed(bind: Bind, channels_file: Path, area: str) -> dict[str, int]:
    """How many pending office messages each channel still has to carry."""
    offices = office_channels(channels_file, area)
    by_unit = Counter(m.org_unit for m in read_messages(bind, status=MessageStatus.PENDING))
    owed: Counter[str] = Counter()
    for unit, n in by_unit.items():
        for ch in offices.get(unit, ()):
            if ch.enabled:
                owed[ch.name] += n
    return dict(owed)
