"""The HTML report shows a sender's text as text: markup escaped (Jinja autoescape), control
characters (a file name's newline) shown as \\xNN, nothing invisible."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from plotly.offline import get_plotlyjs

from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.report.data import ReportData, summarise
from jzplan.report.html import render_report, write_report
from jzplan.store.alerts import ALERT_COLUMNS
from tests.hostile_text import HOSTILE
from tests.progress_frames import progress_of

FILE_NAME = "宁郭镇\n2013年06月\x07月报.xlsx"


def _alerts(messages: list[str]) -> pd.DataFrame:
    rows = [
        {c: None for c in ALERT_COLUMNS}
        | {"org_unit": "NGZ", "severity": "warning", "message": m, "first_seen": "2013-06"}
        for m in messages
    ]
    return pd.DataFrame(rows, columns=list(ALERT_COLUMNS))


def _report_data(
    progress: pd.DataFrame,
    timeliness: list[dict[str, str]],
    *,
    warnings: list[str],
    open_alerts: list[str],
) -> ReportData:
    """June's report data of ``progress``, with these submissions' timeliness and alerts."""
    return ReportData(
        period=Period(2013, 6),
        progress=progress,
        summary=summarise(progress),
        courses=[],
        contributions=pd.DataFrame(columns=["target_id", "org_unit", "value", "share_pct"]),
        timeliness=pd.DataFrame(
            timeliness, columns=["org_unit", "period", "state", "timeliness", "detail"]
        ),
        warnings=_alerts(warnings),
        open_alerts=_alerts(open_alerts),
    )


def test_hostile_text_is_escaped_in_the_html(plan: Plan, catalog: Catalog, tmp_path: Path) -> None:
    progress = progress_of(plan, {})
    progress["note"] = [HOSTILE[i % len(HOSTILE)] for i in range(len(progress))]
    messages = [*HOSTILE, f"{FILE_NAME}：第 3 行 <b>数字</b>"]
    returned = {"org_unit": "NGZ", "period": "2013-06", "state": "returned", "timeliness": "",
                "detail": FILE_NAME}  # fmt: skip
    data = _report_data(progress, [returned], warnings=messages, open_alerts=messages)
    html = write_report(data, plan, catalog, tmp_path / "progress-2013-06.html").read_text(
        encoding="utf-8"
    )
    body = html[html.index("<body") :]
    assert "<script>alert(1)</script>" not in body and "<!-- 注释 -->" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<b>数字</b>" not in body and 'href="http://x.example' not in body
    assert "宁郭镇\\x0a2013年06月\\x07月报.xlsx" in body
    assert "\x07" not in html and "铃\\x07退格\\x08换页\\x0c" in body


def test_the_written_page_is_the_rendered_page_whatever_the_text(
    plan: Plan, catalog: Catalog, tmp_path: Path
) -> None:
    """write_report writes plotly.js from its bytes beside the page; the file is still
    exactly ``render_report``'s page, plotly.js once, even when a sender's note looks like
    the place it goes."""
    progress = progress_of(plan, {})
    progress["note"] = ["/*plotly.js 0123456789abcdef0123456789abcdef*/ {{ plotly_js }}"] * len(
        progress
    )
    data = _report_data(progress, [], warnings=["/*plotly.js*/"], open_alerts=[])
    written = write_report(data, plan, catalog, tmp_path / "progress-2013-06.html")
    page = written.read_text(encoding="utf-8")
    assert page == render_report(data, plan, catalog)
    assert page.count(get_plotlyjs()) == 1
    assert page.count("/*plotly.js 0123456789abcdef0123456789abcdef*/") == len(progress)
