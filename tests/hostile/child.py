"""The hostile month's run in a process of its own: ``python -m tests.hostile.child INBOX``
runs the monthly flow for 2013-07 (settings from the environment, the Prefect server from
PREFECT_API_URL) and prints one JSON line: the run's summary and the process's peak memory
(``VmHWM``, MiB: ``ru_maxrss`` would include the parent's when it is larger) and seconds."""

from __future__ import annotations

import json
import sys
import time

from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

from bench.memory import MIB, max_rss_bytes
from flows.monthly import monthly_progress


def main() -> None:
    inbox = sys.argv[1]
    started = time.perf_counter()
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        summary = monthly_progress(period="2013-07", inbox_dir=inbox)
    seconds = time.perf_counter() - started
    peak = max_rss_bytes() / MIB
    print(json.dumps({"summary": summary, "peak_mib": peak, "seconds": seconds}, default=str))


if __name__ == "__main__":
    main()
