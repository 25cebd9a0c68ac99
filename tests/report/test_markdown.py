"""The Markdown report of the real plan."""

from __future__ import annotations

import pandas as pd

from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.report.markdown import monthly_report, progress_table
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
        ["LWJ"],
        pd.DataFrame(columns=["message", "first_seen"]),
    )
    line = next(x for x in text.splitlines() if x.startswith(f"| {fiscal.id} |"))
    assert "3.2亿元" in line and "3.25亿元" in line and "正常" in line
    assert "未按期报送：李万街道" in text and "时间进度：50.0%" in text
