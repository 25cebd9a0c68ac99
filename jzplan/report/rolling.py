"""A stored month's rolling report files written again from the store (Markdown, HTML,
Excel) without a flow run: after a release or a reopening their header says what the
figures now are (``MonthStanding.figures_text``)."""

from __future__ import annotations

from pathlib import Path

from jzplan.core.files import write_atomic
from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.report.data import read_report_data
from jzplan.report.html import write_report
from jzplan.report.markdown import monthly_report
from jzplan.report.workbook import write_workbook
from jzplan.store.db import Bind
from jzplan.store.unit_months import unit_statuses


def write_rolling(
    bind: Bind, plan: Plan, catalog: Catalog, period: Period, report_dir: Path
) -> list[Path]:
    """``<report_dir>/progress-<period>.md|.html|.xlsx`` from the store; LookupError when
    the month has no target progress."""
    data = read_report_data(bind, plan, catalog, period)
    stem = report_dir / f"progress-{period}"
    report_dir.mkdir(parents=True, exist_ok=True)
    html = write_report(data, plan, catalog, stem.with_suffix(".html"))
    workbook = write_workbook(
        bind, plan, catalog, period, stem.with_suffix(".xlsx"),
        progress=data.progress, facts_now=data.facts,
    )  # fmt: skip
    standings = unit_statuses(bind, [u.code for u in catalog.reporting_units_in(period)], period)
    text = monthly_report(
        plan, catalog, period, data.progress, {u: um.status for u, um in standings.items()},
        data.open_alerts, figures=data.figures,
    )  # fmt: skip
    return [write_atomic(stem.with_suffix(".md"), text), html, workbook]
