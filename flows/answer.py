"""Answering a held row (待确认) from the Prefect UI: map it to an indicator (the name is
learned for every later file) or discard it; the month is recomputed. The same as
``jzplan answer``; a refused answer fails the run with its Chinese reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from prefect import get_run_logger
from prefect.runtime import flow_run
from pydantic import Field

from flows import entrypoint_imported
from flows.plain_flow import flow
from jzplan.core.settings import Settings
from jzplan.month.answers import answer_lines, answer_question, answering_for
from jzplan.month.resources import open_resources


def _run_name() -> str:
    return f"answer-{flow_run.parameters.get('question_id')}"


@flow(name="answer-held-row", flow_run_name=_run_name, log_prints=True)
def answer_held_row(
    question_id: Annotated[int, Field(ge=1)],
    answered_by: Annotated[str, Field(min_length=1, max_length=64)],
    indicator: str | None = None,
    discard: bool = False,
    note: str | None = None,
) -> dict[str, Any]:
    """Answer held row ``question_id`` once: ``indicator`` maps it, ``discard`` drops it.

    Args:
        question_id: 待确认行编号（jzplan questions 第一列）
        answered_by: 答复人
        indicator: 对应的指标代码，如 investment_attracted；舍弃时留空
        discard: 舍弃该行（不入库）；与 indicator 二选一
        note: 备注，如：与统计站电话核实
    """
    if discard == bool(indicator):
        raise ValueError("请在 indicator（对应的指标代码）和 discard（舍弃）中选且只选一项")
    resources = open_resources(Settings())
    try:
        done = answer_question(
            answering_for(resources),
            question_id,
            indicator=None if discard else indicator,
            answered_by=answered_by,
            answered_at=datetime.now(UTC),
            note=note,
        )
        lines = answer_lines(done, resources.catalog)
    finally:
        resources.close()
    for line in lines:
        get_run_logger().info(line)
    q = done.question
    return {
        "question": q.id,
        "status": str(q.status),
        "indicator": q.indicator,
        "value": done.value,
        "alias_added": done.alias_added,
        "refreshed": [str(p) for p in done.refreshed],
    }


# the last line: a worker's flow-run process has imported this deployment's entrypoint
# (jzplan.core.process)
entrypoint_imported()
