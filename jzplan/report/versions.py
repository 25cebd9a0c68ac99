"""Released versions of a month's reports: ``<report_dir>/<YYYY-MM>/v<N>/`` holds version N's
HTML, workbook, Markdown, briefing (文字分析 .docx) and ``snapshot.json``, written once and
never overwritten; the month's ``index.html`` lists the versions (版本历史). The folders
are the record: ``list_versions`` reads them, no table does."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jzplan.alert.explanations import KIND as VALIDATION_ALERT
from jzplan.core.errors import OperatorError
from jzplan.core.files import write_atomic
from jzplan.core.markup import md_escape, visible
from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.report.briefing import build_briefing
from jzplan.report.briefing_render import briefing_path, write_briefing_docx
from jzplan.report.data import read_report_data
from jzplan.report.html import FONT_STACK, environment, write_report
from jzplan.report.markdown import monthly_report
from jzplan.report.snapshot import (
    SNAPSHOT_FILE,
    MonthSnapshot,
    VersionMeta,
    alerts_open_at,
    parse_snapshot,
    snapshot_json,
    snapshot_month,
)
from jzplan.report.versions_diff import (
    MonthChanges,
    VersionHeader,
    change_rows,
    changes_markdown,
    month_changes,
)
from jzplan.report.workbook import write_workbook
from jzplan.store.alerts import read_alerts
from jzplan.store.db import Bind
from jzplan.store.unit_months import unit_statuses
from jzplan.validate.rules import Rules

HISTORY_FILE = "index.html"
DEFAULT_TIMEZONE = "Asia/Shanghai"
_VERSION_DIR = re.compile(r"^v([1-9][0-9]*)$")
_FOLDER_MODE = 0o755


@dataclass(frozen=True, slots=True)
class VersionFiles:
    """What ``write_version`` wrote (or found already written, the same): the version's
    folder, its files, the month's history page, and the changes from the version before
    (None for version 1)."""

    folder: Path
    html: Path
    workbook: Path
    markdown: Path
    snapshot: Path
    history: Path
    briefing: Path
    changes: MonthChanges | None


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """A released version as its folder records it."""

    period: Period
    number: int
    released_by: str
    released_at: str  # ISO 8601, as given to write_version
    note: str
    folder: Path
    html: Path
    workbook: Path
    markdown: Path
    snapshot: Path
    briefing: Path  # absent from a version released before the briefing existed


def month_folder(report_dir: Path, period: Period) -> Path:
    return report_dir / str(period)


def version_folder(report_dir: Path, period: Period, number: int) -> Path:
    return month_folder(report_dir, period) / f"v{number}"


def version_file_names(period: Period, number: int) -> dict[str, str]:
    """The names of version ``number``'s files: html, workbook, markdown, snapshot, briefing."""
    stem = f"progress-{period}-v{number}"
    return {
        "html": f"{stem}.html",
        "workbook": f"{stem}.xlsx",
        "markdown": f"{stem}.md",
        "snapshot": SNAPSHOT_FILE,
        "briefing": briefing_path(Path(stem)).name,
    }


def local_time(moment: datetime, timezone: str = DEFAULT_TIMEZONE) -> str:
    """``YYYY-MM-DD HH:MM`` in the office's time zone (a naive time is taken as already so)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(timezone))
    return moment.strftime("%Y-%m-%d %H:%M")


def one_line(text: str) -> str:
    """A note as one line: its line breaks as spaces."""
    return " ".join(text.split("\n")).replace("\r", "")


def version_heading(meta: VersionMeta, timezone: str = DEFAULT_TIMEZONE) -> str:
    """正式（第N版，张三 于 2013-07-06 10:00 发布）"""
    when = local_time(meta.moment, timezone)
    return f"正式（第{meta.number}版，{one_line(meta.released_by)} 于 {when} 发布）"


def read_version_snapshot(report_dir: Path, period: Period, number: int) -> MonthSnapshot:
    """Version ``number``'s ``snapshot.json`` (FileNotFoundError when there is none)."""
    path = version_folder(report_dir, period, number) / SNAPSHOT_FILE
    return parse_snapshot(path.read_text(encoding="utf-8"))


def _info(folder: Path, period: Period, snapshot: MonthSnapshot) -> VersionInfo | None:
    meta = snapshot.version
    if meta is None or snapshot.period != period or folder.name != f"v{meta.number}":
        return None
    names = version_file_names(period, meta.number)
    return VersionInfo(
        period=period, number=meta.number, released_by=meta.released_by,
        released_at=meta.released_at, note=meta.note, folder=folder,
        html=folder / names["html"], workbook=folder / names["workbook"],
        markdown=folder / names["markdown"], snapshot=folder / names["snapshot"],
        briefing=folder / names["briefing"],
    )  # fmt: skip


def list_versions(report_dir: Path, period: Period) -> list[VersionInfo]:
    """The month's released versions, oldest first (the last is the current one), read from
    the ``v<N>`` folders; a folder without its snapshot (or not a version's) is left out."""
    month = month_folder(report_dir, period)
    if not month.is_dir():
        return []
    out = []
    for folder in month.iterdir():
        if not _VERSION_DIR.match(folder.name) or not folder.is_dir():
            continue
        try:
            snapshot = parse_snapshot((folder / SNAPSHOT_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        info = _info(folder, period, snapshot)
        if info is not None:
            out.append(info)
    return sorted(out, key=lambda v: v.number)


def is_version_path(path: Path, report_dir: Path) -> bool:
    """Whether ``path`` is (or is inside) a version folder ``<report_dir>/<YYYY-MM>/v<N>``."""
    try:
        parts = path.resolve().relative_to(report_dir.resolve()).parts
    except ValueError:
        return False
    return len(parts) >= 2 and bool(_VERSION_DIR.match(parts[1]))


def render_history(
    period: Period, versions: list[VersionInfo], timezone: str = DEFAULT_TIMEZONE
) -> str:
    """The month's 版本历史 page: each version, who released it, when, the note and links
    (relative to the month's folder); the highest marked 当前版本."""
    rows = []
    for v in sorted(versions, key=lambda v: v.number, reverse=True):
        base = f"v{v.number}/"
        rows.append(
            {
                "number": v.number,
                "by": visible(one_line(v.released_by)),
                "at": local_time(datetime.fromisoformat(v.released_at), timezone),
                "note": visible(one_line(v.note)),
                "links": [
                    ("HTML 月报", base + v.html.name),
                    ("Excel 报表", base + v.workbook.name),
                    ("Markdown", base + v.markdown.name),
                    *([("文字分析", base + v.briefing.name)] if v.briefing.is_file() else []),
                    ("数据快照", base + v.snapshot.name),
                ],
                "current": v.number == max(x.number for x in versions),
            }
        )
    return (
        environment()
        .get_template("versions.html.j2")
        .render(
            title=f"{period.label}目标进度月报 · 版本历史",
            period=str(period),
            versions=rows,
            font_stack=FONT_STACK,
        )
    )


def write_history(
    report_dir: Path, period: Period, timezone: str = DEFAULT_TIMEZONE
) -> Path | None:
    """Rewrite ``<report_dir>/<YYYY-MM>/index.html`` from the version folders (None, nothing
    written, when the month has no version)."""
    versions = list_versions(report_dir, period)
    if not versions:
        return None
    path = month_folder(report_dir, period) / HISTORY_FILE
    return write_atomic(path, render_history(period, versions, timezone))


def _files(
    folder: Path, period: Period, number: int, history: Path, changes: MonthChanges | None
) -> VersionFiles:
    names = version_file_names(period, number)
    return VersionFiles(
        folder=folder, html=folder / names["html"], workbook=folder / names["workbook"],
        markdown=folder / names["markdown"], snapshot=folder / names["snapshot"],
        history=history, briefing=folder / names["briefing"], changes=changes,
    )  # fmt: skip


def _exists(period: Period, number: int, folder: Path) -> OperatorError:
    return OperatorError(
        "version_exists",
        f"{period} 第{number}版已存在（{folder}），已发布的版本不会被覆盖；"
        f"再次发布请写第{number + 1}版",
    )


def _write_files(
    bind: Bind, plan: Plan, catalog: Catalog, rules: Rules, snapshot: MonthSnapshot,
    folder: Path, header: VersionHeader, changes: MonthChanges | None,
) -> None:  # fmt: skip
    """The version's five files into ``folder``."""
    period = snapshot.period
    assert snapshot.version is not None
    names = version_file_names(period, snapshot.version.number)
    try:
        data = read_report_data(bind, plan, catalog, period, rules=rules)
    except LookupError as exc:
        raise OperatorError("no_progress", str(exc)) from None
    # the alerts as the snapshot has them: open at the month's end, not whatever is open now
    alerts = alerts_open_at(read_alerts(bind), period)
    warnings = alerts[alerts["kind"] == VALIDATION_ALERT].reset_index(drop=True)
    data = replace(data, open_alerts=alerts, warnings=warnings)
    briefing = build_briefing(data, plan, catalog)
    write_report(data, plan, catalog, folder / names["html"], version=header, briefing=briefing)
    write_workbook(
        bind, plan, catalog, period, folder / names["workbook"], progress=data.progress,
        facts_now=data.facts, facts_then=data.facts_last_year, version=header,
        notes=data.plan_notes, briefing=briefing,
    )  # fmt: skip
    write_briefing_docx(briefing, folder / names["briefing"])
    units = [u.code for u in catalog.reporting_units_in(period)]
    standings = {u: um.status for u, um in unit_statuses(bind, units, period).items()}
    preface = [f"**{md_escape(header.heading)}**"]
    if header.note:
        preface.append(f"\n发布说明：{md_escape(header.note)}")
    if changes is not None:
        preface.append("\n" + changes_markdown(changes))
    markdown = monthly_report(
        plan, catalog, period, data.progress, standings, data.open_alerts,
        preface="\n".join(preface), notes=data.plan_notes,
    )  # fmt: skip
    write_atomic(folder / names["markdown"], markdown)
    write_atomic(folder / names["snapshot"], snapshot_json(snapshot))


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_version(
    bind: Bind,
    plan: Plan,
    catalog: Catalog,
    period: Period,
    *,
    rules: Rules,
    version: int,
    by: str,
    note: str,
    at: datetime,
    report_dir: Path,
    timezone: str = DEFAULT_TIMEZONE,
) -> VersionFiles:
    """Write version ``version`` of the stored month into ``<report_dir>/<YYYY-MM>/v<N>/``
    (its HTML, workbook and Markdown headed 正式（第N版，…）, from version 2 on with the
    change section against ``v<N-1>/snapshot.json``, its briefing and ``snapshot.json``),
    then rewrite the month's history page.

    The folder appears whole or not at all (written beside it under a temporary name, then
    renamed). An existing ``v<N>`` is never overwritten: the same release written again (an
    identical snapshot.json, metadata included) returns its files; anything else is refused
    (``version_exists``). Version N > 1 needs ``v<N-1>`` (``version_missing``). ``rules``:
    the relations the plan is checked against, for the notes of its contradictions."""
    if version < 1:
        raise OperatorError("bad_version", f"版本号须为正整数，收到 {version}")
    meta = VersionMeta(number=version, released_by=by, released_at=at.isoformat(), note=note)
    snapshot = replace(snapshot_month(bind, plan, catalog, period), version=meta)
    text = snapshot_json(snapshot)
    month = month_folder(report_dir, period)
    final = version_folder(report_dir, period, version)
    changes: MonthChanges | None = None
    if version > 1:
        try:
            previous = read_version_snapshot(report_dir, period, version - 1)
        except FileNotFoundError:
            raise OperatorError(
                "version_missing",
                f"{period} 没有第{version - 1}版（{final.parent / f'v{version - 1}'}），"
                f"不能发布第{version}版",
            ) from None
        changes = month_changes(previous, snapshot)
    if final.exists():
        written = final / SNAPSHOT_FILE
        if written.is_file() and written.read_text(encoding="utf-8") == text:
            history = write_history(report_dir, period, timezone)
            assert history is not None
            return _files(final, period, version, history, changes)
        raise _exists(period, version, final)
    header = VersionHeader(
        heading=version_heading(meta, timezone),
        note=one_line(note),
        changes=None if changes is None else change_rows(changes),
    )
    month.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=month, prefix=f".v{version}.", suffix=".tmp"))
    try:
        _write_files(bind, plan, catalog, rules, snapshot, staging, header, changes)
        staging.chmod(_FOLDER_MODE)
        try:
            # rename(2) refuses a non-empty target: a version written meanwhile stays
            os.rename(staging, final)
        except OSError:
            raise _exists(period, version, final) from None
        _fsync_dir(month)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    history = write_history(report_dir, period, timezone)
    assert history is not None
    return _files(final, period, version, history, changes)
