"""Publish a batch's validation: per-rule summary table, Data Docs, plan consistency."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from jzplan.alert.explanations import open_warnings
from jzplan.core.periods import Period
from jzplan.core.states import IngestStatus
from jzplan.month.loading import IngestOutcome
from jzplan.month.resources import Resources
from jzplan.validate.datadocs import DataDocsJob, document_label, start_data_docs
from jzplan.validate.docs_helper import DocsHelper
from jzplan.validate.plan_check import check_plan, plan_check_markdown, plan_check_table
from jzplan.validate.store_checks import (
    batch_markdown,
    read_validation_results,
    rule_labels,
    rules_failed,
    summarise_results,
)
from tasks import artifacts


def _batch_files(
    outcomes: Sequence[IngestOutcome],
) -> tuple[list[IngestOutcome], list[IngestOutcome], list[int]]:
    """The batch's files validated now, those stored before, and the submissions of both."""
    # A file stored before (a rerun, a re-sent file) is not validated again: its stored
    # results stand for it, so a rerun publishes the same complete table and Data Docs.
    checked = [
        o for o in outcomes if o.status not in (IngestStatus.DUPLICATE, IngestStatus.REFUSED)
    ]
    stored = [o for o in outcomes if o.status == IngestStatus.DUPLICATE and o.submission_id > 0]
    return checked, stored, list(dict.fromkeys(o.submission_id for o in checked + stored))


def start_batch_docs(
    resources: Resources,
    period: Period,
    outcomes: Sequence[IngestOutcome],
    helper: DocsHelper | None = None,
) -> DataDocsJob | None:
    """The batch's Data Docs begun (on ``helper`` if it is ready), for ``publish_validation``
    to wait for; None when the batch has no submission."""
    ids = _batch_files(outcomes)[2]
    if not ids:
        return None
    labels = {
        o.submission_id: document_label(o.submission_id, o.org_unit, o.period) for o in outcomes
    }
    return start_data_docs(
        resources.engine,
        ids,
        resources.settings.data_docs_dir / str(period),
        resources.settings.expectations_dir,
        run_name=f"monthly-{period}",
        labels=labels,
        helper=helper,
    )


# Retried: it writes the Data Docs folder and reads the store.
@task(
    name="publish-validation", task_run_name="validation-{period}", retries=1, cache_policy=NO_CACHE
)
def publish_validation(
    resources: Resources,
    period: Period,
    outcomes: Sequence[IngestOutcome],
    docs: DataDocsJob | None = None,
) -> dict[str, Any]:
    """Table artifact ``validation-<period>`` (every rule over the batch's files), the batch's
    Data Docs (``<data_docs_dir>/<period>/index.html``, linked from ``validation-docs-<period>``;
    ``docs``: begun by ``start_batch_docs``, else built here) and the plan-consistency artifact
    ``plan-check-<year>``."""
    logger = get_run_logger()
    checked, stored, ids = _batch_files(outcomes)
    results = read_validation_results(resources.engine, ids)
    rule_names = rule_labels(resources.settings.expectations_dir)
    unit_names = {code: unit.name for code, unit in resources.catalog.org_units.items()}
    rows = summarise_results(results, rule_names, unit_names)
    if rows:
        artifacts.publish(
            create_table_artifact,
            key=f"validation-{period}",
            table=rows,
            description=f"{period} 批次月报校验：每条规则的检查与未通过数",
        )
    out: dict[str, Any] = {
        "rules": len(rows),
        "rules_failed": rules_failed(rows),
        "files_reused": len(stored),
    }
    job = docs or start_batch_docs(resources, period, outcomes)
    index = job.wait() if job is not None else None
    if job is not None and job.helper_error:
        why = job.helper_error.strip().splitlines()[-1]
        logger.warning("Data Docs 辅助进程未能生成，已由本进程生成：%s", why)
    if job is not None and job.request is not None:  # built now: by whom
        out["data_docs_by"] = "helper" if job.built_by_helper else "run"
    if index is not None:
        out["data_docs"] = str(index)
        logger.info("Data Docs：%s", index.as_uri())
    waiting = open_warnings(resources.engine, period, resources.catalog)
    out["warnings_open"] = len(waiting)
    artifacts.publish(
        create_markdown_artifact,
        markdown=batch_markdown(
            period,
            rows,
            index,
            [str(w["message"]) for w in waiting],
            files=len(checked) + len(stored),
            reused=len(stored),
        ),
        key=f"validation-docs-{period}",
        description=f"{period} 校验结果与 Data Docs 链接",
    )

    # the run's rules, read once (its reports read them too)
    plan = check_plan(resources.plan_of(period.year), resources.catalog, resources.rules)
    artifacts.publish(
        create_markdown_artifact,
        markdown=plan_check_markdown(plan),
        key=f"plan-check-{plan.year}",
        description=f"{plan.year} 年计划一致性检查（{len(plan.problems)} 处不一致）",
    )
    if plan.findings:
        artifacts.publish(
            create_table_artifact,
            key=f"plan-check-table-{plan.year}",
            table=plan_check_table(plan),
            description=f"{plan.year} 年计划一致性检查：每处发现及涉及的数字",
        )
    out["plan_findings"] = len(plan.problems)
    return out
