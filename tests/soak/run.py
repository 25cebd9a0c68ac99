"""The soak: generated years fed month by month through the real monthly flow, with random
reruns of earlier months and runs killed at random points, then compared with the oracle.

    python -m tests.soak.run --years 2013 --db sqlite --seed 1 [--months 1-12] [--kills 2]

Each plan year runs on a fresh store (a SQLite file, or a PostgreSQL schema on
JZPLAN_TEST_PG_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test) with its own
inbox, archive and reports under ``--workdir`` (default: a temporary folder). A month chosen
for a kill runs first in a child process (``tests.ops.child``: the backfill flow), sent
SIGKILL after a seeded share of the previous runs' median length, then runs again here. Every
run talks to a Prefect server: PREFECT_API_URL if set (the tests' session server), else a
temporary one (``prefect_test_harness``). Prints one line per year; exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import text

from jzplan.store.db import init_store, make_engine
from tests.soak.compare import compare
from tests.soak.generate import CATALOG_DIR, REPO, Intent, generate, plan_path
from tests.soak.oracle import Expected, load_reference, recompute

DIRS = {"ARCHIVE": "archive", "REPORT": "reports", "DATA_DOCS": "data_docs"}


@dataclass
class YearResult:
    year: int
    db: str
    months: int
    counts: dict[str, int]
    stored: dict[str, int]
    kills: int
    reruns: int
    seconds: float
    peak_mib: float
    differences: pd.DataFrame = field(default_factory=pd.DataFrame)
    url: str = ""  # the store (a SQLite file outlives the run; a PostgreSQL schema does not)
    expected: Expected | None = None

    def line(self) -> str:
        c = self.counts
        return (
            f"soak {self.year} {self.db}: months {self.months}, files {c['files']}, "
            f"accepted {self.stored.get('accepted', 0)}+{self.stored.get('superseded', 0)} "
            f"superseded, rejected {self.stored.get('rejected', 0)}, "
            f"corrections {c['corrections']}, duplicates {c['duplicates']}, late {c['late']}, "
            f"kills {self.kills}, reruns {self.reruns}, seconds {self.seconds:.1f}, "
            f"peak MiB {self.peak_mib:.0f}, differences {len(self.differences)}"
        )


@contextmanager
def _store(db: str, folder: Path) -> Iterator[str]:
    if db == "sqlite":
        url = f"sqlite:///{folder / 'jzplan.db'}"
        init_store(url)
        yield url
        return
    from tests.dbutil import pg_schema, pg_schema_url

    with pg_schema() as schema:
        url = pg_schema_url(schema)
        init_store(url)
        yield url


def _env(url: str, folder: Path) -> dict[str, str]:
    env = {"JZPLAN_DATABASE_URL": url, "JZPLAN_INBOX_DIR": str(folder / "inbox")}
    env.update({f"JZPLAN_{name}_DIR": str(folder / d) for name, d in DIRS.items()})
    return env


def _killed_run(env: dict[str, str], folder: Path, month: str, delay: float) -> bool:
    """The month's run in a child process, SIGKILLed after ``delay`` s; whether it was."""
    from prefect.settings import PREFECT_API_URL

    log = (folder / f"child-{month}.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.ops.child"],
        cwd=REPO,
        env={
            **os.environ,
            **env,
            "PREFECT_API_URL": str(PREFECT_API_URL.value()),
            "PREFECT_LOGGING_TO_API_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "WARNING",
        },
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        assert proc.stdout.readline().strip() == "ready", folder / f"child-{month}.log"
        proc.stdin.write(f"{month} {month}\n")
        proc.stdin.flush()
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        code = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    return code == -signal.SIGKILL


def _stored_counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT status, count(*) FROM submission GROUP BY status"))
            return {str(s): int(n) for s, n in rows}
    finally:
        engine.dispose()


def soak_year(
    year: int,
    months: Sequence[int],
    db: str,
    seed: int,
    kills: int,
    folder: Path,
    history: Sequence[int] | None = None,
) -> YearResult:
    """One plan year (its history year first) through the monthly flow, then the comparer."""
    from flows.monthly import monthly_progress

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed * 1000 + year)
    intent: Intent = generate(folder / "inbox", year, months, seed, history)
    started = time.perf_counter()
    n_killed = reruns = 0
    with _store(db, folder) as url, _environ(_env(url, folder)):
        env = _env(url, folder)
        kill_at = set(rng.sample(intent.folders[1:], min(kills, len(intent.folders) - 1)))
        lengths: list[float] = []
        for i, month in enumerate(intent.folders):
            if month in kill_at:
                delay = rng.uniform(0.05, 0.95) * statistics.median(lengths)
                for _ in range(3):  # a run that ended before its kill: again, killed sooner
                    if _killed_run(env, folder, month, delay):
                        n_killed += 1
                        break
                    delay /= 2
            t0 = time.perf_counter()
            monthly_progress(period=month)
            lengths.append(time.perf_counter() - t0)
            if i > 0 and rng.random() < 0.25:  # a rerun of an earlier month changes nothing
                monthly_progress(period=rng.choice(intent.folders[:i]))
                reruns += 1
        seconds = time.perf_counter() - started
        ref = load_reference(CATALOG_DIR, plan_path(year))
        expected = recompute(
            ref, intent.figures, intent.arrivals, intent.folders, year, folder / "inbox"
        )
        engine = make_engine(url)
        try:
            diffs = compare(engine, expected, year)
        finally:
            engine.dispose()
        stored = _stored_counts(url)
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    return YearResult(year, db, len(intent.folders), intent.counts, stored, n_killed, reruns,
                      seconds, peak / 1024, diffs, url, expected)  # fmt: skip


@contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _months(text_: str) -> list[int]:
    first, _, last = text_.partition("-")
    return list(range(int(first), int(last or first) + 1))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Soak: generated years through the flow.")
    parser.add_argument("--years", type=int, nargs="+", default=[2013])
    parser.add_argument("--months", default="1-12", help="plan months, e.g. 1-3")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], nargs="+", default=["sqlite"])
    parser.add_argument(
        "--history", help="history-year months, e.g. 2,12 (default: the plan months and 12)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kills", type=int, default=2, help="killed runs per year")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        if "PREFECT_API_URL" not in os.environ:
            from prefect.testing.utilities import prefect_test_harness

            stack.enter_context(prefect_test_harness(server_startup_timeout=180))
        work = args.workdir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        failed = False
        for db in args.db:
            for year in args.years:
                history = [int(m) for m in args.history.split(",")] if args.history else None
                result = soak_year(year, _months(args.months), db, args.seed, args.kills,
                                   work / f"{db}-{year}", history)  # fmt: skip
                print(result.line(), flush=True)
                if len(result.differences):
                    failed = True
                    print(result.differences.head(40).to_string(), flush=True)
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
