"""Command line: ``jzplan init|run|backfill|progress|report|alerts|deadline|automations``,
``questions|answer`` (held rows), ``release|reopen|corrections`` (a month's 审核发布), the
validation commands, ``ui start|stop|doctor`` and ``serve-reports``.

Flows are imported only when needed."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from jzplan.cli import ops as ops_cli
from jzplan.cli import plans as plans_cli
from jzplan.cli import questions as questions_cli
from jzplan.cli import release as release_cli
from jzplan.cli import validation as validation_cli
from jzplan.cli.checks import check_arguments
from jzplan.cli.parser import ChineseArgumentParser
from jzplan.core.errors import OperatorError
from jzplan.core.periods import Period, parse_period
from jzplan.core.process import exit_without_collecting, imports_done
from jzplan.core.settings import Settings
from jzplan.ingest import template
from jzplan.month.lines import deadline_line, monthly_line, run_lines
from jzplan.reference.catalog import Catalog, load_catalog
from jzplan.validate.docs_helper import shared_helper, start_for_one_month

if TYPE_CHECKING:
    from flows.server import Ready

FLOW_COMMANDS = ("run", "deadline", "backfill")


def _progress(period: Period) -> int:
    from jzplan.month.resources import open_resources
    from jzplan.report.markdown import progress_table
    from jzplan.store.progress import read_progress

    resources = open_resources(Settings())
    try:
        frame = read_progress(resources.engine, period)
        if frame.empty:
            print(
                f"[no_progress] {period} 尚无目标进度：先运行该月的 monthly-progress"
                f"（jzplan run --period {period}）",
                file=sys.stderr,
            )
            return 1
        print(f"# 焦作新区目标进度（{period}）\n")
        plan = resources.plan_of(period.year)
        print(progress_table(plan, resources.catalog, frame, resources.plan_notes_of(period.year)))
        from jzplan.report.markdown import contributions_text, standing_text

        print(contributions_text(resources.engine, plan, resources.catalog, period, frame))
        print(standing_text(resources.engine, resources.catalog, period))
        return 0
    finally:
        resources.close()


def _report(month: Period, out_dir: str | None, *, pdf: bool = False) -> int:
    """Write a stored month's report files (Markdown, HTML, Excel, the briefing) again (no
    flow run); with ``pdf``, print the HTML report to PDF beside them."""
    from pathlib import Path

    from jzplan.month.resources import open_resources
    from jzplan.report.index_page import write_index
    from jzplan.report.rolling import write_month
    from jzplan.report.versions import is_version_path

    settings = Settings()
    folder = Path(out_dir) if out_dir else settings.report_dir
    if is_version_path(folder, settings.report_dir):
        raise OperatorError(
            "version_folder",
            f"{folder} 是已发布版本的文件夹，其中的文件不会改写；请另选 --out 目录",
        )
    resources = open_resources(settings)
    try:
        try:
            report = write_month(
                resources.engine, resources.plan_of(month.year), resources.catalog,
                resources.rules, month, folder, chromium=settings.chromium if pdf else None,
            )  # fmt: skip
        except LookupError as exc:
            print(f"[no_progress] {exc}", file=sys.stderr)
            return 1
        index = write_index(resources.engine, resources.catalog, folder, settings.receipts_dir)
    finally:
        resources.close()
    print(f"HTML 月报：{report.html}")
    print(f"Excel 报表：{report.workbook}")
    print(f"文字分析：{report.briefing}")
    print(f"Markdown 进度表：{report.markdown}")
    if report.pdf is not None:
        print(f"PDF 月报（A4 横向）：{report.pdf}")
    print(f"各月索引：{index}")
    return 0


def _init() -> int:
    """Create the store (or upgrade it) at JZPLAN_DATABASE_URL: the one way a store is made."""
    from jzplan.store.db import init_store, shown_url

    settings = Settings()
    heads = init_store(settings.database_url, timeout=settings.lock_timeout_seconds)
    print(
        f"数据库已就绪：{shown_url(settings.database_url)}（迁移版本 {'、'.join(sorted(heads))}）"
    )
    return 0


def _name_runs() -> int:
    """Name the scheduled runs of the server at PREFECT_API_URL (never a temporary server)."""
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        raise OperatorError(
            "no_prefect_server",
            "未设置 PREFECT_API_URL：请指向运行中的 Prefect 服务器（如 make ui 启动的 "
            "http://127.0.0.1:4200/api）",
        )
    import httpx

    from flows.run_names import name_scheduled_runs

    try:
        renamed = name_scheduled_runs()
    except httpx.HTTPError as exc:
        raise OperatorError(
            "prefect_unreachable",
            f"无法连接 Prefect 服务器 {PREFECT_API_URL.value()}：{' '.join(str(exc).split())}",
        ) from exc
    print(f"已为 {renamed} 个计划运行命名（monthly-/deadline-/reminder-YYYY-MM）")
    return 0


def main(argv: list[str] | None = None) -> int:
    # Prefect's telemetry off, as under make (it tripped over its own SQLite: "database is
    # locked" tracebacks), unless the operator set these; before Prefect is imported
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    exit_without_collecting()
    try:
        return _dispatch(argv)
    except OperatorError as exc:
        # a broken environment or a bad parameter: its one line, no traceback (JZPLAN_DEBUG=1
        # shows it)
        if os.environ.get("JZPLAN_DEBUG") == "1":
            raise
        print(str(exc), file=sys.stderr)
        return 2


def _add_report_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    """``progress`` and ``report``: a stored month's table, and its report files again."""
    prog = sub.add_parser("progress", help="打印某月的目标进度表")
    prog.add_argument("--period", required=True, type=parse_period)
    rep = sub.add_parser(
        "report", help="重新生成某月的月报文件：HTML、Excel、文字分析、Markdown（读库，不运行流程）"
    )
    rep.add_argument("--period", required=True, type=parse_period)
    rep.add_argument("--out", help="输出目录，默认 JZPLAN_REPORT_DIR")
    rep.add_argument(
        "--pdf", action="store_true", help="同时打印 PDF（A4 横向，需 Chromium：JZPLAN_CHROMIUM）"
    )


def _dispatch(argv: list[str] | None) -> int:
    parser = ChineseArgumentParser(prog="jzplan", description="焦作新区年度目标月度跟踪")
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令")
    sub.add_parser("init", help="新建数据库（或升级到当前结构）：JZPLAN_DATABASE_URL")
    run = sub.add_parser("run", help="运行一个月的 monthly-progress 流程")
    run.add_argument("--period", help="报告期 YYYY-MM，默认上个月")
    back = sub.add_parser("backfill", help="按月依次运行一个区间")
    back.add_argument("--start", required=True, help="起始报告期 YYYY-MM")
    back.add_argument("--end", required=True, help="结束报告期 YYYY-MM（含）")
    _add_report_parsers(sub)  # progress, report
    alerts = sub.add_parser("alerts", help="打印告警记录（新增、解除），可按报告期筛选")
    alerts.add_argument("--period", type=parse_period, help="只看某月 YYYY-MM 的变化")
    dl = sub.add_parser("deadline", help="运行月报截止检查 deadline-check")
    dl.add_argument("--period", help="报告期 YYYY-MM，默认刚到截止时间的月份")
    sub.add_parser("automations", help="创建或更新 Prefect 通知自动化（幂等）")
    sub.add_parser(
        "name-runs",
        help="为已排定的计划运行命名（如 monthly-2013-06）：部署后运行；需 PREFECT_API_URL",
    )
    validation_cli.add_parsers(sub)  # check-plan, warnings, explain
    questions_cli.add_parsers(sub)  # questions, answer: held rows (待确认)
    release_cli.add_parsers(sub)  # release, reopen, corrections: a month's 审核发布
    template.add_parser(sub)  # the blank 月报 form of a unit and month
    ops_cli.add_parsers(sub)  # ui start|stop, doctor
    plans_cli.add_parsers(sub)  # plan-new: next year's plan file, drafted
    args = parser.parse_args(argv)
    # months, codes, and for a flow command its store and inbox: before any work starts
    months = check_arguments(args, Settings())
    if args.command == "run":  # started already when the `jzplan` command is (jzplan.entry)
        start_for_one_month()
    if args.command not in FLOW_COMMANDS:
        imports_done()  # a flow command's are done once its flow is imported

    if args.command == "init":
        return _init()
    if args.command == "template":
        return template.run_command(args, Settings())

    for part in (validation_cli, questions_cli, release_cli, ops_cli, plans_cli):
        if args.command in part.COMMANDS:
            return int(part.dispatch(args))

    if args.command == "progress":
        return _progress(args.period)
    if args.command == "report":
        return _report(args.period, args.out, pdf=args.pdf)
    if args.command == "alerts":
        from jzplan.month.resources import open_resources
        from jzplan.report.markdown import alert_history_text

        resources = open_resources(Settings())
        try:
            print(alert_history_text(resources.engine, args.period))
        finally:
            resources.close()
        return 0
    if args.command == "automations":
        from flows.automations import main as automations_main

        automations_main()
        return 0
    if args.command == "name-runs":
        return _name_runs()
    from flows.server import prefect_server

    with prefect_server() as ready:
        return _flow_command(args, months, ready)


def _flow_command(args: argparse.Namespace, months: list[Period], ready: Ready) -> int:
    """The flow of ``args.command``, imported while the server boots (a monthly run's
    validation engine too), run once it is ready."""
    from jzplan.validate import import_engine

    if args.command == "deadline":
        from flows.deadline import deadline_check

        ready()
        imports_done()
        print(deadline_line(_catalog(), deadline_check(period=str(months[0]))))
        return 0
    if args.command == "run":
        from flows.monthly import monthly_progress

        # GE is the helper's to import, if it runs (not this process's: its own would only
        # compete for the cores)
        ready(meanwhile=None if shared_helper().starting() else import_engine)
        imports_done()  # after the engine imported meanwhile, if it was
        summary = monthly_progress(period=str(months[0]))
        print("\n".join(run_lines(_catalog(), months[0], summary)))
        return 0
    from flows.backfill import backfill

    ready(meanwhile=import_engine)
    imports_done()
    catalog = None
    for summary in backfill(start=args.start, end=args.end):
        catalog = catalog or _catalog()
        print(monthly_line(catalog, Period.parse(summary["period"]), summary))
    return 0


def _catalog() -> Catalog:
    """The catalog a run's lines name units by (read after the run: a few milliseconds)."""
    return load_catalog(Settings().catalog_dir)


if __name__ == "__main__":
    raise SystemExit(main())
