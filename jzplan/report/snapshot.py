"""A month as its reports show it, frozen: each unit's and the area's figures, each target's
status, the month's open alerts, and (once released) which version it is. A released
version keeps its snapshot beside its files as ``snapshot.json``; the next version's change
section (``jzplan.report.versions_diff``) compares two of them."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from jzplan.core.periods import Period
from jzplan.core.states import TargetStatus
from jzplan.reference.catalog import Catalog
from jzplan.reference.display import present
from jzplan.reference.plan import Plan
from jzplan.store.alerts import read_alerts
from jzplan.store.db import Bind
from jzplan.store.progress import read_progress
from jzplan.store.rows import frame_dicts
from jzplan.track.history import month_facts

SNAPSHOT_FORMAT = 1
SNAPSHOT_FILE = "snapshot.json"
# Significant digits a figure is kept to: the same month summed in another order (another
# backend, another row order) gives the same snapshot, and no change of 1e-16 is reported
SIGNIFICANT_DIGITS = 12


def stable_float(value: object) -> float | None:
    """A stored number as the snapshot keeps it (None without one)."""
    if not present(value):
        return None
    v = float(value)  # type: ignore[arg-type]
    if math.isinf(v):
        return None
    rounded = float(f"{v:.{SIGNIFICANT_DIGITS}g}")
    return 0.0 if rounded == 0 else rounded  # no -0.0


@dataclass(frozen=True, slots=True)
class VersionMeta:
    """Which release a snapshot is: version N, who released it, when (ISO 8601 as given,
    with its offset when it has one) and the release note."""

    number: int
    released_by: str
    released_at: str
    note: str

    @property
    def moment(self) -> datetime:
        return datetime.fromisoformat(self.released_at)


@dataclass(frozen=True, slots=True)
class FigureValue:
    """One unit's (or an aggregate's) figure of an indicator, in the indicator's unit."""

    org_unit: str
    org_unit_name: str
    indicator: str
    indicator_name: str
    unit: str
    value: float | None
    provisional: bool

    @property
    def key(self) -> tuple[str, str]:
        return (self.org_unit, self.indicator)


@dataclass(frozen=True, slots=True)
class TargetState:
    """A target at the month's end: its status, actual and completion (actual and goal in
    ``unit``, the stored progress row's canonical unit)."""

    target_id: str
    label: str
    scope: str
    scope_name: str
    status: str
    status_label: str
    actual: float | None
    target_value: float | None
    unit: str | None
    completion_pct: float | None
    provisional: bool


@dataclass(frozen=True, slots=True)
class AlertEntry:
    """An alert open at the month's end, by its cause (``dedup_key``)."""

    dedup_key: str
    kind: str
    severity: str
    org_unit: str | None
    org_unit_name: str
    target_id: str | None
    message: str
    first_seen: str


@dataclass(frozen=True, slots=True)
class MonthSnapshot:
    period: Period
    figures: tuple[FigureValue, ...]
    targets: tuple[TargetState, ...]
    alerts: tuple[AlertEntry, ...]
    version: VersionMeta | None = field(default=None)


def _figures(bind: Bind, catalog: Catalog, period: Period) -> tuple[FigureValue, ...]:
    facts = month_facts(bind, period)
    unit_order = {u.code: i for i, u in enumerate((catalog.area, *catalog.units))}
    indicator_order = {code: i for i, code in enumerate(catalog.indicators)}
    known = sorted(
        (k for k in facts if k[0] in unit_order and k[1] in indicator_order),
        key=lambda k: (unit_order[k[0]], indicator_order[k[1]]),
    )
    out = []
    for unit_code, code in known:
        fact = facts[(unit_code, code)]
        indicator = catalog.indicator(code)
        out.append(
            FigureValue(
                org_unit=unit_code,
                org_unit_name=catalog.unit(unit_code).name,
                indicator=code,
                indicator_name=indicator.name,
                unit=indicator.unit,
                value=stable_float(fact.value),
                provisional=bool(fact.provisional),
            )
        )
    return tuple(out)


def _targets(bind: Bind, plan: Plan, catalog: Catalog, period: Period) -> tuple[TargetState, ...]:
    rows = {str(r["target_id"]): r for r in frame_dicts(read_progress(bind, period))}
    out = []
    for t in plan.targets:
        row: dict[Any, Any] = rows.get(t.id, {})
        status = TargetStatus(str(row.get("status") or TargetStatus.NO_DATA))
        unit = row.get("unit")
        out.append(
            TargetState(
                target_id=t.id,
                label=t.label,
                scope=t.scope,
                scope_name=catalog.unit(t.scope).name,
                status=status.value,
                status_label=status.label,
                actual=stable_float(row.get("actual")),
                target_value=stable_float(row.get("target_value")),
                unit=str(unit) if present(unit) else None,
                completion_pct=stable_float(row.get("completion_pct")),
                provisional=bool(row.get("provisional", False)),
            )
        )
    return tuple(out)


def alerts_open_at(alerts: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The rows of a ``read_alerts`` frame open at the month's end: seen by then and not
    resolved by then (a later month's alerts, and those resolved since, as they stood)."""
    month = str(period)
    first = alerts["first_seen"].astype(str)
    resolved = alerts["resolved"]
    still_open = resolved.isna() | (resolved.astype(str) > month)
    return alerts[(first <= month) & still_open].reset_index(drop=True)


def _alerts(bind: Bind, catalog: Catalog, period: Period) -> tuple[AlertEntry, ...]:
    out = []
    for r in frame_dicts(alerts_open_at(read_alerts(bind), period)):
        unit = str(r["org_unit"]) if present(r["org_unit"]) else None
        known = unit is not None and unit in catalog.org_units
        out.append(
            AlertEntry(
                dedup_key=str(r["dedup_key"]),
                kind=str(r["kind"]),
                severity=str(r["severity"]),
                org_unit=unit,
                org_unit_name=catalog.unit(unit).name if known and unit else "",
                target_id=str(r["target_id"]) if present(r["target_id"]) else None,
                message=str(r["message"]),
                first_seen=str(r["first_seen"]),
            )
        )
    return tuple(sorted(out, key=lambda a: a.dedup_key))


def snapshot_month(bind: Bind, plan: Plan, catalog: Catalog, period: Period) -> MonthSnapshot:
    """The stored month as its reports show it (no version: ``write_version`` adds one)."""
    return MonthSnapshot(
        period=period,
        figures=_figures(bind, catalog, period),
        targets=_targets(bind, plan, catalog, period),
        alerts=_alerts(bind, catalog, period),
    )


def snapshot_json(snapshot: MonthSnapshot) -> str:
    """The snapshot as JSON: keys sorted, lists in the snapshot's order, so two equal
    snapshots give the same bytes."""
    body = {
        "format": SNAPSHOT_FORMAT,
        "period": str(snapshot.period),
        "version": None if snapshot.version is None else asdict(snapshot.version),
        "figures": [asdict(f) for f in snapshot.figures],
        "targets": [asdict(t) for t in snapshot.targets],
        "alerts": [asdict(a) for a in snapshot.alerts],
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, indent=1, allow_nan=False) + "\n"


def parse_snapshot(text: str) -> MonthSnapshot:
    """A ``snapshot_json`` text read back."""
    body = json.loads(text)
    if body.get("format") != SNAPSHOT_FORMAT:
        raise ValueError(f"snapshot format {body.get('format')!r} is not {SNAPSHOT_FORMAT}")
    version = body["version"]
    return MonthSnapshot(
        period=Period.parse(body["period"]),
        figures=tuple(FigureValue(**f) for f in body["figures"]),
        targets=tuple(TargetState(**t) for t in body["targets"]),
        alerts=tuple(AlertEntry(**a) for a in body["alerts"]),
        version=None if version is None else VersionMeta(**version),
    )
