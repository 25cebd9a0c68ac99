"""The stages of a monthly run as plain functions; every dependency is an argument.

``tasks/`` wraps these for Prefect (retries, names, artifacts); tests call them directly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from jzplan.alert.explanations import sync_validation_alerts
from jzplan.alert.rules import (
    as_records,
    missing_submission_alerts,
    rejected_submission_alerts,
    target_alerts,
)
from jzplan.core.periods import Period
from jzplan.core.submissions import ParsedSubmission, SubmissionIssue
from jzplan.ingest.bulk import PARQUET_MAGIC, is_bulk, read_bulk
from jzplan.ingest.form_parser import parse_submission
from jzplan.ingest.inbox import (
    FileMetadata,
    archive_file,
    sha256_of,
    source_path_of,
    write_metadata,
)
from jzplan.ingest.readers import ReadError, detect_format
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store import repo
from jzplan.store.bulk_load import find_bulk_file, load_bulk
from jzplan.store.db import Bind, transaction
from jzplan.store.lifecycle import accept_submission
from jzplan.track.aggregate import aggregate_period
from jzplan.track.history import load_history
from jzplan.track.progress import History, Thresholds, evaluate_targets
from jzplan.validate.batch import validate_files
from jzplan.validate.history_checks import OutlierSettings
from jzplan.validate.results import ValidationReport
from jzplan.validate.shared import FileValidator
from jzplan.validate.store_checks import (
    validate_against_store,
    validate_many_against_store,
    write_validation_documents,
)
from jzplan.validate.validator import SubmissionValidator


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What happened to one file: accepted, rejected or duplicate (seen before, byte for byte)."""

    file: str
    sha256: str
    submission_id: int
    status: str
    org_unit: str | None
    period: str | None
    errors: int = 0
    warnings: int = 0
    messages: tuple[str, ...] = ()
    rules_checked: int = 0
    rules_failed: int = 0
    inserted: int = 0
    updated: int = 0
    superseded: int = 0
    unchanged: int = 0
    changes: int = 0  # figures a correction changed (rows written to submission_change)
    supersedes: int | None = None  # the accepted submission this one replaced
    # A bulk file (jzplan.ingest.bulk): submission_id is 0; its units are submissions of their own
    bulk_file_id: int | None = None
    units: int = 0  # (unit, period) pairs in the bulk file
    units_rejected: int = 0
    units_unchanged: int = 0


@dataclass(frozen=True, slots=True)
class PreparedFile:
    """A file archived, parsed and validated, not yet written to the store.

    Preparing touches no database, so files can be prepared in parallel (threads or a Dask
    cluster) and then loaded one after another in the month's transaction.
    """

    path: Path
    sha256: str
    archive_path: Path | None = None
    parsed: ParsedSubmission | None = None
    issues: tuple[SubmissionIssue, ...] = ()
    results: tuple[dict[str, object], ...] = ()
    size_bytes: int | None = None
    file_format: str | None = None
    # Great Expectations' result documents of the file suites, stored with the submission
    documents: tuple[dict[str, object], ...] = ()
    # Positions (into parsed.frame) of rows failing an error rule: a bulk file rejects
    # exactly those rows' units and loads the others
    error_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # Parsed, its file suites left to ``validate_prepared`` with the batch's other files
    pending: bool = False


def prepare_file(
    path: Path,
    *,
    catalog: Catalog,
    validator: FileValidator,
    archive_dir: Path,
    known: Collection[str] = (),
    arrival: Period | None = None,
    defer: bool = False,
) -> PreparedFile:
    """Archive (with a metadata sidecar), parse and validate one file; a file whose sha256 is
    in ``known`` is only hashed. ``arrival`` defaults to the file's YYYY-MM folder.

    With ``defer``, a township file is only archived and parsed (``pending``): its file suites
    run in ``validate_prepared`` with the batch's other files (a bulk file is validated here)."""
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    if sha in known:
        return PreparedFile(path, sha)
    archived = archive_file(path, archive_dir, sha)
    try:
        file_format: str | None = detect_format(data, path.suffix)
    except ReadError:
        file_format = None
    meta = FileMetadata(
        sha256=sha,
        size_bytes=len(data),
        original_name=path.name,
        source_path=source_path_of(path),
        file_format=file_format,
        archived_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    write_metadata(archived, meta)
    bulk = is_bulk(data, path.suffix)
    if bulk:
        parsed = read_bulk(path, catalog, data=data, arrival=arrival)
        parsed.sha256 = sha
        file_format = "parquet" if data.startswith(PARQUET_MAGIC) else "csv"
    else:
        parsed = parse_submission(path, catalog, arrival=arrival, data=data)
    prepared = PreparedFile(
        path,
        sha,
        archived,
        parsed,
        tuple(parsed.issues),
        (),
        len(data),
        file_format,
        # a bulk file is validated even with bad cells: they reject their own units only
        pending=parsed.ok or (bulk and not parsed.frame.empty),
    )
    if not prepared.pending or (defer and not bulk):
        return prepared
    return _with_report(prepared, validator.validate(parsed))


def validate_prepared(
    prepared: Sequence[PreparedFile], validator: SubmissionValidator
) -> list[PreparedFile]:
    """The file suites of every ``pending`` file, run once for all of them
    (``jzplan.validate.batch``); each file's report is the one its own validation gives."""
    todo = [i for i, p in enumerate(prepared) if p.pending and p.parsed is not None]
    out = list(prepared)
    if not todo:
        return out
    parsed = [cast(ParsedSubmission, prepared[i].parsed) for i in todo]
    for i, report in zip(todo, validate_files(validator, parsed), strict=True):
        out[i] = _with_report(prepared[i], report)
    return out


def _with_report(prepared: PreparedFile, report: ValidationReport) -> PreparedFile:
    """``prepared`` with its file suites' report."""
    bulk = prepared.parsed is not None and prepared.parsed.bulk
    return replace(
        prepared,
        issues=prepared.issues + report.issues,
        results=tuple(r.as_row() for r in report.results),
        # GE's documents of a million-row file are not kept per unit (the results are)
        documents=() if bulk else report.documents,
        error_rows=np.asarray(report.error_rows, dtype=np.int64),
        pending=False,
    )


def history_groups(prepared: Sequence[PreparedFile]) -> list[list[PreparedFile]]:
    """The files in load order, cut into runs whose history suites may run together before
    any of them is loaded: no unit in two files of a run (a file's history is its unit's
    figures in the store, which an earlier file of the unit may change), a bulk file alone."""
    groups: list[list[PreparedFile]] = []
    units: set[object] = set()
    after_bulk = False
    for p in prepared:
        parsed = p.parsed
        bulk = parsed is not None and parsed.bulk
        mine: set[object] = set()
        if parsed is not None and not bulk:
            mine = {parsed.org_unit, *parsed.frame["org_unit"].unique().tolist()} - {None}
        if not groups or bulk or after_bulk or (mine & units):
            groups.append([p])
            units = mine
        else:
            groups[-1].append(p)
            units |= mine
        after_bulk = bulk
    return groups


def validate_history(
    bind: Bind,
    prepared: Sequence[PreparedFile],
    validator: SubmissionValidator,
    outlier: OutlierSettings | None = None,
) -> list[ValidationReport | None]:
    """The history suite of a run of ``history_groups`` against the store as it is now, run
    once for all its township files without an error; None for the others (a bulk file's runs
    when it is loaded). What ``load_prepared(..., against_store=)`` takes."""
    todo = [
        i
        for i, p in enumerate(prepared)
        if p.parsed is not None
        and not p.parsed.bulk
        and not any(x.severity == "error" for x in p.issues)
    ]
    out: list[ValidationReport | None] = [None] * len(prepared)
    parsed = [cast(ParsedSubmission, prepared[i].parsed) for i in todo]
    for i, report in zip(
        todo, validate_many_against_store(bind, parsed, validator, outlier), strict=True
    ):
        out[i] = report
    return out


def load_prepared(
    prepared: PreparedFile,
    *,
    bind: Bind,
    arrival: Period,
    received_at: datetime,
    validator: SubmissionValidator | None = None,
    outlier: OutlierSettings | None = None,
    against_store: ValidationReport | None = None,
) -> IngestOutcome:
    """Record and load (or reject) a prepared file in one transaction (the caller's when
    ``bind`` is a Connection in one). A file seen before, by sha256, is a no-op.

    With ``validator``, the history suite runs here, against the store as it is inside this
    transaction (a late or corrected earlier month loaded just before is already there);
    ``against_store`` is its report when ``validate_history`` ran it just before."""
    path, sha = prepared.path, prepared.sha256
    with transaction(bind) as conn:
        seen = repo.find_submission_by_sha(conn, sha)
        if seen is not None:
            return IngestOutcome(
                path.name, sha, seen.id, "duplicate", seen.org_unit_code, seen.period
            )
        bulk_id = find_bulk_file(conn, sha)
        if bulk_id is not None:
            return IngestOutcome(path.name, sha, 0, "duplicate", None, None, bulk_file_id=bulk_id)
        parsed = prepared.parsed
        if parsed is None:
            raise RuntimeError(f"{path.name}: prepared as already stored, but the store lacks it")
        if parsed.bulk:
            return _load_bulk(prepared, parsed, conn, arrival, received_at, validator, outlier)
        submission_id = repo.record_submission(
            conn,
            sha256=sha,
            file_name=path.name,
            archive_path=str(prepared.archive_path),
            arrival_period=str(arrival),
            received_at=received_at,
            org_unit=parsed.org_unit,
            period=_period_text(parsed.period),
            filed_on=parsed.filed_on,
            size_bytes=prepared.size_bytes,
            source_path=source_path_of(path),
            file_format=prepared.file_format,
        )
        issues = list(prepared.issues)
        results = list(prepared.results)
        documents = list(prepared.documents)
        if (
            against_store is None
            and validator is not None
            and not any(i.severity == "error" for i in issues)
        ):
            against_store = validate_against_store(conn, parsed, validator, outlier)
        if against_store is not None:
            issues.extend(against_store.issues)
            results.extend(r.as_row() for r in against_store.results)
            documents.extend(against_store.documents)
        write_validation_documents(conn, submission_id, documents)
        errors = [i for i in issues if i.severity == "error"]
        warnings = [i for i in issues if i.severity == "warning"]
        common = {
            "file": path.name,
            "sha256": sha,
            "submission_id": submission_id,
            "org_unit": parsed.org_unit,
            "period": _period_text(parsed.period),
            "errors": len(errors),
            "warnings": len(warnings),
            "messages": tuple(str(i) for i in issues),
            "rules_checked": len(results),
            "rules_failed": sum(1 for r in results if not r["success"]),
        }
        if errors:
            repo.reject_submission(conn, submission_id, issues)
            repo.write_validation_results(conn, submission_id, results)  # the passed rules too
            return IngestOutcome(status="rejected", **common)  # type: ignore[arg-type]
        accepted = accept_submission(conn, submission_id, parsed.frame, results)
        loaded = accepted.load
        return IngestOutcome(
            status="accepted",
            inserted=loaded.inserted,
            updated=loaded.updated,
            superseded=loaded.superseded,
            unchanged=loaded.unchanged,
            changes=len(accepted.changes),
            supersedes=accepted.superseded_id,
            **common,  # type: ignore[arg-type]
        )


def _load_bulk(
    prepared: PreparedFile,
    parsed: ParsedSubmission,
    conn: Connection,
    arrival: Period,
    received_at: datetime,
    validator: SubmissionValidator | None = None,
    outlier: OutlierSettings | None = None,
) -> IngestOutcome:
    """A bulk file: its units loaded or rejected one by one, in the caller's transaction;
    with ``validator``, the history suite first runs against the store as it is now."""
    path = prepared.path
    issues, results = list(prepared.issues), list(prepared.results)
    errors = [i for i in issues if i.severity == "error"]
    # a reading error or a table-level rule (no row to blame) rejects the whole file
    parsed_rows = {i.row for i in parsed.issues if i.severity == "error"}
    rowless = any(i.row is None for i in errors)
    bad_lines = [r for r in parsed_rows if r is not None]
    first_line = int(parsed.frame["row"].iloc[0]) if len(parsed.frame) else 0
    error_rows = np.union1d(
        prepared.error_rows, np.asarray(bad_lines, dtype=np.int64) - first_line
    ).astype(np.int64)
    if validator is not None and not (rowless or parsed.frame.empty):
        against_store = validate_against_store(conn, parsed, validator, outlier)
        issues.extend(against_store.issues)
        results.extend(r.as_row() for r in against_store.results)
        error_rows = np.union1d(error_rows, against_store.error_rows).astype(np.int64)
        errors = [i for i in issues if i.severity == "error"]
    loaded = load_bulk(
        conn,
        sha256=prepared.sha256,
        file_name=path.name,
        archive_path=str(prepared.archive_path),
        arrival_period=str(arrival),
        received_at=received_at,
        frame=parsed.frame,
        error_rows=error_rows,
        issues=issues,
        file_rejected=rowless or parsed.frame.empty,
        results=results,
        size_bytes=prepared.size_bytes,
        source_path=source_path_of(path),
        file_format=prepared.file_format,
    )
    return IngestOutcome(
        file=path.name,
        sha256=prepared.sha256,
        submission_id=0,
        status="accepted" if loaded.loaded or loaded.unchanged else "rejected",
        org_unit=None,
        period=_period_text(parsed.period),
        errors=len(errors),
        warnings=sum(1 for i in issues if i.severity == "warning"),
        messages=tuple(str(i) for i in issues[:50]),
        rules_checked=len(results),
        rules_failed=sum(1 for r in results if not r["success"]),
        inserted=loaded.inserted,
        superseded=loaded.superseded,
        bulk_file_id=loaded.bulk_file_id,
        units=loaded.units,
        units_rejected=loaded.rejected,
        units_unchanged=loaded.unchanged,
    )


def _period_text(period: Period | None) -> str | None:
    """A parsed file's period as the store and the outcome write it."""
    return None if period is None else str(period)


def ingest_file(
    path: Path,
    *,
    engine: Bind,
    catalog: Catalog,
    validator: SubmissionValidator,
    archive_dir: Path,
    arrival: Period,
    received_at: datetime,
) -> IngestOutcome:
    """Archive, parse, validate and load (or reject) one file in one transaction.

    A file seen before is a no-op.
    """
    sha = sha256_of(path)
    seen = repo.find_submission_by_sha(engine, sha) or find_bulk_file(engine, sha)
    known = {sha} if seen is not None else set()
    prepared = prepare_file(
        path,
        catalog=catalog,
        validator=validator,
        archive_dir=archive_dir,
        known=known,
        arrival=arrival,
    )
    return load_prepared(
        prepared, bind=engine, arrival=arrival, received_at=received_at, validator=validator
    )


@dataclass(slots=True)
class PeriodOutcome:
    period: str
    aggregates: dict[str, int]
    progress: dict[str, int] = field(default_factory=dict)
    alerts: dict[str, int] = field(default_factory=dict)
    missing_units: list[str] = field(default_factory=list)
    progress_frame: pd.DataFrame | None = None
    # what the evaluation read (the plan's units): the month's report reads the same
    history: History | None = None


def refresh_aggregates(engine: Bind, *, catalog: Catalog, period: Period) -> dict[str, int]:
    """The period's totals at every level of the hierarchy, from its current figures;
    returns the rewrite's inserted, updated, deleted and unchanged counts."""
    p = str(period)
    return repo.write_aggregates(
        engine, p, aggregate_period(repo.period_values(engine, p), catalog)
    )


def evaluate_period(
    engine: Bind, *, catalog: Catalog, plan: Plan, period: Period, thresholds: Thresholds
) -> tuple[dict[str, int], pd.DataFrame]:
    """Every target of the plan at ``period``, stored; the write's counts and the frame."""
    counts, progress, _ = _evaluate(engine, catalog, plan, period, thresholds)
    return counts, progress


def _evaluate(
    engine: Bind, catalog: Catalog, plan: Plan, period: Period, thresholds: Thresholds
) -> tuple[dict[str, int], pd.DataFrame, History]:
    history = load_history(engine, period, units={t.scope for t in plan.targets})
    progress = evaluate_targets(plan, catalog, period, history, thresholds)
    return repo.write_progress(engine, str(period), progress), progress, history


def refresh_tracking(
    engine: Bind, *, catalog: Catalog, plan: Plan, period: Period, thresholds: Thresholds
) -> dict[str, int]:
    """``evaluate_period`` without the frame: what the benchmark times as "evaluate"."""
    counts, _ = evaluate_period(
        engine, catalog=catalog, plan=plan, period=period, thresholds=thresholds
    )
    return counts


def refresh_period(
    engine: Bind,
    *,
    catalog: Catalog,
    plan: Plan | None,
    period: Period,
    thresholds: Thresholds,
    as_of: Period | None = None,
) -> PeriodOutcome:
    """Recompute a period from the current submissions: totals, target progress, alerts.

    ``as_of`` is the batch being processed: a missing or rejected submission of ``period``
    that a later batch brings is resolved at that batch, not at ``period``.
    """
    p = str(period)
    outcome = PeriodOutcome(p, refresh_aggregates(engine, catalog=catalog, period=period))

    submitted = repo.submitted_units(engine, p)
    reporting = [u.code for u in catalog.reporting_units]
    outcome.missing_units = [u for u in reporting if u not in submitted]
    on_time = missing_submission_alerts(p, reporting, submitted, catalog)
    on_time += rejected_submission_alerts(
        p, repo.rejected_submissions(engine, p), submitted, catalog
    )
    suffix = f":{p}"
    counts = repo.sync_alerts(
        engine,
        str(max(as_of or period, period)),
        as_records(on_time),
        scope_kinds={"missing_submission", "rejected_submission"},
        in_scope=lambda key: key.endswith(suffix),
    )
    warned = sync_validation_alerts(
        engine, catalog=catalog, period=p, as_of=str(max(as_of or period, period))
    )
    counts = {k: counts[k] + warned[k] for k in counts}
    if plan is not None and period.year == plan.year:
        outcome.progress, progress, outcome.history = _evaluate(
            engine, catalog, plan, period, thresholds
        )
        outcome.progress_frame = progress
        assessed = period.month >= thresholds.alert_from_month
        status_counts = repo.sync_alerts(
            engine,
            p,
            as_records(target_alerts(progress, plan, catalog) if assessed else []),
            scope_kinds={"target_status", "milestone_overdue"},
        )
        counts = {k: counts[k] + status_counts[k] for k in counts}
    outcome.alerts = counts
    return outcome
