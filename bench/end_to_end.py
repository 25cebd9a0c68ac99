"""The national month end to end in a fresh process, and the small tier through Prefect."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import synth
from bench.measure import Bench
from bench.memory import MIB, max_rss_bytes
from bench.prefect_cli import wait_quiet
from bench.stages import EXPECTATIONS, outcome_note, prepared_file, read_file
from bench.stores import open_store, setup_store

ROOT = Path(__file__).resolve().parents[1]


def e2e_child(out: Path, tier_name: str, units: int | None) -> dict[str, Any]:
    """In this (fresh) process: setup, then read → validate → load → aggregate → evaluate of
    the tier's last month on PostgreSQL; wall times and the process's peak memory. The
    process starts as the pipeline's do (``jzplan run``, a worker's flow run): glibc keeps
    freed memory (``keep_freed_memory``), and the month's modules are imported before it
    (``jzplan.ingest.bulk`` too, which the monthly flow's import brings)."""
    from jzplan.core.process import keep_freed_memory

    keep_freed_memory()
    import jzplan.ingest.bulk  # noqa: F401
    from jzplan.core.periods import Period
    from jzplan.month.loading import load_prepared
    from jzplan.month.refresh import LoadedBulk, refresh_aggregates, refresh_tracking
    from jzplan.reference.catalog import load_catalog
    from jzplan.reference.plan import load_plan
    from jzplan.track.progress import Thresholds
    from jzplan.validate.validator import SubmissionValidator

    setup_started = time.perf_counter()
    generated = synth.generate(synth.tier_for(tier_name, units=units), out / "data")
    catalog = load_catalog(generated.catalog_dir)
    plan = load_plan(generated.plan_path, catalog)
    store = open_store("postgresql", tier_name, out)
    setup_store(store, catalog, plan)
    validator = SubmissionValidator(EXPECTATIONS, catalog)
    period = generated.periods[-1]
    p = Period.parse(period)
    setup = time.perf_counter() - setup_started
    # PostgreSQL may still be busy with the bench's previous stages (dropping their
    # database, autovacuum of its bulk tables): the month starts on a quiet machine
    quiet = wait_quiet(limit=60.0)
    stages: dict[str, float] = {}
    started = time.perf_counter()

    def lap(stage: str, since: float) -> float:
        now = time.perf_counter()
        stages[stage] = now - since
        return now

    t = started
    read = read_file(generated.csv(period), catalog)
    t = lap("read", t)
    report = validator.validate(read.parsed)
    t = lap("validate", t)
    outcome = load_prepared(
        prepared_file(read, report), bind=store.engine, arrival=p,
        received_at=datetime.now(UTC), validator=validator,
    )  # fmt: skip
    t = lap("load", t)
    # as the monthly flow does: the file's figures from memory, the store read for the rest
    bulks = [LoadedBulk.of(outcome.bulk_file_id, read.parsed)] if outcome.bulk_file_id else []
    refresh_aggregates(store.engine, catalog=catalog, period=p, bulks=bulks)
    t = lap("aggregate", t)
    refresh_tracking(store.engine, catalog=catalog, plan=plan, period=p, thresholds=Thresholds())
    lap("evaluate", t)
    store.engine.dispose()
    return {
        "tier": tier_name,
        "period": period,
        "rows": generated.rows(period),
        "setup_seconds": setup,
        "quiet_wait_seconds": quiet,
        "seconds": time.perf_counter() - started,
        "stages": stages,
        "peak_mib": max_rss_bytes() / MIB,
        "load": outcome_note(outcome),
    }


def give_back_memory() -> tuple[float, float]:
    """This (bench) process's freed memory returned to the system before the end-to-end
    child starts: its resident MiB before and after. The tiers leave the bench process holding
    gigabytes it has freed but its allocators keep (glibc's heap, Arrow's pool); a fresh
    process's first touch of new memory was measurably slower beside such a process on the
    2-core machine (2026-12-06: the national month's validation 1.12-1.33 s beside a small
    process, 1.65-1.71 s beside one holding 4.5 GiB), which no run of the pipeline has."""
    import ctypes
    import gc

    import pyarrow as pa

    from bench.memory import rss_bytes

    before = rss_bytes() / MIB
    gc.collect()
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)
    return before, rss_bytes() / MIB


def run_e2e(bench: Bench, tier: str, units: int | None) -> None:
    held = give_back_memory()
    print(f"bench process: {held[0]:,.0f} MiB resident, {held[1]:,.0f} MiB after giving back "
          "freed memory", flush=True)  # fmt: skip
    cmd = [
        sys.executable,
        "-m",
        "bench.run",
        "--e2e-child",
        "--tier",
        tier,
        "--out",
        str(bench.out),
    ]
    if units is not None:
        cmd += ["--units", str(units)]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        bench.extra["e2e"] = {"error": proc.stderr[-2000:]}
        print(f"end to end: failed\n{proc.stderr[-2000:]}", flush=True)
        return
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_seconds"] = wall
    result["bench_process_mib"] = {"before": held[0], "after": held[1]}
    bench.extra["e2e"] = result


def run_prefect(bench: Bench, repeat: int) -> None:
    try:
        from bench.prefect_month import run
    except ImportError as exc:
        bench.extra["prefect"] = {"error": f"bench.prefect_month: {exc}"}
        return
    try:
        bench.extra["prefect"] = run(period="2013-06", repeat=repeat)
    except Exception as exc:
        bench.extra["prefect"] = {"error": f"{type(exc).__name__}: {exc}"}
