"""Command-line parts of a month's release (审核发布): ``jzplan release`` and ``jzplan reopen``
move a month (audited), ``jzplan corrections`` lists the files kept as pending corrections
with their differences. Registered by ``jzplan.cli``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from jzplan.core.periods import parse_period
from jzplan.core.settings import Settings
from jzplan.reference.catalog import Catalog

if TYPE_CHECKING:
    from jzplan.core.periods import Period
    from jzplan.month.resources import Resources
    from jzplan.store.corrections import PendingCorrection

COMMANDS = ("release", "reopen", "corrections")
HEADER = ("编号", "单位", "报告期", "文件", "批次", "指标", "已发布值", "拟更正值", "差额")


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    r = sub.add_parser("release", help="审核发布某月（待审核 → 已发布，第 N 版）")
    r.add_argument("--period", required=True, type=parse_period, help="报告期 YYYY-MM")
    r.add_argument("--by", required=True, help="发布人")
    r.add_argument("--note", required=True, help="发布说明")
    o = sub.add_parser("reopen", help="重新开放已发布的月份（→ 待审核），并采用其待更正文件")
    o.add_argument("--period", required=True, type=parse_period, help="报告期 YYYY-MM")
    o.add_argument("--by", required=True, help="重新开放人")
    o.add_argument("--reason", required=True, help="原因")
    c = sub.add_parser("corrections", help="列出待更正文件（已发布月份收到的报表）及其差异")
    c.add_argument("--period", type=parse_period, help="报告期 YYYY-MM")


def _number(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{value:,.6g} {unit}".strip()


def corrections_table(found: Sequence[PendingCorrection], catalog: Catalog) -> str:
    """Each pending correction's changed figures (released, proposed, difference in the
    indicator's unit), a line each; a correction that changes nothing says so."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for c in found:
        unit = catalog.unit(c.org_unit).name if c.org_unit in catalog.org_units else c.org_unit
        head = (str(c.submission_id), unit, str(c.period), c.file_name, c.arrival_period)
        rows: list[tuple[str, ...]] = []
        for ch in c.changes:
            ind = catalog.indicators.get(ch.indicator)
            name, u = (ind.name, ind.unit) if ind else (ch.indicator, "")
            pairs = [("", ch.old_value, ch.new_value)]
            if ch.old_value_month != ch.new_value_month:
                pairs.append(("（本月）", ch.old_value_month, ch.new_value_month))
            for tag, old, new in pairs:
                if tag == "" and old == new:
                    continue
                diff = None if old is None or new is None else new - old
                sign = "+" if diff is not None and diff > 0 else ""
                rows.append((f"{name}{tag}", _number(old, u), _number(new, u),
                             sign + _number(diff, u)))  # fmt: skip
        for row in rows or [("—", "—", "—", "与已发布数字相同")]:
            lines.append("| " + " | ".join((*head, *row)).replace("\n", " ") + " |")
    return "\n".join(lines)


def dispatch(args: argparse.Namespace) -> int:
    from jzplan.month.resources import open_resources

    resources = open_resources(Settings())
    try:
        if args.command == "corrections":
            return _corrections(resources, args.period)
        if args.command == "release":
            return _release(resources, args)
        return _reopen(resources, args)
    finally:
        resources.close()


def _corrections(resources: Resources, period: Period | None) -> int:
    from jzplan.store.corrections import pending_corrections

    found = pending_corrections(resources.engine, period)
    if not found:
        print("没有待更正文件。")
        return 0
    print(corrections_table(found, resources.catalog))
    print(f"\n共 {len(found)} 份待更正文件；jzplan reopen 重新开放该月后采用。", file=sys.stderr)
    return 0


def _rewrite(resources: Resources, periods: Sequence[Period]) -> None:
    """The months' rolling reports again, their header saying what the figures are now, and
    the report folder's page of every month (its figures and versions)."""
    from jzplan.report.index_page import write_index
    from jzplan.report.rolling import write_rolling

    for p in periods:
        try:
            paths = write_rolling(
                resources.engine, resources.plan_of(p.year), resources.catalog, resources.rules, p,
                resources.settings.report_dir,
            )  # fmt: skip
        except LookupError:  # a month without target progress has no report
            continue
        print(f"{p} 月报已更新：{paths[1]}")
    settings = resources.settings
    write_index(resources.engine, resources.catalog, settings.report_dir, settings.receipts_dir)


def _release(resources: Resources, args: argparse.Namespace) -> int:
    from jzplan.month.release import release_month

    done = release_month(resources, args.period, by=args.by, note=args.note, at=datetime.now(UTC))
    print(f"已发布 {done.period} 第{done.version}版（{done.by}）：{done.note}")
    if done.files is not None:
        print(f"第{done.version}版月报：{done.files.html}")
        if done.files.changes is not None:
            print(f"较上一版变化：见该版月报开头；版本历史：{done.files.history}")
        else:
            print(f"版本历史：{done.files.history}")
    else:
        print("该月尚无目标进度：没有可存档的版本月报")
    _rewrite(resources, [done.period])
    return 0


def _reopen(resources: Resources, args: argparse.Namespace) -> int:
    from jzplan.month.release import reopen_month

    done = reopen_month(
        resources, args.period, by=args.by, reason=args.reason, at=datetime.now(UTC)
    )
    print(f"已重新开放 {done.period}（{done.by}：{done.reason}），现为{done.state.label}")
    for a in done.applied:
        print(f"  采用待更正文件 {a.file_name}（{a.org_unit}）：{a.status.label}，"
              f"{a.changes} 项数字有变动")  # fmt: skip
    if done.refreshed:
        print("已重算 " + "、".join(str(p) for p in done.refreshed))
    if done.locked:
        print("未重算（已发布）：" + "、".join(str(p) for p in done.locked))
    _rewrite(resources, done.refreshed)
    return 0
