"""Delivering alert transitions: Prefect events (through an injected emitter) and one digest
per channel (``jzplan.alert.channels``), each channel only what it does not have yet."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx

from jzplan.alert.channels import (
    SEND_ERRORS,
    Channel,
    Resolver,
    load_channels,
    message_key,
    send,
)
from jzplan.alert.facts import MessageFacts, message_facts
from jzplan.alert.messages import SEVERITY_RANK, digest, event_spec, severity_rank
from jzplan.store import tracking
from jzplan.store.alert_deliveries import delivered_to, record_deliveries
from jzplan.store.db import Bind
from jzplan.store.tracking import AlertEvent


class Emitter(Protocol):
    def __call__(
        self, *, event: str, resource: dict[str, str], payload: dict[str, Any]
    ) -> object: ...


def emit_events(events: Sequence[AlertEvent], emitter: Emitter) -> list[int]:
    """Emit one Prefect event per transition; returns the ids emitted."""
    done: list[int] = []
    for e in events:
        name, resource, payload = event_spec(e)
        emitter(event=name, resource=resource, payload=payload)
        done.append(e.id)
    return done


@dataclass(frozen=True, slots=True)
class ChannelResult:
    channel: str
    status: str  # sent | skipped | failed
    alerts: int = 0
    detail: str = ""


def notify(
    events: Sequence[AlertEvent],
    channels: Iterable[Channel],
    resolve: Resolver,
    *,
    client: httpx.Client | None = None,
    clock_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    facts: MessageFacts | None = None,
) -> list[ChannelResult]:
    """One digest per enabled channel with the transitions at or above its severity, with
    the targets' figures and the report's link from ``facts`` (``message_facts``), and an
    idempotency key per channel and set of transitions.

    A channel whose URL or host is not configured is skipped (and says so); one that fails
    does not stop the others — the caller decides what a failure means (retry).
    """
    results: list[ChannelResult] = []
    own_client = client is None
    http = client or httpx.Client()
    try:
        for ch in channels:
            if not ch.enabled:
                results.append(ChannelResult(ch.name, "skipped", detail="disabled"))
                continue
            wanted = [
                e for e in events if severity_rank(e.severity) >= SEVERITY_RANK[ch.min_severity]
            ]
            if not wanted:
                results.append(ChannelResult(ch.name, "skipped", detail="nothing to send"))
                continue
            title, body = digest(wanted, facts=facts)
            key = message_key(ch.name, (e.id for e in wanted))
            try:
                skipped = send(
                    ch, title, body, resolve, http, events=wanted, key=key, clock_ms=clock_ms
                )
            except SEND_ERRORS as exc:
                results.append(ChannelResult(ch.name, "failed", len(wanted), str(exc)))
                continue
            if skipped:
                results.append(ChannelResult(ch.name, "skipped", detail=skipped))
            else:
                results.append(ChannelResult(ch.name, "sent", len(wanted)))
    finally:
        if own_client:
            http.close()
    return results


@dataclass(frozen=True, slots=True)
class DeliveryRun:
    """What one delivery did: transitions recorded in the outbox, emitted as events,
    notified to every channel that wants them (those a failed channel still owes stay
    pending), and each channel's result."""

    recorded: dict[str, int]
    emitted: int
    notified: int
    results: list[ChannelResult]

    @property
    def failed(self) -> list[ChannelResult]:
        return [r for r in self.results if r.status == "failed"]


def deliver_pending(
    bind: Bind,
    emitter: Emitter,
    channels_file: Path,
    resolve: Resolver,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> DeliveryRun:
    """Record the alerts' new transitions in the outbox, emit the pending ones as events and
    send the pending notifications, each channel only what it does not have yet
    (``alert_delivery``). A transition stays pending while a channel that wants it has failed;
    the retry (or the next run) sends it to that channel alone, never again to the others."""
    recorded = tracking.record_alert_events(bind)
    to_emit = tracking.pending_alert_events(bind, "emitted")
    emitted = tracking.mark_alert_events(bind, emit_events(to_emit, emitter), "emitted")
    to_notify = tracking.pending_alert_events(bind, "notified")
    if not to_notify:
        return DeliveryRun(recorded, emitted, 0, [])
    have = delivered_to(bind, [e.id for e in to_notify])
    facts = message_facts(bind, to_notify)  # the targets' figures, read once per delivery
    results: list[ChannelResult] = []
    owed: set[int] = set()  # transitions a failed channel still has to get
    with httpx.Client() as http:
        for ch in load_channels(channels_file):
            rank = SEVERITY_RANK[ch.min_severity]
            mine = (e for e in to_notify if (e.id, ch.name) not in have)
            wanted = [e for e in mine if severity_rank(e.severity) >= rank]
            [result] = notify(wanted, [ch], resolve, client=http, facts=facts)
            results.append(result)
            if result.status == "sent":
                record_deliveries(bind, ch.name, [e.id for e in wanted], now())
            elif result.status == "failed":
                owed.update(e.id for e in wanted)
    done = [e.id for e in to_notify if e.id not in owed]
    notified = tracking.mark_alert_events(bind, done, "notified")
    return DeliveryRun(recorded, emitted, notified, results)
