"""Artifacts of target tracking: one progress table per target group, the overall progress,
and each township's contribution to the area's totals."""

from __future__ import annotations

import pandas as pd
from prefect import task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
)
from prefect.cache_policies import NO_CACHE

from jzplan.core.periods import Period
from jzplan.month.resources import Resources
from jzplan.report.markdown import group_rows, overall_progress, stored_contribution_table
from tasks import artifacts

# Artifact keys are lowercase ASCII: one per target group
GROUP_KEYS = {
    "主要预期目标": "main",
    "十个方面": "ten-aspects",
    "十大创新提升计划": "ten-programmes",
    "市政府工作报告要求": "city-report",
    "乡镇街道目标": "townships",
}


@task(name="publish-tracking", task_run_name="tracking-{period}", retries=2,
      cache_policy=NO_CACHE)  # fmt: skip
def publish_tracking(resources: Resources, period: Period, progress: pd.DataFrame) -> float:
    """Publish the month's tracking artifacts; returns the overall progress (%)."""
    plan, catalog = resources.plan_of(period.year), resources.catalog
    notes = resources.plan_notes_of(period.year)
    for group, rows in group_rows(plan, catalog, progress, notes).items():
        slug = GROUP_KEYS.get(group, "other")
        artifacts.publish(
            create_table_artifact,
            key=f"progress-{period}-{slug}",
            table=rows,
            description=f"{period.label} {group} 目标进度（序时、季节、年末预计）",
        )
    overall = overall_progress(progress)
    artifacts.publish(
        create_progress_artifact,
        progress=overall,
        key=f"overall-progress-{period}",
        description=f"{period.label} 已完成或进度正常的目标占比",
    )
    table = stored_contribution_table(resources.engine, plan, catalog, period, progress)
    if table:
        artifacts.publish(
            create_markdown_artifact,
            markdown=f"# {period.label} 各单位对新区目标的贡献\n\n{table}",
            key=f"contributions-{period}",
            description=f"{period.label} 各乡镇（街道）及直报单位占新区合计的比重",
        )
    return overall
