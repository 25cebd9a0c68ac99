"""Publish a month's report: a Markdown file and Prefect artifacts."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from jzplan.periods import Period
from jzplan.pipeline import IngestOutcome, PeriodOutcome
from jzplan.report import monthly_report
from jzplan.resources import Resources
from jzplan.store import repo


@task(name="publish-report", task_run_name="report-{period}", retries=2, cache_policy=NO_CACHE)
def publish(
    resources: Resources,
    period: Period,
    outcome: PeriodOutcome,
    ingested: list[IngestOutcome],
) -> Path | None:
    if ingested:
        create_table_artifact(
            key=f"submissions-{period}",
            table=[
                {
                    "文件": o.file,
                    "单位": o.org_unit or "—",
                    "报告期": o.period or "—",
                    "结果": o.status,
                    "错误": o.errors,
                    "警告": o.warnings,
                    "规则检查/失败": f"{o.rules_checked}/{o.rules_failed}",
                    "新增/变更": f"{o.inserted}/{o.updated}",
                    "说明": "；".join(o.messages[:3]),
                }
                for o in ingested
            ],
            description=f"{period} 批次收到的月报及校验结果",
        )
    if outcome.progress_frame is None:
        return None
    markdown = monthly_report(
        resources.plan,
        resources.catalog,
        period,
        outcome.progress_frame,
        outcome.missing_units,
        repo.read_alerts(resources.engine, open_only=True),
    )
    report_dir = resources.settings.report_dir
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / f"progress-{period}.md"
    path.write_text(markdown, encoding="utf-8")
    create_markdown_artifact(
        markdown=markdown, key=f"progress-{period}", description=f"{period.label}目标进度表"
    )
    return path
