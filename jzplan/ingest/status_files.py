"""Small submissions besides the 月报: milestone and qualitative statuses (重点工作进展.csv) and
published rankings (排名.csv), both UTF-8 CSV files in the month's inbox folder.

重点工作进展.csv: 目标编号, 进展状态, 进展情况, 报送单位, 报送日期
排名.csv: 单位, 排名指标, 位次, 参评总数, 发布单位, 发布日期
"""

from __future__ import annotations

import csv
import hashlib
import io
import stat
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeVar

from jzplan.core.periods import Period
from jzplan.core.states import ReportedStatus
from jzplan.ingest.regular_files import read_regular
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan

STATUS_FILE = "重点工作进展.csv"
RANKING_FILE = "排名.csv"

# What an office may write in 进展状态 → stable code
REPORT_STATUSES: dict[str, ReportedStatus] = {
    "已完成": ReportedStatus.DONE,
    "正常推进": ReportedStatus.ON_TRACK,
    "进度偏慢": ReportedStatus.SLOW,
    "滞后": ReportedStatus.BEHIND,
    "未启动": ReportedStatus.NOT_STARTED,
}
REPORT_LABELS: dict[str, str] = {code: label for label, code in REPORT_STATUSES.items()}
STATUS_HEADER = ("目标编号", "进展状态", "进展情况", "报送单位", "报送日期")
RANKING_HEADER = ("单位", "排名指标", "位次", "参评总数", "发布单位", "发布日期")


@dataclass(frozen=True, slots=True)
class StatusReport:
    """One target's reported status for a month."""

    target_id: str
    period: str
    status: str  # a value of REPORT_STATUSES
    evidence: str | None = None
    reported_by: str | None = None
    reported_on: date | None = None


@dataclass(frozen=True, slots=True)
class Ranking:
    org_unit: str
    indicator: str
    period: str
    rank: int
    out_of: int | None = None
    published_by: str | None = None
    published_on: date | None = None


@dataclass(frozen=True, slots=True)
class ParsedStatusFile:
    """A parsed file: its rows and located Chinese errors (file, line, column)."""

    path: Path
    sha256: str
    period: Period
    reports: list[StatusReport] = field(default_factory=list)
    rankings: list[Ranking] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _date(text: str) -> date | None:
    text = text.strip().replace("/", "-")
    return date.fromisoformat(text) if text else None


def _rows(path: Path, header: tuple[str, ...]) -> tuple[list[dict[str, str]], list[str], str]:
    """The file's rows (values stripped), its errors and the sha256 of the bytes read."""
    data = read_regular(path)
    sha256 = hashlib.sha256(data).hexdigest()
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    missing = [h for h in header if h not in (reader.fieldnames or [])]
    if missing:
        return [], [f"{path.name}：缺少列 {'、'.join(missing)}"], sha256
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader], [], sha256


def parse_status_file(path: Path, period: Period, plan: Plan) -> ParsedStatusFile:
    """重点工作进展.csv of ``period``: one row per milestone or qualitative target."""
    rows, errors, sha256 = _rows(path, STATUS_HEADER)
    kinds = {t.id: t.kind for t in plan.targets}
    reports: list[StatusReport] = []
    for line, row in enumerate(rows, start=2):
        where = f"{path.name} 第{line}行"
        target_id, label = row["目标编号"], row["进展状态"]
        if kinds.get(target_id) not in ("milestone", "qualitative"):
            errors.append(f"{where}：目标编号“{target_id}”不是计划中的节点或定性目标")
            continue
        if label not in REPORT_STATUSES:
            allowed = "、".join(REPORT_STATUSES)
            errors.append(f"{where}：进展状态“{label}”应为 {allowed} 之一")
            continue
        try:
            reported_on = _date(row["报送日期"])
        except ValueError:
            errors.append(f"{where}：报送日期“{row['报送日期']}”不是有效日期")
            continue
        reports.append(
            StatusReport(
                target_id,
                str(period),
                REPORT_STATUSES[label],
                row["进展情况"] or None,
                row["报送单位"] or None,
                reported_on,
            )
        )
    return ParsedStatusFile(path, sha256, period, reports=reports, errors=errors)


def parse_ranking_file(path: Path, period: Period, catalog: Catalog) -> ParsedStatusFile:
    """排名.csv of ``period``: positions of org units on ranking indicators."""
    rows, errors, sha256 = _rows(path, RANKING_HEADER)
    by_name = {i.name: i.code for i in catalog.indicators.values() if i.group == "排名"}
    rankings: list[Ranking] = []
    for line, row in enumerate(rows, start=2):
        where = f"{path.name} 第{line}行"
        unit = catalog.unit_by_name(row["单位"])
        code = by_name.get(row["排名指标"]) or (
            row["排名指标"] if row["排名指标"] in by_name.values() else None
        )
        if unit is None:
            errors.append(f"{where}：单位“{row['单位']}”不在单位目录中")
            continue
        if code is None:
            errors.append(f"{where}：排名指标“{row['排名指标']}”不在指标目录中")
            continue
        try:
            rank = int(row["位次"])
            out_of = int(row["参评总数"]) if row["参评总数"] else None
            published_on = _date(row["发布日期"])
        except ValueError:
            errors.append(f"{where}：位次、参评总数或发布日期无法识别")
            continue
        if rank < 1 or (out_of is not None and rank > out_of):
            errors.append(f"{where}：位次 {rank} 不在 1 至 {out_of or '…'} 之间")
            continue
        rankings.append(
            Ranking(
                unit.code, code, str(period), rank, out_of, row["发布单位"] or None, published_on
            )
        )
    return ParsedStatusFile(path, sha256, period, rankings=rankings, errors=errors)


def discover_status_files(inbox_dir: Path, period: Period) -> tuple[Path | None, Path | None]:
    """The month's (status file, ranking file), each None when it did not arrive as a regular
    file (a symlink is refused by ``jzplan.ingest.inbox.scan_batch``, never followed)."""
    folder = inbox_dir / str(period)
    status, ranking = folder / STATUS_FILE, folder / RANKING_FILE
    return (status if is_regular(status) else None, ranking if is_regular(ranking) else None)


def is_regular(path: Path) -> bool:
    """``path`` is a regular file itself, not a symlink to one."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


_Row = TypeVar("_Row", StatusReport, Ranking)


def _year_to_date(rows: list[_Row], period: Period) -> list[_Row]:
    """The rows of ``period``'s year up to ``period``, oldest first."""
    return [
        r
        for r in sorted(rows, key=lambda r: r.period)
        if (p := Period.parse(r.period)).year == period.year and p <= period
    ]


def latest_reports(reports: list[StatusReport], period: Period) -> dict[str, StatusReport]:
    """Per target, the latest report of ``period``'s year up to ``period``."""
    return {r.target_id: r for r in _year_to_date(reports, period)}


def latest_rankings(rankings: list[Ranking], period: Period) -> dict[tuple[str, str], Ranking]:
    """Per (unit, indicator), the latest published position of the year up to ``period``."""
    return {(r.org_unit, r.indicator): r for r in _year_to_date(rankings, period)}
