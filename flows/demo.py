"""`make demo`: 2012 as history, then every month of 2013, on the embedded defaults.

Each 2013 month runs as it would on schedule: the deadline check (17:00 on the 5th of the
next month), then the monthly run (09:00 on the 6th).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from jzplan.core.periods import Period, period_range
from jzplan.core.process import imports_done, start_without_collecting

if TYPE_CHECKING:
    import pandas as pd


def alert_count_line(targets: int, alerts: pd.DataFrame) -> str:
    """The targets and the alerts raised (告警: 预警 is a status's name), open ones apart."""
    still_open = int(alerts["resolved"].isna().sum())
    return f"共 {targets} 项目标；告警 {len(alerts)} 条（未解除 {still_open} 条）"


def main() -> None:
    # `make demo` starts as the jzplan command does (jzplan.core.process): no cyclic
    # collection while it imports the pipeline, then what the imports made frozen, so the
    # collector's full passes during its 36 flow runs skip those objects
    start_without_collecting()
    from prefect.context import SyncClientContext

    from flows.deadline import deadline_check
    from flows.monthly import monthly_progress
    from flows.server import prefect_server
    from jzplan.core.settings import Settings
    from jzplan.month.lines import deadline_line, monthly_line
    from jzplan.month.resources import open_resources
    from jzplan.reference.catalog import load_catalog
    from jzplan.report.markdown import progress_table
    from jzplan.store.alerts import read_alerts
    from jzplan.store.db import init_store
    from jzplan.store.progress import read_progress
    from jzplan.validate import import_engine

    imports_done()
    settings = Settings()
    catalog = load_catalog(settings.catalog_dir)
    started = time.perf_counter()
    print(f"数据库：{settings.database_url}")
    print(f"月报收件箱：{settings.inbox_dir}")
    # the demo makes its own store (var/ of a clean checkout), as `jzplan init` would
    init_store(settings.database_url, timeout=settings.lock_timeout_seconds)
    # runs started by hand send no heartbeats (flows.server.hand_run_settings)
    with prefect_server() as ready:
        ready(meanwhile=import_engine)
        # one Prefect client for every run, once the server answers, as `jzplan backfill`'s
        # months share their parent's (one per flow call: ~16 ms of TLS context each)
        with SyncClientContext.get_or_create():
            for period in period_range(Period(2012, 1), Period(2013, 12)):
                t0 = time.perf_counter()
                if period.year == settings.plan_year:
                    print(deadline_line(catalog, deadline_check(period=str(period))))
                s = monthly_progress(period=str(period))
                print(monthly_line(catalog, period, s) + f"（{time.perf_counter() - t0:.1f} 秒）")

    resources = open_resources(settings)
    try:
        december = read_progress(resources.engine, Period(2013, 12))
        print()
        print("# 焦作新区 2013 年 12 月目标进度")
        print()
        notes = resources.plan_notes_of(2013)
        print(progress_table(resources.plan_of(2013), resources.catalog, december, notes))
        alerts = read_alerts(resources.engine)
    finally:
        resources.close()
    print(alert_count_line(len(december), alerts))
    print(f"用时 {time.perf_counter() - started:.1f} 秒")
    print("告警记录：.venv/bin/jzplan alerts")
    print(f"HTML 月报（图表，离线可打开）：{settings.report_dir / 'progress-2013-12.html'}")
    print(f"Excel 报表（新区及各乡镇街道）：{settings.report_dir / 'progress-2013-12.xlsx'}")
    print(f"文字分析（可编辑 Word）：{settings.report_dir / 'progress-2013-12-文字分析.docx'}")
    print(f"Markdown 进度表：{settings.report_dir / 'progress-2013-12.md'}（以上每月一份）")
    print(f"原始文件存档：{settings.archive_dir}")
    print(f"各单位回执（每个收到的文件一份）：{settings.receipts_dir}/<报告期>/")
    print("待确认行：.venv/bin/jzplan questions --all（答复：jzplan answer）")
    print(
        "在 Prefect 界面查看运行记录与 artifacts："
        "PREFECT_HOME=var/prefect .venv/bin/prefect server start，然后打开 http://127.0.0.1:4200"
    )


if __name__ == "__main__":
    main()
