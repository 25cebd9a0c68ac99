"""文字分析: the month's briefing in the register of a 统计局 monthly bulletin, for the area
and each township, written from the stored figures only (a ``ReportData``) and nothing else,
the same text every time. Each sentence keeps the figures it states (value, unit and where
the value comes from: ``Ref``), so every number in the text can be checked against the store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jzplan.core.periods import Period
from jzplan.core.states import TargetStatus, Timeliness, UnitMonthStatus
from jzplan.ingest.form_writer import ytd_span
from jzplan.reference.catalog import Catalog, OrgUnit
from jzplan.reference.display import in_display_unit, present
from jzplan.reference.plan import Plan, Target
from jzplan.report.briefing_model import (
    Briefing,
    Paragraph,
    Ref,
    Section,
    Sentence,
    Words,
    amount,
    count,
    percent,
    points,
)
from jzplan.report.data import SUMMARY_BUCKETS, ReportData, key_targets, rows_by_target
from jzplan.report.markdown import display_unit
from jzplan.store.rows import frame_dicts
from jzplan.track.hysteresis import HELD_PREFIXES
from jzplan.track.progress import PACED_KINDS

ATTENTION = ("滞后", "存在风险")  # the SUMMARY_BUCKETS a briefing lists target by target
_NUMERALS = "一二三四五六七八九十"
_EVEN = 0.05  # a gap under this (in points) reads 持平: it prints as 0.0


def briefing_title(catalog: Catalog, period: Period) -> str:
    return f"{catalog.area.name}{period.label}目标进度文字分析"


# --- the month's facts -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BriefingMonth:
    """What a briefing is written from: the plan, the catalog and the month's ReportData."""

    plan: Plan
    catalog: Catalog
    data: ReportData
    rows: Mapping[str, Mapping[str, Any]]  # progress row by target id
    parts: Mapping[str, Sequence[Mapping[str, Any]]]  # contribution rows by target id
    standings: Sequence[Mapping[str, Any]]  # the month's rows of the timeliness grid

    @property
    def period(self) -> Period:
        return self.data.period

    @property
    def span(self) -> str:  # 1-6月
        return ytd_span(self.period)

    @property
    def time_progress(self) -> float:
        return self.period.year_fraction * 100


def _shown(month: BriefingMonth, t: Target, column: str) -> float | None:
    """A stored progress value of ``t`` in the target's display unit (None without one)."""
    row = month.rows.get(t.id, {})
    if column == "completion_pct" or t.kind == "ranking":
        v = row.get(column)
        return float(v) if v is not None and present(v) else None
    return in_display_unit(row.get(column), row.get("unit"), display_unit(t, month.catalog))


def yoy(month: BriefingMonth, t: Target) -> float | None:
    """Growth of the target's figure over the same month last year (%; None for rates, or
    without a positive figure last year)."""
    assert t.indicator is not None
    if month.catalog.indicator(t.indicator).measure == "rate":
        return None
    now = month.data.facts.get((t.scope, t.indicator))
    last = month.data.facts_last_year.get((t.scope, t.indicator))
    if now is None or last is None or last.value <= 0:
        return None
    return (now.value / last.value - 1) * 100


def _status(month: BriefingMonth, t: Target) -> TargetStatus:
    return TargetStatus(str(month.rows.get(t.id, {}).get("status", TargetStatus.NO_DATA)))


def _bucket(status: TargetStatus) -> str:
    return next(label for label, group in SUMMARY_BUCKETS.items() if status in group)


def _paced(t: Target) -> bool:
    return t.indicator is not None and t.kind in PACED_KINDS


# --- sentences -------------------------------------------------------------------------------


def counts_sentence(
    month: BriefingMonth, scope: str, targets: Sequence[Target], who: str
) -> Sentence:
    """…共有目标N项，其中已完成a项，进度正常b项，存在风险c项，滞后d项（SUMMARY_BUCKETS order;
    待报送/无数据 only when some are)."""
    w = (
        Words()
        .name(who)
        .add("共有目标")
        .fig(count(Ref("targets", scope, "total"), len(targets), "项"))
    )
    buckets = {label: 0 for label in SUMMARY_BUCKETS}
    for t in targets:
        buckets[_bucket(_status(month, t))] += 1
    parts = [(k, n) for k, n in buckets.items() if n or k != "待报送/无数据"]
    for i, (label, n) in enumerate(parts):
        w.add("，其中" if i == 0 else "，").add(label).fig(
            count(Ref("targets", scope, label), n, "项")
        )
    return w.done()


def target_sentence(month: BriefingMonth, t: Target, who: str) -> Sentence:
    """A paced target: actual, growth, completion against the time progress, what each
    remaining month must add; a ceiling as 控制在…以内 with its margin."""
    assert t.indicator is not None
    unit = display_unit(t, month.catalog) or ""
    row = month.rows.get(t.id, {})
    indicator = month.catalog.indicator(t.indicator)
    name = indicator.name
    w = Words().name(month.span).add("，").name(who).name(name)
    actual = _shown(month, t, "actual")
    if actual is None:
        return w.add("本期无数据").done()
    level = t.kind in ("ceiling", "ratio") or indicator.measure in ("per_capita", "rate")
    w.add("为" if level else "完成").fig(amount(Ref("progress", t.id, "actual"), actual, unit))
    if row.get("provisional"):
        w.add("（暂）")
    growth = yoy(month, t)
    if growth is not None:
        if abs(growth) < _EVEN:
            w.add("，与上年同期持平")
        else:
            w.add("，同比增长" if growth > 0 else "，同比下降")
            w.fig(percent(Ref("yoy", t.id), growth))
        if t.kind == "growth" and t.value is not None:
            gap = growth - t.value
            w.add("，").add("高于" if gap >= 0 else "低于").add("目标增速")
            w.fig(points(Ref("goal_gap", t.id), gap))
    status = _status(month, t)
    goal = _shown(month, t, "target_value")
    if t.kind == "ceiling" and goal is not None:
        w.add("，全年控制目标为").fig(amount(Ref("progress", t.id, "target_value"), goal, unit))
        w.add("以内，")
        margin = goal - actual
        w.add("低于" if margin >= 0 else "超出").add("控制目标")
        return w.fig(amount(Ref("margin", t.id), margin, unit)).done()
    pct = _shown(month, t, "completion_pct")
    if pct is not None:
        w.add("，完成年度目标的").fig(percent(Ref("progress", t.id, "completion_pct"), pct))
        accumulates = month.catalog.indicator(t.indicator).accumulates
        if month.period.month < 12 and accumulates:
            gap = pct - month.time_progress
            if abs(gap) < _EVEN:
                w.add("，与时间进度持平")
            else:
                w.add("，快于" if gap > 0 else "，慢于").add("时间进度")
                w.fig(points(Ref("time_gap", t.id), gap))
    if status == TargetStatus.ACHIEVED:
        w.add("，已完成全年目标" if month.period.month == 12 else "，已提前完成全年目标")
    elif month.period.month == 12:
        w.add("，未完成全年目标")
    needed = _shown(month, t, "required_monthly")
    if status != TargetStatus.ACHIEVED and goal is not None and t.kind == "count":
        # whole things (projects, schools): what is still to do, not a fraction a month
        if month.period.month < 12 and goal > actual:
            w.add("；完成全年目标尚需").fig(amount(Ref("remaining", t.id), goal - actual, unit))
    elif status != TargetStatus.ACHIEVED and needed is not None and needed > 0:
        left = 12 - month.period.month
        w.add("；完成全年目标，后").fig(count(Ref("months_left"), left, "个月"))
        w.add("月均需完成").fig(amount(Ref("progress", t.id, "required_monthly"), needed, unit))
    return w.done()


def _attention_body(month: BriefingMonth, t: Target, w: Words) -> None:
    """One target in the list of those behind: by how much (the closing bracket left to
    ``_attention_item``)."""
    w.name(t.label).add("（")
    row = month.rows.get(t.id, {})
    unit = display_unit(t, month.catalog) or ""
    actual = _shown(month, t, "actual")
    if t.kind == "ranking" and actual is not None:
        w.add("第").fig(amount(Ref("progress", t.id, "actual"), actual, ""))
        goal = _shown(month, t, "target_value")
        if goal is not None:
            w.add("位，目标前").fig(amount(Ref("progress", t.id, "target_value"), goal, ""))
        w.add("位")
        return
    growth = yoy(month, t) if _paced(t) else None
    if t.kind == "growth" and growth is not None and t.value is not None:
        w.add("同比增长" if growth >= 0 else "同比下降").fig(percent(Ref("yoy", t.id), growth))
        gap = growth - t.value
        w.add("，").add("高于" if gap >= 0 else "低于").add("目标增速")
        w.fig(points(Ref("goal_gap", t.id), gap))
        return
    seasonal = row.get("pace_model") == "seasonal"
    pace = _shown(month, t, "expected_seasonal" if seasonal else "expected")
    pct = _shown(month, t, "completion_pct")
    if not _paced(t) or actual is None or pace is None:
        w.add(_status(month, t).label)
        return
    if pct is not None:
        w.add("完成年度目标的").fig(percent(Ref("progress", t.id, "completion_pct"), pct)).add("，")
    behind = amount(Ref("pace_gap", t.id), actual - pace, unit)
    pace_word = (
        "年度目标" if month.period.month == 12 else "季节进度" if seasonal else "时间进度要求"
    )
    if behind.text == amount(behind.ref, 0.0, unit).text:  # it would print as 0
        w.add(f"与{pace_word}持平")
        return
    w.add("高于" if behind.value >= 0 else "低于").add(pace_word).fig(behind)


def held_reason(month: BriefingMonth, t: Target) -> str | None:
    """The evaluation's reason when the status deadband holds the target's status
    (``状态维持预警：…``, ``状态暂为预警（上月滞后）：…``), from its progress note."""
    note = month.rows.get(t.id, {}).get("note")
    if not isinstance(note, str):
        return None
    return next((c for c in note.split("；") if c.startswith(HELD_PREFIXES)), None)


def _attention_item(month: BriefingMonth, t: Target, w: Words) -> None:
    """One target in the list of those behind: by how much, and why its status is held when
    the deadband holds it (its figures alone would read better)."""
    _attention_body(month, t, w)
    held = held_reason(month, t)
    if held is not None:
        w.add("，").name(held)
    w.add("）")


def note_sentence(month: BriefingMonth, t: Target) -> Sentence | None:
    """（注：计划自相矛盾：…；状态按…判断）: the plan check's note on ``t``, or None."""
    note = month.data.plan_notes.get(t.id)
    if note is None:
        return None
    return Sentence(f"（注：{note.text}）", names=(note.text,))


def notes_paragraph(
    month: BriefingMonth, targets: Sequence[Target], shown: set[str]
) -> Paragraph | None:
    """The plan check's notes on ``targets`` not already noted under a sentence of their own."""
    notes = month.data.plan_notes
    noted = [t for t in targets if t.id in notes and t.id not in shown]
    if not noted:
        return None
    lead = Sentence("计划口径说明：")
    return Paragraph(
        (lead, *(Sentence(f"{t.label}，{notes[t.id].text}。", names=(t.label, notes[t.id].text))
                 for t in noted))
    )  # fmt: skip


def attention_sentence(
    month: BriefingMonth, scope: str, label: str, targets: Sequence[Target], who: str
) -> Sentence | None:
    """{who}{label}的目标N项：A（…）；B（…）; None when there is none."""
    mine = [t for t in targets if _bucket(_status(month, t)) == label]
    if not mine:
        return None
    w = (
        Words()
        .name(who)
        .add(f"{label}的目标")
        .fig(count(Ref("targets", scope, label), len(mine), "项"))
    )
    w.add("：")
    for i, t in enumerate(mine):
        if i:
            w.add("；")
        _attention_item(month, t, w)
    return w.done()


def _parts(month: BriefingMonth, t: Target) -> list[tuple[str, float, float]]:
    """The units contributing to an area target: (unit code, figure in the target's display
    unit, share %), largest share first (catalog order among equals); zero figures left out."""
    assert t.indicator is not None
    canonical = month.catalog.indicator(t.indicator).unit
    unit = display_unit(t, month.catalog)
    order = {u.code: i for i, u in enumerate(month.catalog.units)}
    out = []
    for r in month.parts.get(t.id, ()):
        value = in_display_unit(r["value"], canonical, unit)
        if value and present(r["share_pct"]):
            out.append((str(r["org_unit"]), value, float(r["share_pct"])))
    return sorted(out, key=lambda p: (-p[2], order.get(p[0], 0)))


def contribution_sentence(month: BriefingMonth, t: Target) -> Sentence | None:
    """{indicator}{total}中，{unit}完成{part}，占{share}；… (targets more than one unit
    contributes to)."""
    parts = _parts(month, t)
    total = _shown(month, t, "actual")
    if len(parts) < 2 or total is None or t.indicator is None:
        return None
    unit = display_unit(t, month.catalog) or ""
    w = Words().name(month.catalog.indicator(t.indicator).name)
    w.fig(amount(Ref("progress", t.id, "actual"), total, unit)).add("中，")
    for i, (code, value, share) in enumerate(parts):
        w.add("；" if i else "").name(month.catalog.unit(code).name).add("完成")
        w.fig(amount(Ref("part", t.id, code), value, unit)).add("，占")
        w.fig(percent(Ref("contribution", t.id, code), share))
    return w.done()


def unit_contribution_sentence(
    month: BriefingMonth, unit: OrgUnit, keys: Sequence[Target]
) -> Sentence:
    """A township's part of the area's main targets: figure and share of each."""
    w = Words().name(unit.name).add("对新区主要预期目标的贡献：")
    shown = 0
    for t in keys:
        for code, value, share in _parts(month, t):
            if code != unit.code or t.indicator is None:
                continue
            w.add("；" if shown else "").name(month.catalog.indicator(t.indicator).name)
            w.fig(amount(Ref("part", t.id, code), value, display_unit(t, month.catalog) or ""))
            w.add("，占新区的").fig(percent(Ref("contribution", t.id, code), share))
            shown += 1
    if not shown:
        return Sentence(f"{unit.name}本期对新区主要预期目标无可分解的贡献。", names=(unit.name,))
    return w.done()


def _standing(row: Mapping[str, Any]) -> str:
    """on_time, late, missing, returned or questions: a unit's month in one word."""
    state = str(row["state"])
    if state in (UnitMonthStatus.MISSING, UnitMonthStatus.RETURNED):
        return state
    if row["timeliness"] == Timeliness.LATE:
        return "late"
    return "questions" if state == UnitMonthStatus.QUESTIONS else "on_time"


STANDING_WORDS = {
    "on_time": "按时报送",
    "late": "迟报",
    "missing": "未报送",
    "returned": "退回待改",
    "questions": "有待确认",
}


def timeliness_sentence(month: BriefingMonth) -> Sentence:
    """The month's forms: all on time, or how many on time and who is late, missing,
    returned or has open questions, by name."""
    rows = month.standings
    by: dict[str, list[str]] = {k: [] for k in STANDING_WORDS}
    for r in rows:
        by[_standing(r)].append(month.catalog.unit(str(r["org_unit"])).name)
    moon = f"{month.period.month}月"
    w = Words().name(moon).add("，").fig(count(Ref("units", "", "total"), len(rows), "个"))
    if len(by["on_time"]) == len(rows):
        return w.add("报送单位均按时报送月报").done()
    w.add("报送单位中，按时报送").fig(count(Ref("units", "", "on_time"), len(by["on_time"]), "个"))
    for key in ("late", "missing", "returned", "questions"):
        if by[key]:
            w.add(f"；{STANDING_WORDS[key]}").fig(count(Ref("units", "", key), len(by[key]), "个"))
            w.add("：")
            for i, name in enumerate(by[key]):
                w.add("、" if i else "").name(name)
    return w.done()


def unit_timeliness_sentence(month: BriefingMonth, unit: OrgUnit) -> Sentence:
    rows = [r for r in month.standings if r["org_unit"] == unit.code]
    word = STANDING_WORDS[_standing(rows[0])] if rows else "未报送"
    moon = f"{month.period.month}月"
    return Words().name(moon).add(f"月报{word}").done()


# --- the briefing ----------------------------------------------------------------------------


def _para(*sentences: Sentence | None) -> Paragraph | None:
    kept = tuple(s for s in sentences if s is not None)
    return Paragraph(kept) if kept else None


def _section(heading: str, level: int, scope: str, *paras: Paragraph | None) -> Section:
    return Section(heading, level, scope, tuple(p for p in paras if p is not None))


def _attention(
    month: BriefingMonth, scope: str, targets: Sequence[Target], who: str
) -> list[Paragraph]:
    out = [_para(attention_sentence(month, scope, label, targets, who)) for label in ATTENTION]
    return [p for p in out if p is not None]


def area_sections(month: BriefingMonth) -> list[Section]:
    catalog, area = month.catalog, month.catalog.area
    keys = key_targets(month.plan, catalog)
    own = [t for t in month.plan.targets if t.scope == area.code]
    tp = Words().name(month.span).add("，时间进度为")
    tp.fig(percent(Ref("time_progress"), month.time_progress)).add("（线性）")
    overall = counts_sentence(month, "*", month.plan.targets, "全区")
    attention = _attention(month, area.code, own, "新区本级目标中，")
    if not attention:
        attention = [Paragraph((Sentence("新区本级目标均已完成或进度正常。"),))]
    contributions = [_para(contribution_sentence(month, t)) for t in keys]
    return [
        _section("一、总体情况", 1, area.code, _para(tp.done(), overall)),
        _section(
            "二、主要预期目标完成情况",
            1,
            area.code,
            *(_para(target_sentence(month, t, "新区"), note_sentence(month, t)) for t in keys),
        ),
        _section(
            "三、需要关注的目标",
            1,
            area.code,
            *attention,
            notes_paragraph(month, own, {t.id for t in keys}),
        ),
        _section("四、各单位贡献", 1, area.code, *contributions),
        _section("五、报送情况", 1, area.code, _para(timeliness_sentence(month))),
    ]


def unit_section(month: BriefingMonth, unit: OrgUnit, number: int) -> Section:
    targets = [t for t in month.plan.targets if t.scope == unit.code]
    keys = key_targets(month.plan, month.catalog)
    overall = counts_sentence(month, unit.code, targets, f"{month.span}，{unit.name}")
    return _section(
        f"（{_NUMERALS[number]}）{unit.name}", 2, unit.code,
        _para(overall),
        *(_para(target_sentence(month, t, unit.name), note_sentence(month, t))
          for t in targets if _paced(t)),
        *_attention(month, unit.code, targets, ""),
        notes_paragraph(month, targets, {t.id for t in targets if _paced(t)}),
        _para(unit_contribution_sentence(month, unit, keys)),
        _para(unit_timeliness_sentence(month, unit)),
    )  # fmt: skip


def build_briefing(data: ReportData, plan: Plan, catalog: Catalog) -> Briefing:
    """The month's 文字分析: the area's parts, then each reporting unit that has targets of
    its own (the townships, in catalog order)."""
    parts: dict[str, list[dict[str, Any]]] = {}
    for r in frame_dicts(data.contributions):
        parts.setdefault(str(r["target_id"]), []).append(r)
    grid = data.timeliness
    standings = frame_dicts(grid[grid["period"] == str(data.period)])
    month = BriefingMonth(plan, catalog, data, rows_by_target(data.progress), parts, standings)
    sections = area_sections(month)
    units = [u for u in catalog.reporting_units if any(t.scope == u.code for t in plan.targets)]
    if units:
        sections.append(Section("六、各乡镇街道", 1, catalog.area.code, ()))
        sections += [unit_section(month, u, i) for i, u in enumerate(units)]
    return Briefing(briefing_title(catalog, data.period), data.period, tuple(sections))
