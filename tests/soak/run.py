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
import shutil
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
from tests.soak import changes
from tests.soak.compare import compare
from tests.soak.generate import CATALOG_DIR, DEMO_YEAR, REPO, Intent, generate, plan_path
from tests.soak.later import office_fills
from tests.soak.oracle import Expected, recompute
from tests.soak.oracle_catalog import load_reference

DIRS = {"ARCHIVE": "archive", "REPORT": "reports", "DATA_DOCS": "data_docs"}


@dataclass
class YearResult:
    year: str  # a plan year, or the first and last of consecutive ones (2013–2016)
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
    year_lines: list[str] = field(default_factory=list)  # one per fed year (folder year)

    def lines(self) -> list[str]:
        """The run's line, then one per fed year when it fed more than one plan year."""
        return [self.line(), *(self.year_lines if "–" in self.year else [])]

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


def _data_dir(folder: Path) -> Path:
    """The soak's own data folder: the catalog and the demo year's plan, copied; later years'
    plans are written here by plan-new and the office (tests/soak/later.py)."""
    data = folder / "data"
    if not data.exists():
        shutil.copytree(CATALOG_DIR, data / "catalog")
        (data / "targets").mkdir(parents=True)
        shutil.copy(plan_path(DEMO_YEAR), data / "targets" / f"{DEMO_YEAR}.yaml")
    return data


def _new_year(data: Path, year: int, change_year: int | None) -> None:
    """January of a later year: in the change year the office edits the catalog first
    (tests/soak/changes.py); ``jzplan plan-new`` drafts the plan from the store's December,
    then the office writes its values and, in the change year, the changed units' targets
    (tests/soak/later.py)."""
    from jzplan.cli.plans import plan_new
    from jzplan.core.settings import Settings

    changed = year == change_year
    if changed:
        changes.write_catalog(data / "catalog", year)
    plan_new(Settings(), year)
    office_fills(data / "targets" / f"{year}.yaml", data / "targets" / f"{year - 1}.yaml",
                 changes.new_targets(year) if changed else ())  # fmt: skip


def _env(url: str, folder: Path) -> dict[str, str]:
    env = {"JZPLAN_DATABASE_URL": url, "JZPLAN_INBOX_DIR": str(folder / "inbox"),
           "JZPLAN_DATA_DIR": str(_data_dir(folder))}  # fmt: skip
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


def soak_years(
    years: Sequence[int],
    months: Sequence[int],
    db: str,
    seed: int,
    kills: int,
    folder: Path,
    history: Sequence[int] | None = None,
    change_year: int | None = changes.CHANGE_YEAR,
) -> YearResult:
    """Consecutive plan years on one store, in month order (the first one's history year
    first; each later year's plan drafted by plan-new and filled before its first batch; the
    catalog changed before ``change_year``'s), then the comparer over every year."""
    from flows.monthly import monthly_progress

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed * 1000 + min(years))
    intent: Intent = generate(folder / "inbox", years, months, seed, history, change_year)
    started = time.perf_counter()
    n_killed = reruns = 0
    with _store(db, folder) as url, _environ(env := _env(url, folder)):
        kill_at = set(rng.sample(intent.folders[1:], min(kills, len(intent.folders) - 1)))
        lengths: list[float] = []
        per_year: dict[int, dict[str, float]] = {}
        for i, month in enumerate(intent.folders):
            year = int(month[:4])
            mine = per_year.setdefault(year, {"seconds": 0.0, "kills": 0, "months": 0})
            mine["months"] += 1
            t_year = time.perf_counter()
            if year in intent.years and not (folder / "data" / "targets" / f"{year}.yaml").exists():
                _new_year(folder / "data", year, intent.change_year)  # the year's first batch
            if month in kill_at:
                delay = rng.uniform(0.05, 0.95) * statistics.median(lengths)
                for _ in range(3):  # a run that ended before its kill: again, killed sooner
                    if _killed_run(env, folder, month, delay):
                        n_killed += 1
                        mine["kills"] += 1
                        break
                    delay /= 2
            t0 = time.perf_counter()
            monthly_progress(period=month)
            lengths.append(time.perf_counter() - t0)
            if i > 0 and rng.random() < 0.25:  # a rerun of an earlier month changes nothing
                monthly_progress(period=rng.choice(intent.folders[:i]))
                reruns += 1
            mine["seconds"] += time.perf_counter() - t_year
            mine["peak"] = _peak_mib()
        seconds = time.perf_counter() - started
        expected = _expected(intent, folder)
        engine = make_engine(url)
        try:
            diffs = compare(engine, expected, intent.years)
        finally:
            engine.dispose()
        stored = _stored_counts(url)
    label = "–".join(dict.fromkeys(str(y) for y in (min(years), max(years))))
    # a difference's year: the first year in its key (a period, or a later year's target id),
    # else the last plan year's (an open alert of a 2013 target)
    found = (
        diffs["key"].str.extract(r"(20\d\d)-")[0].fillna(str(max(intent.years)))
        if len(diffs)
        else pd.Series()
    )
    lines = []
    for y, mine in per_year.items():
        c = intent.by_year[y]
        lines.append(
            f"  {y}{'' if y in intent.years else ' (history)'}: months {mine['months']:.0f}, "
            f"files {c['files']}, accepted {c['accepted']}, rejected {c['rejected']}, "
            f"corrections {c['corrections']}, kills {mine['kills']:.0f}, "
            f"seconds {mine['seconds']:.1f}, peak MiB {mine['peak']:.0f}, "
            f"differences {int((found == str(y)).sum())}"
        )
    return YearResult(label, db, len(intent.folders), intent.counts, stored, n_killed, reruns,
                      seconds, _peak_mib(), diffs, url, expected, lines)  # fmt: skip


def _peak_mib() -> float:
    return (
        max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        / 1024
    )


def _expected(intent: Intent, folder: Path) -> Expected:
    """The oracle's store: every plan year's progress against its own plan file; the open
    alerts as the last year leaves them. An earlier year's target alerts are not in it: the
    next year's first batch does not raise them, so it resolves them (jzplan/alert/
    lifecycle.py), and only open target alerts are compared."""
    inbox = folder / "inbox"
    by_year = [
        recompute(
            load_reference(folder / "data" / "catalog", folder / "data" / "targets" / f"{y}.yaml"),
            intent.figures,
            intent.arrivals,
            intent.folders,
            y,
            inbox,
        )
        for y in intent.years
    ]
    last = by_year[-1]
    progress = pd.concat([e.progress for e in by_year], ignore_index=True)
    return Expected(last.figures, last.totals, progress, last.alerts)


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
    parser.add_argument(
        "--years",
        type=int,
        nargs="+",
        default=[2013],
        help="consecutive plan years, one store through all of them",
    )
    parser.add_argument(
        "--separate",
        action="store_true",
        help="each year on its own store, its history year fed first",
    )
    parser.add_argument("--months", default="1-12", help="plan months, e.g. 1-3")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], nargs="+", default=["sqlite"])
    parser.add_argument(
        "--history", help="history-year months, e.g. 2,12 (default: the plan months and 12)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--change-year",
        type=int,
        default=changes.CHANGE_YEAR,
        help="the year the townships and indicators change (0: never)",
    )
    parser.add_argument(
        "--kills", type=int, default=2, help="killed runs in the whole run (each at a random month)"
    )
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        if "PREFECT_API_URL" not in os.environ:
            from prefect.testing.utilities import prefect_test_harness

            stack.enter_context(prefect_test_harness(server_startup_timeout=180))
        work = args.workdir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        failed = False
        for db in args.db:
            history = [int(m) for m in args.history.split(",")] if args.history else None
            runs = [[y] for y in args.years] if args.separate else [sorted(args.years)]
            for years in runs:
                result = soak_years(years, _months(args.months), db, args.seed, args.kills,
                                    work / f"{db}-{years[0]}-{years[-1]}", history,
                                    args.change_year or None)  # fmt: skip
                print("\n".join(result.lines()), flush=True)
                if len(result.differences):
                    failed = True
                    print(result.differences.head(40).to_string(), flush=True)
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
