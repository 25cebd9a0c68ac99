"""The briefing (文字分析) against the store it was written from: every number in the text is
read back out with a regular expression and compared with the stored figure its sentence says
it states, derived here from the store's own tables; the units' standing is named; the Word
document, the workbook's sheet and the HTML report carry the same paragraphs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn
from sqlalchemy import Engine

from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog, convert
from jzplan.reference.plan import Plan, Target
from jzplan.report.briefing import build_briefing
from jzplan.report.briefing_model import DIRECTED, Briefing, Figure, Ref, Sentence
from jzplan.report.briefing_render import (
    BRIEFING_SHEET,
    briefing_path,
    write_briefing_docx,
)
from jzplan.report.data import SUMMARY_BUCKETS, read_report_data
from jzplan.report.html import render_report, write_report
from jzplan.report.index_page import write_index
from jzplan.report.markdown import display_unit
from jzplan.report.workbook import write_workbook
from jzplan.store.db import make_engine
from jzplan.store.progress import read_progress
from jzplan.store.submissions import read_submissions
from jzplan.track.history import month_facts
from jzplan.validate.rules import Rules, load_rules
from tests.conftest import REPO_ROOT

MONTHS = ("2013-03", "2013-06", "2013-12")
NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
# the word before a figure printed as a magnitude, by the sign of its value
WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "yoy": (("同比增长",), ("同比下降",)),
    "time_gap": (("快于时间进度",), ("慢于时间进度",)),
    "goal_gap": (("高于目标增速",), ("低于目标增速",)),
    "margin": (("低于控制目标",), ("超出控制目标",)),
    "pace_gap": (
        ("高于季节进度", "高于时间进度要求", "高于年度目标"),
        ("低于季节进度", "低于时间进度要求", "低于年度目标"),
    ),
}


class Store:
    """The month's figures as the store holds them, read here independently of the
    briefing: what each ``Ref`` names."""

    def __init__(self, engine: Engine, plan: Plan, catalog: Catalog, period: Period) -> None:
        self.plan, self.catalog, self.period = plan, catalog, period
        progress = read_progress(engine, period)
        self.rows = {str(r["target_id"]): r for r in progress.to_dict("records")}
        self.now = month_facts(engine, period)
        self.last = month_facts(engine, period.same_month_last_year())
        self.subs = read_submissions(engine, [str(period)])

    def shown(self, t: Target, column: str) -> float:
        """A stored progress value in the target's display unit."""
        value = float(self.rows[t.id][column])
        unit, canonical = display_unit(t, self.catalog), str(self.rows[t.id]["unit"])
        if column == "completion_pct" or t.kind == "ranking" or not unit or unit == canonical:
            return value
        return convert(value, canonical, unit)

    def yoy(self, t: Target) -> float:
        key = (t.scope, str(t.indicator))
        return (self.now[key].value / self.last[key].value - 1) * 100

    def standing(self, unit: str) -> str:
        mine = self.subs[self.subs["org_unit"] == unit]
        loaded = mine[mine["status"].isin(["accepted", "superseded"])]
        if len(loaded):
            late = str(loaded["arrival_period"].min()) > str(self.period)
            return "late" if late else "on_time"
        return "returned" if (mine["status"] == "rejected").any() else "missing"

    def value(self, ref: Ref) -> float:
        month = self.period.month
        if ref.kind == "time_progress":
            return month / 12 * 100
        if ref.kind == "months_left":
            return 12 - month
        if ref.kind == "targets":
            targets = [t for t in self.plan.targets if ref.key in ("*", t.scope)]
            if ref.column == "total":
                return len(targets)
            statuses = SUMMARY_BUCKETS[ref.column]
            return sum(self.rows[t.id]["status"] in statuses for t in targets)
        if ref.kind == "units":
            units = [u.code for u in self.catalog.reporting_units]
            if ref.column == "total":
                return len(units)
            return sum(self.standing(u) == ref.column for u in units)
        t = self.plan.target(ref.key)
        row = self.rows[t.id]
        if ref.kind == "progress":
            return self.shown(t, ref.column)
        if ref.kind == "yoy":
            return self.yoy(t)
        if ref.kind == "goal_gap":
            return self.yoy(t) - float(t.value or 0)
        if ref.kind == "time_gap":
            return float(row["completion_pct"]) - month / 12 * 100
        if ref.kind == "pace_gap":
            pace = "expected_seasonal" if row["pace_model"] == "seasonal" else "expected"
            return self.shown(t, "actual") - self.shown(t, pace)
        if ref.kind in ("margin", "remaining"):
            return self.shown(t, "target_value") - self.shown(t, "actual")
        indicator = str(t.indicator)
        part = self.now[(ref.column, indicator)].value
        if ref.kind == "contribution":
            return part / self.now[(self.catalog.area.code, indicator)].value * 100
        assert ref.kind == "part", ref
        unit = display_unit(t, self.catalog)
        canonical = self.catalog.indicator(indicator).unit
        return convert(part, canonical, unit) if unit and unit != canonical else part


def numbers(text: str) -> list[str]:
    return [m.replace(",", "") for m in NUMBER.findall(text)]


def check_sentence(sentence: Sentence, store: Store) -> None:
    """Every number of the text (names taken out) is one of its figures, in order, and each
    figure is the stored value it names, to the precision printed."""
    text = sentence.text
    for name in sorted(sentence.names, key=len, reverse=True):
        text = text.replace(name, "〇")
    assert numbers(text) == [n for f in sentence.figures for n in numbers(f.text)], sentence
    cursor = 0
    for f in sentence.figures:
        at = sentence.text.index(f.text, cursor)
        before, cursor = sentence.text[cursor:at], at + len(f.text)
        check_figure(f, before, store)


def check_figure(f: Figure, before: str, store: Store) -> None:
    expected = store.value(f.ref)
    assert f.value == pytest.approx(expected, rel=1e-9, abs=1e-9), f
    (printed,) = numbers(f.text)
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    shown = abs(expected) if f.ref.kind in DIRECTED else expected
    assert float(printed) == pytest.approx(shown, abs=0.5 * 10**-decimals + 1e-9), f
    if f.unit in ("%", "个百分点"):
        assert decimals == 1, f
    if f.unit in ("人", "个", "家", "所", "项", "个月"):
        assert decimals == 0, f
    if f.ref.kind in WORDS:
        up, down = WORDS[f.ref.kind]
        assert before.endswith(up if expected > 0 else down), (f, before)


def rules_of(catalog: Catalog) -> Rules:
    """The rules of expectations/ (the reports' plan notes come from them)."""
    return load_rules(REPO_ROOT / "expectations", catalog)


def briefing_of(engine: Engine, plan: Plan, catalog: Catalog, period: str) -> Briefing:
    return build_briefing(
        read_report_data(engine, plan, catalog, Period.parse(period), rules=rules_of(catalog)),
        plan,
        catalog,
    )


@pytest.mark.parametrize("period", MONTHS)
def test_every_number_is_the_stored_figure(
    demo_year: Engine, plan: Plan, catalog: Catalog, period: str
) -> None:
    briefing = briefing_of(demo_year, plan, catalog, period)
    store = Store(demo_year, plan, catalog, Period.parse(period))
    sentences = [s for sec in briefing.sections for p in sec.paragraphs for s in p.sentences]
    for s in sentences:
        check_sentence(s, store)
    kinds = {f.ref.kind for s in sentences for f in s.figures}
    assert {"targets", "progress", "yoy", "margin", "contribution", "units"} <= kinds
    if period != "2013-12":
        assert {"time_gap", "months_left", "pace_gap"} <= kinds
    # the area, then each township by name (the direct reporting unit has no targets)
    headings = [s.heading for s in briefing.sections]
    assert headings[:5] == [
        "一、总体情况", "二、主要预期目标完成情况", "三、需要关注的目标", "四、各单位贡献",
        "五、报送情况",
    ]  # fmt: skip
    assert headings[6:] == [
        f"（{n}）{u.name}" for n, u in zip("一二三四五六", catalog.townships, strict=True)
    ]
    text = briefing.text()
    assert f"{Period.parse(period).label}目标进度文字分析" in text
    assert "控制目标为6.5‰以内" in text  # the ceiling, never a completion rate
    assert not re.search(r"\b(SJZ|NGZ|YMZ|LWJ|WYJ|WCJ|DIR|JZXQ)\b", text)  # names, never codes
    assert (
        build_briefing(
            read_report_data(
                demo_year, plan, catalog, Period.parse(period), rules=rules_of(catalog)
            ),
            plan,
            catalog,
        )
        == briefing
    )  # deterministic


def test_main_targets_read_as_a_bulletin(demo_year: Engine, plan: Plan, catalog: Catalog) -> None:
    """June, as the store has it (checked figure by figure above), in the bulletin's words."""
    text = briefing_of(demo_year, plan, catalog, "2013-06").text()
    assert (
        "1-6月，新区规模以上工业增加值完成25.86亿元，同比增长29.5%，完成年度目标的47.0%，"
        "慢于时间进度3.0个百分点；完成全年目标，后6个月月均需完成4.86亿元。"
    ) in text
    assert "1-6月，新区人口自然增长率为2.71‰，全年控制目标为6.5‰以内，低于控制目标3.79‰。" in text
    assert "6月，7个报送单位均按时报送月报。" in text


def test_a_late_unit_is_named(demo_year: Engine, plan: Plan, catalog: Catalog) -> None:
    """李万街道's May form came with June's batch (the demo's late township)."""
    briefing = briefing_of(demo_year, plan, catalog, "2013-05")
    assert "5月，7个报送单位中，按时报送6个；迟报1个：李万街道。" in briefing.text()
    (lwj,) = [s for s in briefing.sections if s.scope == "LWJ"]
    assert lwj.paragraphs[-1].text == "5月月报迟报。"
    store = Store(demo_year, plan, catalog, Period(2013, 5))
    for s in briefing.sections[4].paragraphs[0].sentences:
        check_sentence(s, store)


def test_a_missing_unit_is_named(
    demo_year: Engine, plan: Plan, catalog: Catalog, tmp_path: Path
) -> None:
    """A copy of the store without 苏家作乡's March form: the briefing says it is missing."""
    source = demo_year.url.database
    assert source is not None
    shutil.copy(source, tmp_path / "jzplan.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'jzplan.db'}")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "DELETE FROM submission WHERE org_unit_code = 'SJZ' AND period = '2013-03'"
            )
        briefing = briefing_of(engine, plan, catalog, "2013-03")
        assert "3月，7个报送单位中，按时报送6个；未报送1个：苏家作乡。" in briefing.text()
        (sjz,) = [s for s in briefing.sections if s.scope == "SJZ"]
        assert sjz.paragraphs[-1].text == "3月月报未报送。"
        store = Store(engine, plan, catalog, Period(2013, 3))
        for s in briefing.sections[4].paragraphs[0].sentences:
            check_sentence(s, store)
    finally:
        engine.dispose()


def test_word_workbook_and_html_carry_the_paragraphs(
    demo_year: Engine, plan: Plan, catalog: Catalog, tmp_path: Path
) -> None:
    period = Period(2013, 6)
    data = read_report_data(demo_year, plan, catalog, period, rules=rules_of(catalog))
    briefing = build_briefing(data, plan, catalog)
    stem = tmp_path / f"progress-{period}"

    path = write_briefing_docx(briefing, briefing_path(stem))
    assert path.name == "progress-2013-06-文字分析.docx"
    document = docx.Document(str(path))
    paragraphs = [p for p in document.paragraphs if p.text]
    assert [p.text for p in paragraphs] == briefing.lines()
    styles = [p.style.name for p in paragraphs if p.style is not None]
    levels = {"Title": 0, "Heading 1": 1, "Heading 2": 2}
    assert [levels.get(s) for s in styles] == [
        0,
        *(x for s in briefing.sections for x in (s.level, *(None for _ in s.paragraphs))),
    ]
    normal = document.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert normal.get(qn("w:eastAsia")) == "仿宋"
    page = document.sections[0]
    assert page.page_width is not None and page.page_height is not None
    assert (round(page.page_width.mm), round(page.page_height.mm)) == (210, 297)  # A4
    again = write_briefing_docx(briefing, tmp_path / "again.docx")
    assert again.read_bytes() == path.read_bytes()  # the same briefing, the same bytes

    book = write_workbook(
        demo_year, plan, catalog, period, stem.with_suffix(".xlsx"), progress=data.progress,
        facts_now=data.facts, briefing=briefing,
    )  # fmt: skip
    ws = openpyxl.load_workbook(book)[BRIEFING_SHEET]
    cells = [ws.cell(row=r, column=1) for r in range(1, ws.max_row + 1)]
    assert [c.value for c in cells] == briefing.lines()
    assert ws.column_dimensions["A"].width >= 100
    paragraph_cells = [
        c for c in cells if c.value not in {briefing.title, *(s.heading for s in briefing.sections)}
    ]
    assert paragraph_cells and all(c.alignment.wrap_text for c in paragraph_cells)

    html = render_report(data, plan, catalog, briefing=briefing)
    assert html.index('id="summary"') < html.index('id="briefing"') < html.index('id="key-targets"')
    assert html.count('class="copy"') >= len(briefing.sections)
    for line in briefing.lines():
        assert line in html

    write_report(data, plan, catalog, stem.with_suffix(".html"), briefing=briefing)
    index = write_index(demo_year, catalog, tmp_path, tmp_path / "receipts").read_text("utf-8")
    assert 'href="progress-2013-06-%E6%96%87%E5%AD%97%E5%88%86%E6%9E%90.docx"' in index


def test_copy_button_puts_the_text_on_the_clipboard(
    demo_year: Engine, plan: Plan, catalog: Catalog, tmp_path: Path
) -> None:
    from tests.report.test_html_report import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium not installed")
    from playwright.sync_api import sync_playwright

    data = read_report_data(demo_year, plan, catalog, Period(2013, 6), rules=rules_of(catalog))
    briefing = build_briefing(data, plan, catalog)
    path = write_report(data, plan, catalog, tmp_path / "report.html", briefing=briefing)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.grant_permissions(["clipboard-read", "clipboard-write"])
            page = context.new_page()
            page.goto(path.as_uri())
            page.click("#briefing h2 button.copy")
            copied: Any = page.evaluate("navigator.clipboard.readText()")
            assert copied == briefing.text()
            # a township's block, folded: its button copies it and leaves it folded
            last = len(briefing.sections)
            page.click(f"#briefing-{last} summary button.copy")
            copied = page.evaluate("navigator.clipboard.readText()")
            section = briefing.sections[-1]
            assert copied == "\n".join([section.heading, *(p.text for p in section.paragraphs)])
            assert page.evaluate(f"document.getElementById('briefing-{last}').open") is False
            # without navigator.clipboard (a file:// page in some browsers): the textarea and
            # execCommand("copy") fallback copies the same text
            page.evaluate(
                """() => { Object.defineProperty(navigator, 'clipboard', {value: undefined});
                   document.addEventListener('copy', e => { window.copied = e.target.value; }); }"""
            )
            button = page.locator("#briefing h2 button.copy")
            button.click()
            assert page.evaluate("window.copied") == briefing.text()
            assert button.inner_text() == "已复制"
            # printing unfolds the townships' parts
            page.emulate_media(media="print")
            page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
            assert page.evaluate(f"document.getElementById('briefing-{last}').open") is True
            assert not page.locator("#briefing button.copy").first.is_visible()
        finally:
            browser.close()


def test_the_plans_contradictions_are_noted_in_the_briefing(
    demo_year: Engine, plan: Plan, catalog: Catalog
) -> None:
    """Issue 20: every target a plan-check finding touches carries its note in the briefing
    too, under its own sentence or in the section's 计划口径说明; no other target does."""
    data = read_report_data(demo_year, plan, catalog, Period(2013, 12), rules=rules_of(catalog))
    briefing = build_briefing(data, plan, catalog)
    text = briefing.text()
    for tid in ("A03", "A08", "P04", "T-NGZ-01", "T-NGZ-03", "T-NGZ-04"):
        assert data.plan_notes[tid].text in text, tid
    noted = [s for sec in briefing.sections for p in sec.paragraphs for s in p.sentences]
    shown = {n for s in noted for n in s.names if n.startswith("计划自相矛盾")}
    assert shown == {n.text for n in data.plan_notes.values()}


def test_a_status_held_by_the_deadband_says_why_in_the_briefing(
    demo_year: Engine, plan: Plan, catalog: Catalog
) -> None:
    """June 2013: a target whose status the deadband holds is listed with the reason."""
    data = read_report_data(demo_year, plan, catalog, Period(2013, 6), rules=rules_of(catalog))
    held = {
        str(r["target_id"]): str(r["note"])
        for r in data.progress.to_dict("records")
        if isinstance(r["note"], str) and "状态维持" in r["note"]
    }
    assert held, "the demo's June has a status the deadband holds"
    text = build_briefing(data, plan, catalog).text()
    for note in held.values():
        reason = next(c for c in note.split("；") if c.startswith("状态维持"))
        assert reason in text, reason
