"""The plan validated too: the 2013 plan's findings, with the figures involved."""

from __future__ import annotations

import pytest

from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import load_plan
from jzplan.validate.plan_check import PlanCheckReport, check_plan, half_unit, plan_check_markdown
from jzplan.validate.rules import load_rules
from tests.validate.cases import EXPECTATIONS, ROOT


@pytest.fixture(scope="module")
def report(catalog: Catalog) -> PlanCheckReport:
    plan = load_plan(ROOT / "data" / "targets" / "2013.yaml", catalog)
    return check_plan(plan, catalog, load_rules(EXPECTATIONS, catalog))


def _by(report: PlanCheckReport, code: str) -> dict[tuple[str, ...], str]:
    return {f.targets: f.message for f in report.findings if f.code == code}


def test_half_unit_of_the_written_figure() -> None:
    assert [half_unit(x) for x in (96.2, 58.62, 552.0, 1.503)] == pytest.approx(
        [0.05, 0.005, 0.5, 0.0005]
    )


def test_levels_that_disagree_with_their_growth(report: PlanCheckReport) -> None:
    found = _by(report, "level_growth_mismatch")
    assert set(found) == {("A03",), ("T-NGZ-01",), ("T-NGZ-03",), ("T-NGZ-04",)}
    assert "96.2亿元 vs 58.62×1.503=88.1059亿元" in found[("A03",)]
    assert "10.4亿元 vs 10.4×1.12=11.648亿元" in found[("T-NGZ-01",)]
    assert "1.35亿元 vs 1.35×1.12=1.512亿元" in found[("T-NGZ-03",)]
    assert "552万元 vs 492×1.15=565.8万元" in found[("T-NGZ-04",)]
    # within rounding: 5.01 × 1.30 = 6.513 is "6.5亿元"; 44 × 1.25 = 55
    assert any("6.5亿元 vs 5.01×1.3=6.513亿元" in a for a in report.agreeing)


def test_targets_for_the_same_figure_that_disagree(report: PlanCheckReport) -> None:
    found = _by(report, "conflicting_targets")
    assert set(found) == {("A08", "P04"), ("A09", "P06a"), ("A10", "P06b")}
    assert "6.5亿元 vs 50,100万元×(1+100%)=100,200万元" in found[("A08", "P04")]
    assert "增长15% vs 增长30%" in found[("A09", "P06a")]


def test_parts_and_wholes(report: PlanCheckReport) -> None:
    assert not _by(report, "parts_sum_mismatch")
    assert any("I02d 57 + I02f 112 = 169个" in a for a in report.agreeing)
    assert any("I02e 266.9 + I02g 302.76 = 569.66亿元" in a for a in report.agreeing)
    found = _by(report, "part_exceeds_whole")
    assert set(found) == {("I02c", "A03"), ("C18", "I02c")}
    assert "127.13亿元" in found[("I02c", "A03")] and "96.2亿元" in found[("I02c", "A03")]
    assert "C18 50%×I02g 302.76亿元=151.38亿元" in found[("C18", "I02c")]


def test_growths_without_a_baseline_are_listed_as_unverifiable(report: PlanCheckReport) -> None:
    assert {f.targets[0] for f in report.infos} == {
        "A02", "A04", "A05", "A06", "A07", "T-NGZ-02", "T-YMZ-05",
    }  # fmt: skip
    assert len(report.problems) == 9


def test_markdown_report(report: PlanCheckReport) -> None:
    text = plan_check_markdown(report)
    assert text.startswith("# 2013 年计划一致性检查")
    assert "发现 9 处不一致" in text and "| 1 | 总量与增速不符" in text
