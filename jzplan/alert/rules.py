"""Alerts raised by a month's evaluation; their state (first, last seen, resolved) is stored."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

import pandas as pd

from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.track.progress import ALERTING, STATUS_LABELS


@dataclass(frozen=True, slots=True)
class Alert:
    dedup_key: str
    kind: str
    severity: str
    org_unit: str | None
    target_id: str | None
    message: str


def target_alerts(progress: pd.DataFrame, plan: Plan, catalog: Catalog) -> list[Alert]:
    """One alert per target whose status needs attention; the key holds the status, so a
    target that stays 滞后 month after month is one alert, and a change of status is a new one.
    An overdue milestone is its own kind (``milestone_overdue``)."""
    out: list[Alert] = []
    for target_id, status in progress[["target_id", "status"]].itertuples(index=False):
        if status not in ALERTING:
            continue
        t = plan.target(str(target_id))
        scope = catalog.unit(t.scope).name
        out.append(
            Alert(
                dedup_key=f"target:{t.id}:{status}",
                kind="milestone_overdue" if status == "overdue" else "target_status",
                severity=ALERTING[str(status)],
                org_unit=t.scope,
                target_id=t.id,
                message=f"{scope}「{t.label}」{STATUS_LABELS[str(status)]}",
            )
        )
    return out


def missing_submission_alerts(
    period: str, expected_units: Iterable[str], submitted: set[str], catalog: Catalog
) -> list[Alert]:
    """A reporting unit without an accepted submission for the period."""
    return [
        Alert(
            dedup_key=f"missing:{code}:{period}",
            kind="missing_submission",
            severity="critical",
            org_unit=code,
            target_id=None,
            message=f"{catalog.unit(code).name} 未按期报送 {period} 月报",
        )
        for code in expected_units
        if code not in submitted
    ]


def rejected_submission_alerts(
    period: str, rejected: Iterable[tuple[str, str, str]], submitted: set[str], catalog: Catalog
) -> list[Alert]:
    """A rejected file (unit, file name, first error) whose unit has no accepted one yet."""
    return [
        Alert(
            dedup_key=f"rejected:{unit}:{period}",
            kind="rejected_submission",
            severity="warning",
            org_unit=unit,
            target_id=None,
            message=f"{catalog.unit(unit).name} {period} 月报 {file_name} 被退回：{reason}",
        )
        for unit, file_name, reason in rejected
        if unit not in submitted
    ]


def as_records(alerts: Iterable[Alert]) -> list[dict[str, object]]:
    return [asdict(a) for a in alerts]
