"""The report reads the same whether it loads the month's history or takes the evaluation's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine

from jzplan.alert.lifecycle import sync_alerts
from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.report.data import read_report_data
from jzplan.store.alerts import read_alerts
from jzplan.store.db import make_engine
from jzplan.track.history import load_history
from jzplan.validate.rules import Rules


@pytest.mark.parametrize("month", ["2013-01", "2013-05", "2013-06", "2013-12"])
def test_evaluations_history_gives_the_same_report(
    demo_year: Engine, plan: Plan, catalog: Catalog, rules: Rules, month: str
) -> None:
    period = Period.parse(month)
    # what pipeline.refresh_period's evaluation reads and hands to the report
    evaluated = load_history(demo_year, period, units={t.scope for t in plan.targets})
    given = read_report_data(demo_year, plan, catalog, period, rules=rules, history=evaluated)
    loaded = read_report_data(demo_year, plan, catalog, period, rules=rules)
    assert given.courses  # the key targets' pace curves: what the history is read for
    assert repr(given.courses) == repr(loaded.courses)
    assert repr(given) == repr(loaded)


def test_the_operators_alerts_stay_out_of_the_report(
    demo_year: Engine, plan: Plan, catalog: Catalog, rules: Rules, tmp_path: Path
) -> None:
    """A channel's 推送失败 is the operators' business, not the month's report's."""
    copy = tmp_path / "jzplan.db"
    shutil.copyfile(str(demo_year.url.database), copy)  # the session's store stays read-only
    engine = make_engine(f"sqlite:///{copy}")
    try:
        before = read_report_data(engine, plan, catalog, Period(2013, 6), rules=rules).open_alerts
        sync_alerts(engine, Period(2013, 6), [{
            "dedup_key": "delivery:webhook:20130706T0100Z", "kind": "delivery_failure",
            "severity": "critical", "org_unit": None, "target_id": None,
            "message": "推送渠道「webhook」自 2013-07-06 09:00 起推送失败",
        }], scope_kinds={"delivery_failure"})  # fmt: skip
        assert len(read_alerts(engine, open_only=True)) == len(before) + 1
        after = read_report_data(engine, plan, catalog, Period(2013, 6), rules=rules).open_alerts
    finally:
        engine.dispose()
    assert list(after["dedup_key"]) == list(before["dedup_key"])
