"""One tier: catalog and plan, then every month's stages on every store, then idempotency."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from bench import floors, synth
from bench.history_floor import history_floor
from bench.measure import Bench, Unavailable, stage_guard
from bench.stages import (
    EXPECTATIONS,
    Read,
    counts_note,
    outcome_note,
    prepared_file,
    read_file,
    rejected_units,
    validation_floors,
)
from bench.stores import Store, close_store, open_store, setup_store


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
            bench.measure(
                name, db, "setup", lambda s=store: setup_store(s, catalog, plan), m["units"]
            )
            stores.append(store)

    for period in generated.periods:
        _run_period(bench, name, generated, period, catalog, plan, validator, tree, stores)
        print(f"   {period} done", flush=True)

    last = generated.periods[-1]
    if stores and (name == "national" or (units is not None and name != "small")):
        with stage_guard(bench, name, "-", "idempotency", last):
            _idempotency(bench, name, generated, last, catalog, validator, stores)
    for store in stores:
        close_store(store)


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
        from jzplan.month.loading import load_prepared
        from jzplan.validate.store_checks import validate_against_store

        prepared = prepared_file(read, report)
        # the history suite on its own (the monthly flow runs it inside the load's
        # transaction): its store read grows with the months already loaded
        _, line = bench.measure(
            name,
            db,
            "validate-history",
            lambda: validate_against_store(store.engine, prepared.parsed, validator),
            rows,
            period=period,
        )
        line.attach([bench.floor(lambda: history_floor(store, frame, period, catalog))])
        outcome, line = bench.measure(
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
            from jzplan.month.refresh import LoadedBulk, refresh_aggregates
        except ImportError as exc:
            raise Unavailable(str(exc)) from None
        # as the monthly flow does: the file's figures from memory, the store read for the rest
        bulks = [LoadedBulk.of(outcome.bulk_file_id, read.parsed)] if outcome.bulk_file_id else []
        _, line = bench.measure(
            name, db, "aggregate",
            lambda: refresh_aggregates(store.engine, catalog=catalog, period=p, bulks=bulks),
            len(frame), period=period, note=counts_note,
        )  # fmt: skip
        line.attach(agg_floor)
    with stage_guard(bench, name, db, "evaluate", period):
        try:
            from jzplan.month.refresh import refresh_tracking
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
    from jzplan.month.loading import load_prepared

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
