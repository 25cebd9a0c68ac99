"""An alert's life across months: opened, kept (updated or unchanged), resolved, reopened.

The rules are pure functions of the stored alerts and the month's active alerts;
``sync_alerts`` reads the stored ones, applies the rules and writes the changes in one
transaction. Months are compared as periods, so rerunning an earlier month never moves an
alert backwards.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from jzplan.core.periods import Period
from jzplan.store.alerts import StoredAlert, read_alert_state, write_alert_changes
from jzplan.store.db import Bind, transaction
from jzplan.store.rows import optional_str


class AlertDecision(StrEnum):
    """What a month does to one alert."""

    OPENED = "opened"
    REOPENED = "reopened"
    UPDATED = "updated"
    RESOLVED = "resolved"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class ActiveAlert:
    """An alert a month raises: its cause (``dedup_key``) and what it says."""

    dedup_key: str
    kind: str
    severity: str
    org_unit: str | None
    target_id: str | None
    message: str


@dataclass(frozen=True, slots=True)
class AlertChanges:
    """The rows to write: new alerts, alerts rewritten (updated or reopened), keys resolved."""

    opened: tuple[StoredAlert, ...]
    changed: tuple[StoredAlert, ...]
    resolved: tuple[str, ...]
    counts: dict[str, int]


def active_alerts(records: Sequence[Mapping[str, Any]]) -> dict[str, ActiveAlert]:
    """The month's alert records (``dedup_key``, kind, severity, org_unit, target_id,
    message) by dedup key; a key active twice is a ValueError."""
    out: dict[str, ActiveAlert] = {}
    for a in records:
        key = str(a["dedup_key"])
        if key in out:
            raise ValueError(f"alert {key!r} is active twice")
        out[key] = ActiveAlert(
            dedup_key=key,
            kind=str(a["kind"]),
            severity=str(a["severity"]),
            org_unit=optional_str(a.get("org_unit")),
            target_id=optional_str(a.get("target_id")),
            message=str(a["message"]),
        )
    return out


def decide_active(
    old: StoredAlert | None, new: ActiveAlert, period: Period
) -> tuple[AlertDecision, StoredAlert | None]:
    """What ``period`` does to an alert it raises, and the row to write (None: nothing).

    A new cause opens; an open alert takes the new text and moves last_seen forward; a
    resolved one reopens (first_seen kept). A rerun of a month before the alert was last
    seen (or before it was resolved) keeps the newer state; only a target alert's first_seen
    moves back to ``period`` when that is earlier (a month run after a later one)."""
    if old is None:
        row = StoredAlert(**_fields(new), first_seen=period, last_seen=period)
        return AlertDecision.OPENED, row
    if old.target_id is not None and old.first_seen > period:
        # a month before the target's alert was first seen, run late: the alert started here
        return AlertDecision.UPDATED, replace(old, first_seen=period)
    if old.resolved is None and old.last_seen > period:
        return AlertDecision.UNCHANGED, None
    row = StoredAlert(
        **_fields(new), first_seen=old.first_seen, last_seen=max(old.last_seen, period)
    )
    if old.resolved is not None:
        if old.resolved > period:
            # a target's alert resolved by a later month run first: seen until this month
            if old.target_id is None or old.last_seen >= period:
                return AlertDecision.UNCHANGED, None
            return AlertDecision.UPDATED, replace(row, resolved=old.resolved)
        return AlertDecision.REOPENED, row
    if row == old:
        return AlertDecision.UNCHANGED, None
    return AlertDecision.UPDATED, row


def resolves(
    old: StoredAlert,
    period: Period,
    *,
    scope_kinds: Collection[str],
    in_scope: Callable[[str], bool] | None = None,
) -> bool:
    """Whether an alert that ``period`` no longer raises is resolved at ``period``: it is
    open, of ``scope_kinds`` (and accepted by ``in_scope``) and not seen after ``period``."""
    return (
        old.resolved is None
        and old.kind in scope_kinds
        and old.last_seen <= period
        and (in_scope is None or in_scope(old.dedup_key))
    )


def _replaced_later(row: StoredAlert, stored: Mapping[str, StoredAlert], period: Period) -> bool:
    """Whether another alert of ``row``'s target is open and was seen after ``period``: a
    later month, run first, already replaced this status. The row then opens resolved at the
    next month (at most one open alert per target); recomputing that month reopens it if
    the month still raises it."""
    return row.target_id is not None and any(
        other.dedup_key != row.dedup_key
        and other.target_id == row.target_id
        and other.resolved is None
        and other.last_seen > period
        for other in stored.values()
    )


def _in_scope(
    old: StoredAlert, scope_kinds: Collection[str], in_scope: Callable[[str], bool] | None
) -> bool:
    return old.kind in scope_kinds and (in_scope is None or in_scope(old.dedup_key))


def _starts_later(old: StoredAlert, period: Period) -> bool:
    """Whether an open alert thought to start at ``period`` (first seen there, seen again
    later) does not: ``period``, recomputed, no longer raises it. It then starts at the next
    month; the later months, recomputed next, move it on until one raises it."""
    return old.resolved is None and old.first_seen == period and old.last_seen > period


def _ended_earlier(old: StoredAlert, period: Period) -> bool:
    """Whether an alert resolved after ``period``, last seen by then, ends at ``period``:
    ``period`` (recomputed after a later month resolved it) no longer raises it."""
    return old.resolved is not None and old.resolved > period and old.last_seen <= period


def plan_alert_changes(
    stored: Mapping[str, StoredAlert],
    active: Mapping[str, ActiveAlert],
    period: Period,
    *,
    scope_kinds: Collection[str],
    in_scope: Callable[[str], bool] | None = None,
) -> AlertChanges:
    """Every decision of ``period`` over the stored alerts, as rows to write and counts:
    opened (including reopened), reopened, updated, resolved and unchanged."""
    counts = dict.fromkeys(("opened", "reopened", "updated", "resolved", "unchanged"), 0)
    opened: list[StoredAlert] = []
    changed: list[StoredAlert] = []
    for key, new in active.items():
        decision, row = decide_active(stored.get(key), new, period)
        if row is not None and row.resolved is None and _replaced_later(row, stored, period):
            row = replace(row, resolved=period.next())
        counts[decision] += 1
        if decision is AlertDecision.REOPENED:
            counts[AlertDecision.OPENED] += 1
        if row is not None:
            (opened if decision is AlertDecision.OPENED else changed).append(row)
    resolved = tuple(
        key
        for key, old in stored.items()
        if key not in active and resolves(old, period, scope_kinds=scope_kinds, in_scope=in_scope)
    )
    for key, old in stored.items():
        # target alerts only: the others are synced at the batch (as_of), not their month
        if key in active or old.target_id is None or not _in_scope(old, scope_kinds, in_scope):
            continue
        if _starts_later(old, period):
            changed.append(replace(old, first_seen=period.next()))
            counts[AlertDecision.UPDATED] += 1
        elif _ended_earlier(old, period):
            changed.append(replace(old, resolved=period))
            counts[AlertDecision.UPDATED] += 1
    counts[AlertDecision.RESOLVED] = len(resolved)
    return AlertChanges(tuple(opened), tuple(changed), resolved, counts)


def sync_alerts(
    bind: Bind,
    period: Period,
    active: Sequence[Mapping[str, Any]],
    *,
    scope_kinds: set[str],
    in_scope: Callable[[str], bool] | None = None,
) -> dict[str, int]:
    """Bring alert state in line with the alerts active in ``period`` (``plan_alert_changes``),
    in one transaction. Open alerts of ``scope_kinds`` (and, with ``in_scope``, of dedup keys
    it accepts) that ``period`` no longer raises are resolved at ``period``.

    Returns opened (including reopened), reopened, updated, resolved and unchanged counts.
    """
    wanted = active_alerts(active)
    with transaction(bind) as conn:
        stored = read_alert_state(
            conn, keys=list(wanted), open_kinds=scope_kinds, resolved_after=period
        )
        changes = plan_alert_changes(
            stored, wanted, period, scope_kinds=scope_kinds, in_scope=in_scope
        )
        write_alert_changes(
            conn,
            opened=changes.opened,
            changed=changes.changed,
            resolved=changes.resolved,
            period=period,
        )
    return changes.counts


def _fields(alert: ActiveAlert) -> dict[str, Any]:
    return {
        "dedup_key": alert.dedup_key,
        "kind": alert.kind,
        "severity": alert.severity,
        "org_unit": alert.org_unit,
        "target_id": alert.target_id,
        "message": alert.message,
    }
