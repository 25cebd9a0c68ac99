"""Months stay consistent whatever the order (issue 16): the demo's 2013-06..2013-09 batches
run in random orders, and two of them at once, end with the same store as the in-order run.

Each month runs as the flow runs it, without Prefect: its files prepared (archived, parsed,
file suites; prepared once per month and reused), then ``jzplan.month.runs.load_month`` with
the plain steps inside ``run_locked`` (the store's write lock). March to May are loaded in
order first (the June batch brings May's late file); compared: observations, aggregates,
target progress, status reports, rankings, submissions and the open alerts (ids, timestamps
and archive folders left out).
"""

from __future__ import annotations

import random
import shutil
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from jzplan.core.periods import Period, period_range
from jzplan.core.settings import Settings
from jzplan.core.states import IngestStatus
from jzplan.ingest.inbox import scan_batch
from jzplan.month.loading import IngestOutcome
from jzplan.month.prepare import PreparedFile, prepare_file, validate_prepared
from jzplan.month.resources import Resources, open_resources
from jzplan.month.runs import MonthLoad, affected_periods, load_month, plain_steps, stored_shas
from jzplan.store.alerts import read_alerts
from jzplan.store.db import init_store
from jzplan.store.locks import run_locked
from jzplan.validate.shared import SharedValidator
from tasks.ingest import validate_batch
from tests.dbutil import BACKENDS, pg_schema, pg_schema_url
from tests.ops.natural import natural_dump

INBOX = Path(__file__).resolve().parents[2] / "data" / "inbox"
BEFORE = period_range(Period(2013, 3), Period(2013, 5))
MONTHS = period_range(Period(2013, 6), Period(2013, 9))
COMPARED = (
    "observation", "aggregate", "target_progress", "status_report", "ranking", "submission",
)  # fmt: skip
RECEIVED = datetime(2013, 10, 1, tzinfo=UTC)
ORDERS = 3  # the reversed order and two seeded random ones


class Months:
    """Prepared files per month (no database), shared by every store of a test."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.prepared: dict[Period, list[PreparedFile]] = {}
        self.shared: SharedValidator | None = None
        self.expected: dict[str, dict[str, list[Any]]] = {}

    def of(self, resources: Resources, arrival: Period) -> list[PreparedFile]:
        if self.shared is None:
            self.shared = SharedValidator(resources.settings.expectations_dir, resources.catalog)
        if arrival not in self.prepared:
            archive = self.tmp / "archive"
            files = [
                prepare_file(
                    path,
                    catalog=resources.catalog,
                    validator=self.shared,
                    archive_dir=archive,
                    defer=True,
                )
                for path in scan_batch(INBOX, arrival).files
            ]
            with self.shared.exclusive() as checking:
                self.prepared[arrival] = validate_prepared(files, checking)
        return self.prepared[arrival]

    def run(self, resources: Resources, arrival: Period) -> MonthLoad:
        """One month's batch through the locked path, as the flow runs it."""
        prepared = self.of(resources, arrival)
        assert self.shared is not None
        steps = plain_steps(resources, self.shared, INBOX, arrival, RECEIVED)
        return run_locked(
            resources.engine,
            lambda conn: load_month(conn, prepared, arrival, steps, resources.plan.year),
            timeout=120,
        )


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory) -> Months:
    return Months(tmp_path_factory.mktemp("order"))


@pytest.fixture(params=BACKENDS)
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A factory of empty initialised stores on the backend, each opened as a run opens it."""
    with ExitStack() as stack:

        def make() -> Resources:
            if request.param == "sqlite":
                url = f"sqlite:///{tmp_path / f'store-{uuid.uuid4().hex[:8]}.db'}"
            else:
                url = pg_schema_url(stack.enter_context(pg_schema()))
            init_store(url)
            settings = Settings(database_url=url, archive_dir=tmp_path / "archive")
            resources = open_resources(settings)
            stack.callback(resources.close)
            return resources

        make.backend = request.param  # type: ignore[attr-defined]
        yield make


def snapshot(engine: Engine) -> dict[str, list[Any]]:
    dump = natural_dump(engine)
    out: dict[str, list[Any]] = {name: dump[name] for name in COMPARED}
    alerts = read_alerts(engine, open_only=True)
    out["open_alerts"] = [tuple(r) for r in alerts.itertuples(index=False)]
    return out


def in_order(months: Months, new_store: Any) -> dict[str, list[Any]]:
    """The in-order run's snapshot, once per backend (the tests compare with it)."""
    backend = new_store.backend
    if backend not in months.expected:
        resources = new_store()
        run_in(months, resources, MONTHS)
        months.expected[backend] = snapshot(resources.engine)
    return months.expected[backend]


def run_in(months: Months, resources: Resources, order: Sequence[Period]) -> None:
    for p in (*BEFORE, *order):
        months.run(resources, p)


def differing(a: Mapping[str, list[Any]], b: Mapping[str, list[Any]]) -> dict[str, Any]:
    out = {}
    for name in a:
        only_a = [r for r in a[name] if r not in b[name]]
        only_b = [r for r in b[name] if r not in a[name]]
        if only_a or only_b:
            out[name] = {"in_order": only_a[:3], "this_order": only_b[:3]}
    return out


def open_alerts_per_target(engine: Engine) -> dict[str, int]:
    alerts = read_alerts(engine, open_only=True)
    counts = alerts[alerts["target_id"].notna()].groupby("target_id").size()
    return {str(k): int(v) for k, v in counts.items() if v > 1}


def test_months_in_any_order_end_as_in_order(months: Months, new_store: Any) -> None:
    expected = in_order(months, new_store)
    assert expected["open_alerts"], "the in-order run raises alerts: the comparison can fail"
    rng = random.Random(16)
    orders = [list(reversed(MONTHS))]
    while len(orders) < ORDERS:
        order = rng.sample(MONTHS, len(MONTHS))
        if order != MONTHS and order not in orders:
            orders.append(order)
    for order in orders:
        resources = new_store()
        run_in(months, resources, order)
        found = differing(expected, snapshot(resources.engine))
        assert found == {}, f"{order}: {found}"
        assert open_alerts_per_target(resources.engine) == {}


def test_two_months_at_once_end_as_in_order(months: Months, new_store: Any) -> None:
    expected = in_order(months, new_store)
    resources = new_store()
    run_in(months, resources, MONTHS[:2])
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def one(p: Period) -> None:
        barrier.wait()
        try:
            months.run(resources, p)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(p,), daemon=True) for p in MONTHS[2:]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    assert differing(expected, snapshot(resources.engine)) == {}


def _outcome(
    period: str, status: IngestStatus = IngestStatus.ACCEPTED, code: str = "bad_number"
) -> IngestOutcome:
    messages = (f"[{code}] 文件 f.xlsx：…",) if status == IngestStatus.REJECTED else ()
    return IngestOutcome("f.xlsx", "0" * 64, 1, status, "NGZ", period, messages=messages)


REJECTED = IngestStatus.REJECTED


@pytest.mark.parametrize(
    ("arrival", "outcomes", "stored", "expected"),
    [
        # in order: nothing later stored, the batch's month and its late file's month
        ("2013-06", [_outcome("2013-05")], ["2013-05"], ["2013-05", "2013-06"]),
        # August after September: September too
        ("2013-08", [], ["2013-07", "2013-09"], ["2013-08", "2013-09"]),
        # a late July file in the August batch: every stored month after July
        ("2013-08", [_outcome("2013-07")], ["2013-09", "2013-10"],
         ["2013-07", "2013-08", "2013-09", "2013-10"]),
        # a rejected late form counts for its month: that month is now 退回待改, not 未报
        ("2013-08", [_outcome("2013-03", REJECTED)], [], ["2013-03", "2013-08"]),
        # ... unless its own period contradicts itself or lies ahead: it counts for the batch
        ("2013-08", [_outcome("2013-03", REJECTED, "period_mismatch")], [], ["2013-08"]),
        ("2013-08", [_outcome("2013-09", REJECTED, "period_after_arrival")], [], ["2013-08"]),
        ("2013-08", [_outcome("2013-13", REJECTED)], [], ["2013-08"]),  # no such month
        # another year's later months are not (the plan's year only is passed in, and the
        # months of an affected period's year only count)
        ("2013-01", [_outcome("2012-12")], ["2013-02"], ["2012-12", "2013-01", "2013-02"]),
    ],
)  # fmt: skip
def test_affected_periods(
    arrival: str, outcomes: list[IngestOutcome], stored: list[str], expected: list[str]
) -> None:
    got = affected_periods(Period.parse(arrival), outcomes, [Period.parse(s) for s in stored])
    assert [str(p) for p in got] == expected


def test_a_rerun_of_a_stored_month_builds_no_validator(
    months: Months, new_store: Any, tmp_path: Path
) -> None:
    """2013-06's batch loaded, then again with a new run's validator: every form is known by
    its sha256, so nothing is parsed, and the status CSVs were checked clean under the same
    digest, so their stored suite results stand: no Great Expectations context is built
    (seconds a rerun used to spend); the store is as it was."""
    resources = new_store()
    months.run(resources, Period(2013, 6))
    before = snapshot(resources.engine)
    arrival = Period(2013, 6)
    inbox = tmp_path / "inbox"
    shutil.copytree(INBOX / str(arrival), inbox / str(arrival))
    assert (inbox / str(arrival) / "重点工作进展.csv").is_file()
    shared = SharedValidator(resources.settings.expectations_dir, resources.catalog)
    known = stored_shas(resources.engine)
    files = [
        prepare_file(p, catalog=resources.catalog, validator=shared,
                     archive_dir=months.tmp / "archive", known=known, defer=True)
        for p in scan_batch(inbox, arrival).files
    ]  # fmt: skip
    assert len(files) == 8 and all(f.parsed is None for f in files)
    assert validate_batch.fn(files, shared, arrival) == files
    steps = plain_steps(resources, shared, inbox, arrival, RECEIVED)
    run_locked(
        resources.engine,
        lambda conn: load_month(conn, files, arrival, steps, resources.plan.year),
        timeout=120,
    )
    assert not shared.built
    assert snapshot(resources.engine) == before
