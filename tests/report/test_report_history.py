"""The report reads the same whether it loads the month's history or takes the evaluation's."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.report.data import read_report_data
from jzplan.track.history import load_history


@pytest.mark.parametrize("month", ["2013-01", "2013-05", "2013-06", "2013-12"])
def test_evaluations_history_gives_the_same_report(
    demo_year: Engine, plan: Plan, catalog: Catalog, month: str
) -> None:
    period = Period.parse(month)
    # what pipeline.refresh_period's evaluation reads and hands to the report
    evaluated = load_history(demo_year, period, units={t.scope for t in plan.targets})
    given = read_report_data(demo_year, plan, catalog, period, history=evaluated)
    loaded = read_report_data(demo_year, plan, catalog, period)
    assert given.courses  # the key targets' pace curves: what the history is read for
    assert repr(given.courses) == repr(loaded.courses)
    assert repr(given) == repr(loaded)
