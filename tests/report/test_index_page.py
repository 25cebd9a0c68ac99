"""The report folder's index page (issue 20 item 3) on a copy of the demo store: the months
with reports listed newest first, every link resolving to a file, the counts equal to the
store's, hostile text shown as text; ``jzplan serve-reports`` serving it over real HTTP and
refusing paths outside the folder."""

from __future__ import annotations

import http.client
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlalchemy import Engine

from jzplan.core.errors import OperatorError
from jzplan.core.periods import Period
from jzplan.core.settings import Settings
from jzplan.core.states import AlertKind, MonthAction, MonthState, UnitMonthStatus
from jzplan.month.resources import Resources, open_resources
from jzplan.report.data import SUMMARY_BUCKETS, read_report_data
from jzplan.report.html import write_report
from jzplan.report.index_page import INDEX_TITLE, report_months, write_index
from jzplan.report.versions import write_version
from jzplan.report.workbook import write_workbook
from jzplan.store.alerts import read_alerts
from jzplan.store.month_states import read_month, record_move
from jzplan.store.progress import read_progress
from jzplan.store.unit_months import unit_statuses
from tests.hostile_text import HOSTILE_TEXT, assert_inert_html

MAY, JUNE = Period(2013, 5), Period(2013, 6)
# no control character: the workbook's title cell refuses them (jzplan release does not strip
# them from --by today; see the report of issue 20 item 3)
HOSTILE_BY = "<b>张三</b><script>alert(1)</script>[点我](http://x.example/a_b)**加粗**<!-- x -->"


@pytest.fixture(scope="module")
def resources(demo_year: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Resources]:
    """A copy of the demo store; May and June's HTML and workbook in its report folder, May's
    Markdown, June's receipts folder, June released (version 1) by a hostile name."""
    tmp = tmp_path_factory.mktemp("index")
    copy = tmp / "jzplan.db"
    assert demo_year.url.database
    with sqlite3.connect(demo_year.url.database) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    reports = tmp / "reports"
    settings = Settings(database_url=f"sqlite:///{copy}", report_dir=reports)
    res = open_resources(settings)
    for p in (MAY, JUNE):
        stem = reports / f"progress-{p}"
        data = read_report_data(res.engine, res.plan, res.catalog, p, rules=res.rules)
        write_report(data, res.plan, res.catalog, stem.with_suffix(".html"))
        write_workbook(res.engine, res.plan, res.catalog, p, stem.with_suffix(".xlsx"))
    (reports / f"progress-{MAY}.md").write_text("# 五月\n", encoding="utf-8")
    (reports / "progress-2013-13.html").write_text("not a month", encoding="utf-8")
    (settings.receipts_dir / str(JUNE)).mkdir(parents=True)
    (settings.receipts_dir / str(JUNE) / "回执.txt").write_text("ok", encoding="utf-8")
    at = datetime(2013, 7, 8, 2, 30, tzinfo=UTC)
    record_move(
        res.engine, read_month(res.engine, JUNE), MonthAction.RELEASE, MonthState.RELEASED,
        actor=HOSTILE_BY, note=HOSTILE_TEXT, at=at,
    )  # fmt: skip
    write_version(
        res.engine, res.plan, res.catalog, JUNE, rules=res.rules, version=1, by=HOSTILE_BY,
        note=HOSTILE_TEXT, at=at, report_dir=reports,
    )  # fmt: skip
    write_index(res.engine, res.catalog, reports, settings.receipts_dir)
    yield res
    res.close()


def page(res: Resources) -> str:
    return (res.settings.report_dir / "index.html").read_text(encoding="utf-8")


def rows(html: str) -> dict[str, str]:
    """Each month's table row by period."""
    found = re.findall(r'<tr class="month" data-period="([^"]+)">(.*?)</tr>', html, re.S)
    return dict(found)


def test_index_lists_the_months_newest_first(resources: Resources) -> None:
    html = page(resources)
    assert f"<title>{INDEX_TITLE}</title>" in html
    assert list(rows(html)) == ["2013-06", "2013-05"]
    assert report_months(resources.settings.report_dir) == [JUNE, MAY]


def test_links_are_relative_and_resolve(resources: Resources) -> None:
    reports = resources.settings.report_dir
    found = rows(page(resources))
    for period, row in found.items():
        hrefs = re.findall(r'<a href="([^"]+)">', row)
        assert hrefs, period
        for href in hrefs:
            assert "://" not in href and not href.startswith("/"), href
            target = (reports / unquote(href)).resolve()
            assert target.exists(), href
    june = re.findall(r'<a href="([^"]+)">([^<]+)</a>', found["2013-06"])
    assert [label for _, label in june] == [
        "HTML 月报", "Excel 报表", "回执", "正式版（第1版）", "版本历史",
    ]  # fmt: skip
    assert dict((label, href) for href, label in june)["回执"] == "../receipts/2013-06/"
    may = [label for _, label in re.findall(r'<a href="([^"]+)">([^<]+)</a>', found["2013-05"])]
    assert may == ["HTML 月报", "Excel 报表", "Markdown"]


def test_counts_equal_the_store(resources: Resources) -> None:
    engine, catalog = resources.engine, resources.catalog
    found = rows(page(resources))
    alerts = read_alerts(engine)
    alerts = alerts[alerts["kind"] != AlertKind.DELIVERY_FAILURE]
    units = [u.code for u in catalog.reporting_units]
    for p in (MAY, JUNE):
        row = found[str(p)]
        counts = dict(re.findall(r'data-count="([^"]+)">([^<]+)</td>', row))
        statuses = read_progress(engine, p)["status"]
        for label, members in SUMMARY_BUCKETS.items():
            assert int(counts[label]) == int(statuses.isin(list(members)).sum()), (p, label)
        assert sum(int(counts[b]) for b in SUMMARY_BUCKETS) == len(statuses)
        month = str(p)
        still_open = alerts["resolved"].isna() | (alerts["resolved"].astype(str) > month)
        open_then = int(((alerts["first_seen"].astype(str) <= month) & still_open).sum())
        assert int(counts["open_alerts"]) == open_then
        standing = [um.status for um in unit_statuses(engine, units, p).values()]
        reported = sum(s in (UnitMonthStatus.REPORTED, UnitMonthStatus.QUESTIONS) for s in standing)
        missing = standing.count(UnitMonthStatus.MISSING)
        assert counts["units_reported"] == f"{reported}/{len(units)}"
        assert int(counts["units_missing"]) == missing
    assert list(re.findall(r"<th>([^<]+)</th>", page(resources))[2:7]) == list(SUMMARY_BUCKETS)
    assert '<td class="figures">暂（' in found["2013-05"]
    assert '<td class="figures">正式（第1版，' in found["2013-06"]


def test_hostile_text_is_inert(resources: Resources) -> None:
    html = page(resources)
    figures = re.search(r'<td class="figures">(.*?)</td>', rows(html)["2013-06"], re.S)
    assert figures is not None
    assert_inert_html(figures.group(1))
    assert "&lt;b&gt;张三&lt;/b&gt;" in figures.group(1) and "<b>张三" not in html
    assert "<script>" not in html and "<!-- x" not in html


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_serve_reports_serves_the_folder_only(resources: Resources) -> None:
    from jzplan.ops.report_server import report_server, server_url

    reports = resources.settings.report_dir
    (reports.parent / "secret.txt").write_text("outside", encoding="utf-8")
    server = report_server(reports, "127.0.0.1", free_port())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = int(server.server_address[1])
        assert server_url(server) == f"http://127.0.0.1:{port}/"
        status, body = get(port, "/")
        assert status == 200 and INDEX_TITLE in body.decode("utf-8")
        status, body = get(port, f"/progress-{JUNE}.html")
        assert status == 200 and body == (reports / f"progress-{JUNE}.html").read_bytes()
        for outside in ("/../secret.txt", "/%2e%2e/secret.txt", "/../jzplan.db"):
            status, body = get(port, outside)
            assert status in (403, 404) and b"outside" not in body, outside
        with pytest.raises(OperatorError) as taken:
            report_server(reports, "127.0.0.1", port)
        assert taken.value.code == "port_in_use"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def cli(reports: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "JZPLAN_REPORT_DIR": str(reports)}
    return subprocess.Popen(
        [sys.executable, "-m", "jzplan.cli", "serve-reports", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_serve_reports_command(resources: Resources) -> None:
    reports = resources.settings.report_dir
    port = free_port()
    proc = cli(reports, "--port", str(port))
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("报告服务已启动：") and f"http://127.0.0.1:{port}/" in line
        status, body = get(port, "/index.html")
        assert status == 200 and INDEX_TITLE in body.decode("utf-8")
        taken = cli(reports, "--port", str(port))
        out, err = taken.communicate(timeout=120)
        assert taken.returncode == 2 and out == ""
        assert err.startswith("[port_in_use] 端口") and err.count("\n") == 1, err
    finally:
        proc.terminate()
        proc.communicate(timeout=60)
