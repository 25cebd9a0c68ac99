"""jzplan.core.procfs: one reader of /proc/<pid>/stat for the run's processes (the temporary
server's idle wait, the Data Docs helper's CPU time, a started process's zombie check)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from jzplan.core.procfs import cpu_seconds, stat_fields

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="no /proc")


def test_a_running_process_has_its_state_and_cpu_time() -> None:
    fields = stat_fields(os.getpid())
    assert fields is not None and fields[0] == "R"
    before = cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.05
    while time.process_time() < deadline:
        pass
    after = cpu_seconds(os.getpid())
    assert before is not None and after is not None and after > before


def test_a_zombie_and_a_process_that_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while (stat_fields(child.pid) or ["?"])[0] != "Z" and time.monotonic() < deadline:
        time.sleep(0.02)  # exited, not yet waited for: a zombie
    assert (stat_fields(child.pid) or ["?"])[0] == "Z"
    child.wait()
    assert stat_fields(child.pid) is None and cpu_seconds(child.pid) is None
