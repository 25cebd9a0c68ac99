"""Command-line parts of validation: ``jzplan check-plan``, ``jzplan warnings``,
``jzplan explain``. Registered by ``jzplan.cli``."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from jzplan.core.periods import parse_period
from jzplan.core.settings import Settings

COMMANDS = ("check-plan", "warnings", "explain")


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    check = sub.add_parser(
        "check-plan", help="检查年度计划自身的一致性（总量与增速、同指标目标、分项与合计）"
    )
    check.add_argument("--year", type=int, help="计划年份，默认 JZPLAN_PLAN_YEAR（2013）")
    warn = sub.add_parser("warnings", help="列出某月等待情况说明的校验提示")
    warn.add_argument("--period", required=True, type=parse_period)
    ex = sub.add_parser("explain", help="登记某单位对一项校验提示的情况说明（上报说明）")
    ex.add_argument("--unit", required=True, help="单位代码，如 NGZ")
    ex.add_argument("--period", required=True, type=parse_period, help="报告期 YYYY-MM")
    ex.add_argument("--indicator", required=True, help="指标代码，如 fai")
    ex.add_argument("--rule", help="规则代码（如 mom_jump），默认该指标的全部提示")
    ex.add_argument("--text", required=True, help="说明内容，如：新企业投产")
    ex.add_argument("--by", help="说明人")


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "check-plan":
        return check_plan_command(args.year)
    from jzplan.alert.explanations import ExplanationError, open_warnings, record_explanation
    from jzplan.month.resources import open_resources

    resources = open_resources(Settings())
    try:
        if args.command == "warnings":
            waiting = open_warnings(resources.engine, args.period, resources.catalog)
            for w in waiting:
                print(f"{w['key']}\t{w['message']}")
            print(f"{args.period}：{len(waiting)} 项校验提示等待情况说明", file=sys.stderr)
            return 0
        try:
            counts = record_explanation(
                resources.engine,
                catalog=resources.catalog,
                org_unit=args.unit,
                period=args.period,
                indicator=args.indicator,
                rule=args.rule,
                text=args.text,
                explained_by=args.by,
                explained_on=date.today(),
            )
        except ExplanationError as exc:
            print(f"未登记：{exc}", file=sys.stderr)
            return 1
        print(f"已登记说明（{'、'.join(counts['rules'])}），解除预警 {counts['resolved']} 项")
        return 0
    finally:
        resources.close()


def check_plan_command(year: int | None = None) -> int:
    from jzplan.reference.catalog import load_catalog
    from jzplan.reference.plan import load_plan
    from jzplan.validate.plan_check import check_plan, plan_check_markdown
    from jzplan.validate.rules import load_rules

    settings = Settings()
    catalog = load_catalog(settings.catalog_dir)
    path = settings.plan_file(year)
    if not path.exists():
        from jzplan.core.errors import OperatorError

        raise OperatorError(
            "plan_missing",
            f"{path}：没有该年的目标计划文件（起草：jzplan plan-new --year "
            f"{year or settings.plan_year}）",
        )
    plan = load_plan(path, catalog)
    print(
        plan_check_markdown(
            check_plan(plan, catalog, load_rules(settings.expectations_dir, catalog))
        )
    )
    return 0
