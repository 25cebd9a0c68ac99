"""Alerts raised by a month's evaluation; their state (first, last seen, resolved) is stored."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from jzplan.core.periods import Period
from jzplan.core.states import ALERTING, AlertKey, AlertKind, AlertSeverity, TargetStatus
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan


@dataclass(frozen=True, slots=True)
class Alert:
    key: AlertKey
    kind: AlertKind
    severity: AlertSeverity
    org_unit: str | None
    target_id: str | None
    message: str


def target_alerts(progress: pd.DataFrame, plan: Plan, catalog: Catalog) -> list[Alert]:
    """One alert per target whose status needs attention; the key holds the status, so a
    target that stays 滞后 month after month is one alert, and a change of status is a new one.
    An overdue milestone is its own kind (``milestone_overdue``)."""
    out: list[Alert] = []
    for target_id, value in progress[["target_id", "status"]].itertuples(index=False):
        if value not in ALERTING:
            continue
        status = TargetStatus(str(value))
        t = plan.target(str(target_id))
        scope = catalog.unit(t.scope).name
        overdue = status == TargetStatus.OVERDUE
        out.append(
            Alert(
                key=AlertKey.for_target(t.id, status),
                kind=AlertKind.MILESTONE_OVERDUE if overdue else AlertKind.TARGET_STATUS,
                severity=ALERTING[status],
                org_unit=t.scope,
                target_id=t.id,
                message=f"{scope}「{t.label}」{status.label}",
            )
        )
    return out


def missing_submission_alerts(
    period: Period, expected_units: Iterable[str], submitted: set[str], catalog: Catalog
) -> list[Alert]:
    """A reporting unit without an accepted submission for the period."""
    return [
        Alert(
            key=AlertKey.missing(code, period),
            kind=AlertKind.MISSING_SUBMISSION,
            severity=AlertSeverity.CRITICAL,
            org_unit=code,
            target_id=None,
            message=f"{catalog.unit(code).name} 未按期报送 {period} 月报",
        )
        for code in expected_units
        if code not in submitted
    ]


def rejected_submission_alerts(
    period: Period,
    rejected: Iterable[tuple[str, str, str]],
    submitted: set[str],
    catalog: Catalog,
) -> list[Alert]:
    """A rejected file (unit, file name, first error) whose unit has no accepted one yet."""
    return [
        Alert(
            key=AlertKey.rejected(unit, period),
            kind=AlertKind.REJECTED_SUBMISSION,
            severity=AlertSeverity.WARNING,
            org_unit=unit,
            target_id=None,
            message=f"{catalog.unit(unit).name} {period} 月报 {file_name} 被退回：{reason}",
        )
        for unit, file_name, reason in rejected
        if unit not in submitted
    ]


def held_submission_alerts(
    period: Period, held: Mapping[str, Sequence[str]], catalog: Catalog
) -> list[Alert]:
    """A unit whose files of the period are held against each other (unit → file names): its
    month is 有待确认 until the office resends one with a later 填报日期 or withdraws one."""
    return [
        Alert(
            key=AlertKey.held(unit, period),
            kind=AlertKind.HELD_SUBMISSION,
            severity=AlertSeverity.WARNING,
            org_unit=unit,
            target_id=None,
            message=(
                f"{catalog.unit(unit).name} {period} 月报有待确认：{'、'.join(files)} "
                "填报日期相同而数字不同，均未采用；请该单位重新报送正确的一份（填报日期更晚）"
                "或撤回其余"
            ),
        )
        for unit, files in sorted(held.items())
    ]


def alert_period(key: AlertKey) -> str | None:
    """The reporting month a submission or validation alert is about; None for a target's."""
    if key.family in ("missing", "rejected", "held"):
        return key.parts[1]
    if key.family == "validation":
        return key.parts[0]
    return None


def in_period(period: Period) -> Callable[[str], bool]:
    """Whether a stored key (the store's ``dedup_key`` text) is an alert about ``period``."""
    p = str(period)
    return lambda text: alert_period(AlertKey.parse(text)) == p


def as_records(alerts: Iterable[Alert]) -> list[dict[str, object]]:
    """The alerts as the store's rows: the key as its text, kinds and severities as values."""
    return [
        {
            "dedup_key": str(a.key),
            "kind": str(a.kind),
            "severity": str(a.severity),
            "org_unit": a.org_unit,
            "target_id": a.target_id,
            "message": a.message,
        }
        for a in alerts
    ]
