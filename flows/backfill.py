"""Run the monthly flow over a range of months, in order."""

from __future__ import annotations

from typing import Any

from flows import entrypoint_imported
from flows.monthly import monthly_progress
from flows.params import Month
from flows.plain_flow import flow
from jzplan.core.periods import parse_range


@flow(name="backfill", flow_run_name="backfill-{start}-{end}")
def backfill(start: Month, end: Month, inbox_dir: str | None = None) -> list[dict[str, Any]]:
    """Each month from ``start`` to ``end`` (YYYY-MM), as its own monthly-progress run.

    Each month commits on its own: a backfill killed midway keeps the months it finished,
    and running it again skips their files (sha256) and recomputes them unchanged.

    Args:
        start: 起始报告期，YYYY-MM
        end: 结束报告期（含），YYYY-MM
        inbox_dir: 收件箱目录；留空则用 JZPLAN_INBOX_DIR
    """
    return [monthly_progress(period=str(p), inbox_dir=inbox_dir) for p in parse_range(start, end)]


# the last line: a worker's flow-run process has imported this deployment's entrypoint
# (jzplan.core.process)
entrypoint_imported()
