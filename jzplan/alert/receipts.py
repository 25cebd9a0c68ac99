"""Receipts (回执): what became of one received file, addressed to the office that sent it and
written in its own terms — errors first (sheet, row, column, the indicator and the value in the
unit the office wrote), then the rows held as questions (待确认) with the closest names, then
warnings collapsed by code, then what to do. Plain functions: the monthly flow renders,
writes and queues them (``jzplan.month.receipts``)."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pandas as pd

from jzplan.core.markup import md_escape
from jzplan.core.periods import Period
from jzplan.core.states import IssueSeverity, MessageKind, ReceiptStatus
from jzplan.core.submissions import HeldRow, SubmissionIssue
from jzplan.reference.catalog import Catalog, UnitError, convert
from jzplan.store.office_messages import OfficeMessage

# Warnings of one code, collapsed to one line: "15 项应填指标未填"
WARNING_SUMMARIES = {
    "missing_indicator": "项应填指标未填",
    "mom_jump": "处环比变动超出本单位正常区间",
    "yoy_jump": "处同比变动超出本单位正常区间",
    "implausible_value": "处数值超出合理范围",
}
# Bytes of a receipt's file stem (file systems allow 255 bytes a name; the unit and .md too)
STEM_MAX_BYTES = 200
# Rules whose message quotes figures in the indicator's canonical unit (jzplan.validate.messages)
_LOCATED = re.compile(
    r"^(?P<head>.*?)（指标：(?P<name>[^，）]*)，数值：[^；）]*(?:；(?P<context>.*))?）$"
)


class Addressing(StrEnum):
    """How a receipt found its office: the unit the file names (填报单位), the unit in its file
    name, or the area office when neither can be read."""

    CONTENT = "content"
    FILE_NAME = "file_name"
    AREA = "area"


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    """One received file as the receipt needs it (``jzplan.month.receipts`` builds these).

    ``key``: the file's sha256 ('' for an entry not read); ``frame``: the parsed figures, for
    the values as written; ``messages``: findings given only as text (a bulk file's)."""

    file: str
    key: str
    arrival: Period
    loaded: bool  # its figures (or rows) are in the store
    org_unit: str | None = None
    period: str | None = None  # the period the file claims, as text
    issues: tuple[SubmissionIssue, ...] = ()
    questions: tuple[HeldRow, ...] = ()
    frame: pd.DataFrame | None = None
    partial: bool = False  # loaded, some rows left out (their errors in ``issues``)
    held: bool = False  # loaded, but a batch-mate of the same filing date disagrees (有待确认)
    correction: bool = False  # kept as a pending correction: its month is released (待更正)
    notes: tuple[str, ...] = ()  # e.g. held with a batch-mate, not taken (stale)
    messages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Receipt:
    file: str
    key: str
    arrival: Period
    org_unit: str  # the office it is addressed to
    unit_name: str
    addressing: Addressing
    status: ReceiptStatus
    title: str
    body: str  # Markdown

    @property
    def dedup_key(self) -> str:
        """A file's receipt is sent once: by its bytes, or by its name for an entry not read."""
        if self.key:
            return f"receipt:{self.key}"
        name = hashlib.sha256(self.file.encode("utf-8", "surrogatepass")).hexdigest()
        return f"receipt:{self.arrival}:name:{name}"

    def message(self) -> OfficeMessage:
        return OfficeMessage(self.dedup_key, MessageKind.RECEIPT, str(self.arrival),
                             self.org_unit, self.title, self.body, file_name=self.file)  # fmt: skip

    def path(self, receipts_dir: Path) -> Path:
        return receipt_path(receipts_dir, str(self.arrival), self.org_unit, self.file)


def receipt_path(receipts_dir: Path, period: str, org_unit: str, file: str) -> Path:
    """``<receipts_dir>/<period>/<unit>-<file stem>.md`` (the stem made safe as a file name)."""
    stem = re.sub(r"[\\/:*?\"<>|\x00-\x1f]", "_", Path(file).stem) or "file"
    while len(stem.encode("utf-8", "surrogatepass")) > STEM_MAX_BYTES:  # a name's limit: 255
        stem = stem[:-1]
    return receipts_dir / period / f"{org_unit}-{stem}.md"


def address(file: str, org_unit: str | None, catalog: Catalog) -> tuple[str, Addressing]:
    """The office a file's receipt goes to: the unit it names, else the (one) reporting unit
    whose name or code its file name contains, else the area office."""
    if org_unit is not None and org_unit in catalog.org_units:
        return org_unit, Addressing.CONTENT
    stem = Path(file).stem
    tokens = {t.upper() for t in re.split(r"[^0-9A-Za-z]+", stem) if t}
    named = {u.code for u in catalog.reporting_units if u.name in stem or u.code in tokens}
    if len(named) == 1:
        return named.pop(), Addressing.FILE_NAME
    return catalog.area.code, Addressing.AREA


def _fmt(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") if math.isfinite(value) else "—"


def where(sheet: str | None, row: int | None, column: str | None) -> str:
    """工作表「月报」第 12 行 D 列 (the parts known)."""
    parts = [f"工作表「{md_escape(sheet)}」" if sheet else "", f"第 {row} 行" if row else "",
             f"{md_escape(column)} 列" if column else ""]  # fmt: skip
    return " ".join(p for p in parts if p) or "整个文件"


@dataclass(frozen=True, slots=True)
class _Written:
    name: str
    value: float | None
    unit: str  # as written


def _written(
    frame: pd.DataFrame | None, issue: SubmissionIssue, catalog: Catalog
) -> _Written | None:
    """The figure an issue points at, as the office wrote it (from the parsed frame)."""
    if frame is None or frame.empty or issue.row is None or "row" not in frame:
        return None
    rows = frame[(frame["row"] == issue.row) & (frame["sheet"] == issue.sheet)]
    if rows.empty:
        return None
    r = rows.iloc[0]
    code = str(r["indicator"])
    name = catalog.indicators[code].name if code in catalog.indicators else code
    unit = str(r.get("unit") or "")
    raw = r.get("raw_unit")
    written = str(raw) if isinstance(raw, str) and raw.strip() else unit
    try:
        factor = convert(1.0, unit, written) if unit and written else 1.0
    except UnitError:
        factor, written = 1.0, unit
    value = r.get("value")
    v = None if value is None or pd.isna(value) else float(value) * factor
    return _Written(name, v, written)


def error_line(issue: SubmissionIssue, frame: pd.DataFrame | None, catalog: Catalog) -> str:
    """One error in the office's terms: where, the indicator and the value as written in its
    unit, and what was expected (the rule's figures converted to that unit)."""
    loc = where(issue.sheet, issue.row, issue.column)
    w = _written(frame, issue, catalog)
    m = _LOCATED.match(issue.message)
    if w is None or m is None:
        return f"{loc}：{md_escape(issue.message)}"
    unit = md_escape(w.unit)
    context = m.group("context") or ""  # the checks quote figures in the office's unit already
    value = f"，填写 {_fmt(w.value)} {unit}" if w.value is not None else ""
    tail = f"（{md_escape(context)}）" if context else ""
    return f"{loc}｜「{md_escape(w.name)}」{value}：{md_escape(m.group('head'))}{tail}"


def question_line(q: HeldRow) -> str:
    """One held row as written (name, figures in its unit), why it is held, the closest names."""
    unit = f" {md_escape(q.unit)}" if q.unit else ""
    figures = [f"累计 {md_escape(q.value)}{unit}" if q.value else "",
               f"本月 {md_escape(q.month)}{unit}" if q.month else ""]  # fmt: skip
    written = "，".join([f"「{md_escape(q.name)}」", *(f for f in figures if f)])
    hints = f"；最接近的指标：{'、'.join(md_escape(h) for h in q.hints)}" if q.hints else ""
    return f"{where(q.sheet, q.row, q.column)}｜{written}：{md_escape(q.message)}{hints}"


def warning_lines(warnings: Sequence[SubmissionIssue]) -> list[str]:
    """Warnings collapsed by code, in order of first appearance: one located line for a
    single warning, one counted line ("15 项应填指标未填") for several."""
    groups: dict[str, list[SubmissionIssue]] = {}
    for w in warnings:
        groups.setdefault(w.code, []).append(w)
    lines = []
    for code, group in groups.items():
        if len(group) == 1:
            w = group[0]
            lines.append(f"{where(w.sheet, w.row, w.column)}：{md_escape(w.message)}")
        elif code in WARNING_SUMMARIES:
            lines.append(f"{len(group)} {WARNING_SUMMARIES[code]}")
        else:
            first = group[0]
            at = where(first.sheet, first.row, first.column)
            lines.append(f"{len(group)} 处同类提示，如{at}：{md_escape(first.message)}")
    return lines


def receipt_status(f: ReceivedFile) -> ReceiptStatus:
    if not f.loaded:
        return ReceiptStatus.RETURNED
    if f.correction:
        return ReceiptStatus.CORRECTION
    if f.questions or f.held:
        return ReceiptStatus.QUESTIONS
    if f.partial:
        return ReceiptStatus.PARTIAL
    return ReceiptStatus.ACCEPTED


def _todo(status: ReceiptStatus, warned: bool) -> list[str]:
    if status == ReceiptStatus.RETURNED:
        return ["改正上述错误后，重新报送整个文件；本文件的数据均未入库。"]
    if status == ReceiptStatus.CORRECTION:
        return ["无需重新报送：区统计局审核更正、重新开放该月后即采用本文件的数字，"
                "该月报表随之出新版本。"]  # fmt: skip
    todo = []
    if status == ReceiptStatus.PARTIAL:
        todo.append("改正未入库的行后重新报送该文件；其余各行已入库。")
    if status == ReceiptStatus.QUESTIONS:
        todo.append("回复本回执，逐行说明待确认的行对应哪个指标（或注明舍弃）；"
                    "新区统计局答复后即入库，无需重新报送，其余数据已入库。")  # fmt: skip
    if warned:
        todo.append("核对提示项；如有误，改正后重新报送即可（以最后报送的文件为准）。")
    return todo or ["无需处理。"]


def render_receipt(f: ReceivedFile, catalog: Catalog) -> Receipt:
    """The receipt of one received file, addressed to its office."""
    unit, how = address(f.file, f.org_unit, catalog)
    unit_name = catalog.org_units[unit].name
    status = receipt_status(f)
    errors = [i for i in f.issues if i.severity == IssueSeverity.ERROR]
    warnings = [i for i in f.issues if i.severity == IssueSeverity.WARNING]
    title = f"【回执】{unit_name}｜{f.file}｜{status.label}"
    lines = [f"### {md_escape(title)}", "", f"**{status.label}**", "",
             f"- 报送单位：{md_escape(unit_name)}", f"- 文件：{md_escape(f.file)}",
             f"- 批次：{f.arrival.label}（{f.arrival}）"]  # fmt: skip
    if f.period and f.period != str(f.arrival):
        lines.append(f"- 文件所填报告期：{md_escape(f.period)}")
    if how == Addressing.FILE_NAME:
        lines.append(f"- 文件中的填报单位无法识别，本回执按文件名送达{md_escape(unit_name)}。")
    elif how == Addressing.AREA:
        lines.append("- 文件中的填报单位和文件名均无法识别报送单位，本回执送区统计局（目标办）。")
    lines += [f"- {md_escape(n)}" for n in f.notes]
    if errors or f.messages:
        heading = "未入库的行（须改正）" if f.loaded else "错误（须改正，文件已退回）"
        lines += ["", f"#### {heading}：{len(errors) + len(f.messages)} 处", ""]
        lines += [f"{n}. {error_line(e, f.frame, catalog)}" for n, e in enumerate(errors, 1)]
        lines += [f"{n}. {md_escape(m)}" for n, m in enumerate(f.messages, len(errors) + 1)]
    if f.questions:
        lines += ["", f"#### 待确认：{len(f.questions)} 行（未入库，其余数据已入库）", ""]
        lines += [f"{n}. {question_line(q)}" for n, q in enumerate(f.questions, 1)]
    collapsed = warning_lines(warnings)
    if collapsed:
        lines += ["", "#### 提示（不影响接收）", ""] + [f"- {w}" for w in collapsed]
    lines += ["", "#### 请您", ""] + [f"- {t}" for t in _todo(status, bool(collapsed))]
    return Receipt(f.file, f.key, f.arrival, unit, unit_name, how, status, title,
                   "\n".join(lines) + "\n")  # fmt: skip
