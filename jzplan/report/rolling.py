"""A stored month's rolling report files written again from the store (Markdown, HTML,
Excel, the briefing's Word file) without a flow run: after a release or a reopening their
header says what the figures now are (``MonthStanding.figures_text``)."""

from __future__ import annotations

from pathlib import Path

from jzplan.core.files import write_atomic
from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.report.briefing import build_briefing
from jzplan.report.briefing_render import briefing_path, write_briefing_docx
from jzplan.report.data import read_report_data
from jzplan.report.html import write_report
from jzplan.report.markdown import monthly_report
from jzplan.report.workbook import write_workbook
from jzplan.store.db import Bind
from jzplan.store.unit_months import unit_statuses
from jzplan.validate.rules import Rules


def write_rolling(
    bind: Bind, plan: Plan, catalog: Catalog, rules: Rules, period: Period, report_dir: Path
) -> list[Path]:
    """``<report_dir>/progress-<period>.md|.html|.xlsx`` and ``…-文字分析.docx`` from the
    store; LookupError when the month has no target progress."""
    data = read_report_data(bind, plan, catalog, period, rules=rules)
    stem = report_dir / f"progress-{period}"
    report_dir.mkdir(parents=True, exist_ok=True)
    briefing = build_briefing(data, plan, catalog)
    html = write_report(data, plan, catalog, stem.with_suffix(".html"), briefing=briefing)
    workbook = write_workbook(
        bind, plan, catalog, period, stem.with_suffix(".xlsx"),
        progress=data.progress, facts_now=data.facts, notes=data.plan_notes, briefing=briefing,
    )  # fmt: skip
    docx = write_briefing_docx(briefing, briefing_path(stem))
    standings = unit_statuses(bind, [u.code for u in catalog.reporting_units_in(period)], period)
    text = monthly_report(
        plan, catalog, period, data.progress, {u: um.status for u, um in standings.items()},
        data.open_alerts, figures=data.figures, notes=data.plan_notes,
    )  # fmt: skip
    return [write_atomic(stem.with_suffix(".md"), text), html, workbook, docx]
