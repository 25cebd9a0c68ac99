"""Publish a month's report: Markdown, HTML and Excel files (and the PDF with
JZPLAN_REPORT_PDF), the report folder's page of every month, and Prefect artifacts that show
the progress table and link the HTML report, the workbook and that page."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)
from prefect.cache_policies import NO_CACHE

from jzplan.core.periods import Period
from jzplan.month.loading import IngestOutcome
from jzplan.month.refresh import PeriodOutcome
from jzplan.month.resources import Resources
from jzplan.month.runs import submission_table
from jzplan.report.html import report_link
from jzplan.report.index_page import INDEX_FILE, write_index
from jzplan.report.rolling import MonthReport, write_month
from jzplan.report.versions import HISTORY_FILE, list_versions, month_folder
from tasks import artifacts


def released_links(report_dir: Path, period: Period, base_url: str | None) -> str:
    """When the month has released versions: a ``report-<period>-released`` artifact linking
    the current version (its history in the description), and the same two links as
    Markdown to follow the working report's links (empty otherwise)."""
    versions = list_versions(report_dir, period)
    if not versions:
        return ""
    current = versions[-1]
    current_link = report_link(current.html, base_url, report_dir)
    history_link = report_link(
        month_folder(report_dir, period) / HISTORY_FILE, base_url, report_dir
    )
    label = f"正式版（第{current.number}版）"
    artifacts.publish(
        create_link_artifact,
        key=f"report-{period}-released",
        link=current_link,
        link_text=f"{period.label}目标进度月报{label}",
        description=f"[版本历史]({history_link})：共 {len(versions)} 版",
    )
    return f" · [{label}]({current_link}) · [版本历史]({history_link})"


def index_link(resources: Resources) -> str:
    """The link of the report folder's page of every month (``index.html``), under
    JZPLAN_REPORT_BASE_URL when set."""
    settings = resources.settings
    index = settings.report_dir / INDEX_FILE
    return report_link(index, settings.report_base_url, settings.report_dir)


def publish_index(resources: Resources) -> str:
    """Rewrite the page of every month (once a run, after its reports and receipts are
    written); its link."""
    settings = resources.settings
    write_index(resources.engine, resources.catalog, settings.report_dir, settings.receipts_dir)
    return index_link(resources)


@task(name="publish-report", task_run_name="report-{period}", retries=2, cache_policy=NO_CACHE)
def publish(
    resources: Resources,
    period: Period,
    outcome: PeriodOutcome,
    ingested: list[IngestOutcome],
) -> MonthReport | None:
    """The month's report files (``write_month``) and its artifacts: the batch's
    submissions, the report's links and its progress table."""
    if ingested:
        artifacts.publish(
            create_table_artifact,
            key=f"submissions-{period}",
            table=submission_table(ingested, resources.catalog),
            description=f"{period} 批次收到的月报及校验结果",
        )
    if outcome.progress_frame is None:
        return None
    settings = resources.settings
    report = write_month(
        resources.engine,
        resources.plan_of(period.year),
        resources.catalog,
        resources.rules,
        period,
        settings.report_dir,
        progress=outcome.progress_frame,
        standings={u: um.status for u, um in outcome.unit_months.items()},
        history=outcome.history,
        chromium=settings.chromium if settings.report_pdf else None,
    )
    html, workbook, docx = report.html, report.workbook, report.briefing
    base_url = settings.report_base_url
    html_link, workbook_link = report_link(html, base_url), report_link(workbook, base_url)
    docx_link = report_link(docx, base_url)
    index = index_link(resources)  # the run writes the page once, after its receipts
    artifacts.publish(
        create_link_artifact,
        key=f"report-{period}",
        link=html_link,
        link_text=f"{period.label}目标进度月报（{report.figures}；HTML，含图表）",
        description=f"月报：{html}；Excel：{workbook}；文字分析：{docx}；[全部月份]({index})",
    )
    links = f"[HTML 月报（图表）]({html_link}) · [Excel 报表]({workbook_link})"
    links += f" · [文字分析（Word）]({docx_link})"
    if report.pdf is not None:
        links += f" · [PDF 月报（打印）]({report_link(report.pdf, base_url)})"
    links += released_links(settings.report_dir, period, base_url)
    links += f" · [全部月份]({index})\n\n"
    artifacts.publish(
        create_markdown_artifact,
        markdown=links + report.text,
        key=f"progress-{period}",
        description=f"{period.label}目标进度表",
    )
    return report
