"""One file, or a month's batch, prepared and loaded without a flow, in one transaction: what
scripts and the tests of loading call (the monthly flow runs the same steps as its tasks)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from jzplan.core.limits import DEFAULT_LIMITS, Limits
from jzplan.core.periods import Period
from jzplan.ingest.inbox import scan_batch, sha256_of, source_path_of
from jzplan.ingest.regular_files import InboxRefusal, escape_name
from jzplan.month.loading import (
    IngestOutcome,
    load_order,
    load_prepared,
    refused_outcome,
    restate,
)
from jzplan.month.prepare import PreparedFile, prepare_file
from jzplan.reference.catalog import Catalog
from jzplan.store.bulk_load import find_bulk_file
from jzplan.store.db import Bind, transaction
from jzplan.store.submissions import find_submission_by_sha
from jzplan.validate.validator import SubmissionValidator


def ingest_file(
    path: Path,
    *,
    engine: Bind,
    catalog: Catalog,
    validator: SubmissionValidator,
    archive_dir: Path,
    arrival: Period,
    received_at: datetime,
    limits: Limits = DEFAULT_LIMITS,
) -> IngestOutcome:
    """Archive, parse, validate and load (or reject) one file in one transaction.

    A file seen before is a no-op; one that is not a regular file, or too large to read
    (``limits``), is refused, unread.
    """
    prepared = _prepare(
        path, engine=engine, catalog=catalog, validator=validator, archive_dir=archive_dir,
        arrival=arrival, limits=limits,
    )  # fmt: skip
    if isinstance(prepared, IngestOutcome):
        return prepared
    return load_prepared(
        prepared, bind=engine, arrival=arrival, received_at=received_at, validator=validator
    )


def _prepare(
    path: Path,
    *,
    engine: Bind,
    catalog: Catalog,
    validator: SubmissionValidator,
    archive_dir: Path,
    arrival: Period,
    limits: Limits = DEFAULT_LIMITS,
) -> PreparedFile | IngestOutcome:
    try:
        sha = sha256_of(path, limits.max_bytes_for(path.suffix))
    except InboxRefusal as refusal:
        return refused_outcome(refusal.issue(escape_name(source_path_of(path))))
    seen = find_submission_by_sha(engine, sha) or find_bulk_file(engine, sha)
    known = {sha} if seen is not None else set()
    return prepare_file(
        path,
        catalog=catalog,
        validator=validator,
        archive_dir=archive_dir,
        known=known,
        arrival=arrival,
        limits=limits,
    )


def ingest_batch(
    inbox_dir: Path,
    arrival: Period,
    *,
    engine: Bind,
    catalog: Catalog,
    validator: SubmissionValidator,
    archive_dir: Path,
    received_at: datetime,
    limits: Limits = DEFAULT_LIMITS,
    files: Sequence[Path] | None = None,
) -> list[IngestOutcome]:
    """The batch of ``arrival`` (``scan_batch``; ``files`` instead, in any order): every file
    prepared, then each loaded in ``load_order`` in one transaction, all at one receipt time;
    then one ``refused`` outcome per entry that was not read."""
    batch = scan_batch(inbox_dir, arrival)
    todo = [
        _prepare(
            path, engine=engine, catalog=catalog, validator=validator, archive_dir=archive_dir,
            arrival=arrival, limits=limits,
        )
        for path in (batch.files if files is None else files)
    ]  # fmt: skip
    prepared = [p for p in todo if isinstance(p, PreparedFile)]
    with transaction(engine) as conn:
        order = load_order(prepared)
        loaded = [
            load_prepared(
                p, bind=conn, arrival=arrival, received_at=received_at, validator=validator
            )
            for p in order
        ]
        by_file = {id(p): o for p, o in zip(order, restate(conn, loaded), strict=True)}
    # in the order the files were given
    outcomes = [o if isinstance(o, IngestOutcome) else by_file[id(o)] for o in todo]
    return outcomes + [refused_outcome(issue) for issue in batch.refused]
