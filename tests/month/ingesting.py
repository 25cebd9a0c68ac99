"""Files through ``jzplan.month.ingesting.ingest_file`` into a store, for the tests of loading
and of corrections: the run's validator, a store with the reference data, and reads of what
was stored."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from jzplan.core.periods import Period
from jzplan.month.ingesting import ingest_file
from jzplan.month.loading import IngestOutcome
from jzplan.reference.catalog import Catalog
from jzplan.store.aggregates import read_aggregates
from jzplan.store.models import SubmissionRow
from jzplan.validate.validator import SubmissionValidator
from tests.ingest.corpus import PERIOD

JUNE = Period(2013, 6)
RECEIVED = datetime(2013, 6, 4, 9, 0, tzinfo=UTC)


def ingest(
    path: Path, store: Engine, catalog: Catalog, validator: SubmissionValidator, tmp: Path
) -> IngestOutcome:
    return ingest_file(
        path,
        engine=store,
        catalog=catalog,
        validator=validator,
        archive_dir=tmp / "archive",
        arrival=Period.parse(path.parent.name),
        received_at=RECEIVED,
    )


def submissions(engine: Engine) -> dict[str, SubmissionRow]:
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        rows = session.scalars(select(SubmissionRow)).all()
        session.expunge_all()
    return {r.file_name: r for r in rows}


def area(engine: Engine) -> dict[str, float]:
    agg = read_aggregates(engine, [PERIOD])
    area = agg[agg["org_unit"] == "JZXQ"]
    return dict(zip(area["indicator"], area["value"], strict=True))
