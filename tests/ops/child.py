"""A run to kill: ``python -m tests.ops.child`` imports everything, says ``ready``, reads
``START END`` from stdin and runs the backfill flow (each month its own monthly-progress run);
or reads ``release`` and runs ``release_scenario``."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import great_expectations  # noqa: F401  # imported up front: the kill should hit the run
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

from flows.backfill import backfill
from jzplan.core.periods import Period
from jzplan.core.settings import Settings
from jzplan.core.states import MonthState
from jzplan.month.release import release_month, reopen_month
from jzplan.month.resources import open_resources
from jzplan.store.month_states import read_month

JUNE = Period(2013, 6)


def _month_step(step: str) -> None:
    """One move of June, unless the store shows it was made (a rerun resumes): the first
    release, the reopening (its pending correction applied), the second release."""
    res = open_resources(Settings())
    try:
        june, now = read_month(res.engine, JUNE), datetime.now(UTC)
        if step == "release" and june.state == MonthState.PENDING_REVIEW and june.version < 2:
            release_month(res, JUNE, by="张三", note=f"第{june.version + 1}版", at=now)
        elif step == "reopen" and june.state == MonthState.RELEASED and june.version == 1:
            reopen_month(res, JUNE, by="李四", reason="阳庙镇更正", at=now)
    finally:
        res.close()


def release_scenario() -> None:
    """June run and released; the July batch brings a corrected June file (held); June
    reopened (the correction applied, June and July recomputed) and released again. Each
    step is one transaction, and a rerun of the whole skips the moves already made."""
    backfill(start="2013-06", end="2013-06")
    _month_step("release")
    backfill(start="2013-07", end="2013-07")
    _month_step("reopen")
    _month_step("release")


def main() -> None:
    print("ready", flush=True)
    line = sys.stdin.readline().split()
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        if line == ["release"]:
            release_scenario()
        else:
            backfill(start=line[0], end=line[1])
    print("done", flush=True)


if __name__ == "__main__":
    main()
