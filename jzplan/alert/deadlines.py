"""The submission deadline (e.g. 17:00 on the 5th of the next month, Asia/Shanghai) and the
check that alerts on every reporting unit with nothing in by then, even if nothing arrived."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jzplan.alert.lifecycle import sync_alerts
from jzplan.alert.rules import as_records, in_period, missing_submission_alerts
from jzplan.core.limits import DEFAULT_LIMITS, Limits
from jzplan.core.periods import Period
from jzplan.core.settings import Settings
from jzplan.core.states import AlertKind, UnitMonthStatus
from jzplan.ingest.form_parser import parse_submission
from jzplan.ingest.inbox import discover_submissions
from jzplan.ingest.regular_files import InboxRefusal, read_regular
from jzplan.reference.catalog import Catalog
from jzplan.store.db import Bind
from jzplan.store.unit_months import unit_statuses, units_in


@dataclass(frozen=True, slots=True)
class Deadline:
    day: int = 5  # of the month after the reporting month
    hour: int = 17
    timezone: str = "Asia/Shanghai"

    def of(self, period: Period) -> datetime:
        """When ``period``'s submissions are due (timezone-aware)."""
        nxt = period.next()
        return datetime(nxt.year, nxt.month, self.day, self.hour, tzinfo=ZoneInfo(self.timezone))

    def period_due(self, now: datetime) -> Period:
        """The latest reporting month whose deadline is at or before ``now``."""
        local = now.astimezone(ZoneInfo(self.timezone))
        period = Period(local.year, local.month).previous()
        return period if self.of(period) <= now else period.previous()


def deadline_of(settings: Settings) -> Deadline:
    """The submission deadline the settings configure."""
    return Deadline(
        settings.submission_deadline_day, settings.submission_deadline_hour, settings.timezone
    )


def arrived_units(
    inbox_dir: Path, period: Period, catalog: Catalog, limits: Limits = DEFAULT_LIMITS
) -> set[str]:
    """Units with a readable form for ``period`` in the month's inbox folder (not yet loaded),
    each read within ``limits``."""
    units: set[str] = set()
    for path in discover_submissions(inbox_dir, period):
        try:
            data = read_regular(path, limits.max_bytes_for(path.suffix))
        except InboxRefusal:
            continue  # swapped since it was listed, or too large: not a form that arrived
        parsed = parse_submission(path, catalog, data=data, limits=limits)
        if parsed.org_unit is not None and parsed.period == period:
            units.add(parsed.org_unit)
    return units


@dataclass(frozen=True, slots=True)
class DeadlineOutcome:
    period: Period
    due: datetime
    missing_units: list[str]
    alerts: dict[str, int]


def check_deadline(
    bind: Bind, *, catalog: Catalog, period: Period, arrived: set[str], due: datetime
) -> DeadlineOutcome:
    """Open a ``missing:<unit>:<period>`` alert for each reporting unit that stands 未报 (no
    file stored for the month, accepted or returned) with no file in the inbox either; the
    monthly run later keeps (or resolves) the same alert, so a unit is alerted once, at the
    deadline."""
    reporting = [u.code for u in catalog.reporting_units_in(period)]
    standings = unit_statuses(bind, reporting, period).values()
    missing = [u for u in units_in(standings, UnitMonthStatus.MISSING) if u not in arrived]
    alerts = missing_submission_alerts(period, missing, catalog)
    counts = sync_alerts(
        bind,
        period,
        as_records(alerts),
        scope_kinds={AlertKind.MISSING_SUBMISSION},
        in_scope=in_period(period),
    )
    return DeadlineOutcome(period, due, [a.org_unit for a in alerts if a.org_unit], counts)
