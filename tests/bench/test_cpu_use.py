"""Where a timed process's CPU goes (bench.cpu_use): real processes burning real CPU."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bench.cpu_use import cpu_seconds, run_measured
from bench.report import extra_lines

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

# burns about ``seconds`` of CPU in a loop that checks the process's own CPU time
_BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < {seconds}: pass\n"


def _script(tmp_path: Path) -> Path:
    """A run that starts a 'helper' (its command line names the validation helper), burns
    0.4 s itself, and exits without waiting for the helper, which burns 0.6 s and ends,
    as a run's helper does; and one child it waits for (0.3 s)."""
    helper = "# jzplan.validate.docs_helper\n" + _BURN.format(seconds=0.6)
    waited = _BURN.format(seconds=0.3)
    script = tmp_path / "run.py"
    script.write_text(
        textwrap.dedent(f"""\
            import subprocess, sys, time
            h = subprocess.Popen([sys.executable, "-c", {helper!r}], start_new_session=True)
            subprocess.run([sys.executable, "-c", {waited!r}], check=True)
            {_BURN.format(seconds=0.4).replace(chr(10), chr(10) + "            ")}
            while h.poll() is None:
                time.sleep(0.02)
            raise SystemExit(3)
            """),
        encoding="utf-8",
    )
    return script


def test_the_run_and_what_it_started_are_each_accounted_for(tmp_path: Path) -> None:
    server = subprocess.Popen(
        [sys.executable, "-c", _BURN.format(seconds=0.5) + "time.sleep(60)\n"]
    )
    try:
        wall, proc, use = run_measured(
            [sys.executable, str(_script(tmp_path))], dict(os.environ), tmp_path,
            server_pid=server.pid,
        )  # fmt: skip
    finally:
        server.kill()
        server.wait()
    assert proc.returncode == 3  # its exit code, as subprocess.run would give it
    # its own 0.4 s and its start, not the children's (the waited one is not in its time)
    assert 0.35 < use.run < 0.65
    assert 0.55 < use.started["helper"] < 0.8
    assert 0.2 < use.started["other"] < 0.45
    # the server's CPU from the start to the end: it had burned part of its 0.5 s already
    assert 0.0 <= use.server <= 0.7
    assert use.total == pytest.approx(use.run + sum(use.started.values()) + use.server)
    assert use.machine >= use.run + use.started["helper"] * 0.9 - 0.1
    assert wall >= 0.6


def test_cpu_seconds_of_an_ended_process_is_none() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert cpu_seconds(proc.pid) is None


def test_a_target_line_says_the_least_time_its_cpu_allows() -> None:
    prefect = {"cli_running_median": 7.46, "cli_running_cpu": 13.2, "warm_median": 3.0}
    lines = extra_lines({"lines": [], "machine": {"cores": 2}, "prefect": prefect})
    assert (
        "six townships, jzplan run, new process, running server, first run: 7.46 s (OVER 5 s);"
        " CPU of the run, its helper and the server 13.20 s = at least 6.60 s on 2 cores"
    ) in lines
    assert "six townships, warm flow call, first run: 3.00 s (OVER 1.5 s)" in lines
