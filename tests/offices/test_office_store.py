"""The office corpus through the month's load (``jzplan.month.ingesting.ingest_file``, no
Prefect) on SQLite and PostgreSQL, month by month: every form accepted, its figures stored in
canonical units, its held rows nowhere in the store's observations."""

from __future__ import annotations

import math
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from jzplan.core.states import IngestStatus
from jzplan.reference.catalog import Catalog
from jzplan.store.models import ObservationRow
from jzplan.validate.validator import SubmissionValidator
from tests.month.ingesting import ingest
from tests.offices.cases import CASES
from tests.offices.forms import build, close


def _stored(engine: Engine) -> dict[tuple[str, str], dict[str, tuple[float, float | None]]]:
    with Session(engine) as session:
        rows = session.scalars(select(ObservationRow)).all()
    out: dict[tuple[str, str], dict[str, tuple[float, float | None]]] = {}
    for r in rows:
        out.setdefault((r.org_unit_code, r.period), {})[r.indicator_code] = (r.value, r.value_month)
    return out


def test_office_forms_load_their_figures(
    store: Engine, catalog: Catalog, validator: SubmissionValidator, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    written = {case.id: build(catalog, case, inbox) for case in CASES}
    for case in sorted(CASES, key=lambda c: c.month):  # month by month, as they arrive
        outcome = ingest(written[case.id].path, store, catalog, validator, tmp_path)
        assert outcome.status == IngestStatus.ACCEPTED, (case.id, outcome.messages)
        assert outcome.inserted == len(written[case.id].loads), case.id

    stored = _stored(store)
    assert set(stored) == {(c.unit, str(c.period)) for c in CASES}
    for case in CASES:
        figures = stored[(case.unit, str(case.period))]
        loads = written[case.id].loads
        assert set(figures) == set(loads), case.id
        for code, (value, month) in loads.items():
            got_value, got_month = figures[code]
            assert close(got_value, value), (case.id, code, got_value, value)
            if month is None:
                assert got_month is None or math.isnan(got_month), (case.id, code)
            else:
                assert got_month is not None and close(got_month, month), (case.id, code)
