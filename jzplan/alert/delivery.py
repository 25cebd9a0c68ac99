"""Delivering alert transitions: Prefect events (through an injected emitter) and one digest
per channel (``jzplan.alert.channels``), each channel only what it does not have yet, a
failing channel retried on its own with backoff (``jzplan.alert.backoff``) and reported to
the operators (``jzplan.alert.operators``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx

from jzplan.alert.backoff import DEFAULT_BACKOFF, Backoff, ChannelBook
from jzplan.alert.channels import (
    DISABLED,
    SEND_ERRORS,
    Channel,
    Resolver,
    load_channels,
    load_office_channels,
    load_operator_channels,
    message_key,
    send,
)
from jzplan.alert.facts import MessageFacts, message_facts
from jzplan.alert.http import http_client
from jzplan.alert.messages import SEVERITY_RANK, digest, event_spec, severity_rank
from jzplan.alert.operators import KIND, operator_route, sync_failure_alerts
from jzplan.core.states import ChannelStatus
from jzplan.store import tracking
from jzplan.store.alert_deliveries import delivered_to, record_deliveries
from jzplan.store.channel_states import (
    ChannelState,
    delivery_lease,
)
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


# why a channel was skipped before anything was sent (besides DISABLED and a missing URL or
# mail server)
NOTHING = "没有要发送的告警"


@dataclass(frozen=True, slots=True)
class ChannelResult:
    channel: str
    status: ChannelStatus
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
    http = client or http_client()
    try:
        for ch in channels:
            if not ch.enabled:
                results.append(ChannelResult(ch.name, ChannelStatus.SKIPPED, detail=DISABLED))
                continue
            wanted = [
                e for e in events if severity_rank(e.severity) >= SEVERITY_RANK[ch.min_severity]
            ]
            if not wanted:
                results.append(ChannelResult(ch.name, ChannelStatus.SKIPPED, detail=NOTHING))
                continue
            title, body = digest(wanted, facts=facts)
            key = message_key(ch.name, (e.id for e in wanted))
            try:
                skipped = send(
                    ch, title, body, resolve, http, events=wanted, key=key, clock_ms=clock_ms
                )
            except SEND_ERRORS as exc:
                results.append(ChannelResult(ch.name, ChannelStatus.FAILED, len(wanted), str(exc)))
                continue
            if skipped:
                results.append(ChannelResult(ch.name, ChannelStatus.SKIPPED, detail=skipped))
            else:
                results.append(ChannelResult(ch.name, ChannelStatus.SENT, len(wanted)))
    finally:
        if own_client:
            http.close()
    return results


@dataclass(frozen=True, slots=True)
class DeliveryRun:
    """What one delivery did: transitions recorded in the outbox, emitted as events,
    notified to every channel that wants them (those a failed or waiting channel still owes
    stay pending), each area channel's result and each operators' channel's, the
    transitions each channel still owes, and the operators' alerts opened or resolved."""

    recorded: dict[str, int]
    emitted: int
    notified: int
    results: list[ChannelResult]
    operators: list[ChannelResult] = field(default_factory=list)
    pending: dict[str, int] = field(default_factory=dict)
    failure_alerts: dict[str, int] = field(default_factory=dict)
    busy: bool = False  # another delivery held the lease: nothing done, the drain catches up

    @property
    def failed(self) -> list[ChannelResult]:
        return [r for r in (*self.results, *self.operators) if r.status == ChannelStatus.FAILED]


class _Outbox:
    """One delivery's view of the channels: what each has, its backoff, what it still owes."""

    def __init__(
        self, bind: Bind, resolve: Resolver, http: httpx.Client, at: datetime, backoff: Backoff
    ) -> None:
        self.bind, self.resolve, self.http, self.at = bind, resolve, http, at
        self.book = ChannelBook(bind, at, backoff)
        self.owed: dict[str, set[int]] = {}  # channel → transitions it still has to get
        self.facts: MessageFacts | None = None  # the targets' figures, read once per delivery

    @property
    def states(self) -> dict[str, ChannelState]:
        return self.book.states

    def deliver(self, ch: Channel, events: Sequence[AlertEvent]) -> ChannelResult:
        """Send ``ch`` the transitions of ``events`` it wants and does not have yet, unless
        it is in backoff; record what it took, or its failure and next attempt."""
        have = delivered_to(self.bind, [e.id for e in events])
        rank = SEVERITY_RANK[ch.min_severity]
        mine = (e for e in events if (e.id, ch.name) not in have)
        wanted = [e for e in mine if severity_rank(e.severity) >= rank]
        state = self.book.state(ch.name)
        if wanted and ch.enabled and not state.due(self.at):
            self.owed.setdefault(ch.name, set()).update(e.id for e in wanted)
            when = state.next_attempt_at.isoformat() if state.next_attempt_at else ""
            return ChannelResult(
                ch.name, ChannelStatus.DEFERRED, len(wanted), f"退避中，{when} 后重试"
            )
        [result] = notify(wanted, [ch], self.resolve, client=self.http, facts=self.facts)
        if result.status == ChannelStatus.SENT:
            record_deliveries(self.bind, ch.name, [e.id for e in wanted], self.at)
            self.book.succeeded(ch.name)
        elif result.status == ChannelStatus.FAILED:
            self.owed.setdefault(ch.name, set()).update(e.id for e in wanted)
            self.book.failed(ch.name, result.detail)
        return result

    def owed_ids(self) -> set[int]:
        return set().union(*self.owed.values()) if self.owed else set()


def _emit(bind: Bind, emitter: Emitter) -> int:
    to_emit = tracking.pending_alert_events(bind, "emitted")
    return tracking.mark_alert_events(bind, emit_events(to_emit, emitter), "emitted")


def deliver_pending(
    bind: Bind,
    emitter: Emitter,
    channels_file: Path,
    resolve: Resolver,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    backoff: Backoff = DEFAULT_BACKOFF,
    timezone: str = "Asia/Shanghai",
    also_owed: Mapping[str, int] | None = None,
    client: httpx.Client | None = None,
    lease: bool = True,
) -> DeliveryRun:
    """Record the alerts' new transitions in the outbox, emit the pending ones as events and
    send the pending notifications, each channel only what it does not have yet
    (``alert_delivery``) and only once its backoff is over (``channel_state``). A transition
    stays pending while a channel that wants it has failed or waits; a later delivery sends it
    to that channel alone, never again to the others.

    Then the operators' alerts (推送失败): opened for every channel now failing, resolved for
    those that delivered, and sent through the operators' channels, never the failing one.
    ``also_owed``: what other outboxes (the offices') still owe by channel, for their text.
    One delivery at a time (``lease``; False: the caller holds it): while another one is
    under way this one does nothing (``busy``) and the next drain sends what is left."""
    at = now()
    if not lease:
        return _deliver(bind, emitter, channels_file, resolve, at, backoff, timezone,
                        also_owed, client)  # fmt: skip
    with delivery_lease(bind, at) as held:
        if not held:
            return DeliveryRun({}, 0, 0, [], busy=True)
        return _deliver(bind, emitter, channels_file, resolve, at, backoff, timezone,
                        also_owed, client)  # fmt: skip


def _deliver(
    bind: Bind,
    emitter: Emitter,
    channels_file: Path,
    resolve: Resolver,
    at: datetime,
    backoff: Backoff,
    timezone: str,
    also_owed: Mapping[str, int] | None,
    client: httpx.Client | None,
) -> DeliveryRun:
    recorded = tracking.record_alert_events(bind)
    emitted = _emit(bind, emitter)
    area = load_channels(channels_file)
    operators = load_operator_channels(channels_file)
    offices = load_office_channels(channels_file).values()
    configured = {c.name for c in (*area, *operators, *(c for cs in offices for c in cs))}
    with nullcontext(client) if client is not None else http_client() as http:
        box = _Outbox(bind, resolve, http, at, backoff)
        targets = [e for e in tracking.pending_alert_events(bind, "notified") if e.kind != KIND]
        box.facts = message_facts(bind, targets) if targets else None
        results = [box.deliver(ch, targets) for ch in area] if targets else []
        pending = dict(also_owed or {})
        for name, ids in box.owed.items():
            pending[name] = pending.get(name, 0) + len(ids)
        alerts = sync_failure_alerts(
            bind, box.states, pending, at, configured=configured, timezone=timezone
        )
        for action, n in tracking.record_alert_events(bind).items():
            recorded[action] = recorded.get(action, 0) + n
        emitted += _emit(bind, emitter)
        failures = [e for e in tracking.pending_alert_events(bind, "notified") if e.kind == KIND]
        routes: dict[str, tuple[Channel, list[AlertEvent]]] = {}
        for e in failures:
            for ch in operator_route(e, operators, area):
                routes.setdefault(ch.name, (ch, []))[1].append(e)
        to_operators = [box.deliver(ch, events) for ch, events in routes.values()]
    owed = box.owed_ids()
    done = [e.id for e in (*targets, *failures) if e.id not in owed]
    notified = tracking.mark_alert_events(bind, done, "notified")
    still = {name: len(ids) for name, ids in box.owed.items()}
    return DeliveryRun(recorded, emitted, notified, results, to_operators, still, alerts)
