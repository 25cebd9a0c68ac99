"""Alerts derived from a month's evaluation."""

from __future__ import annotations

from jzplan.alert.rules import missing_submission_alerts, rejected_submission_alerts, target_alerts
from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from tests.progress_frames import progress_of


def test_target_alerts_only_for_attention_statuses(plan: Plan, catalog: Catalog) -> None:
    first, second, third = (t.id for t in plan.targets[:3])
    progress = progress_of(plan, {first: "behind", second: "at_risk", third: "on_track"})
    alerts = {str(a.key): a for a in target_alerts(progress, plan, catalog)}
    assert set(alerts) == {f"target:{first}:behind", f"target:{second}:at_risk"}
    assert alerts[f"target:{first}:behind"].severity == "critical"
    assert alerts[f"target:{second}:at_risk"].severity == "warning"
    assert "滞后" in alerts[f"target:{first}:behind"].message


def test_missing_and_rejected_alerts(catalog: Catalog) -> None:
    missing = missing_submission_alerts(Period(2013, 5), ["SJZ", "LWJ"], {"SJZ"}, catalog)
    assert [str(a.key) for a in missing] == ["missing:LWJ:2013-05"]
    assert "李万街道" in missing[0].message
    rejected = rejected_submission_alerts(
        Period(2013, 8),
        [("NGZ", "a.xlsx", "not a number"), ("SJZ", "b.xlsx", "x")],
        {"SJZ"},
        catalog,
    )
    assert [str(a.key) for a in rejected] == ["rejected:NGZ:2013-08"]
