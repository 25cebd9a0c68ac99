"""A process that runs flows ends without collecting its heap (jzplan.core.process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
default = gc.get_threshold()
print("untouched:", gc.isenabled(), gc.get_freeze_count() == 0)
process.start_without_collecting()
import pandas  # noqa: F401
print("while importing:", gc.isenabled(), gc.get_stats()[2]["collections"])
process.imports_done()
print("imports done:", gc.isenabled(), gc.get_freeze_count() > 0)
print("less often:", gc.get_threshold() == process.COLLECT_THRESHOLDS != default)
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
        "less often: True",
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


# an entrypoint loaded as a worker's flow-run process loads it (prefect.flow_engine.load_flow:
# the module executed from its path), with the run's id in the environment or without it
LOAD = """
import gc, json, sys
import prefect
from prefect.utilities.importtools import load_script_as_module
gc.collect()
disabled = []
gc.callbacks.append(lambda phase, info: None)
import builtins
_import = builtins.__import__
def watch(name, *args, **kwargs):  # is the collector on while pandas is imported?
    if name == "pandas" and "pandas" not in sys.modules:
        disabled.append(not gc.isenabled())
    return _import(name, *args, **kwargs)
builtins.__import__ = watch
load_script_as_module(sys.argv[1])
builtins.__import__ = _import
from jzplan.validate.docs_helper import shared_helper
print(json.dumps({"enabled": gc.isenabled(), "frozen": gc.get_freeze_count(),
                  "pandas_without_collector": disabled, "helper": shared_helper().starting()}))
"""


def _load(entrypoint: str, flow_run_id: str | None) -> dict[str, object]:
    import json
    import os

    env = {k: v for k, v in os.environ.items() if k != "PREFECT__FLOW_RUN_ID"}
    env["JZPLAN_DATA_DOCS_HELPER"] = "true"  # as deployed (the suite turns it off)
    if flow_run_id:
        env["PREFECT__FLOW_RUN_ID"] = flow_run_id
    path = entrypoint.split(":")[0]
    done = subprocess.run(
        [sys.executable, "-c", LOAD, path], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def _entrypoints() -> list[str]:
    import yaml

    deployments = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    return sorted({str(d["entrypoint"]) for d in deployments["deployments"]})


@pytest.mark.parametrize("entrypoint", _entrypoints())
def test_a_flow_run_process_imports_its_entrypoint_without_collecting(entrypoint: str) -> None:
    """Every prefect.yaml entrypoint module ends with ``entrypoint_imported``: in a worker's
    flow-run process the collector is off while the pipeline is imported, then on again with
    the imported heap frozen; a run whose module forgot it would run with no collection."""
    out = _load(entrypoint, "8a1f0a52-3c1e-4a39-9a57-0d6bd0c1a001")
    assert out["enabled"] is True
    assert int(out["frozen"]) > 100_000  # type: ignore[call-overload]
    assert out["pandas_without_collector"] in ([True], [])
    # a process of monthly runs (one, or a backfill's) starts its validation helper while it
    # imports (flows.worker_start); the other deployments validate nothing
    assert out["helper"] is entrypoint.startswith(("flows/monthly.py:", "flows/backfill.py:"))


def test_elsewhere_importing_an_entrypoint_leaves_the_collector_alone() -> None:
    out = _load("flows/monthly.py:monthly_progress", None)
    assert out == {
        "enabled": True, "frozen": 0, "pandas_without_collector": [False], "helper": False
    }  # fmt: skip


MEMORY = """
import resource
from jzplan.core import process

def faults_of_reuse():
    b"x" * 64_000_000  # malloc'd, written and freed
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    b"x" * 64_000_000  # the same again
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

print("default:", faults_of_reuse())
print("kept:", process.keep_freed_memory())
faults_of_reuse()
print("reused:", faults_of_reuse())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_a_started_process_reuses_freed_columns_instead_of_faulting_them_in_again() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run(
        [sys.executable, "-c", MEMORY], cwd=ROOT, capture_output=True, text=True,
        timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(": ") for line in done.stdout.splitlines())
    # 64 MB is 15,625 pages of 4 KiB: glibc maps and unmaps it each time by default
    assert int(lines["default"]) > 10_000
    assert lines["kept"] == "True"
    assert int(lines["reused"]) < 1_000


def test_glibc_settings_of_the_operator_are_left_alone() -> None:
    code = "from jzplan.core import process; print(process.keep_freed_memory())"
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "131072"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
        timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
