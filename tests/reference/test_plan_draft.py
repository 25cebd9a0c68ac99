"""``jzplan plan-new``: next year's plan drafted from the demo's stored 2013 — every target
carried over with last December's stored figure as baseline, its value empty (待填写) and its
sentence a TODO; the draft loads, passes the plan check and is tracked as 待定."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine

from jzplan.cli import main
from jzplan.core.periods import Period
from jzplan.core.states import TargetStatus
from jzplan.reference.catalog import Catalog, convert, load_catalog
from jzplan.reference.plan import QUANTITATIVE_KINDS, Plan, load_plan
from jzplan.reference.plan_draft import TODO, draft_id
from jzplan.track.history import month_facts
from jzplan.track.progress import History, Thresholds, evaluate_targets
from jzplan.validate.plan_check import check_plan, plan_check_markdown
from jzplan.validate.rules import load_rules
from tests.reference.changed_catalog import Raw, change_indicators, change_units, write_catalog

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def drafted(
    demo_year: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[Path, str]:
    """``jzplan plan-new --year 2014`` on a copy of the demo store and of data/."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "catalog", data / "catalog")
    _plan_new_2014(demo_year, tmp_path, monkeypatch)
    return data / "targets" / "2014.yaml", capsys.readouterr().out


def _plan_new_2014(demo_year: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``jzplan plan-new --year 2014`` with the catalog in ``tmp_path/data/catalog``, the 2013
    plan and a copy of the demo store."""
    data = tmp_path / "data"
    (data / "targets").mkdir()
    shutil.copyfile(ROOT / "data" / "targets" / "2013.yaml", data / "targets" / "2013.yaml")
    assert demo_year.url.database is not None
    shutil.copyfile(demo_year.url.database, tmp_path / "jzplan.db")
    monkeypatch.setenv("JZPLAN_DATA_DIR", str(data))
    monkeypatch.setenv("JZPLAN_DATABASE_URL", f"sqlite:///{tmp_path / 'jzplan.db'}")
    assert main(["plan-new", "--year", "2014"]) == 0


def test_draft_carries_every_target_with_its_baseline(
    drafted: tuple[Path, str], demo_year: Engine, catalog: Catalog, plan: Plan
) -> None:
    path, out = drafted
    draft = load_plan(path, catalog)
    assert draft.year == 2014
    assert [t.id for t in draft.targets] == [draft_id(t.id, 2013, 2014) for t in plan.targets]
    assert (
        draft.target("2014-A01").id == "2014-A01" and draft_id("2013-A01", 2013, 2014) == "2014-A01"
    )
    december = month_facts(demo_year, Period(2013, 12))
    filled = 0
    for old, new in zip(plan.targets, draft.targets, strict=True):
        assert new.source.startswith(TODO) and (new.group, new.scope, new.kind) == (
            old.group,
            old.scope,
            old.kind,
        )
        assert new.value is None and new.revisions == ()
        assert new.unset == (old.kind in QUANTITATIVE_KINDS)
        fact = december.get((old.scope, old.indicator or ""))
        if fact is None or old.kind == "ranking" or old.unit is None or old.indicator is None:
            assert new.baseline is None
            continue
        canonical = catalog.indicator(old.indicator).unit
        want = fact.value if old.kind == "growth" else convert(fact.value, canonical, old.unit)
        assert new.baseline == pytest.approx(want, rel=1e-6)
        filled += 1
    # A01 规模以上工业增加值 (亿元): the demo's stored 2013 total
    assert draft.target("2014-A01").baseline == pytest.approx(
        december[("JZXQ", "ind_va_above")].value
    )
    assert filled >= 70  # 77 of the demo's 2013 targets have a stored December figure
    assert f"基期值 {filled} 项取自 2013-12 库存数据" in out


def test_draft_passes_the_plan_check_with_targets_empty(
    drafted: tuple[Path, str], catalog: Catalog
) -> None:
    path, out = drafted
    draft = load_plan(path, catalog)
    report = check_plan(draft, catalog, load_rules(ROOT / "expectations", catalog))
    assert report.problems == []
    unset = [t.id for t in draft.targets if t.unset]
    assert [f.targets[0] for f in report.infos if f.code == "target_unset"] == unset
    assert "待填写" in plan_check_markdown(report)
    assert f"目标值待填写 {len(unset)} 项" in out and "不一致 0 处" in out
    assert main(["check-plan", "--year", "2014"]) == 0


def test_draft_targets_are_tracked_as_unset(drafted: tuple[Path, str], catalog: Catalog) -> None:
    draft = load_plan(drafted[0], catalog)
    frame = evaluate_targets(draft, catalog, Period(2014, 3), History({}, {}, {}), Thresholds())
    unset = {t.id for t in draft.targets if t.unset}
    statuses = dict(zip(frame["target_id"], frame["status"], strict=True))
    assert {statuses[i] for i in unset} == {TargetStatus.UNSET}
    assert TargetStatus.UNSET.label == "待定"


def test_plan_new_refuses_to_overwrite(
    drafted: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = drafted
    path.write_text(path.read_text(encoding="utf-8") + "# 已填写\n", encoding="utf-8")
    assert main(["plan-new", "--year", "2014"]) == 2
    assert "[plan_exists]" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8").endswith("# 已填写\n")
    assert main(["plan-new", "--year", "2014", "--force"]) == 0
    assert not path.read_text(encoding="utf-8").endswith("# 已填写\n")


def test_plan_new_needs_last_years_plan(
    drafted: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan-new", "--year", "2016"]) == 2
    assert "[plan_missing]" in capsys.readouterr().err


def test_plan_new_follows_the_years_township_changes(
    demo_year: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The catalog records 2014's changes (tests/reference/changed_catalog.py), and 文昌街道
    leaves the area: the merged units' targets go to the unit that now holds their figures,
    文昌街道's are not carried over (and the output says so), and every baseline is last
    December on the comparable base — 阳庙镇's without the 30% 丰收街道 took."""
    data = tmp_path / "data"

    def units(raw: list[Raw]) -> None:
        change_units(raw, 2014)
        next(u for u in raw if u["code"] == "WCJ")["valid_to"] = "2013-12"

    write_catalog(data / "catalog", units=units, indicators=change_indicators)
    _plan_new_2014(demo_year, tmp_path, monkeypatch)
    out = capsys.readouterr().out
    changed = load_catalog(data / "catalog")
    draft = load_plan(data / "targets" / "2014.yaml", changed)
    old = load_plan(ROOT / "data" / "targets" / "2013.yaml", changed)
    scopes = {t.id: t.scope for t in draft.targets}
    left = [t for t in old.targets if t.scope == "WCJ"]
    assert len(left) == 10 and f"未带入 {len(left)} 项：文昌街道已不属本区" in out
    assert not {draft_id(t.id, 2013, 2014) for t in left} & set(scopes)
    assert {scopes["2014-T-LWJ-01"], scopes["2014-T-WYJ-01"], scopes["2014-T-SJZ-01"]} == {
        "LWY",
        "SJJ",
    }
    assert "原为李万街道的目标，李万街道已并入李万文苑街道" in (
        draft.target("2014-T-LWJ-01").note or ""
    )
    assert not {"LWJ", "WYJ", "SJZ", "WCJ"} & set(scopes.values())
    december = month_facts(demo_year, Period(2013, 12))
    ymz = draft.target("2014-T-YMZ-06")  # 招商引资 (亿元), a level
    stored = convert(december[("YMZ", "investment_attracted")].value, "万元", "亿元")
    assert ymz.baseline == pytest.approx(stored * 0.7, rel=1e-6)
    report = check_plan(draft, changed, load_rules(ROOT / "expectations", changed))
    assert report.problems == []
