"""A run's summary as the console's lines: what ``jzplan run``, ``deadline``, ``backfill`` and
``make demo`` print for the statistics office (units by name, statuses in words, where to look),
not the flow's return value as Python writes a dict."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from jzplan.core.periods import Period
from jzplan.core.states import IngestStatus, TargetStatus, UnitMonthStatus
from jzplan.reference.catalog import Catalog

# the keys of a write's or an alert sync's counts (jzplan.store, jzplan.alert.lifecycle)
_COUNT_LABELS = {
    "inserted": "新增", "updated": "更新", "deleted": "删除", "unchanged": "未变",
    "opened": "新增", "reopened": "重新打开", "resolved": "解除",
}  # fmt: skip

# files a reader need not look at again: stored now, or stored before
_SETTLED = frozenset({IngestStatus.ACCEPTED, IngestStatus.DUPLICATE})


def unit_names(catalog: Catalog, codes: Iterable[str]) -> str:
    """Units by name (苏家作乡、李万街道), 无 when none: what a reader of the console knows."""
    return "、".join(_name(catalog, u) for u in codes) or "无"


def _name(catalog: Catalog, code: str) -> str:
    unit = catalog.org_units.get(code)
    return unit.name if unit is not None else code


def monthly_line(catalog: Catalog, period: Period, summary: Mapping[str, Any]) -> str:
    """A monthly run's line: files, the units missing, returned or with questions open (by
    name), the targets' status counts in the fixed order."""
    s = summary
    counts = s.get("status_counts") or {}
    # TargetStatus order, as count_statuses lists them (a summary stored before it may not)
    status = "，".join(f"{k.label} {counts[k]}" for k in TargetStatus if k in counts)
    missing = unit_names(catalog, s.get("missing_units") or [])
    for standing in (UnitMonthStatus.RETURNED, UnitMonthStatus.QUESTIONS):
        units = [u for u, st in (s.get("unit_months") or {}).items() if st == standing]
        if units:
            missing += f"；{standing.label} {unit_names(catalog, units)}"
    return (
        f"monthly-{period}：文件 {s['files']}，接收 {s['accepted']}，退回 {s['rejected']}，"
        f"重复 {s['duplicates']}，重算 {'、'.join(s['recomputed']) or '无'}；未报 {missing}"
        + (f"；{status}" if status else "")
    )


def file_lines(summary: Mapping[str, Any]) -> list[str]:
    """One line per file the office or the operator must look at (every status but 已接收 and
    重复): the file, its status in words, and the codes of its findings."""
    lines = []
    for outcome in summary.get("outcomes") or []:
        status = IngestStatus(outcome["status"])
        if status in _SETTLED:
            continue
        codes = "、".join(outcome.get("codes") or [])
        lines.append(f"  {outcome['file']}：{status.label}" + (f"（{codes}）" if codes else ""))
    return lines


def run_lines(catalog: Catalog, period: Period, summary: Mapping[str, Any]) -> list[str]:
    """What ``jzplan run`` prints when the month is done: its line, the files to look at, the
    released months it left alone, and where the month's reports, checks and receipts are."""
    lines = [monthly_line(catalog, period, summary)]
    files = file_lines(summary)
    if files:
        lines += ["需处理的文件（原因见各文件的回执）：", *files]
    if summary.get("locked"):
        lines.append(f"已发布、本次未重算：{'、'.join(summary['locked'])}")
    for label, key in (("HTML 月报", "report"), ("Excel 报表", "workbook")):
        if summary.get(key):
            lines.append(f"{label}：{summary[key]}")
    if summary.get("data_docs"):
        lines.append(f"校验结果（Data Docs）：{summary['data_docs']}")
    written = (summary.get("receipts") or {}).get("written")
    if written is not None:
        lines.append(f"回执：{written} 份")
    return lines


def deadline_line(catalog: Catalog, summary: Mapping[str, Any]) -> str:
    """A deadline check's line: the month, its deadline and the units still missing, by name."""
    late = unit_names(catalog, summary.get("missing_units") or [])
    due = datetime.fromisoformat(summary["due"]).strftime("%Y-%m-%d %H:%M")
    return f"deadline-{summary['period']}：截止 {due}，未报 {late}"


def counts_text(counts: Mapping[str, int]) -> str:
    """A write's counts in words, in their own order: 新增 79，更新 0，删除 0，未变 0."""
    return "，".join(f"{_COUNT_LABELS.get(k, k)} {n}" for k, n in counts.items()) or "无"
