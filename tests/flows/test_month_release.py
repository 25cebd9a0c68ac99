"""A released month holds, through the real monthly flow on SQLite and PostgreSQL: June is
released; a corrected June file in the July batch is received, checked and kept as a pending
correction — June's stored figures, totals, progress, alerts and report files stay byte for
byte — listed with its differences and told in the office's receipt; reopening June applies
it through the same settling and recompute, and releasing it again is version 2."""

from __future__ import annotations

import hashlib
import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from jzplan.cli import main
from jzplan.core.periods import Period
from jzplan.core.states import IngestStatus, MonthAction, MonthState, SubmissionStatus
from jzplan.report.versions import list_versions, read_version_snapshot
from jzplan.report.versions_diff import change_rows, month_changes
from jzplan.store.corrections import pending_corrections
from jzplan.store.db import make_engine
from jzplan.store.models import (
    AggregateRow,
    AlertEventRow,
    AlertRow,
    SubmissionRow,
    TargetProgressRow,
)
from jzplan.store.month_states import read_month, read_transitions
from jzplan.store.observations import current_observations
from tests.flows.release_inbox import CORRECTED, GDP_NOW, GDP_WAS, release_inbox
from tests.ops.natural import natural_dump

pytestmark = pytest.mark.flow

JUNE, JULY = Period(2013, 6), Period(2013, 7)


def june_state(engine: Engine) -> dict[str, Any]:
    """June as stored: current figures, totals, progress, its alerts and alert events."""
    dump = natural_dump(engine)
    june = str(JUNE)

    def rows(table: str, where: Any) -> list[Any]:
        return [r for r in dump[table] if where(dict(r))]

    figures = current_observations(engine, [JUNE]).drop(columns=["submission_id"])
    return {
        "figures": figures.to_json(orient="records"),  # NaN as null: comparable
        "aggregate": rows(AggregateRow.__tablename__, lambda r: r["period"] == june),
        "progress": rows(TargetProgressRow.__tablename__, lambda r: r["period"] == june),
        "alerts": rows(AlertRow.__tablename__, lambda r: june in r["dedup_key"]),
        "events": [
            {k: v for k, v in r.items() if k not in ("emitted", "notified")}
            for r in map(dict, dump[AlertEventRow.__tablename__])
            if r["period"] == june
        ],
    }


def index_row(reports: Path, period: Period) -> str:
    """The month's row of the report folder's index page."""
    page = (reports / "index.html").read_text("utf-8")
    start = page.index(f'data-period="{period}"')
    return page[start : page.index("</tr>", start)]


def hashes(reports: Path, period: Period) -> dict[str, str]:
    found = sorted(reports.glob(f"progress-{period}.*"))
    assert {p.suffix for p in found} == {".md", ".html", ".xlsx"}
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in found}


def folder_hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def cli(*args: str) -> tuple[int, str, str]:
    """``jzplan`` in this process: its exit code, stdout and stderr. Not capsys: Prefect's
    console log handler keeps the stream it first saw, and capsys closes its own."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def ymz_gdp(engine: Engine) -> float:
    frame = current_observations(engine, [JUNE], "YMZ")
    return float(frame.loc[frame["indicator"] == "gdp", "value"].iloc[0])


def test_a_released_month_holds_until_reopened(flow_env: Path, database_url: str) -> None:
    from flows.monthly import monthly_progress

    box = str(release_inbox(flow_env / "inbox"))
    reports = flow_env / "reports"
    engine = make_engine(database_url)
    try:
        monthly_progress(period=str(JUNE), inbox_dir=box)
        assert read_month(engine, JUNE).state == MonthState.PENDING_REVIEW
        assert "暂（待审核）" in (reports / "progress-2013-06.md").read_text("utf-8")

        code, out, _ = cli("release", "--period", "2013-06", "--by", "张三",
                           "--note", "6月数据审核通过")  # fmt: skip
        assert code == 0 and "第1版" in out
        released = read_month(engine, JUNE)
        assert (released.state, released.version, released.released_by) == (
            MonthState.RELEASED, 1, "张三",
        )  # fmt: skip
        html = (reports / "progress-2013-06.html").read_text("utf-8")
        assert f"正式（第1版，张三 于 {released.released_on()} 发布）" in html
        [v1] = list_versions(reports, JUNE)  # the release wrote version 1's reports
        assert v1.number == 1 and "第1版" in out and str(v1.html) in out
        v1_files = folder_hashes(v1.folder)
        assert f"正式（第1版，张三 于 {released.released_on()} 发布）" in v1.html.read_text("utf-8")
        # the page of every month says so, and links version 1 and the history
        june_row = index_row(reports, JUNE)
        assert f"正式（第1版，张三 于 {released.released_on()} 发布）" in june_row
        assert 'href="2013-06/v1/progress-2013-06-v1.html"' in june_row
        assert 'href="2013-06/index.html"' in june_row
        # a second release, or one of a month not produced: one line with its code
        code, _, err = cli("release", "--period", "2013-06", "--by", "张三", "--note", "x")
        assert code == 2 and err.startswith("[month_already_released]") and err.count("\n") == 1
        code, _, err = cli("release", "--period", "2013-09", "--by", "张三", "--note", "x")
        assert code == 2 and err.startswith("[month_not_produced]")
        before, files = june_state(engine), hashes(reports, JUNE)

        summary = monthly_progress(period=str(JULY), inbox_dir=box)
        # held: June neither changed nor recomputed, its report files untouched
        assert summary["pending_corrections"] == [CORRECTED]
        assert summary["locked"] == ["2013-06"] and summary["recomputed"] == ["2013-07"]
        by_file = {o["file"]: o["status"] for o in summary["outcomes"]}
        assert by_file[CORRECTED] == IngestStatus.PENDING_CORRECTION
        assert june_state(engine) == before
        assert hashes(reports, JUNE) == files
        assert ymz_gdp(engine) == pytest.approx(GDP_WAS)
        assert "暂（待审核）" in (reports / "progress-2013-07.md").read_text("utf-8")
        # the office is told, in its receipt
        receipt = flow_env / "receipts" / "2013-07" / "YMZ-阳庙镇_2013年06月_月报(更正).md"
        text = receipt.read_text("utf-8")
        assert "已接收·作为更正待审核" in text
        assert f"已于 {released.released_on()} 由 张三 审核发布" in text and "无需重新报送" in text
        # the operator sees it with its difference
        [pending] = pending_corrections(engine, JUNE)
        [change] = pending.changes
        assert (change.indicator, change.old_value, change.new_value) == ("gdp", GDP_WAS, GDP_NOW)
        code, out, _ = cli("corrections", "--period", "2013-06")
        assert code == 0 and "| 地区生产总值 | 4.2852 亿元 | 4.3352 亿元 | +0.05 亿元 |" in out

        code, out, _ = cli("reopen", "--period", "2013-06", "--by", "李四",
                           "--reason", "阳庙镇更正地区生产总值")  # fmt: skip
        assert code == 0 and "已重算 2013-06、2013-07" in out
        assert ymz_gdp(engine) == pytest.approx(GDP_NOW)
        assert read_month(engine, JUNE).state == MonthState.PENDING_REVIEW
        assert pending_corrections(engine) == []
        assert june_state(engine)["aggregate"] != before["aggregate"]
        assert "暂（待审核）" in (reports / "progress-2013-06.md").read_text("utf-8")
        assert "暂（待审核）" in index_row(reports, JUNE)
        code, _, err = cli("reopen", "--period", "2013-06", "--by", "李四",
                           "--reason", "x")  # fmt: skip
        assert code == 2 and err.startswith("[month_not_released]")

        code, out, _ = cli("release", "--period", "2013-06", "--by", "张三",
                           "--note", "采用阳庙镇更正")  # fmt: skip
        assert code == 0 and read_month(engine, JUNE).version == 2
        # version 2 beside version 1, which is byte for byte what leaders read
        assert [v.number for v in list_versions(reports, JUNE)] == [1, 2]
        assert folder_hashes(v1.folder) == v1_files
        changes = month_changes(
            read_version_snapshot(reports, JUNE, 1), read_version_snapshot(reports, JUNE, 2)
        )
        # exactly the corrected figure and the area total it is part of
        step = round(GDP_NOW - GDP_WAS, 6)
        changed = {c.new.key: round(c.difference or 0, 6) for c in changes.figures_changed}
        assert changed == {("YMZ", "gdp"): step, ("JZXQ", "gdp"): step}, changed
        assert not changes.figures_added and not changes.figures_removed
        v2_html = list_versions(reports, JUNE)[1].html.read_text("utf-8")
        assert "较上一版变化" in v2_html and "第2版" in v2_html
        rows = v2_html.count('<tr class="change"')
        assert rows == len(change_rows(changes)) and rows >= 2
        moves = [(t.action, t.from_state, t.to_state, t.version, t.actor)
                 for t in read_transitions(engine, JUNE)]  # fmt: skip
        assert moves == [
            (MonthAction.PRODUCE, MonthState.COLLECTING, MonthState.PENDING_REVIEW, 0,
             "monthly-progress"),
            (MonthAction.RELEASE, MonthState.PENDING_REVIEW, MonthState.RELEASED, 1, "张三"),
            (MonthAction.REOPEN, MonthState.RELEASED, MonthState.PENDING_REVIEW, 1, "李四"),
            (MonthAction.RELEASE, MonthState.PENDING_REVIEW, MonthState.RELEASED, 2, "张三"),
        ]  # fmt: skip
        with engine.connect() as conn:
            query = select(SubmissionRow.file_name, SubmissionRow.status)
            statuses = {str(name): str(status) for name, status in conn.execute(query)}
        assert statuses[CORRECTED] == SubmissionStatus.ACCEPTED
        assert statuses["阳庙镇_2013年06月_月报.xlsx"] == SubmissionStatus.SUPERSEDED
    finally:
        engine.dispose()
