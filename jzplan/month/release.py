"""Releasing a month (审核发布) and reopening it: a named person releases a 待审核 month (its
figures become 正式, version N = releases so far + 1, and later files for it are kept as
pending corrections); reopening a released month makes it 待审核 again and applies its
pending corrections in arrival order — settled like any received file (filing date, then
receipt: ``jzplan.store.currency``) — then recomputes it and the later stored months of its
year, as a monthly run would. Each move is audited (``month_transition``); all under the
store's lock, in one transaction."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from jzplan.core.errors import OperatorError
from jzplan.core.periods import Period
from jzplan.core.states import IngestStatus, MonthAction, MonthState, month_move
from jzplan.month.loading import ingest_status
from jzplan.month.refresh import refresh_period
from jzplan.month.resources import Resources
from jzplan.month.runs import affected_periods
from jzplan.report.versions import VersionFiles, version_folder, write_version
from jzplan.store.corrections import pending_ids, stored_frame
from jzplan.store.lifecycle import accept_submission
from jzplan.store.locks import locked_transaction
from jzplan.store.models import SubmissionRow
from jzplan.store.month_states import (
    MAX_ACTOR,
    read_month,
    record_move,
    released_months,
)
from jzplan.store.periods import stored_periods
from jzplan.store.progress import read_progress


class MonthRefused(OperatorError):
    """A move the month's state does not allow, or a missing name: one Chinese line, a code."""


@dataclass(frozen=True, slots=True)
class Release:
    """A release: the month, its version, who released it, when, and the note — what a
    versioned report needs (``jzplan.report.versions``)."""

    period: Period
    version: int
    by: str
    at: datetime
    note: str
    # the version's reports (jzplan.report.versions); None for a month without target
    # progress, which has no report to keep
    files: VersionFiles | None = None


@dataclass(frozen=True, slots=True)
class AppliedCorrection:
    """A pending correction applied on reopening: what became of it (accepted, or stale or
    identical beside the current file, or held with it) and how many figures it changed."""

    submission_id: int
    file_name: str
    org_unit: str
    status: IngestStatus
    changes: int


@dataclass(frozen=True, slots=True)
class Reopening:
    period: Period
    by: str
    at: datetime
    reason: str
    state: MonthState  # after: 待审核 (or as it was, for a month held only by the window)
    applied: tuple[AppliedCorrection, ...]
    refreshed: tuple[Period, ...]
    locked: tuple[Period, ...]  # later months left alone: they are released


def _named(value: str, option: str, what: str, longest: int | None = None) -> str:
    """A name, note or reason given: not blank (and not too long), no control characters
    (they cannot go into the reports' workbook cells); MonthRefused else."""
    text = " ".join(value.split())
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        raise MonthRefused(
            f"{option.removeprefix('--')}_invalid",
            f"{option} 含有控制字符（如响铃、退格），请只写文字",
        )
    if not text or (longest is not None and len(text) > longest):
        most = f"（1–{longest} 个字符）" if longest is not None else ""
        code = f"{option.removeprefix('--')}_missing"
        raise MonthRefused(code, f"请用 {option} 写明{what}{most}")
    return text


def release_month(
    resources: Resources, period: Period, *, by: str, note: str, at: datetime
) -> Release:
    """Release a 待审核 month (audited); MonthRefused when it is 采集中 or already released."""
    by, note = _named(by, "--by", "发布人姓名", MAX_ACTOR), _named(note, "--note", "发布说明")
    timeout = resources.settings.lock_timeout_seconds
    with locked_transaction(resources.engine, timeout=timeout) as conn:
        before = read_month(conn, period)
        to = month_move(before.state, MonthAction.RELEASE)
        if before.state == MonthState.COLLECTING:
            raise MonthRefused(
                "month_not_produced",
                f"{period} 仍在采集中（尚未运行该月的 monthly-progress），不能发布：先运行 "
                f"jzplan run --period {period}",
            )
        if to is None:
            on = before.released_on(resources.settings.timezone)
            raise MonthRefused(
                "month_already_released",
                f"{period} 已于 {on} 由 {before.released_by} 发布"
                f"（第{before.version}版），不能再次发布；"
                f"如需更改，先 jzplan reopen --period {period}",
            )
        after = record_move(conn, before, MonthAction.RELEASE, to, actor=by, note=note, at=at)
        # the version's reports, written before the move commits: a failed write releases
        # nothing; a failed commit leaves a folder no release names, moved aside next time
        files = _write_release(resources, conn, period, after.version, by, note, at)
    return Release(period, after.version, by, at, note, files)


def _write_release(
    resources: Resources,
    conn: Connection,
    period: Period,
    version: int,
    by: str,
    note: str,
    at: datetime,
) -> VersionFiles | None:
    """Version ``version`` of the month's reports (``<report_dir>/<YYYY-MM>/v<N>/``). A
    ``v<N>`` the store has no release for (its commit failed after the files were written)
    is renamed ``.v<N>.unreleased-<time>`` first: it never became a version."""
    report_dir = resources.settings.report_dir
    if read_progress(conn, period).empty:  # figures but no targets tracked: no report
        return None
    orphan = version_folder(report_dir, period, version)
    if orphan.exists():
        orphan.rename(orphan.with_name(f".{orphan.name}.unreleased-{at:%Y%m%dT%H%M%S%f}"))
    return write_version(
        conn, resources.plan_of(period.year), resources.catalog, period, rules=resources.rules,
        version=version,
        by=by, note=note, at=at, report_dir=report_dir, timezone=resources.settings.timezone,
    )  # fmt: skip


def apply_correction(conn: Connection, submission_id: int) -> AppliedCorrection:
    """Settle one pending correction like a received file, from its stored figures."""
    accepted = accept_submission(conn, submission_id, stored_frame(conn, submission_id))
    name, unit = conn.execute(
        select(SubmissionRow.file_name, SubmissionRow.org_unit_code).where(
            SubmissionRow.id == submission_id
        )
    ).one()
    return AppliedCorrection(
        submission_id, str(name), str(unit), ingest_status(accepted.standing),
        len(accepted.changes),
    )  # fmt: skip


def reopen_month(
    resources: Resources, period: Period, *, by: str, reason: str, at: datetime
) -> Reopening:
    """Reopen a released month: 待审核 again (audited), its pending corrections applied in
    arrival order, it and the later stored months of its year recomputed (released later
    months excepted). A month that is not released but has corrections held by the window
    gets them applied the same way. MonthRefused otherwise."""
    by = _named(by, "--by", "重新开放人姓名", MAX_ACTOR)
    reason = _named(reason, "--reason", "重新开放的原因")
    plan = resources.plan_of(period.year)
    timeout = resources.settings.lock_timeout_seconds
    with locked_transaction(resources.engine, timeout=timeout) as conn:
        before = read_month(conn, period)
        pending = pending_ids(conn, period)
        to = month_move(before.state, MonthAction.REOPEN)
        if to is None and not pending:
            raise MonthRefused(
                "month_not_released",
                f"{period} 当前为{before.state.label}，未发布，也没有待更正的文件：无需重新开放",
            )
        after = record_move(
            conn, before, MonthAction.REOPEN, to or before.state, actor=by, note=reason, at=at
        )
        applied = tuple(apply_correction(conn, sid) for sid in pending)
        stored = stored_periods(conn, plan.year) if period.year == plan.year else []
        affected = affected_periods(period, [], stored)
        locked = released_months(conn, affected)
        refreshed = tuple(p for p in affected if p not in locked)
        # a unit's month a correction fills (未报 → 已报) is resolved at the latest month run,
        # as a late file's month is at its batch
        as_of = max([period, *stored])
        for p in refreshed:
            refresh_period(
                conn, catalog=resources.catalog, plan=plan, period=p,
                thresholds=resources.thresholds, as_of=as_of,
            )  # fmt: skip
    return Reopening(period, by, at, reason, after.state, applied, refreshed, tuple(sorted(locked)))
