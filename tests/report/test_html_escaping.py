"""The HTML report shows a sender's text as text: markup escaped (Jinja autoescape), control
characters (a file name's newline) shown as \\xNN, nothing invisible."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.report.data import ReportData, summarise
from jzplan.report.html import write_report
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


def test_hostile_text_is_escaped_in_the_html(plan: Plan, catalog: Catalog, tmp_path: Path) -> None:
    progress = progress_of(plan, {})
    progress["note"] = [HOSTILE[i % len(HOSTILE)] for i in range(len(progress))]
    messages = [*HOSTILE, f"{FILE_NAME}：第 3 行 <b>数字</b>"]
    data = ReportData(
        period=Period(2013, 6),
        progress=progress,
        summary=summarise(progress),
        courses=[],
        contributions=pd.DataFrame(columns=["target_id", "org_unit", "value", "share_pct"]),
        timeliness=pd.DataFrame(
            [
                {
                    "org_unit": "NGZ",
                    "period": "2013-06",
                    "state": "returned",
                    "timeliness": "",
                    "detail": FILE_NAME,
                }
            ]
        ),
        warnings=_alerts(messages),
        open_alerts=_alerts(messages),
    )
    html = write_report(data, plan, catalog, tmp_path / "progress-2013-06.html").read_text(
        encoding="utf-8"
    )
    body = html[html.index("<body") :]
    assert "<script>alert(1)</script>" not in body and "<!-- 注释 -->" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<b>数字</b>" not in body and 'href="http://x.example' not in body
    assert "宁郭镇\\x0a2013年06月\\x07月报.xlsx" in body
    assert "\x07" not in html and "铃\\x07退格\\x08换页\\x0c" in body
