"""Typed flow parameters: the UI's run form and the API check the pattern before a run starts;
their conversion to a Period (the one place a flow's month text is parsed); and the time a
defaulted month is taken from."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from prefect.runtime import flow_run
from pydantic import Field

from jzplan.core.periods import Period, parse_period

# YYYY-MM, a real month
Month = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


def scheduled_start() -> datetime:
    """The flow run's scheduled start (now when it has none), which a defaulted month is taken
    from: a retry of the same scheduled run does the same month."""
    scheduled = flow_run.scheduled_start_time
    return scheduled if scheduled is not None else datetime.now(UTC)


def period_param(value: str | None, default: Callable[[], Period] | None = None) -> Period:
    """A flow's month parameter as a Period; ``default()`` when it is left empty."""
    if value:
        return parse_period(value)
    if default is None:
        raise ValueError("a month (YYYY-MM) is required")
    return default()
