"""Typed flow parameters: the UI's run form and the API check the pattern before a run starts;
and the time a defaulted month is taken from."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from prefect.runtime import flow_run
from pydantic import Field

# YYYY-MM, a real month
Month = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


def scheduled_start() -> datetime:
    """The flow run's scheduled start (now when it has none), which a defaulted month is taken
    from: a retry of the same scheduled run does the same month."""
    scheduled = flow_run.scheduled_start_time
    return scheduled if scheduled is not None else datetime.now(UTC)
