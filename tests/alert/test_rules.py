"""Alerts derived from a month's evaluation."""

from __future__ import annotations

from typing import Any

import pytest

from jzplan.alert.rules import target_alerts, unit_month_alerts
from jzplan.core.periods import Period
from jzplan.core.states import SubmissionStatus, UnitMonthStatus
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store.unit_months import UnitFile, UnitMonth
from tests.progress_frames import progress_of


def test_target_alerts_only_for_attention_statuses(plan: Plan, catalog: Catalog) -> None:
    first, second, third = (t.id for t in plan.targets[:3])
    progress = progress_of(plan, {first: "behind", second: "at_risk", third: "on_track"})
    alerts = {str(a.key): a for a in target_alerts(progress, plan, catalog)}
    assert set(alerts) == {f"target:{first}:behind", f"target:{second}:at_risk"}
    assert alerts[f"target:{first}:behind"].severity == "critical"
    assert alerts[f"target:{second}:at_risk"].severity == "warning"
    assert "滞后" in alerts[f"target:{first}:behind"].message


def _um(unit: str, status: UnitMonthStatus, **kw: Any) -> UnitMonth:
    return UnitMonth(unit, "2013-08", status, None, "", **kw)


def _rejected(name: str, own: str | None, message: str) -> UnitFile:
    return UnitFile("NGZ", own, "2013-08", SubmissionStatus.REJECTED, name, message)


@pytest.mark.parametrize(
    ("standing", "key", "severity", "text"),
    [
        (_um("SJZ", UnitMonthStatus.REPORTED), None, None, None),
        (_um("LWJ", UnitMonthStatus.MISSING), "missing:LWJ:2013-08", "critical",
         "李万街道 2013-08 月报未报：未收到报表"),
        (_um("NGZ", UnitMonthStatus.RETURNED,
             returned=(_rejected("a.xlsx", "2013-08", "[bad_number] 第 9 行\n[missing] 警告"),)),
         "rejected:NGZ:2013-08", "critical",
         "宁郭镇 2013-08 月报退回待改：a.xlsx 已退回：[bad_number] 第 9 行"),
        (_um("NGZ", UnitMonthStatus.RETURNED,
             returned=(_rejected("b.xlsx", "2013-07", "x"), _rejected("c.xlsx", None, "y"))),
         "rejected:NGZ:2013-08", "critical",
         "宁郭镇 2013-08 月报退回待改：c.xlsx 随 2013-08 批次报送，表内报告期（无法识别）与所在批次"
         "不符，已退回（本月共退回 2 份）：y"),
        (_um("NGZ", UnitMonthStatus.QUESTIONS, open_questions=2), "held:NGZ:2013-08", "warning",
         "宁郭镇 2013-08 月报有待确认：2 行指标待确认（其余数字已采用），请核对后答复"),
        (_um("NGZ", UnitMonthStatus.QUESTIONS, held_files=("a.xlsx", "b.xlsx")),
         "held:NGZ:2013-08", "warning", "宁郭镇 2013-08 月报有待确认：a.xlsx、b.xlsx 填报日期相同"),
    ],
)  # fmt: skip
def test_one_alert_per_unit_month_in_its_word(
    catalog: Catalog, standing: UnitMonth, key: str | None, severity: str | None, text: str | None
) -> None:
    alerts = unit_month_alerts(Period(2013, 8), [standing], catalog)
    if key is None:
        assert alerts == []
        return
    (alert,) = alerts
    assert (str(alert.key), str(alert.severity)) == (key, severity)
    assert alert.message.startswith(text or "")
    assert "警告" not in alert.message  # the reason is the first error, not a later warning
