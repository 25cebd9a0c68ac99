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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--period", default="2013-09")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from jzplan.core.periods import Period
    from jzplan.ingest.form_parser import parse_submission
    from jzplan.reference.catalog import load_catalog
    from jzplan.reference.plan import load_plan
    from jzplan.store import repo
    from jzplan.store.db import make_engine, migrate

    catalog = load_catalog(ROOT / "data" / "catalog")
    plan = load_plan(ROOT / "data" / "targets" / "2013.yaml", catalog)
    inbox, expectations = ROOT / "data" / "inbox", ROOT / "expectations"
    period = Period.parse(args.period)
    tmp = Path(tempfile.mkdtemp(prefix="bench-validation-"))
    engine = make_engine(f"sqlite:///{tmp / 'bench.db'}")
    migrate(engine)
    repo.sync_reference(engine, catalog, plan)
    loaded = 0
    p = Period(2012, 1)
    while p < period:
        for path in sorted((inbox / str(p)).glob("*.xlsx")):
            parsed = parse_submission(path, catalog)
            if not parsed.ok:
                continue
            sub = repo.record_submission(
                engine, sha256=f"{p}-{path.name}".ljust(64, "0")[:64], file_name=path.name,
                archive_path="-", arrival_period=str(p), received_at=datetime.now(UTC),
                org_unit=parsed.org_unit, period=str(parsed.period), filed_on=None,
            )  # fmt: skip
            repo.load_submission(engine, sub, parsed.frame)
            loaded += 1
        p = p.next()
    files = sorted((inbox / str(period)).glob("*.xlsx"))
    batch = [parse_submission(f, catalog) for f in files]
    print(f"store: {loaded} earlier submissions; batch {period}: {len(batch)} files")

    w = time.perf_counter()
    import great_expectations  # noqa: F401

    print(f"one-time  import great_expectations      {time.perf_counter() - w:6.2f} s wall")
    from jzplan.validate.store_checks import validate_against_store, write_validation_documents
    from jzplan.validate.validator import SubmissionValidator

    w = time.perf_counter()
    validator = SubmissionValidator(expectations, catalog)
    print(f"one-time  build context, load 3 suites    {time.perf_counter() - w:6.2f} s wall")

    docs: list[tuple[int, dict[str, object]]] = []

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
        results[label] = timed(fn, args.repeat)
        wall, cpu = results[label]
        print(f"per month {label:38s} {wall:6.2f} s wall {cpu:6.2f} s cpu")

    # store the documents once, then build the Data Docs from them
    for i, parsed in enumerate(batch):
        sub = repo.record_submission(
            engine, sha256=f"batch-{i}".ljust(64, "0"), file_name=parsed.path.name,
            archive_path="-", arrival_period=str(period), received_at=datetime.now(UTC),
            org_unit=parsed.org_unit, period=str(parsed.period), filed_on=None,
        )  # fmt: skip
        report = validator.validate(parsed) + validate_against_store(engine, parsed, validator)
        write_validation_documents(engine, sub, report.documents)
        docs.append((sub, {}))
    from jzplan.validate.datadocs import build_data_docs
    from jzplan.validate.plan_check import check_plan

    ids = [s for s, _ in docs]
    wall, cpu = timed(
        lambda: build_data_docs(engine, ids, tmp / "docs", expectations, run_name="bench"),
        args.repeat,
    )
    print(f"per month {'Data Docs (7 files x 3 suites)':38s} {wall:6.2f} s wall {cpu:6.2f} s cpu")
    wall_p, cpu_p = timed(lambda: check_plan(plan, catalog, validator.rules), args.repeat)
    print(f"per month {'plan-consistency check':38s} {wall_p:6.2f} s wall {cpu_p:6.2f} s cpu")

    for i, kind in ((0, "wall"), (1, "cpu")):
        every = (
            results["file suites (structure + cross-field)"][i]
            + results["history suite incl. store query"][i]
        )
        added = every - results["structure/values suite only (12 exp.)"][i]
        extra = (wall, cpu)[i] + (wall_p, cpu_p)[i]
        print(f"\n[{kind}] every suite, the whole month:            {every:6.2f} s")
        print(f"[{kind}] ... plus Data Docs and plan check:        {every + extra:6.2f} s")
        print(f"[{kind}] added over the structure/values suite:    {added:6.2f} s")
    engine.dispose()


if __name__ == "__main__":
    main()
