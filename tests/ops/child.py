"""A run to kill: ``python -m tests.ops.child`` imports everything, says ``ready``, reads
``START END`` from stdin and runs the backfill flow (each month its own monthly-progress run)."""

from __future__ import annotations

import sys

import great_expectations  # noqa: F401  # imported up front: the kill should hit the run
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

from flows.backfill import backfill


def main() -> None:
    print("ready", flush=True)
    start, end = sys.stdin.readline().split()
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        backfill(start=start, end=end)
    print("done", flush=True)


if __name__ == "__main__":
    main()
