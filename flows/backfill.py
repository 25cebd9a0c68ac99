"""Run the monthly flow over a range of months, in order."""

from __future__ import annotations

from typing import Any

from prefect import flow

from flows.monthly import monthly_progress
from jzplan.periods import Period, period_range


@flow(name="backfill", flow_run_name="backfill-{start}-{end}")
def backfill(start: str, end: str, inbox_dir: str | None = None) -> list[dict[str, Any]]:
    """Each month from ``start`` to ``end`` (YYYY-MM), as its own monthly-progress run."""
    return [
        monthly_progress(period=str(p), inbox_dir=inbox_dir)
        for p in period_range(Period.parse(start), Period.parse(end))
    ]
