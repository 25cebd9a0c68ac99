"""A month's rolling report files (Markdown, HTML, Excel, the briefing's Word file, and the
PDF when asked): written by the monthly run from its evaluation (``write_month``), and again
from the store without a flow run (``write_rolling``): after a release or a reopening their
header says what the figures now are (``MonthStanding.figures_text``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from jzplan.core.files import write_atomic
from jzplan.core.periods import Period
from jzplan.core.states import UnitMonthStatus
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.report.briefing import build_briefing
from jzplan.report.briefing_render import briefing_path, write_briefing_docx
from jzplan.report.data import read_report_data
from jzplan.report.html import write_report
from jzplan.report.markdown import monthly_report
from jzplan.report.pdf import render_pdf
from jzplan.report.workbook import write_workbook
from jzplan.store.db import Bind
from jzplan.store.unit_months import unit_statuses
from jzplan.track.progress import History
from jzplan.validate.rules import Rules


@dataclass(frozen=True, slots=True)
class MonthReport:
    """The files of a month's report, and what its artifacts quote."""

    markdown: Path
    html: Path
    workbook: Path
    briefing: Path
    pdf: Path | None  # when asked (JZPLAN_REPORT_PDF)
    figures: str  # which figures it shows (快报数 / 年报数 …)
    text: str  # the Markdown report itself


def write_month(
    bind: Bind,
    plan: Plan,
    catalog: Catalog,
    rules: Rules,
    period: Period,
    report_dir: Path,
    *,
    progress: pd.DataFrame | None = None,
    standings: Mapping[str, UnitMonthStatus] | None = None,
    history: History | None = None,
    chromium: Path | None = None,
) -> MonthReport:
    """``<report_dir>/progress-<period>.md|.html|.xlsx`` and ``…-文字分析.docx`` (and
    ``.pdf`` printed with ``chromium`` when given) of a month the store has evaluated;
    LookupError when it has no target progress. A run passes what its evaluation has in
    memory (``progress``, each unit's ``standings``, the ``history`` it read); otherwise
    they are read from the store."""
    data = read_report_data(bind, plan, catalog, period, rules=rules, history=history)
    stem = report_dir / f"progress-{period}"
    report_dir.mkdir(parents=True, exist_ok=True)
    briefing = build_briefing(data, plan, catalog)
    html = write_report(data, plan, catalog, stem.with_suffix(".html"), briefing=briefing)
    workbook = write_workbook(
        bind, plan, catalog, period, stem.with_suffix(".xlsx"),
        progress=data.progress, facts_now=data.facts, facts_then=data.facts_last_year,
        notes=data.plan_notes, briefing=briefing,
    )  # fmt: skip
    docx = write_briefing_docx(briefing, briefing_path(stem))
    pdf = None
    if chromium is not None:
        pdf = render_pdf(html, stem.with_suffix(".pdf"), chromium=chromium)
    if standings is None:
        units = [u.code for u in catalog.reporting_units_in(period)]
        standings = {u: um.status for u, um in unit_statuses(bind, units, period).items()}
    text = monthly_report(
        plan, catalog, period, data.progress if progress is None else progress, standings,
        data.open_alerts, figures=data.figures, notes=data.plan_notes,
    )  # fmt: skip
    markdown = write_atomic(stem.with_suffix(".md"), text)
    return MonthReport(markdown, html, workbook, docx, pdf, data.figures, text)


def write_rolling(
    bind: Bind, plan: Plan, catalog: Catalog, rules: Rules, period: Period, report_dir: Path
) -> list[Path]:
    """``write_month`` from the store alone: the files written."""
    report = write_month(bind, plan, catalog, rules, period, report_dir)
    return [report.markdown, report.html, report.workbook, report.briefing]
