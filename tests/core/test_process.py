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


STARTING = """
import gc
from jzplan.core import process
process.imports_done()  # not started by an entry point: nothing happens
process.imported_later()
print("untouched:", gc.isenabled(), gc.get_freeze_count() == 0)
process.start_without_collecting()
import pandas  # noqa: F401
print("while importing:", gc.isenabled(), gc.get_stats()[2]["collections"])
process.imports_done()
print("imports done:", gc.isenabled(), gc.get_freeze_count() > 0)
frozen = gc.get_freeze_count()
process.imports_done()  # once only
print("again:", gc.get_freeze_count() == frozen)
later = [[i] for i in range(1000)]  # what a later import makes (tracked objects)
process.imported_later()
print("later import frozen:", gc.get_freeze_count() >= frozen + 1000)
"""


def test_an_entry_point_imports_without_collecting_then_freezes_what_it_imported() -> None:
    done = subprocess.run(
        [sys.executable, "-c", STARTING], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "untouched: True True",
        "while importing: False 0",
        "imports done: True True",
        "again: True",
        "later import frozen: True",
    ]


def test_the_jzplan_command_starts_at_the_entry_point() -> None:
    scripts = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'jzplan = "jzplan.entry:main"' in scripts
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from jzplan.entry import main; sys.exit(main())",
         "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "run" in done.stdout
