"""Alerts raised by a month's evaluation; their state (first, last seen, resolved) is stored."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from jzplan.core.periods import Period
from jzplan.core.states import (
    ALERTING,
    AlertKey,
    AlertKind,
    AlertSeverity,
    TargetStatus,
    UnitMonthStatus,
)
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store.unit_months import UnitMonth, returned_text


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
    period: Period, missing: Iterable[str], catalog: Catalog
) -> list[Alert]:
    """A reporting unit from which nothing came for the period (未报): critical."""
    label = UnitMonthStatus.MISSING.label
    return [
        Alert(
            key=AlertKey.missing(code, period),
            kind=AlertKind.MISSING_SUBMISSION,
            severity=AlertSeverity.CRITICAL,
            org_unit=code,
            target_id=None,
            message=f"{catalog.unit(code).name} {period} 月报{label}：未收到报表",
        )
        for code in missing
    ]


def _head(period: Period, um: UnitMonth, catalog: Catalog) -> str:
    return f"{catalog.unit(um.org_unit).name} {period} 月报{um.status.label}："


def returned_alert(period: Period, um: UnitMonth, catalog: Catalog) -> Alert:
    """Every file of the unit's month was rejected (退回待改): critical, with the first error of
    the last file, and, for a file whose own period contradicts its batch, that it does."""
    return Alert(
        key=AlertKey.rejected(um.org_unit, period),
        kind=AlertKind.REJECTED_SUBMISSION,
        severity=AlertSeverity.CRITICAL,
        org_unit=um.org_unit,
        target_id=None,
        message=f"{_head(period, um, catalog)}{returned_text(um)}",
    )


def question_alert(period: Period, um: UnitMonth, catalog: Catalog) -> Alert:
    """The unit's month has questions (有待确认): rows of its file held open, or files held
    against each other until the office resends one with a later 填报日期 or withdraws one."""
    parts = []
    if um.held_files:
        parts.append(
            f"{'、'.join(um.held_files)} 填报日期相同而数字不同，均未采用；请该单位重新报送"
            "正确的一份（填报日期更晚）或撤回其余"
        )
    if um.open_questions:
        parts.append(f"{um.open_questions} 行指标待确认（其余数字已采用），请核对后答复")
    return Alert(
        key=AlertKey.held(um.org_unit, period),
        kind=AlertKind.HELD_SUBMISSION,
        severity=AlertSeverity.WARNING,
        org_unit=um.org_unit,
        target_id=None,
        message=f"{_head(period, um, catalog)}{'；'.join(parts)}",
    )


def unit_month_alerts(
    period: Period, standings: Iterable[UnitMonth], catalog: Catalog
) -> list[Alert]:
    """One alert per unit whose month needs the office: 未报 (missing), 退回待改 (rejected,
    critical), 有待确认 (held, warning); 已报 raises none."""
    out: list[Alert] = []
    for um in standings:
        if um.status == UnitMonthStatus.MISSING:
            out += missing_submission_alerts(period, [um.org_unit], catalog)
        elif um.status == UnitMonthStatus.RETURNED:
            out.append(returned_alert(period, um, catalog))
        elif um.status == UnitMonthStatus.QUESTIONS:
            out.append(question_alert(period, um, catalog))
    return out


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
