"""Small pieces of a monthly run that are neither stages nor store writes, and the month's
locked sequence: load the batch's files, read its status files, recompute every affected month
(the batch's, a late file's, and every later month of the plan year the store already has)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, select

from jzplan.core.periods import Period
from jzplan.core.states import IngestStatus
from jzplan.ingest.status_files import TableFindings
from jzplan.month.holds import correction_policy
from jzplan.month.loading import IngestOutcome, load_order, load_prepared, restate
from jzplan.month.prepare import PreparedFile, history_groups, history_reports
from jzplan.month.refresh import LoadedBulk, PeriodOutcome, refresh_period
from jzplan.month.resources import Resources
from jzplan.reference.catalog import Catalog
from jzplan.store import tracking
from jzplan.store.db import Bind, connect
from jzplan.store.models import SubmissionRow
from jzplan.store.month_states import mark_produced, released_months
from jzplan.store.periods import stored_periods
from jzplan.store.status_files import clean_check_results
from jzplan.store.unit_months import PERIOD_CONTRADICTIONS, counted_period
from jzplan.track.history import StatusLoad, StatusReceipt, load_status_submissions
from jzplan.validate.history_checks import outlier_settings
from jzplan.validate.results import ValidationReport
from jzplan.validate.shared import Ahead, SharedValidator
from jzplan.validate.status_checks import StatusChecker

PRODUCER = "monthly-progress"  # who moves a month to 待审核 in the audit


def stored_shas(bind: Bind) -> frozenset[str]:
    """The sha256 of every file the store has received, so preparing can skip them."""
    with connect(bind) as conn:
        return frozenset(str(s) for s in conn.scalars(select(SubmissionRow.sha256)))


def affected_periods(
    arrival: Period, outcomes: Iterable[IngestOutcome], stored: Iterable[Period] = ()
) -> list[Period]:
    """The batch's month, every month an accepted file of the batch belongs to (or a rejected
    one counts for: a late form returned makes its month 退回待改, not 未报), and every
    ``stored`` month after one of them in the same year (its year-to-date, pace, status and
    alerts read the earlier months), in order."""
    periods = {arrival} | {
        Period.parse(o.period)
        for o in outcomes
        if o.status in (IngestStatus.ACCEPTED, IngestStatus.HELD) and o.period
    }
    for o in outcomes:
        if o.status == IngestStatus.REJECTED and o.org_unit and o.period:
            contradicts = not PERIOD_CONTRADICTIONS.isdisjoint(o.codes)
            counted = counted_period(o.period, str(arrival), True, contradicts)
            with suppress(ValueError):  # a rejected file may claim a month that does not exist
                periods.add(Period.parse(counted))
    later = {s for s in stored if any(s > p and s.year == p.year for p in periods)}
    return sorted(periods | later)


# the history suite of a run of files that cannot change each other's history
CheckHistory = Callable[[list[PreparedFile], Connection], list[ValidationReport | None]]
# one file recorded and loaded (or rejected), given its history suite's report
LoadFile = Callable[[PreparedFile, Connection, ValidationReport | None], IngestOutcome]
# the batch's files in the order loaded, and each one's outcome
LoadedFiles = tuple[list[PreparedFile], list[IngestOutcome]]


@dataclass(frozen=True, slots=True)
class MonthSteps:
    """The steps of a month's locked transaction, each given the transaction's connection:
    plain functions (``plain_steps``), or the flow's Prefect tasks around the same functions.
    ``load_files``: ``load_files`` with the run's ``file_steps``."""

    load_files: Callable[[Sequence[PreparedFile], Connection], LoadedFiles]
    load_status: Callable[[Connection], StatusLoad]
    # a period, the transaction, the batch's bulk files just loaded (figures in memory)
    refresh: Callable[[Period, Connection, Sequence[LoadedBulk]], PeriodOutcome]


@dataclass(frozen=True, slots=True)
class MonthLoad:
    """What a month's transaction did: each file's outcome, the status files, every
    recomputed month's outcome (in order), and the affected months left as they were
    because they are released (locked)."""

    outcomes: list[IngestOutcome]
    status: StatusLoad
    refreshed: dict[Period, PeriodOutcome]
    locked: tuple[Period, ...] = ()


def load_month(
    conn: Connection,
    prepared: Sequence[PreparedFile],
    arrival: Period,
    steps: MonthSteps,
    plan_year: int | None,
) -> MonthLoad:
    """The batch's files loaded (history suites of files that cannot change each other's
    history together), its status files read, and every affected month recomputed in order,
    all in the month's transaction ``conn`` (``jzplan.store.locks.run_locked``).

    A month run after a later one (or a late file) recomputes the later months of
    ``plan_year`` that the store has, so the store ends as if the months had run in order.
    A released month is never recomputed (its later files are pending corrections); the
    batch's month, once produced, is 待审核 (``jzplan.store.month_states``)."""
    order, loaded = steps.load_files(prepared, conn)
    status = steps.load_status(conn)
    # this year's months, and last year's (a late file for December)
    stored = (
        [*stored_periods(conn, plan_year - 1), *stored_periods(conn, plan_year)]
        if plan_year is not None
        else []
    )
    affected = affected_periods(arrival, loaded, stored)
    kept = {o.period for o in loaded if o.status == IngestStatus.PENDING_CORRECTION and o.period}
    # released months the batch would change: left as they are
    locked = released_months(conn, [*affected, *map(Period.parse, kept)])
    bulks = loaded_bulks(order, loaded)
    refreshed = {p: steps.refresh(p, conn, bulks) for p in affected if p not in locked}
    mark_produced(conn, arrival, actor=PRODUCER, at=datetime.now(UTC))
    return MonthLoad(loaded, status, refreshed, tuple(sorted(locked)))


def loaded_bulks(
    prepared: Sequence[PreparedFile], outcomes: Sequence[IngestOutcome]
) -> list[LoadedBulk]:
    """The batch's bulk files the load recorded (a ``bulk_file`` id), with their parsed
    frames: the month's totals take their figures from memory."""
    return [
        LoadedBulk.of(o.bulk_file_id, p.parsed)
        for p, o in zip(prepared, outcomes, strict=True)
        if p.parsed is not None and p.parsed.bulk and o.bulk_file_id
    ]


def plain_steps(
    resources: Resources,
    validator: SharedValidator,
    inbox: Path,
    arrival: Period,
    received_at: datetime | None = None,
) -> MonthSteps:
    """The steps as plain functions (what the flow's tasks call), for runs without Prefect."""
    check, load = file_steps(resources, validator, arrival, received_at)

    def files(prepared: Sequence[PreparedFile], conn: Connection) -> LoadedFiles:
        return load_files(conn, prepared, check, load)

    def status(conn: Connection) -> StatusLoad:
        return month_status(resources, inbox, arrival, conn, validator)

    def refresh(period: Period, conn: Connection, bulks: Sequence[LoadedBulk]) -> PeriodOutcome:
        return refresh_period(
            conn, catalog=resources.catalog, plan=resources.plan_for(period.year), period=period,
            thresholds=resources.thresholds, as_of=arrival, bulks=bulks,
        )  # fmt: skip

    return MonthSteps(files, status, refresh)


def file_steps(
    resources: Resources,
    validator: SharedValidator,
    arrival: Period,
    received_at: datetime | None = None,
) -> tuple[CheckHistory, LoadFile]:
    """The history suite of a run of files, against the store inside the month's
    transaction, and the load of one file (record, reject or load; a released month's file
    kept aside), as the run's settings have them; ``received_at`` the run's one receipt time
    (files of one run are one receipt: ``jzplan.store.currency``)."""
    outlier = outlier_settings(resources.settings)
    policy = correction_policy(resources.settings)
    at = received_at or datetime.now(UTC)

    def check(group: list[PreparedFile], conn: Connection) -> list[ValidationReport | None]:
        return history_reports(conn, group, validator, outlier)

    def load(p: PreparedFile, conn: Connection, report: ValidationReport | None) -> IngestOutcome:
        return load_prepared(
            p, bind=conn, arrival=arrival, received_at=at, validator=validator,
            outlier=outlier, against_store=report, policy=policy,
        )  # fmt: skip

    return check, load


def load_files(
    conn: Connection, prepared: Sequence[PreparedFile], check: CheckHistory, load: LoadFile
) -> LoadedFiles:
    """The batch's files loaded in the month's transaction ``conn``: in ``load_order`` (name
    order; one unit's month by filing date: any order of the batch loads alike,
    ``jzplan.store.currency``), each run of files that cannot change each other's history
    (``history_groups``: a unit's second file waits until its first is loaded) checked by
    the history suite against the store, then each of its files loaded. Returns the files in
    that order and their outcomes, restated (a form held after its batch-mate loaded is
    reported held)."""
    order: list[PreparedFile] = []
    loaded: list[IngestOutcome] = []
    for group in history_groups(load_order(prepared)):
        checked = check(group, conn)
        loaded += [load(p, conn, r) for p, r in zip(group, checked, strict=True)]
        order += group
    return order, restate(conn, loaded)


def month_status(
    resources: Resources,
    inbox: Path,
    period: Period,
    bind: Bind,
    validator: SharedValidator,
    received_at: datetime | None = None,
    ahead: Ahead[dict[str, TableFindings]] | None = None,
) -> StatusLoad:
    """The month's 重点工作进展.csv and 排名.csv: validated by their suites in the run's GE
    context (or taken from ``ahead``: ``jzplan.month.status_ahead``), archived and recorded
    in ``status_file``, loaded into ``bind``."""
    return load_status_submissions(
        bind, inbox, period, plan=resources.plan_of(period.year), catalog=resources.catalog,
        check=StatusChecker(
            validator, resources.plan_of(period.year), resources.catalog, tracking.status_lengths(),
            known=lambda digest: clean_check_results(bind, digest),
            ahead=ahead.take if ahead is not None else None,
        ),
        receipt=StatusReceipt(resources.settings.archive_dir, received_at or datetime.now(UTC)),
    )  # fmt: skip


def submission_table(
    outcomes: Sequence[IngestOutcome], catalog: Catalog
) -> list[dict[str, object]]:
    """The batch's files as the ``submissions-<period>`` artifact shows them, in Chinese: the
    unit by name, the result as its label (已接收, 已退回 …), the first three findings."""

    def unit(code: str | None) -> str:
        known = catalog.org_units.get(code) if code else None
        return known.name if known is not None else (code or "—")

    return [
        {
            "文件": o.file,
            "单位": unit(o.org_unit),
            "报告期": o.period or "—",
            "结果": o.status.label,
            "错误": o.errors,
            "警告": o.warnings,
            "规则检查/失败": f"{o.rules_checked}/{o.rules_failed}",
            "新增/变更": f"{o.inserted}/{o.updated}",
            "说明": "；".join(o.messages[:3]),
        }
        for o in outcomes
    ]
