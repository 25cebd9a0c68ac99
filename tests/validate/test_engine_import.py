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
