"""Per-submission tasks: prepare (archive, parse) anywhere, validate the batch at once, load
in the month's transaction.

Preparing touches no database, so it runs on the flow's task runner (threads, or a Dask
cluster with ``JZPLAN_TASK_RUNNER=dask``; a bulk file is validated there too). The township
files' suites then run once for the whole batch (``jzplan.validate.batch``: GE's cost is
per validation, not per row), and their history suites once per run of files that cannot
change each other's history, inside the store's locked transaction, before those files are
loaded one after another, all in one task (see ``jzplan.store.locks``). The flow builds the
run's validator (``SharedValidator``) and passes it to every task.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import task_run
from prefect.utilities.annotations import BaseAnnotation
from sqlalchemy import Connection

from jzplan.core.limits import DEFAULT_LIMITS, Limits
from jzplan.core.periods import Period
from jzplan.core.states import IngestStatus, IssueSeverity
from jzplan.ingest.cell_policy import FIGURE_CELL_POLICY, FindingAction
from jzplan.ingest.form_identity import file_label
from jzplan.ingest.inbox import Batch, scan_batch
from jzplan.month.loading import IngestOutcome
from jzplan.month.prepare import PreparedFile, prepare_file, to_validate, validate_prepared
from jzplan.month.resources import Resources
from jzplan.month.runs import LoadedFiles, file_steps, load_files
from jzplan.reference.catalog import Catalog
from jzplan.validate.results import ValidationReport
from jzplan.validate.shared import SharedValidator


@task(name="discover-submissions", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def discover(inbox_dir: Path, arrival: Period) -> Batch:
    """The batch's entries classified (``scan_batch``); each refused one logged with its
    reason, its name escaped (a newline in a name cannot forge a log line)."""
    batch = scan_batch(inbox_dir, arrival)
    logger = get_run_logger()
    logger.info(
        "%s：收到 %d 个文件，拒收 %d 项（%s）",
        arrival,
        len(batch.files),
        len(batch.refused),
        inbox_dir / str(arrival),
    )
    for issue in batch.refused:
        logger.warning("%s：%s", IngestStatus.REFUSED.label, issue)
    for name in batch.ignored:
        logger.info("%s：不是月报，未读取", name)
    return batch


def _run_name(verb: str) -> str:
    # the arguments as passed: the flow wraps some in quote/opaque (flows.runner)
    params: dict[str, Any] = {
        k: v.unwrap() if isinstance(v, BaseAnnotation) else v
        for k, v in task_run.parameters.items()
    }
    path = params.get("path")
    prepared = params.get("prepared")
    if path is None and isinstance(prepared, PreparedFile):
        path = prepared.path
    catalog = params.get("catalog")
    if catalog is None and isinstance(params.get("resources"), Resources):
        catalog = params["resources"].catalog
    label = file_label(Path(path), catalog) if path is not None else "?"
    return f"{verb}-{label}"


# Retried: it reads the inbox and writes the archive. Parsing and validation are pure.
@task(
    name="ingest-submission",
    task_run_name=lambda: _run_name("ingest"),
    retries=2,
    retry_delay_seconds=2,
    cache_policy=NO_CACHE,
)
def prepare(
    path: Path,
    catalog: Catalog,
    validator: SharedValidator,
    archive_dir: Path,
    known: Collection[str] = (),
    defer: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    policy: Mapping[str, FindingAction] = FIGURE_CELL_POLICY,
) -> PreparedFile:
    """Archive, parse and validate one file (no database): runs on any worker. With
    ``defer`` a township file's suites are left to ``validate_batch``."""
    prepared = prepare_file(
        path,
        catalog=catalog,
        validator=validator,
        archive_dir=archive_dir,
        known=known,
        defer=defer,
        limits=limits,
        policy=policy,
    )
    if prepared.refused is not None:
        get_run_logger().warning("%s：%s", IngestStatus.REFUSED.label, prepared.refused)
    elif prepared.parsed is None:
        log_stored(prepared)
    elif not prepared.pending:
        _log_prepared(prepared)
    return prepared


def log_stored(prepared: PreparedFile) -> None:
    """A file the store already has, only hashed: by its task, or by the flow before any
    (``jzplan.month.prepare.stored_already``)."""
    get_run_logger().info(
        "%s：已入库的文件（sha256 %s…）", prepared.path.name, prepared.sha256[:12]
    )


def _log_prepared(prepared: PreparedFile) -> None:
    assert prepared.parsed is not None
    errors = sum(1 for i in prepared.issues if i.severity == IssueSeverity.ERROR)
    get_run_logger().info(
        "%s：解析与校验完成（单位 %s，报告期 %s，错误 %d，规则 %d）",
        prepared.path.name,
        prepared.parsed.org_unit,
        prepared.parsed.period,
        errors,
        len(prepared.results),
    )


@task(name="validate-submissions", task_run_name="validate-files-{arrival}", cache_policy=NO_CACHE)
def validate_batch(
    prepared: list[PreparedFile], validator: SharedValidator, arrival: Period
) -> list[PreparedFile]:
    """The file suites of the batch's parsed township files, one GE validation per suite."""
    if not to_validate([p for p in prepared if p.pending]):
        return prepared
    checked = validate_prepared(prepared, validator)
    for before, after in zip(prepared, checked, strict=True):
        if before.pending:
            _log_prepared(after)
    return checked


# No retries: it runs inside the month's transaction, which is retried as a whole. One task
# for the batch's files (their history suites and loads), not one per file: they are one
# transaction, and a task run costs the server ~30 ms of CPU (issue 22)
@task(name="load-submissions", task_run_name="load-{arrival}", cache_policy=NO_CACHE)
def load_batch(
    prepared: list[PreparedFile],
    conn: Connection,
    resources: Resources,
    validator: SharedValidator,
    arrival: Period,
    received_at: datetime | None = None,
) -> LoadedFiles:
    """The batch's files loaded in the caller's transaction (``jzplan.month.runs.load_files``:
    each run of files that cannot change each other's history checked by the history suite
    against the store, then each file recorded and loaded, or rejected), each file's outcome
    logged; ``received_at`` the run's one receipt time (``jzplan.store.currency``)."""
    check, load = file_steps(resources, validator, arrival, received_at)

    def logged(p: PreparedFile, c: Connection, report: ValidationReport | None) -> IngestOutcome:
        outcome = load(p, c, report)
        _log_outcome(outcome)
        return outcome

    return load_files(conn, prepared, check, logged)


# loaded, but not the unit's current file: held, stale, or kept as a released month's correction
_NOT_CURRENT = (IngestStatus.HELD, IngestStatus.STALE, IngestStatus.PENDING_CORRECTION)


def _log_outcome(outcome: IngestOutcome) -> None:
    logger = get_run_logger()
    if outcome.status in (IngestStatus.REJECTED, IngestStatus.REFUSED):
        for message in outcome.messages:
            logger.warning(message)
    elif outcome.status in _NOT_CURRENT:  # why it is not current
        logger.warning(outcome.messages[-1])
    logger.info(
        "%s：%s（单位 %s，报告期 %s，错误 %d，警告 %d）",
        outcome.file,
        outcome.status.label,
        outcome.org_unit,
        outcome.period,
        outcome.errors,
        outcome.warnings,
    )
    if outcome.supersedes is not None:
        logger.info(
            "%s：更正报送，替代第 %d 号提交，%d 项数字有变动（见 submission_change）",
            outcome.file,
            outcome.supersedes,
            outcome.changes,
        )
