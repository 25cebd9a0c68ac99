"""How long validation takes for one month of the demo inbox (6 townships + DIR = 7 files).

Prints numbers; asserts nothing. Run: ``.venv/bin/python bench/bench_validation.py``.

A SQLite store under a temporary folder gets the bundled 2012-01 .. 2013-08 figures (loaded
directly, no validation), then the 2013-09 files are validated as a monthly run does:

- file suites (township_monthly + township_cross_field) per file, as ``prepare_file`` runs them;
- the history suite per file, with its store query, as ``load_prepared`` runs it;
- the batch's Data Docs, built from the stored GE documents;
- the plan-consistency check.

Timings are the median of ``--repeat`` rounds (wall clock and this process's CPU time). The
first lines are one-time costs per process (importing Great Expectations, building the
context), paid once per run whatever the number of files.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXPECTATIONS = ROOT / "expectations"


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def load_earlier_months(engine: Any, catalog: Any, inbox: Path, period: Any) -> int:
    """Every accepted form of the inbox from 2012-01 up to ``period`` loaded directly (no
    validation); returns how many."""
    from jzplan.core.periods import Period
    from jzplan.ingest.form_parser import parse_submission
    from jzplan.store.submissions import load_submission, record_submission

    loaded = 0
    p = Period(2012, 1)
    while p < period:
        for path in sorted((inbox / str(p)).glob("*.xlsx")):
            parsed = parse_submission(path, catalog)
            if not parsed.ok:
                continue
            sub = record_submission(
                engine, sha256=f"{p}-{path.name}".ljust(64, "0")[:64], file_name=path.name,
                archive_path="-", arrival_period=p, received_at=datetime.now(UTC),
                org_unit=parsed.org_unit, period=str(parsed.period), filed_on=None,
            )  # fmt: skip
            load_submission(engine, sub, parsed.frame)
            loaded += 1
        p = p.next()
    return loaded


def time_suites(
    engine: Any, catalog: Any, validator: Any, batch: list[Any], repeat: int
) -> dict[str, tuple[float, float]]:
    """The file suites, the history suite and the structure suite alone, over the batch."""
    from jzplan.validate.store_checks import validate_against_store

    def file_suites() -> None:
        for parsed in batch:
            validator.validate(parsed)

    def history_suite() -> None:
        for parsed in batch:
            validate_against_store(engine, parsed, validator)

    def structure_only() -> None:
        from jzplan.validate.columns import validation_frame
        from jzplan.validate.validator import STRUCTURE_SUITE

        for parsed in batch:
            validator.run(  # one suite alone, for comparison
                parsed, validation_frame(parsed, catalog, validator.rules), (STRUCTURE_SUITE,)
            )

    rows = [
        ("structure/values suite only (12 exp.)", structure_only),
        ("file suites (structure + cross-field)", file_suites),
        ("history suite incl. store query", history_suite),
    ]
    results = {}
    for label, fn in rows:
        results[label] = timed(fn, repeat)
        wall, cpu = results[label]
        print(f"per month {label:38s} {wall:6.2f} s wall {cpu:6.2f} s cpu")
    return results


def time_data_docs(
    engine: Any, validator: Any, batch: list[Any], period: Any, tmp: Path, repeat: int
) -> tuple[float, float]:
    """Store the batch's documents once, then time the Data Docs built from them."""
    from jzplan.store.submissions import record_submission
    from jzplan.validate.datadocs import start_data_docs
    from jzplan.validate.store_checks import validate_against_store, write_validation_documents

    docs: list[tuple[int, dict[str, object]]] = []
    for i, parsed in enumerate(batch):
        sub = record_submission(
            engine, sha256=f"batch-{i}".ljust(64, "0"), file_name=parsed.path.name,
            archive_path="-", arrival_period=period, received_at=datetime.now(UTC),
            org_unit=parsed.org_unit, period=str(parsed.period), filed_on=None,
        )  # fmt: skip
        report = validator.validate(parsed) + validate_against_store(engine, parsed, validator)
        write_validation_documents(engine, sub, report.documents)
        docs.append((sub, {}))
    ids = [s for s, _ in docs]
    wall, cpu = timed(
        lambda: start_data_docs(engine, ids, tmp / "docs", EXPECTATIONS, run_name="bench").wait(),
        repeat,
    )
    print(f"per month {'Data Docs (7 files x 3 suites)':38s} {wall:6.2f} s wall {cpu:6.2f} s cpu")
    return wall, cpu


def print_totals(
    results: dict[str, tuple[float, float]],
    docs: tuple[float, float],
    plan_check: tuple[float, float],
) -> None:
    for i, kind in ((0, "wall"), (1, "cpu")):
        every = (
            results["file suites (structure + cross-field)"][i]
            + results["history suite incl. store query"][i]
        )
        added = every - results["structure/values suite only (12 exp.)"][i]
        extra = docs[i] + plan_check[i]
        print(f"\n[{kind}] every suite, the whole month:            {every:6.2f} s")
        print(f"[{kind}] ... plus Data Docs and plan check:        {every + extra:6.2f} s")
        print(f"[{kind}] added over the structure/values suite:    {added:6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--period", default="2013-09")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from jzplan.core.periods import Period
    from jzplan.ingest.form_parser import parse_submission
    from jzplan.reference.catalog import load_catalog
    from jzplan.reference.plan import load_plan
    from jzplan.store.db import make_engine, migrate
    from jzplan.store.reference import sync_reference

    catalog = load_catalog(ROOT / "data" / "catalog")
    plan = load_plan(ROOT / "data" / "targets" / "2013.yaml", catalog)
    inbox = ROOT / "data" / "inbox"
    period = Period.parse(args.period)
    tmp = Path(tempfile.mkdtemp(prefix="bench-validation-"))
    engine = make_engine(f"sqlite:///{tmp / 'bench.db'}")
    migrate(engine)
    sync_reference(engine, catalog, plan)
    loaded = load_earlier_months(engine, catalog, inbox, period)
    files = sorted((inbox / str(period)).glob("*.xlsx"))
    batch = [parse_submission(f, catalog) for f in files]
    print(f"store: {loaded} earlier submissions; batch {period}: {len(batch)} files")

    w = time.perf_counter()
    import great_expectations  # noqa: F401

    print(f"one-time  import great_expectations      {time.perf_counter() - w:6.2f} s wall")
    from jzplan.validate.validator import SubmissionValidator

    w = time.perf_counter()
    validator = SubmissionValidator(EXPECTATIONS, catalog)
    print(f"one-time  build context, load 3 suites    {time.perf_counter() - w:6.2f} s wall")

    results = time_suites(engine, catalog, validator, batch, args.repeat)
    docs = time_data_docs(engine, validator, batch, period, tmp, args.repeat)
    from jzplan.validate.plan_check import check_plan

    wall_p, cpu_p = timed(lambda: check_plan(plan, catalog, validator.rules), args.repeat)
    print(f"per month {'plan-consistency check':38s} {wall_p:6.2f} s wall {cpu_p:6.2f} s cpu")
    print_totals(results, docs, (wall_p, cpu_p))
    engine.dispose()


if __name__ == "__main__":
    main()
