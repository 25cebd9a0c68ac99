"""Great Expectations imported with the modules it never needs here left lazy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import sys
from jzplan.validate import DEFERRED, import_engine
import_engine()
import_engine()  # once is enough; again is a no-op
print("lazy after import:", [type(sys.modules[m]).__name__ for m in DEFERRED])
left = [type(f).__name__ for f in sys.meta_path if type(f).__name__ == "_Deferring"]
print("finders left:", left)
from jzplan.validate.validator import SubmissionValidator  # builds on the same GE
import scipy.stats, altair
print("scipy works:", scipy.stats.norm.cdf(0.0), "altair works:", altair.Chart.__name__)
print("loaded on use:", [type(sys.modules[m]).__name__ for m in DEFERRED])
"""


def test_the_engine_import_defers_scipy_stats_and_altair_until_used() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert "lazy after import: ['_LazyModule', '_LazyModule']" in lines
    assert "finders left: []" in lines
    assert "scipy works: 0.5 altair works: Chart" in lines
    assert "loaded on use: ['module', 'module']" in lines


# what the validation helper imports before it says it is ready (jzplan.validate.docs_helper)
HELPER_START = """
import json, sys
import jzplan.validate.batch, jzplan.validate.status_checks
from jzplan.validate import datadocs, import_engine
import_engine()
datadocs.warm_up()
from jzplan.ingest.readers import _LAZY_READERS
print(json.dumps([m for m in _LAZY_READERS if m in sys.modules]))
import io, openpyxl
from jzplan.ingest.readers import openpyxl_sheets
wb = openpyxl.Workbook()
wb.active.append(["a", 1])
data = io.BytesIO()
wb.save(data)
print(openpyxl_sheets(data.getvalue())[0].rows[0])
"""


def test_the_helper_starts_without_the_workbook_readers() -> None:
    """The helper never reads a workbook: openpyxl and xlrd wait for the first one read
    (openpyxl was 0.13-0.14 s of the helper's start)."""
    done = subprocess.run(
        [sys.executable, "-c", HELPER_START], cwd=ROOT, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines() == ["[]", "['a', 1]"]
