"""A process that runs flows ends without collecting its heap (jzplan.core.process)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import atexit, gc
# registered before flows is imported: runs after its handler
atexit.register(lambda: print("at the end:", gc.get_freeze_count() > 0, flush=True))
before = atexit._ncallbacks()
import flows
import jzplan.core.process
jzplan.core.process.exit_without_collecting()  # again: still one handler
# registered after: runs before it, with the heap not yet frozen
atexit.register(lambda: print("before it:", gc.get_freeze_count() > 0, flush=True))
print("handlers added:", atexit._ncallbacks() - before, flush=True)
"""


def test_importing_flows_freezes_the_heap_as_the_last_exit_handler() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == ["before it: False", "at the end: True"]
    assert "handlers added: 2" in done.stdout
