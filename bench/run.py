"""``make bench``: every stage of a month, timed on synthetic tiers against raw floors.

Tiers (bench/synth.py): ``small`` (the six townships, one month), ``province`` (2,500
townships under 150 counties and 17 cities, the twelve months of 2013) and ``national``
(40,000 townships, one month with a few planted errors). Per tier and database (SQLite file,
PostgreSQL database ``jzplan_bench`` dropped and created afresh), the stages:

- ``read``: sha256 and ``jzplan.ingest.bulk.read_bulk`` of the CSV (``read-parquet``: the Parquet);
  floor: pyarrow's reader to a pandas frame;
- ``validate``: the project's GE file suites (``SubmissionValidator.validate``); floor: the
  same checks in raw pandas and duckdb (``bench/validation_floor.py``);
- ``load``: ``jzplan.month.loading.load_prepared`` of the read and validated file; floor: COPY
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
the small tier, ``bench/prefect_month.py`` (the real flow on a running Prefect server), and
the hostile month (``bench/hostile.py``: every bad file of ``tests/hostile`` beside the good
forms, on both databases: seconds and peak MiB, against the 1 GiB bound).

Output: a table on stdout and ``<out>/results-<timestamp>.json``;
``python -m bench.run --markdown <results.json>`` renders a JSON as the table of
``bench/RESULTS.md``. Benchmarks print numbers; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jzplan  # noqa: F401  (first, as in every process of the pipeline: its settings of pyarrow)
from bench.end_to_end import e2e_child, run_e2e, run_prefect
from bench.measure import Bench
from bench.report import loop_seconds, machine, markdown, print_table
from bench.tier import run_tier

ROOT = Path(__file__).resolve().parents[1]
TIER_ORDER = ("small", "province", "national")


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
    parser.add_argument("--no-hostile", action="store_true", help="skip bench/hostile.py")
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
    import jzplan.month.loading  # noqa: F401

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
        # the machine's speed again, just before the targets in seconds: a shared machine's
        # changes within one run (this loop took 0.95-1.88 s in one session)
        bench.extra["machine"]["loop_seconds_prefect"] = loop_seconds()
        run_prefect(bench, args.prefect_repeat)
    if not args.no_hostile:
        print("\n== the hostile month (tests/hostile) through monthly-progress", flush=True)
        from bench.hostile import run as run_hostile

        bench.extra["hostile"] = run_hostile(args.out)
    results = save()
    print()
    print_table(results)
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
