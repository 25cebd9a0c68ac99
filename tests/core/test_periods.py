"""Reporting periods: ranges, labels, parsing."""

from __future__ import annotations

from jzplan.core.periods import Period, period_range


def test_period_range_and_labels() -> None:
    months = period_range(Period(2012, 11), Period(2013, 2))
    assert [str(p) for p in months] == ["2012-11", "2012-12", "2013-01", "2013-02"]
    assert Period(2013, 5).label == "2013年1-5月" and Period(2013, 1).label == "2013年1月"
    assert Period.parse("2013-01").previous() == Period(2012, 12)
