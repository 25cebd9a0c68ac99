"""Draining both outboxes — the office messages (回执, 催报) and the alert transitions — each
channel only once its backoff is over: the body of the ``deliver-pending`` deployment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from jzplan.alert.backoff import DEFAULT_BACKOFF, Backoff
from jzplan.alert.channels import Resolver
from jzplan.alert.delivery import DeliveryRun, Emitter, deliver_pending
from jzplan.alert.office_delivery import OfficeResult, deliver_office_messages, office_owed
from jzplan.alert.reminders import withdraw_reported
from jzplan.store.channel_states import delivery_lease
from jzplan.store.db import Bind


@dataclass(frozen=True, slots=True)
class DrainRun:
    office: list[OfficeResult]
    alerts: DeliveryRun
    withdrawn: int = 0  # pending reminders of units that have reported since: not sent

    @property
    def office_pending(self) -> int:
        return sum(r.status is None for r in self.office)


def drain_outboxes(
    bind: Bind,
    emitter: Emitter,
    channels_file: Path,
    resolve: Resolver,
    *,
    area: str,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    backoff: Backoff = DEFAULT_BACKOFF,
    timezone: str = "Asia/Shanghai",
    client: httpx.Client | None = None,
) -> DrainRun:
    """The office outbox first (so a failing office channel is in the operators' alert of
    this same run; reminders of units that have reported since withdrawn), then the alert
    outbox and the operators' alerts; nothing while another delivery holds the lease
    (``busy``)."""
    at = now()
    with delivery_lease(bind, at) as held:
        if not held:
            return DrainRun([], DeliveryRun({}, 0, 0, [], busy=True), 0)
        withdrawn = withdraw_reported(bind, at)  # reminders held back by an outage
        office = deliver_office_messages(
            bind, channels_file, resolve, area=area, now=at, client=client, backoff=backoff,
            lease=False,
        )  # fmt: skip
        alerts = deliver_pending(
            bind, emitter, channels_file, resolve, now=lambda: at, backoff=backoff,
            timezone=timezone, also_owed=office_owed(bind, channels_file, area), client=client,
            lease=False,
        )  # fmt: skip
    return DrainRun(office, alerts, withdrawn)
