"""The plan's own contradictions (``check-plan``) where a reader meets them: a note on each
target they touch, in the HTML report, the workbook and the Markdown, rolling and released."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import openpyxl
import pytest
from sqlalchemy import Engine

from jzplan.core.markup import md_escape
from jzplan.core.periods import Period
from jzplan.core.states import TargetStatus
from jzplan.reference.catalog import Catalog
from jzplan.reference.display import in_display_unit
from jzplan.reference.plan import Plan, Target
from jzplan.report.plan_notes import (
    NOTE_MARK,
    PlanNote,
    judged_figure,
    notes_from_findings,
    plan_notes,
)
from jzplan.report.rolling import write_rolling
from jzplan.report.versions import write_version
from jzplan.report.workbook import REMARK_COLUMN, sheet_columns
from jzplan.store.progress import read_progress
from jzplan.track.history import month_facts
from jzplan.validate.plan_check import Finding, check_plan
from jzplan.validate.rules import Rules

DECEMBER = Period(2013, 12)
# the targets the issue names: 固投 96.2 vs 58.62×1.503; 公共财政 6.5亿 vs 翻一番; 宁郭镇 GDP and
# 利润 equal to their 2012 base despite +12%; 宁郭镇财政 552 vs 492×1.15
NAMED = ("A03", "A08", "P04", "T-NGZ-01", "T-NGZ-03", "T-NGZ-04")
WITHOUT = ("A01", "A02", "T-NGZ-02")  # agreeing; A02 and T-NGZ-02 only unverifiable (info)


@pytest.fixture(scope="module")
def notes(plan: Plan, catalog: Catalog, rules: Rules) -> dict[str, PlanNote]:
    return plan_notes(plan, catalog, rules)


def test_every_finding_and_only_findings_give_a_note(
    plan: Plan, catalog: Catalog, rules: Rules, notes: dict[str, PlanNote]
) -> None:
    report = check_plan(plan, catalog, rules)
    touched = {i for f in report.problems for i in f.targets}
    assert set(notes) == touched and set(NAMED) <= touched
    assert [n.target_id for n in notes.values()] == [t.id for t in plan.targets if t.id in notes]
    only_info = {i for f in report.infos for i in f.targets} - touched
    assert only_info and not only_info & set(notes)
    assert not set(WITHOUT) & set(notes)
    for n in notes.values():  # one clause per finding naming the target
        assert len(n.clauses) == sum(n.target_id in f.targets for f in report.problems)


def test_notes_say_what_contradicts_what(notes: dict[str, PlanNote]) -> None:
    assert notes["A03"].codes == ("level_growth_mismatch", "part_exceeds_whole")
    assert notes["A03"].text == (
        "计划自相矛盾：96.2亿元与上年58.62亿元增长50.3%（=88.11亿元）不一致；"
        "96.2亿元小于其中的I02c「项目计划完成投资127.13亿元」，部分不应大于整体；"
        "状态按96.2亿元判断"
    )
    assert notes["A08"].text == (
        "计划自相矛盾：6.5亿元与P04「公共财政预算收入翻一番」（折合10.02亿元）不一致；"
        "状态按6.5亿元判断"
    )
    assert notes["P04"].text == (
        "计划自相矛盾：增长100%（折合10.02亿元）与A08「公共财政预算收入6.5亿元」不一致；"
        "状态按同比增长100%判断"
    )
    assert notes["T-NGZ-01"].text == (
        "计划自相矛盾：10.4亿元与上年10.4亿元增长12%（=11.65亿元）不一致；状态按10.4亿元判断"
    )
    assert notes["T-NGZ-03"].clauses == ("1.35亿元与上年1.35亿元增长12%（=1.51亿元）不一致",)
    assert notes["T-NGZ-04"].clauses == ("552万元与上年492万元增长15%（=565.8万元）不一致",)
    assert notes["A09"].clauses == ("增长15%与P06a「城镇居民人均收入提高30%以上」不一致",)
    assert notes["C18"].text.endswith("状态按50%判断")


def test_other_kinds_of_finding(plan: Plan, catalog: Catalog) -> None:
    """Sums and the townships' share of the area, which the 2013 plan does not trip."""
    found = [
        Finding("parts_sum_mismatch", "finding", ("I02a", "I02d", "I02f"), "JZXQ",
                "projects_planned", "…", stated=169, implied=170),
        Finding("units_exceed_area", "finding", ("A03", "T-NGZ-02", "T-WCJ-03"), "JZXQ",
                "fai", "…", stated=100, implied=96.2),
        Finding("growth_unverifiable", "info", ("A02",), "JZXQ", "ind_profit_tax", "…"),
    ]  # fmt: skip
    notes = notes_from_findings(plan, catalog, found)
    assert list(notes) == ["A03", "I02a", "I02d", "I02f", "T-NGZ-02", "T-WCJ-03"]
    assert notes["I02a"].clauses == ("169个与分项I02d、I02f之和170个不一致",)
    assert notes["I02d"].clauses[0].startswith("分项I02d、I02f之和170个与合计I02a「")
    assert notes["A03"].clauses == ("96.2亿元小于各单位目标T-NGZ-02、T-WCJ-03之和100亿元",)
    assert (
        notes["T-NGZ-02"]
        .clauses[0]
        .endswith("之和100亿元大于全区A03「全社会固定资产投资96.2亿元」")
    )


def _target(plan: Plan, target_id: str) -> Target:
    return plan.target(target_id)


def test_the_status_is_judged_against_the_figure_the_note_names(
    demo_year: Engine, plan: Plan, catalog: Catalog, notes: dict[str, PlanNote]
) -> None:
    """What the evaluation stored: a level target against its stated level, a growth target
    against its growth over last December's same period; T-NGZ-01 已完成 at under +12%."""
    progress = read_progress(demo_year, str(DECEMBER)).set_index("target_id")
    for target_id, note in notes.items():
        t, row = _target(plan, target_id), progress.loc[target_id]
        assert note.judged == judged_figure(t)
        if t.kind in ("level", "count", "ceiling"):
            assert in_display_unit(row["target_value"], row["unit"], t.unit) == t.value
            assert note.judged.startswith(f"{t.value:g}{t.unit}")
        elif t.kind == "growth":
            assert note.judged == f"同比增长{t.value:g}%" and row["pace_model"] == "yoy"
    gdp = progress.loc["T-NGZ-01"]
    now = month_facts(demo_year, DECEMBER)[("NGZ", "gdp")].value
    last = month_facts(demo_year, Period(2012, 12))[("NGZ", "gdp")].value
    assert gdp["status"] == TargetStatus.ACHIEVED and now / last - 1 < 0.12
    assert gdp["note"] == f"同比增长 {(now / last - 1) * 100:.1f}%（目标 12%）"
    assert progress.loc["A08", "status"] == TargetStatus.ACHIEVED
    assert progress.loc["P04", "status"] == TargetStatus.MISSED


def _files(
    demo_year: Engine, plan: Plan, catalog: Catalog, rules: Rules, folder: Path
) -> dict[str, dict[str, Path]]:
    rolling = write_rolling(demo_year, plan, catalog, rules, DECEMBER, folder / "rolling")
    released = write_version(
        demo_year, plan, catalog, DECEMBER, rules=rules, version=1, by="张三", note="年报",
        at=datetime(2014, 1, 20, 2, 0, tzinfo=UTC), report_dir=folder / "released",
    )  # fmt: skip
    md, html, xlsx, _docx = rolling
    return {
        "rolling": {"html": html, "xlsx": xlsx, "md": md},
        "released": {"html": released.html, "xlsx": released.workbook, "md": released.markdown},
    }


@pytest.fixture(scope="module")
def december(
    demo_year: Engine,
    plan: Plan,
    catalog: Catalog,
    rules: Rules,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, dict[str, Path]]:
    return _files(demo_year, plan, catalog, rules, tmp_path_factory.mktemp("plan-notes"))


@pytest.mark.parametrize("which", ["rolling", "released"])
def test_html_carries_the_note(
    december: dict[str, dict[str, Path]], notes: dict[str, PlanNote], which: str
) -> None:
    page = lxml.html.fromstring(december[which]["html"].read_text(encoding="utf-8"))
    rows = {r.get("data-target"): r for r in page.xpath("//tr[@data-target]")}
    lead = page.get_element_by_id("plan-note-lead").text_content()
    assert f"计划自相矛盾的目标 {len(notes)} 项" in lead
    for target_id in (*NAMED, *WITHOUT):
        row = rows[target_id]
        label, remark, status = (
            row.xpath(f'td[@data-col="{col}"]')[0] for col in ("目标", "说明", "状态")
        )
        assert NOTE_MARK not in status.text_content()
        if target_id in WITHOUT:
            assert row.get("data-plan-note") is None and NOTE_MARK not in row.text_content()
            continue
        note = notes[target_id]
        assert row.get("data-plan-note") == " ".join(dict.fromkeys(note.codes))
        assert label.xpath('sup[@class="plan-note-mark"]')[0].text_content() == NOTE_MARK
        assert f"{NOTE_MARK}{note.text}" in remark.text_content()


@pytest.mark.parametrize("which", ["rolling", "released"])
def test_workbook_carries_the_note(
    december: dict[str, dict[str, Path]],
    plan: Plan,
    catalog: Catalog,
    notes: dict[str, PlanNote],
    which: str,
) -> None:
    book = openpyxl.load_workbook(december[which]["xlsx"], read_only=True)
    column = sheet_columns(DECEMBER).index(REMARK_COLUMN)
    assert column == 8  # I, after 状态
    for target_id in (*NAMED, *WITHOUT):
        t = plan.target(target_id)
        sheet = book[catalog.unit(t.scope).name]
        assert [c.value for c in sheet[2]][column] == REMARK_COLUMN
        # rows in plan order: a label two targets share (A01, I04b) is told apart by order
        twins = [x.id for x in plan.targets if x.scope == t.scope and x.label == t.label]
        rows = [r for r in sheet.iter_rows(min_row=3, values_only=True) if r[0] == t.label]
        row = rows[twins.index(target_id)]
        want = f"{NOTE_MARK}{notes[target_id].text}" if target_id in notes else None
        assert row[column] == want, target_id


@pytest.mark.parametrize("which", ["rolling", "released"])
def test_markdown_carries_the_note(
    december: dict[str, dict[str, Path]], notes: dict[str, PlanNote], which: str
) -> None:
    text = december[which]["md"].read_text(encoding="utf-8")
    assert f"- {NOTE_MARK}计划自相矛盾的目标 {len(notes)} 项，见各目标说明\n" in text
    for target_id in (*NAMED, *WITHOUT):
        (line,) = [x for x in text.splitlines() if x.startswith(f"| {md_escape(target_id)} |")]
        remark = line.rstrip(" |").rsplit(" | ", 1)[-1]
        if target_id in notes:
            assert remark.endswith(md_escape(f"{NOTE_MARK}{notes[target_id].text}"))
        else:
            assert NOTE_MARK not in line
