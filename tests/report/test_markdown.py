"""The Markdown report of the real plan."""

from __future__ import annotations

import pandas as pd
from markdown_it import MarkdownIt
from sqlalchemy import Engine, insert

from jzplan.core.periods import Period
from jzplan.core.states import UnitMonthStatus
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.report.markdown import (
    TABLE_COLUMNS,
    alert_history_text,
    monthly_report,
    progress_table,
)
from jzplan.store.models import AlertEventRow
from tests.hostile_text import HOSTILE, assert_inert_html, table_columns
from tests.progress_frames import progress_of


def test_report_lists_every_target_once(plan: Plan, catalog: Catalog) -> None:
    table = progress_table(plan, catalog, progress_of(plan, {}))
    rows = [
        line
        for line in table.splitlines()
        if line.startswith("| ") and not line.startswith("| 编号")
    ]
    assert len(rows) == len(plan.targets)
    assert {r.split(" | ")[0].removeprefix("| ") for r in rows} == {t.id for t in plan.targets}


def test_report_shows_seed_units(plan: Plan, catalog: Catalog) -> None:
    fiscal = next(
        t
        for t in plan.targets
        if t.indicator == "fiscal_revenue" and t.kind == "level" and t.scope == "JZXQ"
    )
    progress = progress_of(plan, {fiscal.id: "on_track"})
    progress.loc[progress["target_id"] == fiscal.id, ["actual", "expected", "unit"]] = [
        32000.0,
        32500.0,
        "万元",
    ]
    text = monthly_report(
        plan,
        catalog,
        Period(2013, 6),
        progress,
        {"LWJ": UnitMonthStatus.MISSING, "SJZ": UnitMonthStatus.REPORTED},
        pd.DataFrame(columns=["message", "first_seen"]),
    )
    line = next(x for x in text.splitlines() if x.startswith(f"| {fiscal.id} |"))
    assert "3.2亿元" in line and "3.25亿元" in line and "正常" in line
    assert "- 未报：李万街道\n" in text and "时间进度：50.0%" in text


def test_hostile_text_stays_inert_in_the_report(plan: Plan, catalog: Catalog) -> None:
    """A remark (说明) and alert messages quoting a sender's text: every table row keeps its
    columns, nothing becomes a tag, a link or emphasis when the report is rendered."""
    progress = progress_of(plan, {})
    progress["note"] = [HOSTILE[i % len(HOSTILE)] for i in range(len(progress))]
    alerts = pd.DataFrame({"message": list(HOSTILE), "first_seen": ["2013-06"] * len(HOSTILE)})
    standings = {"LWJ": UnitMonthStatus.RETURNED, "NGZ": UnitMonthStatus.QUESTIONS}
    text = monthly_report(plan, catalog, Period(2013, 6), progress, standings, alerts)
    assert "- 未报：无；退回待改：李万街道；有待确认：宁郭镇\n" in text

    rows = [x for x in text.splitlines() if x.startswith("|")]
    assert len(rows) > len(plan.targets)
    assert {table_columns(r) for r in rows} == {len(TABLE_COLUMNS)}
    assert "<script" not in text and "<!--" not in text
    assert text.count("\n- ") >= 4 + len(HOSTILE)  # one line per alert, none broken
    html = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(text)
    assert_inert_html(html)
    assert html.count("<tr>") == len(rows) - len([r for r in rows if r.startswith("|---")])


def test_alert_history_is_one_line_per_transition(store: Engine) -> None:
    """``jzplan alerts`` prints a message with a newline and a bell on one line, shown."""
    with store.begin() as conn:
        conn.execute(
            insert(AlertEventRow),
            [{"dedup_key": "validation:NGZ:1", "action": "opened", "period": "2013-06",
              "kind": "validation", "severity": "warning", "org_unit_code": "NGZ",
              "target_id": None, "message": "宁郭镇「备注\n2013-06  解除  伪造\x07」"}],
        )  # fmt: skip
    text = alert_history_text(store)
    assert text == "2013-06  新增  一般  宁郭镇「备注\\x0a2013-06  解除  伪造\\x07」"
