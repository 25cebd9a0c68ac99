"""Small submissions besides the 月报: milestone and qualitative statuses (重点工作进展.csv) and
published rankings (排名.csv), CSV files in the month's inbox folder (UTF-8 or GB18030/GBK, as
a form's CSV is decoded).

重点工作进展.csv: 目标编号, 进展状态, 进展情况, 报送单位, 报送日期
排名.csv: 单位, 排名指标, 位次, 参评总数, 发布单位, 发布日期

A file is read as a table first (``read_status_table``: its own header, extra columns and
another order allowed, blank rows skipped); a ``TableCheck`` (the GE suites,
``jzplan.validate.status_checks``) then says which rows it holds and whether it refuses the
file, and the parser's own checks below see only the rows it let through (every row, where no
check is given), so a fault is reported once. A bad row gets a located issue (file, row,
column, code) and is left out; the rest of the file is read. Limits are checked before the
database sees a value: 位次 and 参评总数 within 1..RANK_LIMIT, text columns within the
store's column lengths (passed in by the caller, read from the store's models:
``jzplan.store.tracking``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import stat
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Protocol, TypeVar

from jzplan.core.periods import Period
from jzplan.core.states import ReportedStatus, StatusFileKind, StatusFileOutcome
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
HEADERS = {StatusFileKind.PROGRESS: STATUS_HEADER, StatusFileKind.RANKING: RANKING_HEADER}
FILE_NAMES = {StatusFileKind.PROGRESS: STATUS_FILE, StatusFileKind.RANKING: RANKING_FILE}
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
class StatusTable:
    """A status file read as text: its own header, its rows (values stripped, keyed by the
    file's column names, blank rows skipped) with their line numbers, and what kept it from
    being read at all (an encoding its header does not show in, a CSV error)."""

    path: Path
    kind: StatusFileKind
    sha256: str
    size: int
    columns: tuple[str, ...] = ()
    rows: tuple[dict[str, str], ...] = ()
    lines: tuple[int, ...] = ()
    issues: tuple[SubmissionIssue, ...] = ()

    @property
    def header(self) -> tuple[str, ...]:
        """The columns the file must have."""
        return HEADERS[self.kind]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(h for h in self.header if h not in self.columns)


@dataclass(frozen=True, slots=True)
class TableFindings:
    """What the checks found in a ``StatusTable``: located issues, the lines held out, whether
    the file is refused whole, and one result per rule ({rule, severity, success, checked,
    failed, details}) for the store."""

    issues: tuple[SubmissionIssue, ...] = ()
    held: frozenset[int] = frozenset()
    refused: bool = False
    results: tuple[dict[str, Any], ...] = ()
    # sha256 of everything the suite's outcome depends on (``StatusChecker``): a file checked
    # clean once under the same digest need not be run through GE again
    checked_with: str | None = None


class TableCheck(Protocol):
    """The rules a table is held to before its rows are read (the GE suites:
    ``jzplan.validate.status_checks``)."""

    def __call__(self, table: StatusTable) -> TableFindings: ...


@dataclass(frozen=True, slots=True)
class ParsedStatusFile:
    """A parsed file: its rows and located Chinese errors (file, line, column)."""

    path: Path
    sha256: str
    period: Period
    reports: list[StatusReport] = field(default_factory=list)
    rankings: list[Ranking] = field(default_factory=list)
    issues: list[SubmissionIssue] = field(default_factory=list)
    kind: StatusFileKind = StatusFileKind.PROGRESS
    size: int = 0
    rows: int = 0  # data rows in the file
    refused: bool = False  # nothing of it is loaded
    results: tuple[dict[str, Any], ...] = ()  # the suites' rule results
    checked_with: str | None = None  # TableFindings.checked_with

    @property
    def errors(self) -> list[str]:
        return [str(i) for i in self.issues]

    @property
    def loaded(self) -> int:
        return len(self.reports) + len(self.rankings)

    @property
    def outcome(self) -> StatusFileOutcome:
        """Rejected when unreadable or not one row is good: the month's stored rows stay."""
        if self.refused or (self.rows and not self.loaded):
            return StatusFileOutcome.REJECTED
        return StatusFileOutcome.PARTIAL if self.issues else StatusFileOutcome.ACCEPTED


def parse_date(text: str) -> date | None:
    """报送日期 or 发布日期: YYYY-MM-DD or YYYY/MM/DD, None when empty; ValueError otherwise."""
    text = text.strip().replace("/", "-")
    return date.fromisoformat(text) if text else None


def row_issue(
    path: Path, line: int, column: str | None, code: str, message: str
) -> SubmissionIssue:
    return SubmissionIssue(code, message, file=path.name, row=line, column=column, rule=code)


def read_status_table(path: Path, kind: StatusFileKind, data: bytes | None = None) -> StatusTable:
    """``path`` (or its ``data``, the bytes already read) as a table, decoded as forms are:
    UTF-8 or GB18030 (GBK), whichever shows the header's labels."""
    data = read_regular(path) if data is None else data
    table = StatusTable(path, kind, hashlib.sha256(data).hexdigest(), len(data))
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        return table  # an empty file: no header, no rows
    try:
        text, _ = decode_text(data, labels=table.header)
    except EncodingError as exc:
        labels = "、".join(table.header)
        message = (
            f"文件编码无法识别：按 UTF-8、GB18030 解码都找不到表头（{labels}），"
            "请另存为 UTF-8 或 GBK 编码的 CSV"
        )
        return replace(table, issues=(SubmissionIssue(exc.code, message, path.name, row=1),))
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    try:
        columns = [c.strip() for c in next(reader, [])]
        for values in reader:
            row = {c: (v or "").strip() for c, v in zip(columns, values, strict=False) if c}
            if any(row.values()):  # rows of empty cells (Excel saves them) hold nothing
                rows.append(row | {c: "" for c in columns if c and c not in row})
                lines.append(reader.line_num)
    except csv.Error as exc:  # a field past csv.field_size_limit(), a NUL byte
        message = f"第 {reader.line_num} 行无法读取（{exc}），整个文件未读入"
        issue = SubmissionIssue("unreadable_file", message, path.name, row=reader.line_num)
        return replace(table, issues=(issue,))
    return replace(
        table, columns=tuple(dict.fromkeys(c for c in columns if c)), rows=tuple(rows),
        lines=tuple(lines),
    )  # fmt: skip


def own_checks(table: StatusTable) -> TableFindings:
    """The parser's own file-level checks, where no suite runs: columns present, a data row."""
    if table.missing:
        return TableFindings((missing_columns(table),), refused=True)
    if not table.rows:
        message = "文件中没有数据行（只有表头），未读入；本月已入库的内容保持不变"
        issue = SubmissionIssue("empty_status_file", message, table.path.name, row=1)
        return TableFindings((issue,), refused=True)
    return TableFindings()


def missing_columns(table: StatusTable) -> SubmissionIssue:
    message = f"缺少列 {'、'.join(table.missing)}"
    if not table.columns:
        message = f"文件为空或没有表头行：{message}"
    return SubmissionIssue(
        "missing_columns", message, table.path.name, row=1, rule="missing_columns"
    )


def _checked(table: StatusTable, check: TableCheck | None) -> TableFindings:
    if table.issues:  # unreadable: nothing for a suite to see
        return TableFindings(table.issues, refused=True)
    return own_checks(table) if check is None else check(table)


def _start(
    path: Path, kind: StatusFileKind, period: Period, check: TableCheck | None,
    data: bytes | None,
) -> tuple[StatusTable, TableFindings, ParsedStatusFile]:  # fmt: skip
    """A status file read as a table and checked: the table, what the checks found, and the
    parsed file so far (its rows still to add, unless ``refused``)."""
    table = read_status_table(path, kind, data)
    found = _checked(table, check)
    out = ParsedStatusFile(
        path, table.sha256, period, issues=list(found.issues), kind=table.kind,
        size=table.size, rows=len(table.rows), refused=found.refused, results=found.results,
        checked_with=found.checked_with,
    )  # fmt: skip
    return table, found, out


def shown(text: str, width: int = 24) -> str:
    """A value as a message quotes it: cut to ``width`` characters."""
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
            message = f"{column}“{shown(value)}”有 {len(value)} 个字符，超过上限 {limit} 个"
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
        message = f"{column}“{shown(text)}”不是整数"
        return None, row_issue(path, line, column, "not_an_integer", message)
    # compared as text first: int() of a 5,000-digit string is refused, and slow before that
    if len(text.lstrip("0")) > len(str(RANK_LIMIT)) or not 1 <= int(text) <= RANK_LIMIT:
        message = f"{column} {shown(text)} 不在 1 至 {RANK_LIMIT} 之间"
        return None, row_issue(path, line, column, "rank_out_of_range", message)
    return int(text), None


def duplicate_issues(
    path: Path, keyed: Sequence[tuple[int, tuple[str, ...]]], column: str, code: str, what: str
) -> list[SubmissionIssue]:
    """One issue per row whose key another row of ``keyed`` (the rows otherwise good: a row
    left out for its own fault conflicts with none) repeats; every such row is left out,
    which of them is right, the office says."""
    count = Counter(key for _, key in keyed)
    return [
        row_issue(path, line, column, code, f"{what}“{shown('、'.join(key))}”在本文件中重复出现")
        for line, key in keyed
        if count[key] > 1
    ]


def _kept(table: StatusTable, found: TableFindings) -> list[tuple[int, dict[str, str]]]:
    return [(n, r) for n, r in zip(table.lines, table.rows, strict=True) if n not in found.held]


def parse_status_file(
    path: Path, period: Period, plan: Plan, *, lengths: Mapping[str, int],
    check: TableCheck | None = None, data: bytes | None = None,
) -> ParsedStatusFile:  # fmt: skip
    """重点工作进展.csv of ``period``: one row per milestone or qualitative target.

    ``lengths``: the longest text each StatusReport field may hold (the store's columns).
    ``check``: the suites; their issues are the ones reported, and the parser's own checks
    below only see the rows they let through (without ``check``, they see every row)."""
    table, found, out = _start(path, StatusFileKind.PROGRESS, period, check, data)
    if found.refused:
        return out
    kinds = {t.id: t.kind for t in plan.targets}
    good: list[tuple[int, StatusReport]] = []
    for line, row in _kept(table, found):
        target_id, label = row["目标编号"], row["进展状态"]
        issues = text_issues(path, line, row, STATUS_TEXT_COLUMNS, lengths)
        if kinds.get(target_id) not in ("milestone", "qualitative"):
            message = f"目标编号“{shown(target_id)}”不是计划中的节点或定性目标"
            issues.append(row_issue(path, line, "目标编号", "unknown_target", message))
        if label not in REPORT_STATUSES:
            message = f"进展状态“{shown(label)}”应为 {'、'.join(REPORT_STATUSES)} 之一"
            issues.append(row_issue(path, line, "进展状态", "unknown_status", message))
        try:
            reported_on = parse_date(row["报送日期"])
        except ValueError:
            message = f"报送日期“{shown(row['报送日期'])}”不是有效日期"
            issues.append(row_issue(path, line, "报送日期", "bad_date", message))
        out.issues.extend(issues)
        if not issues:
            evidence, reported_by = row["进展情况"] or None, row["报送单位"] or None
            report = StatusReport(
                target_id, str(period), REPORT_STATUSES[label], evidence, reported_by, reported_on
            )
            good.append((line, report))
    keyed = [(n, (r.target_id,)) for n, r in good]
    dup = duplicate_issues(path, keyed, "目标编号", "duplicate_target", "目标编号")
    out.issues.extend(dup)
    out.reports.extend(r for n, r in good if n not in {i.row for i in dup})
    return out


def ranking_codes(catalog: Catalog, row: Mapping[str, str]) -> tuple[str | None, str | None]:
    """A ranking row's (unit code, indicator code): the unit by name, the indicator (of the
    catalog's 排名 group) by name or code; None where not found."""
    by_name = {i.name: i.code for i in catalog.indicators.values() if i.group == "排名"}
    unit = catalog.unit_by_name(row.get("单位", ""))
    name = row.get("排名指标", "")
    code = by_name.get(name) or (name if name in by_name.values() else None)
    return (None if unit is None else unit.code), code


def parse_ranking_file(
    path: Path, period: Period, catalog: Catalog, *, lengths: Mapping[str, int],
    check: TableCheck | None = None, data: bytes | None = None,
) -> ParsedStatusFile:  # fmt: skip
    """排名.csv of ``period``: positions of org units on ranking indicators.

    ``lengths``: the longest text each Ranking field may hold (the store's columns);
    ``check``: as for ``parse_status_file``."""
    table, found, out = _start(path, StatusFileKind.RANKING, period, check, data)
    if found.refused:
        return out
    good: list[tuple[int, Ranking]] = []
    for line, row in _kept(table, found):
        unit, code = ranking_codes(catalog, row)
        issues = _ranking_row_issues(path, line, row, lengths, unit, code)
        out.issues.extend(issues)
        if issues or unit is None or code is None:
            continue
        rank, out_of = int(row["位次"]), int(row["参评总数"]) if row["参评总数"] else None
        published_by, published_on = row["发布单位"] or None, parse_date(row["发布日期"])
        ranking = Ranking(unit, code, str(period), rank, out_of, published_by, published_on)
        good.append((line, ranking))
    keyed = [(n, (r.org_unit, r.indicator)) for n, r in good]
    dup = duplicate_issues(path, keyed, "排名指标", "duplicate_ranking", "单位与排名指标")
    out.issues.extend(dup)
    out.rankings.extend(r for n, r in good if n not in {i.row for i in dup})
    return out


def _ranking_row_issues(
    path: Path, line: int, row: Mapping[str, str], lengths: Mapping[str, int],
    unit: str | None, code: str | None,
) -> list[SubmissionIssue]:  # fmt: skip
    """The parser's own checks of one ranking row."""
    found = text_issues(path, line, row, RANKING_TEXT_COLUMNS, lengths)
    if unit is None:
        message = f"单位“{shown(row['单位'])}”不在单位目录中"
        found.append(row_issue(path, line, "单位", "unknown_unit", message))
    if code is None:
        message = f"排名指标“{shown(row['排名指标'])}”不在指标目录中"
        found.append(row_issue(path, line, "排名指标", "unknown_indicator", message))
    rank, bad_rank = count_value(path, line, row, "位次")
    out_of, bad_out_of = count_value(path, line, row, "参评总数")
    found += [i for i in (bad_rank, bad_out_of) if i is not None]
    if rank is None and bad_rank is None:
        found.append(row_issue(path, line, "位次", "missing_value", "位次未填写"))
    elif rank is not None and out_of is not None and rank > out_of:
        message = f"位次 {rank} 大于参评总数 {out_of}"
        found.append(row_issue(path, line, "位次", "rank_past_total", message))
    try:
        parse_date(row["发布日期"])
    except ValueError:
        message = f"发布日期“{shown(row['发布日期'])}”不是有效日期"
        found.append(row_issue(path, line, "发布日期", "bad_date", message))
    return found


def parse_of_kind(
    kind: StatusFileKind, path: Path, period: Period, plan: Plan, catalog: Catalog, *,
    lengths: Mapping[str, int], check: TableCheck | None = None, data: bytes | None = None,
) -> ParsedStatusFile:  # fmt: skip
    """``parse_status_file`` or ``parse_ranking_file``, as ``kind`` says."""
    if kind == StatusFileKind.PROGRESS:
        return parse_status_file(path, period, plan, lengths=lengths, check=check, data=data)
    return parse_ranking_file(path, period, catalog, lengths=lengths, check=check, data=data)


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
