"""Both pacing models, forecasts, pace still needed and reported statuses, per target kind,
each with figures worked out by hand in the comments."""

from __future__ import annotations

from datetime import date

import pytest

from jzplan.core.periods import Period
from jzplan.ingest.status_files import StatusReport, latest_reports
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Target
from jzplan.track.aggregate import Fact
from jzplan.track.contributions import contributions
from jzplan.track.progress import History, Thresholds, evaluate_target

SEASONAL = Thresholds(pace_model="seasonal", hysteresis=0.03)
LINEAR = Thresholds(pace_model="linear", hysteresis=0.03)
approx = pytest.approx


def target(**kw: object) -> Target:
    base: dict[str, object] = {
        "id": "X1", "year": 2013, "group": "主要预期目标", "scope": "JZXQ", "label": "t",
        "source": "s",
    }  # fmt: skip
    base.update(kw)
    return Target(**base)  # type: ignore[arg-type]


VA = target(kind="level", indicator="ind_va_above", value=55, unit="亿元")
VA_KEY = ("JZXQ", "ind_va_above")
# Last year: 17.6 of 44 by June, a share of 0.4 (linear would be 0.5)
VA_HISTORY = History({VA_KEY: Fact(23.0)}, {}, {}, last_year={VA_KEY: {6: 17.6, 12: 44.0}})


def test_flow_level_seasonal_pace_forecast_and_pace_needed(catalog: Catalog) -> None:
    p = evaluate_target(VA, catalog, Period(2013, 6), VA_HISTORY, SEASONAL)
    assert p.expected == approx(27.5)  # linear: 55 × 6/12
    assert p.expected_seasonal == approx(22.0)  # 55 × 0.4
    assert (p.status, p.pace_model) == ("on_track", "seasonal")  # 23 ≥ 22
    assert p.forecast == approx(57.5)  # 23 / 0.4
    # ± 57.5 × 0.15 × (1 - 0.4) = 5.175, widened down to the linear projection 23 / 0.5 = 46
    assert (p.forecast_low, p.forecast_high) == (approx(46.0), approx(62.675))
    assert p.required_monthly == approx(32 / 6)  # (55 - 23) over 6 months


def test_flow_level_linear_model_is_configurable(catalog: Catalog) -> None:
    p = evaluate_target(VA, catalog, Period(2013, 6), VA_HISTORY, LINEAR)
    assert (p.status, p.pace_model) == ("behind", "linear")  # 23 < 27.5 × 0.95
    assert p.forecast == approx(46.0)  # 23 / 0.5
    # ± 46 × 0.15 × 0.5 = 3.45, widened up to the seasonal projection 57.5
    assert (p.forecast_low, p.forecast_high) == (approx(42.55), approx(57.5))


def test_without_last_year_seasonal_falls_back_to_linear(catalog: Catalog) -> None:
    h = History({VA_KEY: Fact(23.0)}, {}, {})
    p = evaluate_target(VA, catalog, Period(2013, 6), h, SEASONAL)
    assert p.expected_seasonal is None and p.pace_model == "linear" and p.status == "behind"


def test_december_forecast_is_the_result(catalog: Catalog) -> None:
    h = History({VA_KEY: Fact(54.0)}, {}, {}, last_year={VA_KEY: {12: 44.0}})
    p = evaluate_target(VA, catalog, Period(2013, 12), h, SEASONAL)
    assert p.status == "missed"
    assert p.forecast == p.forecast_low == p.forecast_high == approx(54.0)
    assert p.required_monthly is None


def test_stock_count_seasonal_from_the_december_before(catalog: Catalog) -> None:
    # 规上企业 80 at end 2012 → 100; last year 70 → 80, of which 2 by June: share 0.2
    t = target(kind="count", indicator="enterprises_above", value=100, unit="家")
    key = ("JZXQ", "enterprises_above")
    h = History(
        {key: Fact(85.0)}, {}, {key: Fact(80.0)}, last_year={key: {0: 70.0, 6: 72.0, 12: 80.0}}
    )
    p = evaluate_target(t, catalog, Period(2013, 6), h, SEASONAL)
    assert p.expected == 90 and p.expected_seasonal == 84  # 80 + 20 × 0.5; 80 + 20 × 0.2
    assert p.status == "on_track"
    assert p.forecast == approx(105.0)  # 80 + (85 - 80) / 0.2
    assert p.required_monthly == approx(2.5)  # (100 - 85) / 6


def test_count_pace_is_in_whole_things(catalog: Catalog) -> None:
    # one project in the year: none is due before December
    t = target(kind="count", scope="SJZ", indicator="projects_introduced_100m", value=1, unit="个")
    h = History({("SJZ", "projects_introduced_100m"): Fact(0.0)}, {}, {})
    p = evaluate_target(t, catalog, Period(2013, 11), h, SEASONAL)
    assert p.expected == 0 and p.status == "on_track"
    assert p.required_monthly == approx(1.0)


def test_growth_yoy_forecast_and_pace_needed(catalog: Catalog) -> None:
    t = target(kind="growth", scope="WCJ", indicator="ind_va_above", value=20, unit="%")
    key = ("WCJ", "ind_va_above")
    h = History({key: Fact(118.0)}, {key: Fact(100.0)}, {key: Fact(200.0)})
    p = evaluate_target(t, catalog, Period(2013, 6), h, SEASONAL)
    assert (p.status, p.pace_model) == ("at_risk", "yoy")  # +18 % vs +20 %
    assert p.expected_seasonal == approx(120.0) and p.expected == approx(120.0)  # 240 × 0.5
    assert p.forecast == approx(236.0)  # 200 × 118 / 100
    assert (p.forecast_low, p.forecast_high) == (approx(218.3), approx(253.7))  # ± 236×.15×.5
    assert p.required_monthly == approx((240 - 118) / 6)
    assert "预计全年增长 18.0%" in (p.note or "")


def test_ceiling_rate_seasonal(catalog: Catalog) -> None:
    t = target(
        kind="ceiling", indicator="natural_growth_rate", value=6.5, unit="‰", comparison="<="
    )
    key = ("JZXQ", "natural_growth_rate")
    h = History({key: Fact(2.5)}, {}, {}, last_year={key: {6: 2.0, 12: 5.0}})
    p = evaluate_target(t, catalog, Period(2013, 6), h, SEASONAL)
    assert p.expected_seasonal == approx(2.6) and p.status == "on_track"  # 6.5 × 0.4
    assert p.forecast == approx(6.25)  # 2.5 / 0.4
    assert p.required_monthly == approx(4.0 / 6)  # at most (6.5 - 2.5) / 6 a month


def test_ratio_target(catalog: Catalog) -> None:
    t = target(kind="ratio", indicator="new_projects_investment_ratio", value=50, unit="%")
    h = History({("JZXQ", "new_projects_investment_ratio"): Fact(26.0)}, {}, {})
    p = evaluate_target(t, catalog, Period(2013, 6), h, SEASONAL)
    assert p.expected == approx(25.0) and p.status == "on_track"
    assert p.forecast == approx(52.0)  # 26 / 0.5, ± 52 × 0.15 × 0.5
    assert (p.forecast_low, p.forecast_high) == (approx(48.1), approx(55.9))
    assert p.required_monthly == approx(4.0)


def test_ranking_forecast_is_the_latest_place(catalog: Catalog) -> None:
    t = target(kind="ranking", indicator="rank_cluster_growth", value=10, unit="位")
    h = History({("JZXQ", "rank_cluster_growth"): Fact(11.0)}, {}, {})
    p = evaluate_target(t, catalog, Period(2013, 6), h, SEASONAL)
    assert p.status == "at_risk" and p.forecast == 11.0 and "第11位" in (p.note or "")


MILESTONE = target(kind="milestone", label="黄河水进入大沙河", deadline=date(2013, 6, 30))


def _report(status: str, period: str = "2013-05", evidence: str = "施工中") -> StatusReport:
    return StatusReport("X1", period, status, evidence, "新区规划建设局", date(2013, 6, 3))


@pytest.mark.parametrize(
    ("month", "report", "status"),
    [
        (5, None, "pending"),
        (5, "not_started", "pending"),
        (5, "on_track", "on_track"),
        (5, "slow", "at_risk"),
        (5, "behind", "behind"),
        (6, "done", "achieved"),
        (6, "on_track", "overdue"),  # due at the end of June, not done
        (7, None, "overdue"),
    ],
)
def test_milestone_from_reports(
    catalog: Catalog, month: int, report: str | None, status: str
) -> None:
    reports = {"X1": _report(report)} if report else {}
    h = History({}, {}, {}, reports=reports)
    p = evaluate_target(MILESTONE, catalog, Period(2013, month), h, SEASONAL)
    assert p.status == status
    if report:
        assert "施工中" in (p.note or "") and p.pace_model == "report"


@pytest.mark.parametrize(
    ("month", "report", "status"),
    [
        (6, "on_track", "on_track"),
        (12, "done", "achieved"),
        (12, "on_track", "missed"),  # the year ended without it being done
        (12, None, "pending"),
    ],
)
def test_qualitative_from_reports(
    catalog: Catalog, month: int, report: str | None, status: str
) -> None:
    t = target(kind="qualitative", label="加强社会保障体系建设")
    reports = {"X1": _report(report, f"2013-{month:02d}")} if report else {}
    h = History({}, {}, {}, reports=reports)
    assert evaluate_target(t, catalog, Period(2013, month), h, SEASONAL).status == status


def test_latest_report_of_the_year_up_to_the_month() -> None:
    rs = [_report("slow", "2013-03"), _report("done", "2013-07"), _report("done", "2012-12")]
    assert latest_reports(rs, Period(2013, 6))["X1"].status == "slow"
    assert latest_reports(rs, Period(2013, 7))["X1"].status == "done"
    assert latest_reports(rs, Period(2013, 1)) == {}


@pytest.mark.parametrize(
    ("previous", "actual", "status"),
    [
        (None, 26.4, "at_risk"),  # 96 % of the 27.5 pace
        ("behind", 26.4, "behind"),  # 96 % × 0.97 < 95 %: not clear of the boundary
        ("behind", 27.2, "at_risk"),  # 98.9 % × 0.97 = 95.9 %
        ("at_risk", 27.8, "at_risk"),  # 101 % × 0.97 < 100 %
        ("at_risk", 28.6, "on_track"),  # 104 % × 0.97 ≥ 100 %
        ("on_track", 26.0, "behind"),  # getting worse needs no margin
    ],
)
def test_hysteresis_keeps_a_status_until_clearly_better(
    catalog: Catalog, previous: str | None, actual: float, status: str
) -> None:
    h = History({VA_KEY: Fact(actual)}, {}, {}, previous={"X1": previous} if previous else {})
    assert evaluate_target(VA, catalog, Period(2013, 6), h, LINEAR).status == status


def test_growth_hysteresis_in_points(catalog: Catalog) -> None:
    t = target(kind="growth", scope="WCJ", indicator="ind_va_above", value=20, unit="%")
    key = ("WCJ", "ind_va_above")

    def status(now: float, previous: str) -> str:
        h = History({key: Fact(now)}, {key: Fact(100.0)}, {}, previous={"X1": previous})
        return evaluate_target(t, catalog, Period(2013, 6), h, SEASONAL).status

    assert status(117.5, "behind") == "behind"  # +17.5 %, 1 point margin: 16.5 < 17
    assert status(118.5, "behind") == "at_risk"
    assert status(120.5, "at_risk") == "at_risk"  # 19.5 < 20
    assert status(121.0, "at_risk") == "on_track"


def test_each_units_contribution_to_an_area_total(catalog: Catalog, plan) -> None:  # type: ignore[no-untyped-def]
    now = {("JZXQ", "fai"): Fact(10.0), ("SJZ", "fai"): Fact(1.5), ("DIR", "fai"): Fact(8.5)}
    frame = contributions(plan, catalog, now)
    a03 = frame[frame["target_id"] == "A03"].set_index("org_unit")["share_pct"]
    assert a03.to_dict() == {"SJZ": approx(15.0), "DIR": approx(85.0)}


@pytest.mark.parametrize(
    ("previous", "actual", "note"),
    [
        (None, 27.8, None),
        ("on_track", 27.8, None),
        ("at_risk", 28.6, None),  # clear of the margin: 正常, nothing held
        ("behind", 27.2, None),  # 预警 on its figures too: improved, not held
        ("at_risk", 27.8, "状态维持预警：累计需高出进度3%才改为正常"),
        ("behind", 26.4, "状态维持滞后：累计需高出预警界线3%才改为预警"),
        ("behind", 27.8, "状态暂为预警（上月滞后）：累计需高出进度3%才改为正常"),
    ],
)
def test_a_status_the_deadband_holds_says_why(
    catalog: Catalog, previous: str | None, actual: float, note: str | None
) -> None:
    h = History({VA_KEY: Fact(actual)}, {}, {}, previous={"X1": previous} if previous else {})
    assert evaluate_target(VA, catalog, Period(2013, 6), h, LINEAR).note == note


def test_a_growth_held_below_its_figures_says_why(catalog: Catalog) -> None:
    """Issue 20: June, +15.8 % against +15 %, 预警 the month before: held at 预警."""
    t = target(kind="growth", indicator="ind_va_above", value=15, unit="%")
    h = History({VA_KEY: Fact(115.8)}, {VA_KEY: Fact(100.0)}, {}, previous={"X1": "at_risk"})
    p = evaluate_target(t, catalog, Period(2013, 6), h, SEASONAL)
    assert p.status == "at_risk"
    assert (
        p.note == "同比增长 15.8%（目标 15%）；状态维持预警：增速需高出目标增速1个百分点才改为正常"
    )
    h = History({VA_KEY: Fact(116.5)}, {VA_KEY: Fact(100.0)}, {}, previous={"X1": "at_risk"})
    assert (
        evaluate_target(t, catalog, Period(2013, 6), h, SEASONAL).note
        == "同比增长 16.5%（目标 15%）"
    )


@pytest.mark.parametrize(
    ("last", "note"),
    [
        (Fact(10.4), "同比增长 10.0%（目标 12%）"),  # 11.44 / 10.4 - 1
        (None, "目标同比增长 12%"),  # no figure last year: the stated growth only
    ],
)
def test_a_level_with_a_growth_is_judged_on_the_level(
    catalog: Catalog, last: Fact | None, note: str
) -> None:
    """宁郭镇 地区生产总值10.4亿元，增长12%: 11.44 reaches the level at +10%, under the +12%."""
    t = target(kind="level", scope="NGZ", indicator="gdp", value=10.4, unit="亿元",
               baseline=10.4, growth_pct=12)  # fmt: skip
    key = ("NGZ", "gdp")
    h = History({key: Fact(11.44)}, {key: last} if last else {}, {})
    p = evaluate_target(t, catalog, Period(2013, 12), h, SEASONAL)
    assert p.status == "achieved" and p.target_value == approx(10.4)
    assert p.note == note
