"""The report folder's own page, ``<report_dir>/index.html`` (焦作新区目标跟踪月报): every
month that has reports there, newest first, with relative links to its HTML report, PDF,
workbook, Markdown, briefing, receipts and released versions, and the month's headline counts
read from the store. Links are relative, so the folder can be copied or served anywhere."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import pandas as pd

from jzplan.core.files import write_atomic
from jzplan.core.markup import visible
from jzplan.core.periods import Period
from jzplan.core.states import AlertKind, UnitMonthStatus
from jzplan.reference.catalog import Catalog
from jzplan.report.briefing_render import briefing_path
from jzplan.report.data import SUMMARY_BUCKETS, summarise
from jzplan.report.html import FONT_STACK, environment
from jzplan.report.snapshot import alerts_open_at
from jzplan.report.versions import HISTORY_FILE, list_versions, month_folder
from jzplan.store.alerts import read_alerts
from jzplan.store.db import Bind
from jzplan.store.month_states import read_month
from jzplan.store.progress import read_progress
from jzplan.store.unit_months import unit_statuses

INDEX_FILE = "index.html"
INDEX_TITLE = "焦作新区目标跟踪月报"
_REPORT_FILE = re.compile(r"^progress-(\d{4})-(\d{2})\.(?:html|xlsx|md)$")
# A unit "reported" when a file of it was accepted (with or without open questions)
_REPORTED = (UnitMonthStatus.REPORTED, UnitMonthStatus.QUESTIONS)


@dataclass(frozen=True, slots=True)
class MonthCounts:
    """A month's headline figures as the store holds them."""

    figures: str  # 正式（第N版，…） / 暂（待审核） / 暂（采集中）
    statuses: dict[str, int]  # SUMMARY_BUCKETS label → targets, in SUMMARY_BUCKETS order
    open_alerts: int  # open at the month's end (the operators' 推送失败 left out)
    units_reported: int
    units_missing: int
    units_total: int


@dataclass(frozen=True, slots=True)
class MonthEntry:
    period: Period
    links: tuple[tuple[str, str], ...]  # (label, relative href)
    counts: MonthCounts | None  # None: the store has no progress for the month


def report_months(report_dir: Path) -> list[Period]:
    """The months with a report file (``progress-YYYY-MM.html|xlsx|md``) in the folder,
    newest first."""
    if not report_dir.is_dir():
        return []
    found = set()
    for path in report_dir.iterdir():
        match = _REPORT_FILE.match(path.name)
        if match and path.is_file() and 1 <= int(match.group(2)) <= 12:
            found.add(Period(int(match.group(1)), int(match.group(2))))
    return sorted(found, key=lambda p: (p.year, p.month), reverse=True)


def relative_href(path: Path, report_dir: Path, *, folder: bool = False) -> str:
    """``path`` as a URL relative to the index page (a folder's with a trailing slash)."""
    relative = PurePosixPath(os.path.relpath(path.resolve(), report_dir.resolve()))
    return quote(str(relative)) + ("/" if folder else "")


def _printed_after(pdf: Path, html: Path) -> bool:
    """The PDF was printed from the HTML report as it is now (a report written again since,
    by a later run or a release, leaves an older PDF unlinked until it is printed again)."""
    return html.is_file() and pdf.stat().st_mtime_ns >= html.stat().st_mtime_ns


def month_links(
    report_dir: Path, receipts_dir: Path, period: Period
) -> tuple[tuple[str, str], ...]:
    """The month's files that exist: report, its PDF, workbook, Markdown, briefing (文字分析
    .docx), receipts, current version and version history."""
    links = []
    for label, suffix in (
        ("HTML 月报", ".html"),
        ("PDF（打印）", ".pdf"),
        ("Excel 报表", ".xlsx"),
        ("Markdown", ".md"),
    ):
        path = report_dir / f"progress-{period}{suffix}"
        if path.is_file() and (suffix != ".pdf" or _printed_after(path, path.with_suffix(".html"))):
            links.append((label, relative_href(path, report_dir)))
    briefing = briefing_path(report_dir / f"progress-{period}")
    if briefing.is_file():
        links.append(("文字分析（Word）", relative_href(briefing, report_dir)))
    receipts = receipts_dir / str(period)
    if receipts.is_dir():
        links.append(("回执", relative_href(receipts, report_dir, folder=True)))
    versions = list_versions(report_dir, period)
    if versions:
        current = versions[-1]
        links.append((f"正式版（第{current.number}版）", relative_href(current.html, report_dir)))
        history = month_folder(report_dir, period) / HISTORY_FILE
        if history.is_file():
            links.append(("版本历史", relative_href(history, report_dir)))
    return tuple(links)


def month_counts(
    bind: Bind, catalog: Catalog, period: Period, alerts: pd.DataFrame
) -> MonthCounts | None:
    """The month's counts from the store (``alerts``: a ``read_alerts`` frame, read once for
    every month); None when the month has no stored progress."""
    progress = read_progress(bind, period)
    if progress.empty:
        return None
    units = [u.code for u in catalog.reporting_units_in(period)]
    standing = unit_statuses(bind, units, period).values()
    alerts = alerts[alerts["kind"] != AlertKind.DELIVERY_FAILURE]
    return MonthCounts(
        figures=read_month(bind, period).figures_text(),
        statuses=summarise(progress),
        open_alerts=len(alerts_open_at(alerts, period)),
        units_reported=sum(um.status in _REPORTED for um in standing),
        units_missing=sum(um.status == UnitMonthStatus.MISSING for um in standing),
        units_total=len(units),
    )


def index_entries(
    bind: Bind, catalog: Catalog, report_dir: Path, receipts_dir: Path
) -> list[MonthEntry]:
    alerts = read_alerts(bind)
    return [
        MonthEntry(
            p, month_links(report_dir, receipts_dir, p), month_counts(bind, catalog, p, alerts)
        )
        for p in report_months(report_dir)
    ]


def render_index(entries: list[MonthEntry]) -> str:
    rows = [
        {
            "period": str(e.period),
            "label": e.period.label,
            "links": e.links,
            "figures": visible(e.counts.figures) if e.counts else "—",
            "counts": e.counts,
        }
        for e in entries
    ]
    return (
        environment()
        .get_template("index.html.j2")
        .render(
            title=INDEX_TITLE,
            buckets=list(SUMMARY_BUCKETS),
            months=rows,
            font_stack=FONT_STACK,
        )
    )


def write_index(bind: Bind, catalog: Catalog, report_dir: Path, receipts_dir: Path) -> Path:
    """Rewrite ``<report_dir>/index.html`` from the folder and the store (atomically)."""
    entries = index_entries(bind, catalog, report_dir, receipts_dir)
    return write_atomic(report_dir / INDEX_FILE, render_index(entries))
