"""Alerts derived from a month's evaluation, and the Markdown report of the real plan."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from jzplan.alert.rules import missing_submission_alerts, rejected_submission_alerts, target_alerts
from jzplan.core.periods import Period, period_range
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.report.markdown import monthly_report, progress_table
from jzplan.track.progress import PROGRESS_COLUMNS


def progress_of(plan: Plan, statuses: dict[str, str]) -> pd.DataFrame:
    rows = [
        {
            "target_id": t.id,
            "actual": None,
            "expected": None,
            "target_value": None,
            "unit": None,
            "completion_pct": None,
            "status": statuses.get(t.id, "pending"),
            "provisional": False,
            "note": None,
        }
        for t in plan.targets
    ]
    return pd.DataFrame(rows, columns=PROGRESS_COLUMNS)


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


def test_report_lists_every_target_once(plan: Plan, catalog: Catalog) -> None:
    table = progress_table(plan, catalog, progress_of(plan, {}))
    rows = [
        line
        for line in table.splitlines()
        if line.startswith("| ") and not line.startswith("| 编号")
    ]
    assert len(rows) == len(plan.targets)
    assert {r.split(" | ")[0].removeprefix("| ") for r in rows} == {t.id for t in plan.targets}


def test_report_shows_seed_units(plan: Plan, catalog: Catalog) -> None:
    fiscal = next(
        t
        for t in plan.targets
        if t.indicator == "fiscal_revenue" and t.kind == "level" and t.scope == "JZXQ"
    )
    progress = progress_of(plan, {fiscal.id: "on_track"})
    progress.loc[progress["target_id"] == fiscal.id, ["actual", "expected", "unit"]] = [
        32000.0,
        32500.0,
        "万元",
    ]
    text = monthly_report(
        plan,
        catalog,
        Period(2013, 6),
        progress,
        ["LWJ"],
        pd.DataFrame(columns=["message", "first_seen"]),
    )
    line = next(x for x in text.splitlines() if x.startswith(f"| {fiscal.id} |"))
    assert "3.2亿元" in line and "3.25亿元" in line and "正常" in line
    assert "未按期报送：李万街道" in text and "时间进度：50.0%" in text


def test_period_range_and_labels() -> None:
    months = period_range(Period(2012, 11), Period(2013, 2))
    assert [str(p) for p in months] == ["2012-11", "2012-12", "2013-01", "2013-02"]
    assert Period(2013, 5).label == "2013年1-5月" and Period(2013, 1).label == "2013年1月"
    assert Period.parse("2013-01").previous() == Period(2012, 12)


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (datetime(2013, 4, 6, 1, 0, tzinfo=UTC), "2013-03"),  # 09:00 on the 6th in Shanghai
        (datetime(2013, 3, 31, 17, 0, tzinfo=UTC), "2013-03"),  # already 1 April in Shanghai
        (datetime(2013, 1, 6, 1, 0, tzinfo=UTC), "2012-12"),
    ],
)
def test_default_period_is_last_month_in_shanghai(utc: datetime, expected: str) -> None:
    from flows.monthly import default_period

    assert str(default_period(utc)) == expected
