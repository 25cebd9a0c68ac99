"""The monthly run: ingest the month's submissions, then recompute every affected month."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from prefect import get_run_logger
from prefect.runtime import flow_run
from prefect.utilities.annotations import unmapped
from sqlalchemy import Connection

from flows import entrypoint_imported, worker_start  # noqa: F401  (worker_start: first)
from flows.params import Month, period_param, scheduled_start
from flows.plain_flow import flow
from flows.run_names import NAME_UPCOMING_RUNS
from flows.runner import docs_helper, task_runner, untraversed, upstream
from jzplan.alert.channels import Resolver
from jzplan.core.limits import Limits
from jzplan.core.periods import Period, month_before
from jzplan.core.settings import Settings
from jzplan.core.states import IngestStatus, MessageKind, count_statuses
from jzplan.ingest.cell_policy import load_policy
from jzplan.ingest.inbox import batch_folder
from jzplan.ingest.status_files import TableFindings
from jzplan.month.lines import file_lines, monthly_line
from jzplan.month.loading import IngestOutcome, refused_outcome
from jzplan.month.prepare import PreparedFile, stored_already
from jzplan.month.refresh import PeriodOutcome
from jzplan.month.resources import Resources, open_resources
from jzplan.month.runs import MonthSteps, stored_shas
from jzplan.month.runs import load_month as run_month
from jzplan.month.status_ahead import check_status_ahead
from jzplan.store.locks import run_locked
from jzplan.track.history import StatusLoad
from jzplan.validate.datadocs import DataDocsJob
from jzplan.validate.shared import Ahead, SharedValidator
from tasks import artifacts
from tasks.evaluate import refresh
from tasks.ingest import discover, load_batch, log_stored, prepare, validate_batch
from tasks.notify import deliver_alerts, load_status, secret_resolver
from tasks.office import deliver_office, queue_batch_receipts, write_batch_receipts
from tasks.report import publish, publish_index
from tasks.track import publish_tracking
from tasks.validation import publish_validation, start_batch_docs

T = TypeVar("T")


def default_period(now: datetime | None = None, timezone: str | None = None) -> Period:
    """The month before the (scheduled) start in the configured timezone (JZPLAN_TIMEZONE,
    Asia/Shanghai): a run on 2013-04-06 does March.

    Taken from the scheduled start time, so a retry of the same scheduled run does the same month.
    """
    return month_before(scheduled_start() if now is None else now, timezone or Settings().timezone)


def _same(value: T) -> T:
    return value


# monthly runs begun in this process (a second one: it runs months one after another)
_runs_in_process = 0


def _run_name() -> str:
    period = flow_run.parameters.get("period") or str(default_period())
    return f"monthly-{period}"


# the runs the scheduler adds meanwhile get their readable names (flows.run_names)
@flow(
    name="monthly-progress",
    flow_run_name=_run_name,
    log_prints=True,
    on_completion=NAME_UPCOMING_RUNS,
    on_failure=NAME_UPCOMING_RUNS,
)
def monthly_progress(period: Month | None = None, inbox_dir: str | None = None) -> dict[str, Any]:
    """Process the batch of submissions for ``period`` (default: last month) end to end.

    Files are found in ``<inbox>/<period>/``; a late file for an earlier month that arrives
    with this batch is loaded too, and its month is recomputed before this one.

    Args:
        period: 报告期（批次），YYYY-MM；留空则为计划运行时间（北京时间）的上一个月
        inbox_dir: 收件箱目录，其下每月一个 YYYY-MM 文件夹；留空则用 JZPLAN_INBOX_DIR
    """
    global _runs_in_process
    _runs_in_process += 1
    settings = Settings()
    arrival = period_param(period, lambda: default_period(timezone=settings.timezone))
    inbox = Path(inbox_dir) if inbox_dir else settings.inbox_dir
    logger = get_run_logger()
    batch_folder(inbox, arrival)  # a missing batch folder stops the run: not "nothing arrived"
    resources = open_resources(settings)
    res = untraversed(resources)
    # the run's suites: in the process's validator, taken when a file is first validated (the
    # process keeps it), or, in a process that has none, in its helper if one runs
    shared = SharedValidator(settings.expectations_dir, resources.catalog, docs_helper(settings))
    plan_year = arrival.year  # later months of this year (and last year's) are recomputed
    # the run's deliveries list the server's Secret blocks once (40-100 ms a listing): asked
    # now, answered while the month runs
    secrets = secret_resolver(listed=True)
    try:
        # the tasks' artifacts go to the server from a background thread; all are sent
        # (or the run fails) before the block ends
        with artifacts.sent_in_background():
            # a month of a year without its plan file stops here (plan_missing), before any work
            resources.plan_for(arrival.year)
            batch = discover(inbox, arrival)
            files = list(batch.files)
            # the status files' suites begun in the helper (if one runs), for the load to take
            status_ahead = check_status_ahead(
                inbox, arrival, resources.plan_of(arrival.year), resources.catalog, shared
            )
            # 1. Archive and parse every file on the task runner (threads or Dask): no database
            #    writes, so any number at once, and a killed run leaves nothing half done. Then the
            #    township files' suites, once for the batch (GE's cost is per validation).
            prepared = prepare_batch(settings, resources, shared, files, arrival) if files else []
            # 2. Load the files in name order and recompute every affected month in ONE
            #    transaction holding the store's write lock: a second run of the month waits and
            #    then finds every file stored; a killed run rolls back. Retried as a whole.
            outcomes, status, refreshed, locked = run_locked(
                resources.engine,
                lambda conn: load_month(
                    conn, prepared, res, shared, inbox, arrival, plan_year, status_ahead
                ),
                timeout=settings.lock_timeout_seconds,
                on_retry=lambda n, exc: logger.warning(
                    "%s：第 %d 次入库失败，整体重试：%s", arrival, n, exc
                ),
            )
            # entries not read (symlinks, folders, unsafe names): 已拒收, each with its reason
            outcomes = outcomes + [refused_outcome(issue) for issue in batch.refused]
            summary: dict[str, Any] = {"period": str(arrival), "files": len(files)}
            # rows of 重点工作进展.csv and 排名.csv left out, each located (file, row, column, code)
            summary["status_issues"] = [str(i) for i in status.issues]
            summary["status_rows"] = {  # rows loaded from 重点工作进展.csv and 排名.csv
                "progress": sum(status.reports.values()),
                "ranking": sum(status.rankings.values()),
            }
            summary["outcomes"] = [o.summary() for o in outcomes]  # per file: status, codes
            # 3. Publish after the commit: reports and artifacts show only what is stored. The
            #    Data Docs first: the helper process (if ready) builds them meanwhile.
            docs = start_docs(resources, arrival, outcomes)
            summary |= publish_month(res, arrival, outcomes, refreshed)
            # Validation: per-rule table, Data Docs (linked in the artifact and here), plan check
            summary["validation"] = publish_validation(
                res, arrival, [upstream(o) for o in outcomes], untraversed(docs)
            )
            summary["data_docs"] = summary["validation"].get("data_docs")
            # A receipt (回执) for every file, to its own office; never fails the month
            summary["receipts"] = send_receipts(res, arrival, secrets)
            # the page of every month, once the month's reports and its receipts folder exist
            publish_index(resources)
            # New and resolved alerts of this run (any month, any kind): Prefect events, channels
            summary["alerts_delivered"] = deliver_alerts(res, untraversed(secrets))
            summary["recomputed"] = [str(p) for p in sorted(refreshed)]
            summary["accepted"] = sum(o.status == IngestStatus.ACCEPTED for o in outcomes)
            summary["rejected"] = sum(o.status == IngestStatus.REJECTED for o in outcomes)
            summary["duplicates"] = sum(o.status == IngestStatus.DUPLICATE for o in outcomes)
            summary["refused"] = sum(o.status == IngestStatus.REFUSED for o in outcomes)
            summary["held"] = sum(o.status == IngestStatus.HELD for o in outcomes)  # 有待确认
            summary["stale"] = sum(o.status == IngestStatus.STALE for o in outcomes)  # 未采用
            # files for a released (or too old) month: kept as pending corrections, nothing
            # recomputed
            summary["pending_corrections"] = log_corrections(arrival, outcomes, locked)
            summary["locked"] = [str(p) for p in locked]  # affected, but released: not recomputed
        logger.info(
            "\n".join([monthly_line(resources.catalog, arrival, summary), *file_lines(summary)])
        )
        return summary
    finally:
        resources.close()


def start_docs(
    resources: Resources, arrival: Period, outcomes: list[IngestOutcome]
) -> DataDocsJob | None:
    """``start_batch_docs`` with the process's helper; None (the validation task builds the
    site itself, with its retry) when it cannot begin (the store's documents unreadable)."""
    try:
        return start_batch_docs(resources, arrival, outcomes, docs_helper(resources.settings))
    except Exception as exc:  # the task reads them again, and is retried
        get_run_logger().warning("%s Data Docs 未能提前开始生成，由校验任务生成：%s", arrival, exc)
        return None


def log_corrections(
    arrival: Period, outcomes: list[IngestOutcome], locked: tuple[Period, ...]
) -> list[str]:
    """The batch's files kept as pending corrections, each logged; the released months the
    batch touched, left as released."""
    logger = get_run_logger()
    kept = [o for o in outcomes if o.status == IngestStatus.PENDING_CORRECTION]
    for o in kept:
        logger.warning(
            "%s：%s（%s %s），未改变该月数字，见 jzplan corrections",
            o.file, o.status.label, o.org_unit, o.period,
        )  # fmt: skip
    if locked:
        months = "、".join(str(p) for p in locked)
        logger.warning("%s：%s 已发布，本次未重算（数字、进度、预警、月报均保持发布时的状态）",
                       arrival, months)  # fmt: skip
    return [o.file for o in kept]


def send_receipts(res: Resources, arrival: Period, secrets: Resolver) -> dict[str, Any]:
    """Write the batch's receipts (queued in the month's transaction) and deliver them. A
    failure is logged and left in the outbox (the next run sends it), never the month's."""
    logger = get_run_logger()
    written = write_batch_receipts(res, arrival, return_state=True)
    out: dict[str, Any] = {"failed": str(written.message)}
    if written.is_failed():
        logger.warning("%s 回执文件未能写出：%s", arrival, written.message)
    else:
        out = written.result()
    delivered = deliver_office(res, MessageKind.RECEIPT, untraversed(secrets), return_state=True)
    if delivered.is_failed():
        logger.warning("%s 回执未全部送达，留待下次运行重试：%s", arrival, delivered.message)
        out["delivered"] = {"failed": str(delivered.message)}
    else:
        out["delivered"] = delivered.result()
    return out


def prepare_batch(
    settings: Settings,
    resources: Resources,
    shared: SharedValidator,
    files: list[Path],
    arrival: Period,
) -> list[PreparedFile]:
    """Every file archived and parsed on the task runner (a stored form found before:
    ``stored_already``), then the township files' suites run once for the batch."""
    known = stored_shas(resources.engine)
    limits = settings.limits()
    # a stored form starts no task: a re-run of a month sends its files to none
    stored = stored_already(files, known, limits)
    for already in stored.values():
        log_stored(already)
    rest = [f for f in files if f not in stored]
    helper = docs_helper(settings)
    # new files make a new Data Docs site; a process that ran a month before runs more
    # (jzplan.validate.docs_helper): its helper imports GE meanwhile, for this or the next
    if rest and helper is not None and _runs_in_process > 1:
        helper.start()
    fresh = iter(_prepare_files(settings, resources, shared, rest, known, limits) if rest else [])
    prepared = [stored[f] if f in stored else next(fresh) for f in files]
    return validate_batch(untraversed(prepared), untraversed(shared), arrival)


def _prepare_files(
    settings: Settings,
    resources: Resources,
    shared: SharedValidator,
    files: list[Path],
    known: frozenset[str],
    limits: Limits,
) -> list[PreparedFile]:
    """``prepare`` of each file on the task runner, in the files' order."""
    # quoted on threads only: Dask sends arguments as plain tuples, not annotations
    as_is = untraversed if settings.task_runner == "thread" else _same
    with task_runner(settings) as runner:
        futures = runner.map(
            prepare,  # type: ignore[arg-type]  # a sync task; the stub expects either
            {
                "path": files,
                "catalog": as_is(unmapped(resources.catalog)),
                "validator": as_is(unmapped(shared)),
                "archive_dir": unmapped(settings.archive_dir),
                "known": as_is(unmapped(known)),
                "defer": unmapped(True),
                "limits": unmapped(limits),
                # a plain dict: Dask pickles the arguments (a mappingproxy does not pickle)
                "policy": as_is(unmapped(dict(load_policy(settings.findings_file)))),
            },
        )
        return [f.result() for f in futures]


def load_month(
    conn: Connection,
    prepared: list[PreparedFile],
    res: Resources,
    shared: SharedValidator,
    inbox: Path,
    arrival: Period,
    plan_year: int,
    status_ahead: Ahead[dict[str, TableFindings]] | None = None,
) -> tuple[list[IngestOutcome], StatusLoad, dict[Period, PeriodOutcome], tuple[Period, ...]]:
    """The batch's files loaded, its status files read, and every affected month (later
    months of the year the store has included) recomputed, in the month's transaction
    ``conn``: ``jzplan.month.runs.load_month`` with each step a Prefect task; the released
    months it left alone last."""
    validator = untraversed(shared)
    received_at = datetime.now(UTC)  # the run's files are one receipt (jzplan.store.currency)
    # no retry inside the month's transaction: on PostgreSQL a failed statement aborts it and
    # a retry would hide the cause behind InFailedSqlTransaction; run_locked retries the month
    steps = MonthSteps(
        load_files=lambda files, c: load_batch(
            [upstream(p) for p in files], c, res, validator, arrival, received_at
        ),
        load_status=lambda c: load_status.with_options(retries=0)(  # the run's GE context
            res, inbox, arrival, bind=c, validator=validator, ahead=untraversed(status_ahead)
        ),
        refresh=lambda p, c, b: refresh.with_options(retries=0)(res, p, arrival, bind=c, bulks=b),
    )
    done = run_month(conn, prepared, arrival, steps, plan_year)
    # each file's receipt queued with the load: a killed run leaves none, its rerun all
    queue_batch_receipts.with_options(retries=0)(
        res, arrival, untraversed(done.outcomes), untraversed(prepared),
        untraversed(done.status), untraversed(conn),
    )  # fmt: skip
    return done.outcomes, done.status, done.refreshed, done.locked


def publish_month(
    res: Resources,
    arrival: Period,
    outcomes: list[IngestOutcome],
    refreshed: dict[Period, PeriodOutcome],
) -> dict[str, Any]:
    """Every recomputed month's report (a late file changes its month too); the batch
    month's report, missing units, status counts and overall progress for the summary."""
    summary: dict[str, Any] = {}
    for p, outcome in refreshed.items():
        ingested = [upstream(o) for o in outcomes] if p == arrival else []
        report = publish(res, p, upstream(outcome), ingested)
        if p != arrival:
            continue
        summary["report"] = str(report.html) if report else None
        summary["workbook"] = str(report.workbook) if report else None
        summary["missing_units"] = outcome.missing_units
        summary["unit_months"] = {u: str(um.status) for u, um in outcome.unit_months.items()}
        if outcome.progress_frame is not None:
            counts = count_statuses(outcome.progress_frame["status"])  # in the fixed order
            summary["status_counts"] = {str(k): v for k, v in counts.items()}
            summary["overall_progress"] = publish_tracking(res, p, upstream(outcome.progress_frame))
    return summary


# the last line: a worker's flow-run process has imported this deployment's entrypoint
# (jzplan.core.process)
entrypoint_imported()
