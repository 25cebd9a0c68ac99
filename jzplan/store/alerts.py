"""The alert table: one row per cause (``dedup_key``), its first and last month and when it
was resolved. The rules that decide what changes live in ``jzplan.alert.lifecycle``; this
module reads the rows they need and writes what they decided."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import ColumnElement, Connection, Table, bindparam, insert, or_, select, update

from jzplan.core.periods import Period
from jzplan.store.db import Bind, connect
from jzplan.store.models import AlertRow
from jzplan.store.rows import period_key

_alert: Table = AlertRow.__table__  # type: ignore[assignment]

ALERT_COLUMNS = (
    "dedup_key", "kind", "severity", "org_unit", "target_id", "message", "first_seen",
    "last_seen", "resolved",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class StoredAlert:
    """An alert's row, its months as periods; ``resolved`` is None while it is open."""

    dedup_key: str
    kind: str
    severity: str
    org_unit: str | None
    target_id: str | None
    message: str
    first_seen: Period
    last_seen: Period
    resolved: Period | None = None


def read_alert_state(
    conn: Connection,
    *,
    keys: Collection[str],
    open_kinds: Collection[str],
    resolved_after: Period | None = None,
) -> dict[str, StoredAlert]:
    """The alerts of ``keys`` and every open alert of ``open_kinds`` (with ``resolved_after``,
    also every target alert of those kinds resolved after that month), by dedup key."""
    kinds = _alert.c.kind.in_(sorted(open_kinds))
    conditions: list[ColumnElement[bool]] = [_alert.c.resolved.is_(None) & kinds]
    if resolved_after is not None:
        conditions.append(
            kinds
            & _alert.c.target_id.is_not(None)
            & (_alert.c.resolved > period_key(resolved_after))
        )
    if keys:
        conditions.append(_alert.c.dedup_key.in_(list(keys)))
    rows = conn.execute(select(_alert).where(or_(*conditions))).mappings()
    return {
        str(r["dedup_key"]): StoredAlert(
            dedup_key=str(r["dedup_key"]),
            kind=str(r["kind"]),
            severity=str(r["severity"]),
            org_unit=r["org_unit_code"],
            target_id=r["target_id"],
            message=str(r["message"]),
            first_seen=Period.parse(str(r["first_seen"])),
            last_seen=Period.parse(str(r["last_seen"])),
            resolved=None if r["resolved"] is None else Period.parse(str(r["resolved"])),
        )
        for r in rows
    }


def _columns(alert: StoredAlert) -> dict[str, object]:
    return {
        "dedup_key": alert.dedup_key,
        "kind": alert.kind,
        "severity": alert.severity,
        "org_unit_code": alert.org_unit,
        "target_id": alert.target_id,
        "message": alert.message,
        "first_seen": period_key(alert.first_seen),
        "last_seen": period_key(alert.last_seen),
        "resolved": None if alert.resolved is None else period_key(alert.resolved),
    }


def write_alert_changes(
    conn: Connection,
    *,
    opened: Sequence[StoredAlert],
    changed: Sequence[StoredAlert],
    resolved: Sequence[str],
    period: Period,
) -> None:
    """Resolve the alerts of ``resolved`` dedup keys at ``period``, rewrite ``changed`` (all
    but the key) and insert ``opened``: in that order, so a target's new alert never meets
    the one it replaces open (``uq_alert_open_target_id``)."""
    if resolved:
        conn.execute(
            update(_alert)
            .where(_alert.c.dedup_key.in_(list(resolved)))
            .values(resolved=period_key(period))
        )
    if changed:
        columns = [c for c in _columns(changed[0]) if c != "dedup_key"]
        stmt = (
            update(_alert)
            .where(_alert.c.dedup_key == bindparam("k_dedup_key"))
            .values({c: bindparam(f"v_{c}") for c in columns})
        )
        rows = [_columns(a) for a in changed]
        conn.execute(
            stmt,
            [{"k_dedup_key": r["dedup_key"], **{f"v_{c}": r[c] for c in columns}} for r in rows],
        )
    if opened:
        conn.execute(insert(_alert), [_columns(a) for a in opened])


def read_alerts(bind: Bind, open_only: bool = False) -> pd.DataFrame:
    """Alerts ordered by dedup key: dedup_key, kind, severity, org_unit, target_id, message,
    first_seen, last_seen, resolved (None while open)."""
    query = select(
        _alert.c.dedup_key,
        _alert.c.kind,
        _alert.c.severity,
        _alert.c.org_unit_code.label("org_unit"),
        _alert.c.target_id,
        _alert.c.message,
        _alert.c.first_seen,
        _alert.c.last_seen,
        _alert.c.resolved,
    ).order_by(_alert.c.dedup_key)
    if open_only:
        query = query.where(_alert.c.resolved.is_(None))
    with connect(bind) as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=list(ALERT_COLUMNS))
