"""Command-line part of the years: ``jzplan plan-new`` drafts next year's plan file from this
year's plan and the store's December figures. Registered by ``jzplan.cli``."""

from __future__ import annotations

import argparse
from typing import Any

from jzplan.core.errors import OperatorError
from jzplan.core.periods import Period
from jzplan.core.settings import Settings

COMMANDS = ("plan-new",)


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    new = sub.add_parser(
        "plan-new",
        help="起草下一年的目标计划文件：沿用上年目标，基期值取上年12月库存数据，目标值待填写",
    )
    new.add_argument("--year", required=True, type=int, help="新计划的年份，如 2014")
    new.add_argument("--force", action="store_true", help="覆盖已有的计划文件")


def dispatch(args: argparse.Namespace) -> int:
    return plan_new(Settings(), args.year, force=args.force)


def plan_new(settings: Settings, year: int, *, force: bool = False) -> int:
    """Write ``data/targets/<year>.yaml`` drafted from last year's plan and stored December."""
    from jzplan.month.resources import open_resources
    from jzplan.reference.plan import load_plan
    from jzplan.reference.plan_draft import draft_plan, draft_plan_text
    from jzplan.track.comparable import comparable_base
    from jzplan.track.history import month_facts
    from jzplan.validate.plan_check import check_plan
    from jzplan.validate.rules import load_rules

    path = settings.plan_file(year)
    if path.exists() and not force:
        raise OperatorError(
            "plan_exists", f"{path} 已存在，未改动；确需重新起草请加 --force（将覆盖原文件）"
        )
    december = Period(year - 1, 12)
    resources = open_resources(settings)
    try:
        last = resources.plans.get(year - 1)
        if last is None:
            raise OperatorError(
                "plan_missing",
                f"{settings.plan_file(year - 1)}：没有 {year - 1} 年的目标计划文件，无从起草 "
                f"{year} 年计划",
            )
        facts = month_facts(resources.engine, december)
    finally:
        resources.close()
    if not facts:
        raise OperatorError(
            "no_december_figures",
            f"库中没有 {december} 的数据：先运行该月（jzplan run --period {december}），"
            f"再起草 {year} 年计划",
        )
    catalog = resources.catalog
    # last December as the new year's units make it up (可比口径), when the catalog changes them
    rebased = comparable_base(facts, catalog, december, Period(year, 1))
    figures = {key: fact.value for key, fact in rebased.items()}
    draft = draft_plan(last, catalog, year, figures)
    path.write_text(draft_plan_text(draft, last.year), encoding="utf-8")
    plan = load_plan(path, catalog)  # the draft loads as any plan file does
    report = check_plan(plan, catalog, load_rules(settings.expectations_dir, catalog))
    unset = sum(1 for t in plan.targets if t.unset)
    based = sum(1 for t in plan.targets if t.baseline is not None)
    print(
        f"已起草 {path}：目标 {len(plan.targets)} 项（目标值待填写 {unset} 项），"
        f"基期值 {based} 项取自 {december} 库存数据；计划检查：不一致 {len(report.problems)} 处"
    )
    gone = draft.dropped
    if gone:
        names = "、".join(dict.fromkeys(catalog.unit(t.scope).name for t in gone))
        print(f"未带入 {len(gone)} 项：{names}已不属本区（目录中 valid_to 之后无 merged_into）")
    print(
        f"下一步：逐项填写 value（目标值）与 source（计划原文），然后运行 "
        f"jzplan check-plan --year {year}"
    )
    return 0
