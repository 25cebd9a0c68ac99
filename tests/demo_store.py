"""The bundled 2012–2013 demo loaded month by month as the schedule runs it (the deadline
check on the 5th, then the month's batch), through the domain functions on a SQLite file.
Shared by the tracking and report tests through the session ``demo_year`` fixture."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from jzplan.alert.deadlines import Deadline, arrived_units, check_deadline
from jzplan.core.periods import Period, period_range
from jzplan.core.submissions import ParsedSubmission
from jzplan.ingest.form_parser import parse_submission
from jzplan.ingest.inbox import discover_submissions, sha256_of
from jzplan.month.refresh import refresh_period
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store import tracking
from jzplan.store.db import make_engine, migrate
from jzplan.store.reference import sync_reference
from jzplan.store.submissions import load_submission, record_submission, reject_submission
from jzplan.track.history import load_status_submissions
from jzplan.track.progress import Thresholds

INBOX = Path(__file__).resolve().parent.parent / "data" / "inbox"


def _load_batch(
    engine: Engine, catalog: Catalog, arrival: Period, parsed_forms: Mapping[Path, ParsedSubmission]
) -> set[Period]:
    """The batch's forms, parsed (or taken from ``parsed_forms``) and loaded (validation is
    the validation suite's business)."""
    periods = {arrival}
    for path in discover_submissions(INBOX, arrival):
        parsed = parsed_forms.get(path) or parse_submission(path, catalog)
        sid = record_submission(
            engine, sha256=sha256_of(path), file_name=path.name, archive_path=str(path),
            arrival_period=arrival, received_at=datetime(2013, 1, 1, tzinfo=UTC),
            org_unit=parsed.org_unit, period=str(parsed.period) if parsed.period else None,
            filed_on=parsed.filed_on,
        )  # fmt: skip
        if parsed.ok and parsed.period:
            load_submission(engine, sid, parsed.frame.copy())  # parsed_forms is shared
            periods.add(parsed.period)
        else:
            reject_submission(engine, sid, parsed.issues)
    return periods


def run_month(
    engine: Engine,
    catalog: Catalog,
    plan: Plan,
    arrival: Period,
    parsed_forms: Mapping[Path, ParsedSubmission] | None = None,
) -> None:
    deadline = Deadline()
    check_deadline(
        engine, catalog=catalog, period=arrival, arrived=arrived_units(INBOX, arrival, catalog),
        due=deadline.of(arrival),
    )  # fmt: skip
    tracking.record_alert_events(engine)
    affected = _load_batch(engine, catalog, arrival, parsed_forms or {})
    load_status_submissions(engine, INBOX, arrival, plan=plan, catalog=catalog)
    for p in sorted(affected):
        refresh_period(
            engine, catalog=catalog, plan=plan, period=p, thresholds=Thresholds(), as_of=arrival
        )
    tracking.record_alert_events(engine)


def build_demo_year(
    db: Path,
    catalog: Catalog,
    plan: Plan,
    parsed: Mapping[Path, ParsedSubmission] | None = None,
) -> Engine:
    """A SQLite store holding the demo's 2012-01 to 2013-12 batches (``parsed``: the inbox's
    forms already parsed, the session's ``parsed_inbox``)."""
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    sync_reference(engine, catalog, plan)
    for arrival in period_range(Period(2012, 1), Period(2013, 12)):
        run_month(engine, catalog, plan, arrival, parsed)
    return engine
