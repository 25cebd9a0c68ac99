"""A file the program fails on (the parser, the file suites or the history suite raising) is
rejected with ``internal_error`` and keeps its submission row, in the month's transaction;
the other files of the batch load. The failures are injected (fault injection: no real input
is known to crash these parts), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from jzplan.core.states import IngestStatus
from jzplan.ingest.inbox import discover_submissions
from jzplan.month import loading, prepare
from jzplan.month.loading import load_prepared
from jzplan.month.prepare import INTERNAL_ERROR, prepare_file, validate_prepared
from jzplan.reference.catalog import Catalog
from jzplan.store.locks import locked_transaction
from jzplan.store.models import ObservationRow
from jzplan.validate import store_checks
from jzplan.validate.validator import SubmissionValidator
from tests.ingest import bulkfiles, corpus
from tests.ingest.corpus import PERIOD, standard, write
from tests.month.ingesting import RECEIVED, submissions

GOOD, CRASHING = "SJZ", "YMZ"


def _crash_on(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
    """``real``, raising for the file ``name``: a path, or a thing with a ``path`` (a parsed
    file), among its arguments or in a list of them."""

    def names(value: object) -> list[str]:
        if isinstance(value, list | tuple):
            return [n for v in value for n in names(v)]
        path = value if isinstance(value, Path) else getattr(value, "path", None)
        return [path.name] if isinstance(path, Path) else []

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if name in names([*args, *kwargs.values()]):
            raise ZeroDivisionError("injected")
        return real(*args, **kwargs)

    return wrapped


def _batch(catalog: Catalog, tmp_path: Path) -> tuple[list[Path], str]:
    may = tmp_path / "inbox" / str(PERIOD)
    for unit in (GOOD, CRASHING):
        write(standard(catalog, unit=unit), may / corpus.file_name(catalog, unit))
    return discover_submissions(tmp_path / "inbox", PERIOD), corpus.file_name(catalog, CRASHING)


def _run_month(
    store: Engine, catalog: Catalog, validator: SubmissionValidator, files: list[Path], tmp: Path
) -> list[loading.IngestOutcome]:
    """The monthly flow's path without Prefect: prepare each file, the batch's file suites,
    then every file loaded in one locked transaction."""
    prepared = [
        prepare_file(p, catalog=catalog, validator=validator, archive_dir=tmp / "archive",
                     arrival=PERIOD, defer=True)
        for p in files
    ]  # fmt: skip
    prepared = validate_prepared(prepared, validator)
    with locked_transaction(store) as conn:
        return [
            load_prepared(p, bind=conn, arrival=PERIOD, received_at=RECEIVED, validator=validator)
            for p in prepared
        ]


@pytest.mark.parametrize("stage", ["parse", "file_suites", "history_suite"])
def test_a_file_that_crashes_is_rejected_and_the_batch_loads(
    stage: str,
    store: Engine,
    catalog: Catalog,
    validator: SubmissionValidator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files, crashing = _batch(catalog, tmp_path)
    if stage == "parse":
        monkeypatch.setattr(
            prepare, "parse_submission", _crash_on(crashing, prepare.parse_submission)
        )
    elif stage == "file_suites":
        monkeypatch.setattr(validator, "validate", _crash_on(crashing, validator.validate))
        monkeypatch.setattr(prepare, "validate_files", _crash_on(crashing, prepare.validate_files))
    else:
        monkeypatch.setattr(
            store_checks,
            "validate_against_store",
            _crash_on(crashing, store_checks.validate_against_store),
        )
    outcomes = {o.file: o for o in _run_month(store, catalog, validator, files, tmp_path)}

    good = corpus.file_name(catalog, GOOD)
    assert outcomes[good].status == IngestStatus.ACCEPTED
    assert outcomes[crashing].status == IngestStatus.REJECTED
    assert outcomes[crashing].errors >= 1
    assert any(
        INTERNAL_ERROR in m and "ZeroDivisionError" in m for m in outcomes[crashing].messages
    )
    rows = submissions(store)
    assert rows[good].status == "accepted"
    assert rows[crashing].status == "rejected" and rows[crashing].archive_path
    assert "ZeroDivisionError" in (rows[crashing].message or "")
    assert (tmp_path / "archive").is_dir()


def test_a_bulk_file_whose_history_suite_crashes_is_rejected_whole(
    store: Engine,
    catalog: Catalog,
    validator: SubmissionValidator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    june = tmp_path / "inbox" / str(bulkfiles.MONTH)
    bulk = bulkfiles.bulk_csv(bulkfiles.june_figures(catalog), june / "全区_2013年06月_汇总.csv")
    monkeypatch.setattr(
        store_checks,
        "validate_against_store",
        _crash_on(bulk.name, store_checks.validate_against_store),
    )
    prepared = prepare_file(
        bulk, catalog=catalog, validator=validator, archive_dir=tmp_path / "archive",
        arrival=bulkfiles.MONTH,
    )  # fmt: skip
    assert prepared.parsed is not None and prepared.parsed.bulk
    with locked_transaction(store) as conn:
        outcome = load_prepared(
            prepared, bind=conn, arrival=bulkfiles.MONTH, received_at=RECEIVED,
            validator=validator,
        )  # fmt: skip
    assert outcome.status == IngestStatus.REJECTED
    assert any(INTERNAL_ERROR in m for m in outcome.messages)
    with store.connect() as conn:  # no unit's figures loaded
        assert conn.scalar(select(func.count()).select_from(ObservationRow)) == 0
