"""Target evaluation under linear pace, one table of hand-computed cases per target kind
(seasonal pace, forecasts and reported statuses: tests/track/ and tests/alert/)."""

from __future__ import annotations

from datetime import date

import pytest

from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Target
from jzplan.track.aggregate import Fact
from jzplan.track.progress import History, Thresholds, evaluate_target

TH = Thresholds(at_risk_ratio=0.95, growth_at_risk_points=3.0)


def target(**kw: object) -> Target:
    base: dict[str, object] = {
        "id": "X1", "year": 2013, "group": "主要预期目标", "scope": "JZXQ", "label": "t",
        "source": "s",
    }  # fmt: skip
    base.update(kw)
    return Target(**base)  # type: ignore[arg-type]


def history(now=None, last=None, dec=None) -> History:  # type: ignore[no-untyped-def]
    return History(now or {}, last or {}, dec or {})


VA = target(kind="level", indicator="ind_va_above", value=55, unit="亿元", growth_pct=25)


@pytest.mark.parametrize(
    ("month", "actual", "status", "expected"),
    [
        (6, 27.5, "on_track", 27.5),  # exactly half the year, half the target
        (6, 26.2, "at_risk", 27.5),  # 95.3 % of pace
        (6, 26.0, "behind", 27.5),  # 94.5 % of pace
        (3, 56.0, "achieved", 13.75),  # over the annual target already
        (12, 54.9, "missed", 55.0),
        (12, 55.0, "achieved", 55.0),
    ],
)
def test_level_on_flow_linear_pace(
    catalog: Catalog, month: int, actual: float, status: str, expected: float
) -> None:
    p = evaluate_target(
        VA, catalog, Period(2013, month), history({("JZXQ", "ind_va_above"): Fact(actual)}), TH
    )
    assert p.status == status
    assert p.expected == pytest.approx(expected)
    assert p.target_value == 55
    assert p.completion_pct == pytest.approx(actual / 55 * 100)


def test_level_converts_seed_unit_to_canonical(catalog: Catalog) -> None:
    # fiscal_revenue is kept in 万元; the seed states 6.5亿元
    t = target(kind="level", indicator="fiscal_revenue", value=6.5, unit="亿元")
    p = evaluate_target(
        t, catalog, Period(2013, 4), history({("JZXQ", "fiscal_revenue"): Fact(22000.0)}), TH
    )
    assert p.target_value == pytest.approx(65000)
    assert p.expected == pytest.approx(65000 / 3)
    assert p.status == "on_track"


def test_provisional_total_is_flagged(catalog: Catalog) -> None:
    p = evaluate_target(
        VA, catalog, Period(2013, 6), history({("JZXQ", "ind_va_above"): Fact(30.0, 1, 2)}), TH
    )
    assert p.provisional


@pytest.mark.parametrize(
    ("month", "now", "last", "status"),
    [
        (6, 120.0, 100.0, "on_track"),  # +20 % vs +20 % target
        (6, 118.0, 100.0, "at_risk"),  # +18 %: within 3 points
        (6, 116.0, 100.0, "behind"),  # +16 %
        (12, 119.0, 100.0, "missed"),
        (12, 121.0, 100.0, "achieved"),
    ],
)
def test_growth_against_same_period_last_year(
    catalog: Catalog, month: int, now: float, last: float, status: str
) -> None:
    t = target(kind="growth", scope="WCJ", indicator="ind_va_above", value=20, unit="%")
    key = ("WCJ", "ind_va_above")
    p = evaluate_target(
        t,
        catalog,
        Period(2013, month),
        history({key: Fact(now)}, {key: Fact(last)}, {key: Fact(200.0)}),
        TH,
    )
    assert p.status == status
    assert p.expected_seasonal == pytest.approx(last * 1.2)  # same period last year + 20 %
    assert p.expected == pytest.approx(240.0 * month / 12)  # linear share of the year's level
    assert p.target_value == pytest.approx(240.0)  # last December 200 × 1.2


def test_growth_without_last_year_is_no_data(catalog: Catalog) -> None:
    t = target(kind="growth", scope="WCJ", indicator="ind_va_above", value=20, unit="%")
    p = evaluate_target(
        t, catalog, Period(2013, 5), history({("WCJ", "ind_va_above"): Fact(1.0)}), TH
    )
    assert p.status == "no_data"


@pytest.mark.parametrize(
    ("month", "rate", "status"),
    [
        (6, 3.0, "on_track"),  # pace 6.5 × 6/12 = 3.25
        (6, 3.4, "at_risk"),  # 3.4 × 0.95 = 3.23 ≤ 3.25
        (6, 3.5, "behind"),
        (12, 6.4, "achieved"),
        (12, 6.6, "missed"),
    ],
)
def test_ceiling_lower_is_better(catalog: Catalog, month: int, rate: float, status: str) -> None:
    t = target(
        kind="ceiling", indicator="natural_growth_rate", value=6.5, unit="‰", comparison="<="
    )
    p = evaluate_target(
        t, catalog, Period(2013, month), history({("JZXQ", "natural_growth_rate"): Fact(rate)}), TH
    )
    assert p.status == status


def test_stock_paced_from_last_december(catalog: Catalog) -> None:
    # 规上企业 from 80 at end 2012 to 100: by June 90 are due
    t = target(kind="count", indicator="enterprises_above", value=100, unit="家")
    key = ("JZXQ", "enterprises_above")
    p = evaluate_target(
        t, catalog, Period(2013, 6), history({key: Fact(89.0)}, dec={key: Fact(80.0)}), TH
    )
    assert p.expected == pytest.approx(90.0)
    assert p.status == "at_risk"  # 89 ≥ 90 × 0.95


@pytest.mark.parametrize(
    ("month", "deadline", "status"),
    [
        (5, date(2013, 6, 30), "pending"),
        (6, date(2013, 6, 30), "overdue"),  # the deadline passed at the end of June, not done
        (7, date(2013, 6, 30), "overdue"),
    ],
)
def test_milestone_deadline(catalog: Catalog, month: int, deadline: date, status: str) -> None:
    t = target(kind="milestone", label="黄河水进入大沙河", deadline=deadline)
    assert evaluate_target(t, catalog, Period(2013, month), history(), TH).status == status


def test_qualitative_is_pending_without_report(catalog: Catalog) -> None:
    t = target(kind="qualitative", label="节能减排完成上级下达的目标任务")
    assert evaluate_target(t, catalog, Period(2013, 12), history(), TH).status == "pending"


@pytest.mark.parametrize(
    ("month", "rank", "status"),
    [
        (6, 8.0, "on_track"),
        (6, 12.0, "at_risk"),  # two places short: within ranking_at_risk_places
        (6, 13.0, "behind"),
        (12, 12.0, "missed"),
        (12, 10.0, "achieved"),
    ],
)
def test_ranking(catalog: Catalog, month: int, rank: float, status: str) -> None:
    t = target(
        kind="ranking", indicator="rank_cluster_growth", value=10, unit="位", comparison="<="
    )
    p = evaluate_target(
        t, catalog, Period(2013, month), history({("JZXQ", "rank_cluster_growth"): Fact(rank)}), TH
    )
    assert p.status == status


def test_no_data(catalog: Catalog) -> None:
    assert evaluate_target(VA, catalog, Period(2013, 6), history(), TH).status == "no_data"
