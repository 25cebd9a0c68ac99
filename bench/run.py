"""``make bench``: every stage of a month, timed on synthetic tiers against raw floors.

Tiers (bench/synth.py): ``small`` (the six townships, one month), ``province`` (2,500
townships under 150 counties and 17 cities, the twelve months of 2013) and ``national``
(40,000 townships, one month with a few planted errors). Per tier and database (SQLite file,
PostgreSQL database ``jzplan_bench`` dropped and created afresh), the stages:

- ``read``: sha256 and ``jzplan.ingest.bulk.read_bulk`` of the CSV (``read-parquet``: the Parquet);
  floor: pyarrow's reader to a pandas frame;
- ``validate``: the project's GE file suites (``SubmissionValidator.validate``); floor: the
  same checks in raw pandas and duckdb (``bench/validation_floor.py``);
- ``load``: ``jzplan.month.pipeline.load_prepared`` of the read and validated file; floor: COPY
  (PostgreSQL) or sqlite3 ``executemany`` of the same rows into an unconstrained table;
- ``aggregate``: ``refresh_aggregates`` (store read, totals at every level, write); floor:
  pandas and duckdb totals from the in-memory leaf figures (``aggregate-mem``: the project's
  ``aggregate_period`` on the same in-memory figures);
- ``evaluate``: ``refresh_tracking`` (every target of the plan at the period).

Each line: rows, seconds, rows/s, the peak resident memory during the stage (a 10 ms
sampler) and the ratio to the best floor. The province's twelve months are summed per stage.
Then the idempotency lines (the national file again: nothing written; a corrected copy: only
its units' rows), the national month end to end on PostgreSQL in a fresh process (read →
validate → load → aggregate → evaluate; wall time and the process's peak memory) and, for
the small tier, ``bench/prefect_month.py`` (the real flow on a running Prefect server).

Output: a table on stdout and ``<out>/results-<timestamp>.json``;
``python -m bench.run --markdown <results.json>`` renders a JSON as the table of
``bench/RESULTS.md``. Benchmarks print numbers; nothing is asserted.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import dataclasses
import getpass
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from bench import floors, synth
from bench.memory import MIB, PeakRSS, max_rss_bytes

ROOT = Path(__file__).resolve().parents[1]
EXPECTATIONS = ROOT / "expectations"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/jzplan_bench"
TIER_ORDER = ("small", "province", "national")
T = TypeVar("T")


@dataclass(slots=True)
class Line:
    tier: str
    db: str
    stage: str
    rows: int
    seconds: float
    peak_mib: float
    period: str = ""
    floor: str = ""
    floor_seconds: float | None = None
    note: str = ""
    floors: dict[str, float] = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float | None:
        return self.rows / self.seconds if self.seconds > 0 and self.rows else None

    @property
    def ratio(self) -> float | None:
        if not self.floor_seconds:
            return None
        return self.seconds / self.floor_seconds

    def attach(self, found: list[floors.Floor]) -> None:
        """Keep every floor's time; the ratio is to the fastest."""
        for f in found:
            self.floors[f.name] = f.seconds
        if found:
            best = min(found, key=lambda f: f.seconds)
            self.floor, self.floor_seconds = best.name, best.seconds

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["rows_per_s"] = self.rows_per_s
        out["ratio"] = self.ratio
        return out


class Unavailable(RuntimeError):
    """A stage's API is not in the project (yet)."""


@dataclass(slots=True)
class Bench:
    out: Path
    repeat: int = 1
    lines: list[Line] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def measure(
        self,
        tier: str,
        db: str,
        stage: str,
        fn: Callable[[], T],
        rows: int | Callable[[T], int],
        *,
        period: str = "",
        repeat: int = 1,
        note: Callable[[T], str] | None = None,
    ) -> tuple[T, Line]:
        """Run ``fn`` (the median of ``repeat`` runs is kept) and record a line."""
        times, peak = [], 0.0
        result: Any = None
        for _ in range(max(1, repeat)):
            result = None  # free the previous round's result first
            with PeakRSS() as mem:
                started = time.perf_counter()
                result = fn()
                times.append(time.perf_counter() - started)
            peak = max(peak, mem.peak_mib)
        line = Line(
            tier,
            db,
            stage,
            rows(result) if callable(rows) else rows,
            float(np.median(times)),
            peak,
            period,
            note=note(result) if note else "",
        )
        self.lines.append(line)
        if line.seconds >= 1.0:  # progress on long runs
            print(f"   {tier} {db} {stage} {period}: {line.seconds:.1f} s", flush=True)
        return result, line

    def skip(self, tier: str, db: str, stage: str, why: str, period: str = "") -> None:
        self.lines.append(Line(tier, db, stage, 0, 0.0, 0.0, period, note=f"n/a: {why}"))

    def floor(self, fn: Callable[[], T]) -> T:
        """A floor, repeated like the stages (the fastest run kept for a floor)."""
        best: Any = None
        for _ in range(max(1, self.repeat)):
            got = fn()
            if isinstance(got, list):
                best = (
                    got
                    if best is None
                    else [min(a, b, key=_secs) for a, b in zip(best, got, strict=True)]
                )
            else:
                best = got if best is None else min(best, got, key=_secs)
        return best  # type: ignore[no-any-return]


def _secs(f: floors.Floor) -> float:
    return f.seconds


# --- databases -------------------------------------------------------------------------------


def postgres_url() -> str:
    return os.environ.get("JZPLAN_BENCH_POSTGRES_URL", DEFAULT_PG_URL)


def _conninfo(url: Any) -> str:
    rendered: str = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return rendered


def fresh_postgres() -> str:
    """Drop and create the bench database; returns its URL. Tries the user ``postgres``, then
    the current user (trust authentication on 127.0.0.1)."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url())
    candidates = [url]
    if "JZPLAN_BENCH_POSTGRES_URL" not in os.environ:
        candidates.append(url.set(username=getpass.getuser()))
    error: Exception | None = None
    for candidate in candidates:
        # one database per process (dropped when it exits): two bench runs never share one
        candidate = candidate.set(database=f"{candidate.database}_{os.getpid()}")
        admin = candidate.set(database="postgres")
        try:
            with psycopg.connect(_conninfo(admin), autocommit=True) as conn:
                name = candidate.database
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
            atexit.register(_drop_database, _conninfo(admin), str(name))
            return str(candidate.render_as_string(hide_password=False))
        except psycopg.OperationalError as exc:
            error = exc
    raise RuntimeError(f"PostgreSQL at {url.host}:{url.port}: {error}")


def _drop_database(admin: str, name: str) -> None:
    import psycopg

    with contextlib.suppress(psycopg.Error), psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh_sqlite(out: Path, tier: str) -> str:
    path = out / f"bench-{tier}.db"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


@dataclass(slots=True)
class Store:
    db: str  # sqlite | postgresql
    url: str
    engine: Any

    def load_floor(self, frame: Any, out: Path) -> floors.Floor:
        if self.db == "postgresql":
            from sqlalchemy.engine import make_url

            return floors.copy_postgres(_conninfo(make_url(self.url)), frame)
        return floors.executemany_sqlite(out / "floor.db", frame)


def open_store(db: str, tier: str, out: Path) -> Store:
    from jzplan.store.db import make_engine

    url = fresh_postgres() if db == "postgresql" else fresh_sqlite(out, tier)
    return Store(db, url, make_engine(url))


# --- the project's stages --------------------------------------------------------------------


@dataclass(slots=True)
class Read:
    path: Path
    sha256: str
    size: int
    parsed: Any


def read_file(path: Path, catalog: Any) -> Read:
    try:
        from jzplan.ingest.bulk import read_bulk
    except ImportError as exc:
        raise Unavailable(f"jzplan.ingest.bulk.read_bulk: {exc}") from None
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    parsed = read_bulk(path, catalog, data=data)
    parsed.sha256 = sha
    return Read(path, sha, len(data), parsed)


def prepared_file(read: Read, report: Any) -> Any:
    """What ``prepare_file`` hands to the load, from the separately timed read and validation
    (no archive copy: the file itself stands for its archived copy)."""
    from jzplan.month.pipeline import PreparedFile

    issues = tuple(read.parsed.issues) + tuple(report.issues)
    kwargs: dict[str, Any] = {
        "path": read.path,
        "sha256": read.sha256,
        "archive_path": read.path,
        "parsed": read.parsed,
        "issues": issues,
        "results": tuple(r.as_row() for r in report.results),
        "size_bytes": read.size,
        "file_format": read.path.suffix.lstrip("."),
        "documents": (),
    }
    names = {f.name for f in dataclasses.fields(PreparedFile)}
    if "error_rows" in names:
        kwargs["error_rows"] = np.asarray(getattr(report, "error_rows", ()), dtype=np.int64)
    return PreparedFile(**kwargs)


def outcome_note(outcome: Any) -> str:
    keys = ("status", "inserted", "updated", "unchanged", "superseded", "units", "units_rejected")
    parts = [f"{k} {getattr(outcome, k)}" for k in keys if getattr(outcome, k, None) is not None]
    return ", ".join(parts)


def counts_note(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items() if v)


def rejected_units(read: Read, report: Any) -> list[str]:
    rows = np.asarray(getattr(report, "error_rows", ()), dtype=np.int64)
    if not len(rows):
        return []
    return sorted(set(read.parsed.frame["org_unit"].iloc[rows].astype(str)))


def validation_floors(frame: Any, catalog: Any, rules: Any) -> list[floors.Floor]:
    try:
        from bench.validation_floor import duckdb_checks, pandas_checks
    except ImportError:
        return []
    out = []
    for name, fn in (("pandas checks", pandas_checks), ("duckdb checks", duckdb_checks)):
        floor, _ = floors.timed(name, len(frame), lambda fn=fn: fn(frame, catalog, rules))  # type: ignore[misc]
        out.append(floor)
    return out


# --- one tier --------------------------------------------------------------------------------


@contextmanager
def stage_guard(bench: Bench, tier: str, db: str, stage: str, period: str) -> Iterator[None]:
    """A stage whose API is missing or that fails prints n/a instead of ending the run."""
    try:
        yield
    except Unavailable as exc:
        bench.skip(tier, db, stage, str(exc), period)
    except Exception as exc:
        bench.skip(tier, db, stage, f"{type(exc).__name__}: {exc}"[:300], period)


def run_tier(bench: Bench, name: str, dbs: list[str], *, units: int | None) -> None:
    from jzplan.reference.catalog import load_catalog
    from jzplan.reference.plan import load_plan

    tier = synth.tier_for(name, units=units)
    started = time.perf_counter()
    generated = synth.generate(tier, bench.out / "data")
    took = time.perf_counter() - started
    m = generated.manifest
    total_rows = sum(f["rows"] for f in m["files"].values())
    print(
        f"\n== {name}: {m['units']:,} units ({m['reporting_units']:,} reporting, {m['depth']} "
        f"levels) × {m['form_size']} indicators, {len(m['files'])} month(s), {total_rows:,} rows "
        f"({'generated in' if took > 2 else 'cached,'} {took:.1f} s: {generated.root})",
        flush=True,
    )
    bench.extra.setdefault("tiers", {})[name] = {
        "root": str(generated.root),
        "manifest": {k: v for k, v in m.items() if k != "files"},
        "files": m["files"],
    }
    (catalog, plan), _ = bench.measure(
        name,
        "-",
        "catalog+plan",
        lambda: (
            cat := load_catalog(generated.catalog_dir),
            load_plan(generated.plan_path, cat),
        ),
        m["units"],
    )
    from jzplan.validate.validator import SubmissionValidator

    validator, _ = bench.measure(
        name, "-", "validator-init", lambda: SubmissionValidator(EXPECTATIONS, catalog), 0
    )
    tree = floors.TreeArrays.of(catalog)
    stores: list[Store] = []
    for db in dbs:
        with stage_guard(bench, name, db, "setup", ""):
            store = open_store(db, name, bench.out)
            bench.measure(name, db, "setup", lambda s=store: _setup(s, catalog, plan), m["units"])
            stores.append(store)

    for period in generated.periods:
        _run_period(bench, name, generated, period, catalog, plan, validator, tree, stores)
        print(f"   {period} done", flush=True)

    last = generated.periods[-1]
    if stores and (name == "national" or (units is not None and name != "small")):
        with stage_guard(bench, name, "-", "idempotency", last):
            _idempotency(bench, name, generated, last, catalog, validator, stores)
    for store in stores:
        store.engine.dispose()


def _setup(store: Store, catalog: Any, plan: Any) -> dict[str, int]:
    from jzplan.store.db import migrate
    from jzplan.store.reference import sync_reference

    migrate(store.engine)
    counts: dict[str, int] = sync_reference(store.engine, catalog, plan)
    return counts


def _run_period(
    bench: Bench,
    name: str,
    generated: synth.Generated,
    period: str,
    catalog: Any,
    plan: Any,
    validator: Any,
    tree: floors.TreeArrays,
    stores: list[Store],
) -> None:

    rows = generated.rows(period)
    csv, parquet = generated.csv(period), generated.parquet(period)
    read: Read | None = None
    with stage_guard(bench, name, "-", "read", period):
        read, line = bench.measure(
            name,
            "-",
            "read",
            lambda: read_file(csv, catalog),
            rows,
            period=period,
            repeat=bench.repeat,
        )
        line.attach([bench.floor(lambda: floors.read_floor(csv))])
    with stage_guard(bench, name, "-", "read-parquet", period):
        _, line = bench.measure(
            name,
            "-",
            "read-parquet",
            lambda: read_file(parquet, catalog),
            rows,
            period=period,
            repeat=bench.repeat,
        )
        line.attach([bench.floor(lambda: floors.read_floor(parquet))])
    if read is None:
        return
    frame = read.parsed.frame
    report: Any = None
    with stage_guard(bench, name, "-", "validate", period):
        report, line = bench.measure(
            name,
            "-",
            "validate",
            lambda: validator.validate(read.parsed),
            len(frame),
            period=period,
            repeat=bench.repeat,
            note=lambda r: (
                f"{len(r.errors)} errors in {len(rejected_units(read, r))} units, "
                f"{len(r.warnings)} warnings"
            ),
        )
        line.attach(bench.floor(lambda: validation_floors(frame, catalog, validator.rules)))
        bad = rejected_units(read, report)
        bench.extra.setdefault("rejected_units", {})[f"{name} {period}"] = bad
    if report is None:
        return
    # the in-memory aggregation: the project's function and the floors, on the same figures
    with stage_guard(bench, name, "-", "aggregate-mem", period):
        from jzplan.track.aggregate import aggregate_period

        figures = frame[["org_unit", "indicator", "value"]]
        _, line = bench.measure(
            name, "-", "aggregate-mem", lambda: aggregate_period(figures, catalog), len(frame),
            period=period, repeat=bench.repeat, note=lambda t: f"{len(t):,} totals",
        )  # fmt: skip
        line.attach(bench.floor(lambda: floors.aggregate_floors(frame, tree)))
    agg_floor = [floors.Floor(n, s, len(frame)) for n, s in bench.lines[-1].floors.items()]
    for store in stores:
        _store_stages(bench, name, period, read, report, catalog, plan, validator, store, agg_floor)


def _store_stages(
    bench: Bench,
    name: str,
    period: str,
    read: Read,
    report: Any,
    catalog: Any,
    plan: Any,
    validator: Any,
    store: Store,
    agg_floor: list[floors.Floor],
) -> None:
    """load, aggregate and evaluate of one period on one store."""
    from jzplan.core.periods import Period
    from jzplan.track.progress import Thresholds

    p = Period.parse(period)
    frame = read.parsed.frame
    rows = len(frame)
    db = store.db
    with stage_guard(bench, name, db, "load", period):
        from jzplan.month.pipeline import load_prepared
        from jzplan.validate.store_checks import validate_against_store

        prepared = prepared_file(read, report)
        # the history suite on its own (the monthly flow runs it inside the load's
        # transaction): its store read grows with the months already loaded
        bench.measure(
            name,
            db,
            "validate-history",
            lambda: validate_against_store(store.engine, prepared.parsed, validator),
            rows,
            period=period,
        )
        _, line = bench.measure(
            name,
            db,
            "load",
            lambda: load_prepared(
                prepared,
                bind=store.engine,
                arrival=p,
                received_at=datetime.now(UTC),
            ),
            rows,
            period=period,
            note=outcome_note,
        )
        line.attach([bench.floor(lambda: store.load_floor(frame, bench.out))])
    with stage_guard(bench, name, db, "aggregate", period):
        try:
            from jzplan.month.pipeline import refresh_aggregates
        except ImportError as exc:
            raise Unavailable(str(exc)) from None
        _, line = bench.measure(
            name, db, "aggregate",
            lambda: refresh_aggregates(store.engine, catalog=catalog, period=p),
            len(frame), period=period, note=counts_note,
        )  # fmt: skip
        line.attach(agg_floor)
    with stage_guard(bench, name, db, "evaluate", period):
        try:
            from jzplan.month.pipeline import refresh_tracking
        except ImportError as exc:
            raise Unavailable(str(exc)) from None
        bench.measure(
            name, db, "evaluate",
            lambda: refresh_tracking(
                store.engine, catalog=catalog, plan=plan, period=p, thresholds=Thresholds()
            ),
            len(plan.targets), period=period, note=counts_note,
        )  # fmt: skip


def _idempotency(
    bench: Bench,
    name: str,
    generated: synth.Generated,
    period: str,
    catalog: Any,
    validator: Any,
    stores: list[Store],
) -> None:
    """The same file again (nothing written) and a corrected copy (only its units' rows); the
    files are read and validated once for every store."""
    from jzplan.core.periods import Period
    from jzplan.month.pipeline import load_prepared

    p = Period.parse(period)
    read = read_file(generated.csv(period), catalog)
    again = prepared_file(read, validator.validate(read.parsed))
    path, units = synth.corrected_copy(generated, period, units=10)
    fixed = read_file(path, catalog)
    corrected = prepared_file(fixed, validator.validate(fixed.parsed))
    for store in stores:
        for stage, prepared in (("load-again", again), ("load-corrected", corrected)):
            with stage_guard(bench, name, store.db, stage, period):
                _, line = bench.measure(
                    name, store.db, stage,
                    lambda s=store, f=prepared: load_prepared(
                        f, bind=s.engine, arrival=p, received_at=datetime.now(UTC),
                    ),
                    generated.rows(period), period=period, note=outcome_note,
                )  # fmt: skip
                if stage == "load-corrected":
                    line.note = f"{len(units)} units changed (x01 +1): {line.note}"


# --- end to end in a fresh process -----------------------------------------------------------


def e2e_child(out: Path, tier_name: str, units: int | None) -> dict[str, Any]:
    """In this (fresh) process: setup, then read → validate → load → aggregate → evaluate of
    the tier's last month on PostgreSQL; wall times and the process's peak memory."""
    from jzplan.core.periods import Period
    from jzplan.month.pipeline import load_prepared, refresh_aggregates, refresh_tracking
    from jzplan.reference.catalog import load_catalog
    from jzplan.reference.plan import load_plan
    from jzplan.track.progress import Thresholds
    from jzplan.validate.validator import SubmissionValidator

    setup_started = time.perf_counter()
    generated = synth.generate(synth.tier_for(tier_name, units=units), out / "data")
    catalog = load_catalog(generated.catalog_dir)
    plan = load_plan(generated.plan_path, catalog)
    store = open_store("postgresql", tier_name, out)
    _setup(store, catalog, plan)
    validator = SubmissionValidator(EXPECTATIONS, catalog)
    period = generated.periods[-1]
    p = Period.parse(period)
    setup = time.perf_counter() - setup_started
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
    refresh_aggregates(store.engine, catalog=catalog, period=p)
    t = lap("aggregate", t)
    refresh_tracking(store.engine, catalog=catalog, plan=plan, period=p, thresholds=Thresholds())
    lap("evaluate", t)
    store.engine.dispose()
    return {
        "tier": tier_name,
        "period": period,
        "rows": generated.rows(period),
        "setup_seconds": setup,
        "seconds": time.perf_counter() - started,
        "stages": stages,
        "peak_mib": max_rss_bytes() / MIB,
        "load": outcome_note(outcome),
    }


def run_e2e(bench: Bench, tier: str, units: int | None) -> None:
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


# --- reporting -------------------------------------------------------------------------------


def summarise(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (tier, db, stage): the months summed (rows, seconds, floors), peak max."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for line in lines:
        groups.setdefault((line["tier"], line["db"], line["stage"]), []).append(line)
    out = []
    for (tier, db, stage), items in groups.items():
        seconds = sum(i["seconds"] for i in items)
        rows = sum(i["rows"] for i in items)
        floor_names = items[0]["floors"].keys()
        floor_totals = {
            n: sum(i["floors"].get(n, 0.0) for i in items)
            for n in floor_names
            if all(n in i["floors"] for i in items)
        }
        best = min(floor_totals.items(), key=lambda kv: kv[1]) if floor_totals else None
        notes = [i["note"] for i in items if i["note"]]
        out.append(
            {
                "tier": tier,
                "db": db,
                "stage": stage,
                "months": len(items),
                "rows": rows,
                "seconds": seconds,
                "rows_per_s": rows / seconds if seconds > 0 and rows else None,
                "peak_mib": max(i["peak_mib"] for i in items),
                "floor": best[0] if best else "",
                "floor_seconds": best[1] if best else None,
                "ratio": seconds / best[1] if best and best[1] else None,
                "floors": floor_totals,
                "note": notes[-1] if notes else "",
            }
        )
    return out


def _fmt(value: Any, spec: str) -> str:
    return "" if value is None else format(value, spec)


HEADER = ("tier", "db", "stage", "rows", "seconds", "rows/s", "peak MiB", "floor", "floor s",
          "ratio", "note")  # fmt: skip


def table_rows(results: dict[str, Any]) -> list[tuple[str, ...]]:
    rows = []
    for s in summarise(results["lines"]):
        stage = s["stage"] + (f" ×{s['months']}" if s["months"] > 1 else "")
        rows.append(
            (
                s["tier"], s["db"], stage, f"{s['rows']:,}" if s["rows"] else "",
                _fmt(s["seconds"], ".2f"), _fmt(s["rows_per_s"], ",.0f"),
                _fmt(s["peak_mib"], ",.0f"), s["floor"], _fmt(s["floor_seconds"], ".2f"),
                _fmt(s["ratio"], ".2f"), s["note"],
            )
        )  # fmt: skip
    return rows


def extra_lines(results: dict[str, Any]) -> list[str]:
    out = []
    e2e = results.get("e2e")
    if e2e and "error" not in e2e:
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in e2e["stages"].items())
        out.append(
            f"end to end, {e2e['tier']} {e2e['period']} on PostgreSQL ({e2e['rows']:,} rows): "
            f"{e2e['seconds']:.1f} s ({stages}); peak memory {e2e['peak_mib'] / 1024:.2f} GiB; "
            f"setup before it {e2e['setup_seconds']:.1f} s, "
            f"whole process {e2e['process_seconds']:.1f} s; "
            f"load: {e2e['load']}"
        )
    elif e2e:
        out.append(f"end to end: failed: {e2e['error'].splitlines()[-1] if e2e['error'] else ''}")
    prefect = results.get("prefect")
    if prefect:
        if "error" in prefect:
            out.append(f"six townships through Prefect: n/a ({prefect['error']})")
        else:
            nums = ", ".join(f"{k} {v:.2f} s" for k, v in prefect.items() if isinstance(v, float))
            out.append(
                f"six townships through monthly-progress on a running Prefect server: {nums}"
            )
    for key, units in (results.get("rejected_units") or {}).items():
        if units:
            out.append(f"rejected units, {key}: {len(units)} ({', '.join(units[:10])})")
    return out


def print_table(results: dict[str, Any]) -> None:
    rows = [HEADER, *table_rows(results)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER) - 1)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1])
    for line in extra_lines(results):
        print(line)


def markdown(results: dict[str, Any]) -> str:
    rows = table_rows(results)
    out = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    out += ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in rows]
    out.append("")
    out += [f"- {line}" for line in extra_lines(results)]
    return "\n".join(out) + "\n"


def machine() -> dict[str, Any]:
    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as f:
        mem_kib = int(f.readline().split()[1])
    versions = {}
    for module in ("pandas", "pyarrow", "numpy", "sqlalchemy", "great_expectations", "duckdb",
                   "psycopg", "prefect"):  # fmt: skip
        try:
            versions[module] = __import__(module).__version__
        except Exception:
            versions[module] = "n/a"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": os.getloadavg(),
        "versions": versions,
    }


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", choices=TIER_ORDER, action="append")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--repeat", type=int, default=1, help="runs of read, validate, floors")
    parser.add_argument("--units", type=int, help="scale the tiers to this many townships")
    parser.add_argument("--no-e2e", action="store_true", help="skip the end-to-end process")
    parser.add_argument("--no-prefect", action="store_true", help="skip bench/prefect_month.py")
    parser.add_argument("--prefect-repeat", type=int, default=3)
    parser.add_argument("--markdown", type=Path, metavar="RESULTS_JSON")
    parser.add_argument("--e2e-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text(encoding="utf-8"))), end="")
        return
    args.out.mkdir(parents=True, exist_ok=True)
    tiers = [t for t in TIER_ORDER if t in (args.tier or TIER_ORDER)]
    if args.e2e_child:
        print(json.dumps(e2e_child(args.out, tiers[-1], args.units)))
        return
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    # import what the stages call before timing them (a first import is not a stage's cost)
    import jzplan.ingest.bulk
    import jzplan.month.pipeline  # noqa: F401

    bench = Bench(args.out, args.repeat)
    started = datetime.now(UTC)
    bench.extra["machine"] = machine()
    bench.extra["command"] = " ".join(["python -m bench.run", *(argv or sys.argv[1:])])
    path = args.out / f"results-{started:%Y%m%dT%H%M%SZ}.json"

    def save() -> dict[str, Any]:
        """The results so far (written after every tier: a long run killed keeps its tiers)."""
        results = {
            "started": started.isoformat(timespec="seconds"),
            "seconds": (datetime.now(UTC) - started).total_seconds(),
            **bench.extra,
            "lines": [line.as_dict() for line in bench.lines],
        }
        path.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), "utf-8")
        return results

    for tier in tiers:
        run_tier(bench, tier, dbs, units=args.units)
        save()
    if "national" in tiers and "postgresql" in dbs and not args.no_e2e:
        print("\n== national month end to end on PostgreSQL, in a fresh process", flush=True)
        run_e2e(bench, "national", args.units)
    if "small" in tiers and not args.no_prefect:
        print("\n== six townships through Prefect (bench/prefect_month.py)", flush=True)
        run_prefect(bench, args.prefect_repeat)
    results = save()
    print()
    print_table(results)
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
