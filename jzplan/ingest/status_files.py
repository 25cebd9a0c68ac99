"""Small submissions besides the 月报: milestone and qualitative statuses (重点工作进展.csv) and
published rankings (排名.csv), both UTF-8 CSV files in the month's inbox folder.

重点工作进展.csv: 目标编号, 进展状态, 进展情况, 报送单位, 报送日期
排名.csv: 单位, 排名指标, 位次, 参评总数, 发布单位, 发布日期

A bad row gets a located issue (file, row, column, code) and is left out; the rest of the
file is read. Limits are checked here, before the database sees a value: 位次 and 参评总数
within 1..RANK_LIMIT, text columns within the store's column lengths (passed in by the
caller, read from the store's models: ``jzplan.store.tracking``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeVar

from jzplan.core.periods import Period
from jzplan.core.states import ReportedStatus
from jzplan.core.submissions import SubmissionIssue
from jzplan.ingest.readers import EncodingError, decode_text
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
# Free-text columns → the field (and store column) they fill; their lengths are the store's
STATUS_TEXT_COLUMNS = {"进展情况": "evidence", "报送单位": "reported_by"}
RANKING_TEXT_COLUMNS = {"发布单位": "published_by"}
# Largest 位次 and 参评总数 accepted. No published ranking has a million participants, and
# every backend's integer column holds it: a larger number is a typing error (3,000,000,000
# would otherwise be stored as 第3e+09位 on SQLite, 1e20 overflow). A house limit, not a setting.
RANK_LIMIT = 1_000_000


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
    issues: list[SubmissionIssue] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [str(i) for i in self.issues]


def _date(text: str) -> date | None:
    text = text.strip().replace("/", "-")
    return date.fromisoformat(text) if text else None


def row_issue(
    path: Path, line: int, column: str | None, code: str, message: str
) -> SubmissionIssue:
    return SubmissionIssue(code, message, file=path.name, row=line, column=column, rule=code)


def _rows(
    path: Path, header: tuple[str, ...]
) -> tuple[list[dict[str, str]], list[SubmissionIssue], str]:
    """The file's rows (values stripped), its issues and the sha256 of the bytes read."""
    data = read_regular(path)
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        # decoded as forms are: UTF-8 or GB18030 (GBK), whichever shows the header's labels
        text, _ = decode_text(data, labels=header)
    except EncodingError as exc:
        return [], [SubmissionIssue(exc.code, exc.message, file=path.name, row=1)], sha256
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [h for h in header if h not in (reader.fieldnames or [])]
    if missing:
        issue = SubmissionIssue(
            "missing_columns", f"缺少列 {'、'.join(missing)}", file=path.name, row=1
        )
        return [], [issue], sha256
    try:
        rows = [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
    except csv.Error as exc:  # a field past csv.field_size_limit(), a NUL byte
        message = f"第 {reader.line_num} 行无法读取（{exc}），整个文件未读入"
        issue = SubmissionIssue("unreadable_file", message, file=path.name, row=reader.line_num)
        return [], [issue], sha256
    return rows, [], sha256


def _shown(text: str, width: int = 24) -> str:
    return text if len(text) <= width else text[:width] + "…"


def text_issues(
    path: Path, line: int, row: Mapping[str, str], columns: Mapping[str, str],
    lengths: Mapping[str, int],
) -> list[SubmissionIssue]:  # fmt: skip
    """``text_too_long`` for each free-text column longer than its store column: nothing is
    cut short, the row is left out."""
    issues = []
    for column, name in columns.items():
        limit, value = lengths.get(name), row.get(column, "")
        if limit is not None and len(value) > limit:
            message = f"{column}“{_shown(value)}”有 {len(value)} 个字符，超过上限 {limit} 个"
            issues.append(row_issue(path, line, column, "text_too_long", message))
    return issues


def count_value(
    path: Path, line: int, row: Mapping[str, str], column: str
) -> tuple[int | None, SubmissionIssue | None]:
    """A 位次 or 参评总数: a whole number within 1..RANK_LIMIT (None when left empty)."""
    text = row.get(column, "")
    if not text:
        return None, None
    if not text.isdecimal():
        message = f"{column}“{_shown(text)}”不是整数"
        return None, row_issue(path, line, column, "not_an_integer", message)
    # compared as text first: int() of a 5,000-digit string is refused, and slow before that
    if len(text.lstrip("0")) > len(str(RANK_LIMIT)) or not 1 <= int(text) <= RANK_LIMIT:
        message = f"{column} {_shown(text)} 不在 1 至 {RANK_LIMIT} 之间"
        return None, row_issue(path, line, column, "rank_out_of_range", message)
    return int(text), None


def parse_status_file(
    path: Path, period: Period, plan: Plan, *, lengths: Mapping[str, int]
) -> ParsedStatusFile:
    """重点工作进展.csv of ``period``: one row per milestone or qualitative target.

    ``lengths``: the longest text each StatusReport field may hold (the store's columns)."""
    rows, issues, sha256 = _rows(path, STATUS_HEADER)
    kinds = {t.id: t.kind for t in plan.targets}
    reports: list[StatusReport] = []
    for line, row in enumerate(rows, start=2):
        target_id, label = row["目标编号"], row["进展状态"]
        found = text_issues(path, line, row, STATUS_TEXT_COLUMNS, lengths)
        if kinds.get(target_id) not in ("milestone", "qualitative"):
            message = f"目标编号“{_shown(target_id)}”不是计划中的节点或定性目标"
            found.append(row_issue(path, line, "目标编号", "unknown_target", message))
        if label not in REPORT_STATUSES:
            message = f"进展状态“{_shown(label)}”应为 {'、'.join(REPORT_STATUSES)} 之一"
            found.append(row_issue(path, line, "进展状态", "unknown_status", message))
        try:
            reported_on = _date(row["报送日期"])
        except ValueError:
            message = f"报送日期“{_shown(row['报送日期'])}”不是有效日期"
            found.append(row_issue(path, line, "报送日期", "bad_date", message))
        if found:
            issues += found
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
    return ParsedStatusFile(path, sha256, period, reports=reports, issues=issues)


def parse_ranking_file(
    path: Path, period: Period, catalog: Catalog, *, lengths: Mapping[str, int]
) -> ParsedStatusFile:
    """排名.csv of ``period``: positions of org units on ranking indicators.

    ``lengths``: the longest text each Ranking field may hold (the store's columns)."""
    rows, issues, sha256 = _rows(path, RANKING_HEADER)
    by_name = {i.name: i.code for i in catalog.indicators.values() if i.group == "排名"}
    rankings: list[Ranking] = []
    for line, row in enumerate(rows, start=2):
        found = text_issues(path, line, row, RANKING_TEXT_COLUMNS, lengths)
        unit = catalog.unit_by_name(row["单位"])
        code = by_name.get(row["排名指标"]) or (
            row["排名指标"] if row["排名指标"] in by_name.values() else None
        )
        if unit is None:
            message = f"单位“{_shown(row['单位'])}”不在单位目录中"
            found.append(row_issue(path, line, "单位", "unknown_unit", message))
        if code is None:
            message = f"排名指标“{_shown(row['排名指标'])}”不在指标目录中"
            found.append(row_issue(path, line, "排名指标", "unknown_indicator", message))
        rank, bad_rank = count_value(path, line, row, "位次")
        out_of, bad_out_of = count_value(path, line, row, "参评总数")
        found += [i for i in (bad_rank, bad_out_of) if i is not None]
        if rank is None and bad_rank is None:
            found.append(row_issue(path, line, "位次", "missing_value", "位次未填写"))
        elif rank is not None and out_of is not None and rank > out_of:
            message = f"位次 {rank} 大于参评总数 {out_of}"
            found.append(row_issue(path, line, "位次", "rank_out_of_range", message))
        try:
            published_on = _date(row["发布日期"])
        except ValueError:
            message = f"发布日期“{_shown(row['发布日期'])}”不是有效日期"
            found.append(row_issue(path, line, "发布日期", "bad_date", message))
        if found or unit is None or code is None or rank is None:
            issues += found
            continue
        rankings.append(
            Ranking(
                unit.code, code, str(period), rank, out_of, row["发布单位"] or None, published_on
            )
        )
    return ParsedStatusFile(path, sha256, period, rankings=rankings, issues=issues)


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
