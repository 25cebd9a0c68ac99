"""What the CLI checks before it does any work (and before Prefect is imported): the months,
the inbox folders a flow command reads, the store, the unit and indicator codes. Each
failure is an OperatorError: one Chinese line with a stable code."""

from __future__ import annotations

import argparse
import difflib
from datetime import UTC, datetime
from pathlib import Path

from jzplan.core.errors import OperatorError
from jzplan.core.periods import Period, month_before, parse_period, parse_range
from jzplan.core.settings import Settings
from jzplan.reference.catalog import Catalog

# Commands that start a Prefect flow: their store and inbox are checked first
FLOW_COMMANDS = ("run", "backfill", "deadline")


def flow_months(args: argparse.Namespace, settings: Settings, now: datetime) -> list[Period]:
    """The months a flow command works on, its defaults resolved as the flow resolves them
    (``run``: the month before now; ``deadline``: the month whose deadline has passed)."""
    if args.command == "backfill":
        return parse_range(args.start, args.end)
    if args.period:
        return [parse_period(args.period)]
    if args.command == "deadline":
        from jzplan.alert.deadlines import deadline_of

        return [deadline_of(settings).period_due(now)]
    return [month_before(now, settings.timezone)]


def check_inbox(inbox_dir: Path, months: list[Period]) -> None:
    """The inbox and each month's batch folder exist (a missing one is a wrong
    JZPLAN_INBOX_DIR or an unmounted share, never a month in which nobody reported)."""
    if not inbox_dir.is_dir():
        raise OperatorError(
            "inbox_missing",
            f"收件箱文件夹不存在：{inbox_dir}；请检查 JZPLAN_INBOX_DIR 或共享目录是否挂载",
        )
    missing = [str(m) for m in months if not (inbox_dir / str(m)).is_dir()]
    if missing:
        shown = "、".join(missing[:6]) + (f" 等 {len(missing)} 个月" if len(missing) > 6 else "")
        raise OperatorError(
            "inbox_missing",
            f"收件箱 {inbox_dir} 中没有 {shown} 的批次文件夹：请检查 JZPLAN_INBOX_DIR 或共享目录"
            "是否挂载；某月确实无人报送时，请建立该空文件夹后重新运行",
        )


def check_codes(args: argparse.Namespace, catalog: Catalog) -> None:
    """A ``--unit`` or ``--indicator`` given to a command is one the catalog knows."""
    unit = getattr(args, "unit", None)
    if unit and args.command != "template" and unit not in catalog.org_units:
        known = "、".join(f"{u.code} {u.name}" for u in catalog.org_units.values())
        raise OperatorError("unknown_unit", f"没有单位代码“{unit}”：可用 {known}")
    indicator = getattr(args, "indicator", None)
    if indicator and indicator not in catalog.indicators:
        close = difflib.get_close_matches(indicator, list(catalog.indicators), n=3)
        hint = (
            f"是否是 {'、'.join(close)}？" if close else "指标代码见 data/catalog/indicators.yaml"
        )
        raise OperatorError("unknown_indicator", f"没有指标代码“{indicator}”：{hint}")


def check_arguments(args: argparse.Namespace, settings: Settings) -> list[Period]:
    """Every check a command needs before it starts; the months of a flow command."""
    for name in ("period", "start", "end"):
        if isinstance(getattr(args, name, None), str):
            parse_period(getattr(args, name))
    if getattr(args, "unit", None) or getattr(args, "indicator", None):
        from jzplan.reference.catalog import load_catalog

        check_codes(args, load_catalog(settings.catalog_dir))
    if getattr(args, "pdf", False):
        from jzplan.report.pdf import check_chromium

        check_chromium(settings.chromium)
    if args.command not in FLOW_COMMANDS:
        return []
    months = flow_months(args, settings, datetime.now(UTC))
    from jzplan.store.db import check_store_reachable

    check_store_reachable(settings.database_url)
    check_inbox(settings.inbox_dir, months)
    if args.command != "deadline":  # a monthly run tracks its year's plan
        from jzplan.month.resources import check_plan_years

        check_plan_years(settings, (m.year for m in months))
    return months
