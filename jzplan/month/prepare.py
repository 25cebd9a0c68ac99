"""Preparing a month's files: archive, parse and validate, touching no database, so files can
be prepared in parallel and then loaded one after another (``jzplan.month.loading``)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import cast

import numpy as np
from sqlalchemy.exc import SQLAlchemyError

from jzplan.core.limits import DEFAULT_LIMITS, Limits
from jzplan.core.periods import Period
from jzplan.core.states import IssueSeverity
from jzplan.core.submissions import ParsedSubmission, SubmissionIssue
from jzplan.ingest.bulk import PARQUET_MAGIC, is_bulk, read_bulk
from jzplan.ingest.cell_policy import FIGURE_CELL_POLICY, FindingAction
from jzplan.ingest.form_parser import parse_submission
from jzplan.ingest.inbox import archive_received, source_path_of
from jzplan.ingest.readers import ReadError, detect_format
from jzplan.ingest.regular_files import InboxRefusal, escape_name, read_regular
from jzplan.reference.catalog import Catalog
from jzplan.store.db import Bind
from jzplan.store.models import BulkFileRow, SubmissionRow, text_lengths
from jzplan.validate.batch import validate_files
from jzplan.validate.history_checks import OutlierSettings
from jzplan.validate.results import ValidationReport
from jzplan.validate.shared import FileValidator, SharedValidator, Suites
from jzplan.validate.store_checks import validate_many_against_store
from jzplan.validate.validator import SubmissionValidator

# The code of a file rejected because the program failed on it (not the file's fault alone)
INTERNAL_ERROR = "internal_error"


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
    # Not read: the entry turned out not to be a regular file (the inbox is a boundary)
    refused: SubmissionIssue | None = None


# The names a file's row keeps (column → how the office calls it): checked against the store's
# column lengths before the database sees them
STORED_NAMES = {"file_name": "文件名", "source_path": "收件路径", "archive_path": "存档路径"}


def stored_names(path: Path, archived: Path | None) -> dict[str, str]:
    """What a file's submission (or bulk-file) row records of its names."""
    names = {"file_name": path.name, "source_path": source_path_of(path)}
    return names | ({"archive_path": str(archived)} if archived is not None else {})


def name_issues(
    path: Path, archived: Path | None, lengths: Mapping[str, int]
) -> list[SubmissionIssue]:
    """``text_too_long`` for each name longer than its store column: the file is rejected
    with this reason, nothing is cut short without one."""
    issues = []
    for column, value in stored_names(path, archived).items():
        limit = lengths.get(column)
        if limit is not None and len(value) > limit:
            message = f"{STORED_NAMES[column]}有 {len(value)} 个字符，超过上限 {limit} 个"
            issues.append(
                SubmissionIssue("text_too_long", message, file=path.name,
                                column=STORED_NAMES[column], rule="text_too_long")
            )  # fmt: skip
    return issues


def fitted(value: str, limit: int | None) -> str:
    """``value`` as a column of ``limit`` characters can hold it: shortened, marked with …,
    only for a file already rejected for it by ``name_issues``."""
    return value if limit is None or len(value) <= limit else value[: limit - 1] + "…"


def row_lengths(bulk: bool) -> dict[str, int]:
    """The store's column lengths of a form's (submission) or a bulk file's row."""
    return text_lengths(BulkFileRow if bulk else SubmissionRow)


def prepare_file(
    path: Path,
    *,
    catalog: Catalog,
    validator: FileValidator,
    archive_dir: Path,
    known: Collection[str] = (),
    arrival: Period | None = None,
    defer: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    policy: Mapping[str, FindingAction] = FIGURE_CELL_POLICY,
) -> PreparedFile:
    """Archive (with a metadata sidecar), parse and validate one file; a file whose sha256 is
    in ``known`` is only hashed. ``arrival`` defaults to the file's YYYY-MM folder. A path
    that is not a regular file when opened (swapped for a symlink since listed) is ``refused``.

    With ``defer``, a township file is only archived and parsed (``pending``): its file suites
    run in ``validate_prepared`` with the batch's other files (a bulk file is validated here).
    A file past ``limits.max_bytes_for`` its suffix is refused unread; any other limit rejects
    it with its located reason (``jzplan.core.limits``). ``policy`` says what each finding in
    a form's row does (``jzplan.ingest.cell_policy``)."""
    try:
        data = read_regular(path, limits.max_bytes_for(path.suffix))
    except InboxRefusal as refusal:
        return PreparedFile(path, "", refused=refusal.issue(escape_name(source_path_of(path))))
    sha = hashlib.sha256(data).hexdigest()
    if sha in known:
        return PreparedFile(path, sha)
    try:
        file_format: str | None = detect_format(data, path.suffix)
    except ReadError:
        file_format = None
    _, archived = archive_received(path, data, archive_dir, file_format, sha)
    try:
        return _parse_and_validate(
            PreparedFile(path, sha, archived, size_bytes=len(data), file_format=file_format),
            data, catalog, validator, arrival, defer, limits, policy,
        )  # fmt: skip
    except Exception as exc:  # a crash on one file rejects that file, not the month
        return crashed(PreparedFile(path, sha, archived, size_bytes=len(data),
                                    file_format=file_format), exc)  # fmt: skip


# A file up to this size (a form: tens of KB) is hashed before any task starts, so a stored one
# starts none; a larger one (a bulk file) is hashed by its own task, which reads it anyway
HASHED_FIRST_BYTES = 8 << 20


def stored_already(
    paths: Sequence[Path], known: Collection[str], limits: Limits = DEFAULT_LIMITS
) -> dict[Path, PreparedFile]:
    """The files of ``paths`` the store already has (their sha256 in ``known``), each as
    ``prepare_file`` would return it, found by hashing the small ones (``HASHED_FIRST_BYTES``).
    A re-run of a month then starts no task for a file it has. Any file not found here, or
    that cannot be read as a regular file, is left to ``prepare_file`` (which refuses it with
    its reason, or reads it)."""
    found: dict[Path, PreparedFile] = {}
    if not known:
        return found
    for path in paths:
        try:
            if path.lstat().st_size > HASHED_FIRST_BYTES:
                continue
            data = read_regular(path, limits.max_bytes_for(path.suffix))
        except (InboxRefusal, OSError):
            continue
        sha = hashlib.sha256(data).hexdigest()
        if sha in known:
            found[path] = PreparedFile(path, sha)
    return found


def crashed(prepared: PreparedFile, exc: Exception) -> PreparedFile:
    """``prepared`` rejected with ``internal_error``: parsing or validating it raised ``exc``
    (a bug or an input nothing foresaw); the file keeps its submission row and this reason."""
    path = prepared.path
    issue = SubmissionIssue(
        INTERNAL_ERROR,
        f"处理本文件时程序出错（{type(exc).__name__}），文件已存档、未入库：请联系系统管理员",
        file=escape_name(path.name),
    )
    parsed = ParsedSubmission(path=path, sha256=prepared.sha256, org_unit=None, period=None)
    parsed.issues.append(issue)
    return replace(prepared, parsed=parsed, issues=(issue,), pending=False)


def _parse_and_validate(
    base: PreparedFile,
    data: bytes,
    catalog: Catalog,
    validator: FileValidator,
    arrival: Period | None,
    defer: bool,
    limits: Limits = DEFAULT_LIMITS,
    policy: Mapping[str, FindingAction] = FIGURE_CELL_POLICY,
) -> PreparedFile:
    """Parse an archived file and, unless deferred, run its file suites."""
    path, sha, archived = base.path, base.sha256, base.archive_path
    file_format = base.file_format
    bulk = is_bulk(data, path.suffix)
    too_long = name_issues(path, archived, row_lengths(bulk))
    if bulk:
        parsed = read_bulk(path, catalog, data=data, arrival=arrival, limits=limits)
        parsed.sha256 = sha
        file_format = "parquet" if data.startswith(PARQUET_MAGIC) else "csv"
    else:
        parsed = parse_submission(
            path, catalog, arrival=arrival, data=data, limits=limits, policy=policy
        )
    prepared = PreparedFile(
        path,
        sha,
        archived,
        parsed,
        (*parsed.issues, *too_long),
        (),
        len(data),
        file_format,
        # a bulk file is validated even with bad cells: they reject their own units only
        pending=not too_long and (parsed.ok or (bulk and not parsed.frame.empty)),
    )
    if not prepared.pending or (defer and not bulk):
        return prepared
    return _with_report(prepared, validator.validate(parsed))


def to_validate(prepared: Sequence[PreparedFile]) -> bool:
    """Whether any file has parsed content a suite could check: a file already stored (by
    sha256) or refused unread has none, and a run of only those builds no validator."""
    return any(p.parsed is not None for p in prepared)


def validate_prepared(prepared: Sequence[PreparedFile], validator: Suites) -> list[PreparedFile]:
    """The file suites of every ``pending`` file, run once for all of them
    (``jzplan.validate.batch``); each file's report is the one its own validation gives."""
    todo = [i for i, p in enumerate(prepared) if p.pending and p.parsed is not None]
    out = list(prepared)
    if not todo:
        return out
    parsed = [cast(ParsedSubmission, prepared[i].parsed) for i in todo]
    try:
        reports = validator.call(validate_files, parsed)
    except Exception:  # one file crashes the batch's suites: each file on its own, below
        for i in todo:
            try:
                report = validator.call(_file_suites, parsed[todo.index(i)])
                out[i] = _with_report(prepared[i], report)
            except Exception as exc:
                out[i] = crashed(prepared[i], exc)
        return out
    for i, report in zip(todo, reports, strict=True):
        out[i] = _with_report(prepared[i], report)
    return out


def _file_suites(validator: SubmissionValidator, parsed: ParsedSubmission) -> ValidationReport:
    """One file's own validation (what ``validate_prepared`` falls back to)."""
    return validator.validate(parsed)


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


def history_reports(
    bind: Bind,
    prepared: Sequence[PreparedFile],
    validator: SharedValidator,
    outlier: OutlierSettings | None = None,
) -> list[ValidationReport | None]:
    """``validate_history`` with the run's shared validator (here or in its helper), only when
    some file has parsed content: a run of stored or refused files needs no GE context."""
    if not to_validate(prepared):
        return [None] * len(prepared)
    return validate_history(bind, prepared, validator, outlier)


def validate_history(
    bind: Bind,
    prepared: Sequence[PreparedFile],
    validator: Suites,
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
        and not any(x.severity == IssueSeverity.ERROR for x in p.issues)
    ]
    out: list[ValidationReport | None] = [None] * len(prepared)
    parsed = [cast(ParsedSubmission, prepared[i].parsed) for i in todo]
    try:
        reports = validate_many_against_store(bind, parsed, validator, outlier)
    except SQLAlchemyError:
        raise  # the month's transaction fails with its real cause
    except Exception:  # a crash on one file: each file's suite runs as it is loaded instead
        return out
    for i, report in zip(todo, reports, strict=True):
        out[i] = report
    return out
