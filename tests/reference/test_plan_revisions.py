"""Mid-year revisions (调整目标): loaded with located errors, tracked against the revised value
from their month on, shown beside the original, and every version of the plan checked."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from jzplan.core.periods import Period
from jzplan.core.states import TargetStatus
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan, PlanError, load_plan
from jzplan.reference.plan_revisions import plan_at, plan_versions, target_at
from jzplan.report.markdown import revision_note, row_cells
from jzplan.track.aggregate import Fact
from jzplan.track.progress import History, Thresholds, evaluate_targets, pace_curve
from jzplan.validate.plan_check import check_plan
from jzplan.validate.rules import load_rules

ROOT = Path(__file__).resolve().parents[2]
LINEAR = Thresholds(pace_model="linear")

PLAN = """\
year: 2013
baselines: []
targets:
  - id: R1
    group: 主要预期目标
    scope: JZXQ
    kind: level
    indicator: ind_va_above
    value: 96.2
    unit: 亿元
    label: 规模以上工业增加值96.2亿元
    source: 规模以上工业增加值96.2亿元
    revisions:
      - value: 90
        revised_on: 2013-07-01
        source: 新区管委会〔2013〕45号文件
"""


def _plan(tmp_path: Path, catalog: Catalog, text: str = PLAN) -> Plan:
    path = tmp_path / "2013.yaml"
    path.write_text(text, encoding="utf-8")
    return load_plan(path, catalog)


def _status(plan: Plan, catalog: Catalog, month: int, actual: float) -> tuple[str, float]:
    history = History({("JZXQ", "ind_va_above"): Fact(actual)}, {}, {})
    row = evaluate_targets(plan, catalog, Period(2013, month), history, LINEAR).iloc[0]
    return str(row["status"]), float(row["target_value"])


def test_revision_loads_with_its_document(tmp_path: Path, catalog: Catalog) -> None:
    t = _plan(tmp_path, catalog).target("R1")
    (r,) = t.revisions
    assert (r.value, r.revised_on, r.source) == (90, date(2013, 7, 1), "新区管委会〔2013〕45号文件")
    assert target_at(t, Period(2013, 6)).value == 96.2
    assert target_at(t, Period(2013, 7)).value == 90
    assert target_at(t, Period(2013, 12)).value == 90


def test_status_before_and_after_the_revision_month(tmp_path: Path, catalog: Catalog) -> None:
    plan = _plan(tmp_path, catalog)
    # June, original 96.2: pace 96.2 × 6/12 = 48.1; 46 / 48.1 = 95.6 % → 预警
    assert _status(plan, catalog, 6, 46.0) == (TargetStatus.AT_RISK, 96.2)
    # July, revised 90: pace 90 × 7/12 = 52.5; 53 ≥ 52.5 → 正常
    assert _status(plan, catalog, 7, 53.0) == (TargetStatus.ON_TRACK, 90.0)
    # the same July against the original: 96.2 × 7/12 = 56.12; 53 / 56.12 = 94.4 % → 滞后
    original = _plan(tmp_path, catalog, PLAN.split("    revisions:")[0])
    assert _status(original, catalog, 7, 53.0) == (TargetStatus.BEHIND, 96.2)


def test_reports_show_both_values(tmp_path: Path, catalog: Catalog) -> None:
    t = _plan(tmp_path, catalog).target("R1")
    assert row_cells(t, catalog, {"period": "2013-06"})["目标值"] == "≥96.2亿元"
    assert row_cells(t, catalog, {"period": "2013-07"})["目标值"] == "≥96.2亿元（7月调整为90亿元）"
    assert revision_note(t, Period(2013, 6)) == ""  # the workbook's 指标 cell adds it
    assert revision_note(t, Period(2013, 12)) == "（7月调整为90亿元）"


def _rev(
    value: str = "90", on: str = "2013-07-01", source: str | None = "x", more: str = ""
) -> str:
    text = f"      - value: {value}\n        revised_on: {on}\n"
    return text + (f"        source: {source}\n" if source else "") + more


@pytest.mark.parametrize(
    ("revision", "fragment"),
    [
        (_rev(on="2014-02-01"), "not in the plan year 2013"),
        (_rev(on="7月"), "must be a date"),
        (_rev(source=None), "missing required key 'source'"),
        (_rev(value="-1"), "must not be negative"),
        (_rev(more="        by: y\n"), "unknown key 'by'"),
        (_rev() + _rev(value="91", on="2013-07-20"), "must be in a later month"),
    ],
    ids=["other-year", "not-a-date", "no-source", "negative", "unknown-key", "same-month"],
)
def test_malformed_revision_names_the_line(
    tmp_path: Path, catalog: Catalog, revision: str, fragment: str
) -> None:
    text = PLAN.split("      - value: 90")[0] + revision
    with pytest.raises(PlanError) as err:
        _plan(tmp_path, catalog, text)
    assert "2013.yaml:13: target R1: " in str(err.value)  # the line of `revisions`
    assert fragment in str(err.value)


def test_every_version_is_checked(tmp_path: Path, catalog: Catalog) -> None:
    # 44 × 1.25 = 55 agrees; the revision to 60 at +25 % does not
    text = PLAN.replace("value: 96.2", "value: 55\n    baseline: 44\n    growth_pct: 25").replace(
        "value: 90", "value: 60\n        growth_pct: 25"
    )
    plan = _plan(tmp_path, catalog, text)
    assert [m for m, _ in plan_versions(plan)] == [None, Period(2013, 7)]
    assert plan_at(plan, Period(2013, 6)).target("R1").value == 55
    report = check_plan(plan, catalog, load_rules(ROOT / "expectations", catalog))
    (finding,) = report.problems
    assert finding.code == "level_growth_mismatch" and finding.message.startswith("7月调整后：")


def test_the_pace_curve_follows_the_revision(tmp_path: Path, catalog: Catalog) -> None:
    t = _plan(tmp_path, catalog).target("R1")
    curve = {p.month: p.linear for p in pace_curve(t, catalog, History({}, {}, {}))}
    assert curve[6] == pytest.approx(96.2 * 6 / 12) and curve[7] == pytest.approx(90 * 7 / 12)
