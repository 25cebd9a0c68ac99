"""Two years side by side: the demo's 2013 in the store, a 2014 plan written as the office
writes it (growth over last year, levels without a baseline), and a January 2014 batch.
January 2014's baselines and seasonal profile come from the stored 2013 figures."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from jzplan.cli import main
from jzplan.core.errors import OperatorError
from jzplan.core.periods import Period
from jzplan.core.settings import Settings
from jzplan.core.states import TargetStatus
from jzplan.core.submissions import ParsedSubmission
from jzplan.month.refresh import refresh_period
from jzplan.month.resources import Resources, check_plan_years, load_plans
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan, PlanError, load_plan
from jzplan.store.alerts import read_alerts
from jzplan.store.db import make_engine, migrate
from jzplan.store.progress import read_progress
from jzplan.store.reference import sync_reference
from jzplan.store.submissions import load_submission, record_submission
from jzplan.track.history import month_facts
from jzplan.track.progress import Thresholds

ROOT = Path(__file__).resolve().parents[2]
JAN_GROWTH = 1.1  # January 2014's forms: every figure of January 2013 × 1.1

PLAN_2014 = """\
year: 2014
baselines: []
targets:
  - id: 2014-A01
    group: 主要预期目标
    scope: JZXQ
    kind: growth
    indicator: fai
    value: 20
    unit: "%"
    label: 全社会固定资产投资增长20%
    source: 全社会固定资产投资增长20%
  - id: 2014-A02
    group: 主要预期目标
    scope: JZXQ
    kind: level
    indicator: ind_va_above
    value: 60
    unit: 亿元
    label: 规模以上工业增加值60亿元
    source: 规模以上工业增加值实现60亿元
  - id: 2014-A03
    group: 主要预期目标
    scope: JZXQ
    kind: count
    indicator: enterprises_above
    value: {enterprises}
    unit: 家
    label: 规模以上工业企业{enterprises}家
    source: 规模以上工业企业达到{enterprises}家
"""


def _dec(engine: Engine, indicator: str) -> float:
    return month_facts(engine, Period(2013, 12))[("JZXQ", indicator)].value


@pytest.fixture(scope="module")
def two_years(
    demo_year: Engine,
    tmp_path_factory: pytest.TempPathFactory,
    catalog: Catalog,
    parsed_inbox: Mapping[Path, ParsedSubmission],
) -> Iterator[tuple[Engine, Plan]]:
    """A copy of the demo store, the 2014 plan synced, January 2014 loaded and evaluated."""
    folder = tmp_path_factory.mktemp("two-years")
    db = folder / "jzplan.db"
    assert demo_year.url.database is not None
    shutil.copyfile(demo_year.url.database, db)
    engine = make_engine(f"sqlite:///{db}")
    enterprises = int(_dec(engine, "enterprises_above")) + 12
    path = folder / "2014.yaml"
    path.write_text(PLAN_2014.format(enterprises=enterprises), encoding="utf-8")
    plan = load_plan(path, catalog)
    sync_reference(engine, catalog, plan)
    january = Period(2014, 1)
    for source, parsed in parsed_inbox.items():
        if parsed.period != Period(2013, 1) or not parsed.ok:
            continue
        frame = parsed.frame.copy()
        frame["period"] = str(january)
        frame["value"] *= JAN_GROWTH
        frame["value_month"] *= JAN_GROWTH
        sid = record_submission(
            engine, sha256=f"2014-{source.name}", file_name=source.name,
            archive_path=str(source), arrival_period=january,
            received_at=datetime(2014, 2, 3, tzinfo=UTC), org_unit=parsed.org_unit,
            period=str(january), filed_on=None,
        )  # fmt: skip
        load_submission(engine, sid, frame)
    refresh_period(engine, catalog=catalog, plan=plan, period=january, thresholds=Thresholds())
    yield engine, plan
    engine.dispose()


def _row(engine: Engine, target_id: str) -> Mapping[str, object]:
    frame = read_progress(engine, Period(2014, 1)).set_index("target_id")
    return frame.loc[target_id].to_dict()  # type: ignore[no-any-return]


def test_growth_target_grows_last_years_stored_december(two_years) -> None:  # type: ignore[no-untyped-def]
    engine, _ = two_years
    row = _row(engine, "2014-A01")
    dec = _dec(engine, "fai")  # 2013's stored total, 亿元 (no baseline in the 2014 plan)
    assert row["target_value"] == pytest.approx(dec * 1.2)
    jan_2013 = month_facts(engine, Period(2013, 1))[("JZXQ", "fai")].value
    actual = month_facts(engine, Period(2014, 1))[("JZXQ", "fai")].value
    assert actual == pytest.approx(jan_2013 * JAN_GROWTH)
    # +10 % against +20 %: more than 3 points short
    assert row["status"] == TargetStatus.BEHIND
    assert row["expected_seasonal"] == pytest.approx(jan_2013 * 1.2)  # same month last year


def test_level_target_paced_on_last_years_profile(two_years) -> None:  # type: ignore[no-untyped-def]
    engine, _ = two_years
    row = _row(engine, "2014-A02")
    jan, dec = (
        month_facts(engine, p)[("JZXQ", "ind_va_above")].value
        for p in (Period(2013, 1), Period(2013, 12))
    )
    assert 0 < jan < dec
    assert row["expected"] == pytest.approx(60 / 12)
    assert row["expected_seasonal"] == pytest.approx(60 * jan / dec)  # 2013's own profile
    assert row["pace_model"] == "seasonal"


def test_stock_target_starts_from_last_december(two_years) -> None:  # type: ignore[no-untyped-def]
    engine, plan = two_years
    row = _row(engine, "2014-A03")
    dec = _dec(engine, "enterprises_above")
    goal = plan.target("2014-A03").value
    assert goal == dec + 12
    # baseline = 2013's stored December level: the year's 12 more, one a month
    assert row["expected"] == pytest.approx(dec + 1)


def test_2013_and_2014_targets_side_by_side(two_years) -> None:  # type: ignore[no-untyped-def]
    engine, _ = two_years
    dec_2013 = read_progress(engine, Period(2013, 12))
    jan_2014 = read_progress(engine, Period(2014, 1))
    assert "A01" in set(dec_2013["target_id"]) and "2014-A01" not in set(dec_2013["target_id"])
    assert set(jan_2014["target_id"]) == {"2014-A01", "2014-A02", "2014-A03"}


def test_a_reused_target_id_is_refused(two_years, catalog: Catalog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine, _ = two_years
    path = tmp_path / "2014.yaml"
    path.write_text(PLAN_2014.replace("2014-A02", "A02").format(enterprises=1), encoding="utf-8")
    with pytest.raises(OperatorError) as err:
        sync_reference(engine, catalog, load_plan(path, catalog))
    assert err.value.code == "target_id_reused"
    assert "A02" in err.value.message and "2013" in err.value.message


# --- the plan of each year, from data/targets ------------------------------------------------


def _data_dir(tmp_path: Path, *years: str) -> Settings:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "catalog", data / "catalog")
    (data / "targets").mkdir()
    shutil.copyfile(ROOT / "data" / "targets" / "2013.yaml", data / "targets" / "2013.yaml")
    for text in years:
        (data / "targets" / "2014.yaml").write_text(text, encoding="utf-8")
    return Settings(data_dir=data)


def test_each_month_uses_its_years_plan(tmp_path: Path, catalog: Catalog, plan: Plan) -> None:
    settings = _data_dir(tmp_path, PLAN_2014.format(enterprises=100))
    plans = load_plans(settings, catalog)
    assert sorted(plans) == [2013, 2014]
    res = Resources(settings, make_engine("sqlite://"), catalog, plan, plans)
    assert res.plan_for(2014) is plans[2014] and res.plan_for(2013) is plans[2013]
    assert res.plan_for(2012) is None  # history before the first plan
    assert res.plan_of(2012) is plan
    with pytest.raises(OperatorError) as err:
        res.plan_for(2015)
    assert err.value.code == "plan_missing"
    assert "2015.yaml" in err.value.message and "plan-new --year 2015" in err.value.message


def test_a_plan_reusing_another_years_id_names_its_line(tmp_path: Path, catalog: Catalog) -> None:
    settings = _data_dir(tmp_path, PLAN_2014.replace("2014-A02", "A02").format(enterprises=9))
    with pytest.raises(PlanError, match=r"2014\.yaml:13: target A02: id already used by the 2013"):
        load_plans(settings, catalog)


def test_a_run_of_a_month_without_its_plan_stops_before_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = _data_dir(tmp_path)
    check_plan_years(settings, [2012, 2013])  # history before the first plan, and 2013
    (tmp_path / "inbox" / "2014-01").mkdir(parents=True)
    engine = make_engine(f"sqlite:///{tmp_path / 'jzplan.db'}")
    migrate(engine)
    engine.dispose()
    monkeypatch.setenv("JZPLAN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("JZPLAN_INBOX_DIR", str(tmp_path / "inbox"))
    monkeypatch.setenv("JZPLAN_DATABASE_URL", f"sqlite:///{tmp_path / 'jzplan.db'}")
    assert main(["run", "--period", "2014-01"]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("[plan_missing] ") and "targets/2014.yaml：没有 2014 年的目标计划文件" in err
    )


def test_the_new_years_first_month_closes_last_years_target_alerts(two_years, demo_year) -> None:  # type: ignore[no-untyped-def]
    engine, _ = two_years
    kinds = {"target_status", "milestone_overdue"}
    before = read_alerts(demo_year, open_only=True)
    open_2013 = set(before[before["kind"].isin(kinds)]["dedup_key"])
    assert open_2013  # the demo's 2013 ends with target alerts open (e.g. 未完成)
    after = read_alerts(engine).set_index("dedup_key")
    assert set(after.loc[sorted(open_2013), "resolved"]) == {"2014-01"}
    # January is not assessed (alert_from_month 2): no 2014 target alert yet
    assert not after[after["target_id"].fillna("").str.startswith("2014-")].size
