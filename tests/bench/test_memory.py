"""The bench's peak memory of a process is that process's own, not its parent's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.memory import MIB, max_rss_bytes

ROOT = Path(__file__).resolve().parents[2]


def test_a_child_of_a_large_process_reports_its_own_peak() -> None:
    """Linux keeps a process's ``ru_maxrss`` across fork and exec: a child of the bench
    (4.6 GiB after the national tier) reported the bench's peak as its own."""
    ballast = bytearray(400 * MIB)
    for i in range(0, len(ballast), 4096):  # touched: resident
        ballast[i] = 1
    assert max_rss_bytes() >= 400 * MIB
    child = subprocess.run(
        [sys.executable, "-c", "from bench.memory import max_rss_bytes; print(max_rss_bytes())"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(child.stdout) < 200 * MIB
    del ballast
