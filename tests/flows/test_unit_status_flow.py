"""The monthly flow's words for a unit's month, per backend: March's batch with 李万街道's form
missing and 文昌街道's form named 2013年03月 whose 报告期 cell says 2013年1-2月. The run's
summary, its Markdown and HTML reports and its alerts say 未报 for the first and 退回待改 (not
未报) for the second, in March."""

from __future__ import annotations

import os
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from flows.monthly import monthly_progress
from jzplan.core.periods import Period
from jzplan.ingest.form_writer import FormRow, write_form
from jzplan.reference.catalog import load_catalog
from jzplan.store.alerts import read_alerts
from jzplan.store.db import make_engine
from tests.conftest import REPO_ROOT
from tests.ingest.corpus import figures

pytestmark = pytest.mark.flow

WCJ_FILE = "文昌街道_2013年03月_月报.xlsx"


def test_a_returned_and_a_missing_unit_in_the_monthly_run(flow_env: Path) -> None:
    catalog = load_catalog(REPO_ROOT / "data" / "catalog")
    batch = flow_env / "inbox" / "2013-03"
    batch.mkdir(parents=True)
    for f in (REPO_ROOT / "data" / "inbox" / "2013-03").glob("*.xlsx"):
        if not f.name.startswith(("李万街道", "文昌街道")):
            shutil.copy(f, batch / f.name)
    rows = [FormRow(c, ytd, m, None) for c, (ytd, m) in figures(catalog, "WCJ").items()]
    write_form(
        batch / WCJ_FILE, catalog=catalog, unit_code="WCJ", period=Period(2013, 2), rows=rows,
        filed_by="王五", filed_on=date(2013, 4, 2),
    )  # fmt: skip

    summary = monthly_progress(period="2013-03", inbox_dir=str(flow_env / "inbox"))

    assert (summary["accepted"], summary["rejected"]) == (5, 1)
    assert summary["missing_units"] == ["LWJ"]
    assert summary["recomputed"] == ["2013-03"]  # nothing of the batch counts for February
    assert {u: s for u, s in summary["unit_months"].items() if s != "reported"} == {
        "LWJ": "missing",
        "WCJ": "returned",
    }
    markdown = Path(summary["report"]).with_suffix(".md").read_text(encoding="utf-8")
    assert "- 未报：李万街道；退回待改：文昌街道\n" in markdown
    html = Path(summary["report"]).read_text(encoding="utf-8")
    wcj = re.search(r'<tr data-unit="WCJ">(.*?)</tr>', html, re.S)
    assert wcj is not None
    assert re.search(r'data-period="2013-03" data-state="returned"[^>]*>退回待改<', wcj[1])
    engine = make_engine(os.environ["JZPLAN_DATABASE_URL"])
    try:
        alerts = read_alerts(engine, open_only=True).set_index("dedup_key")
    finally:
        engine.dispose()
    assert alerts.loc["rejected:WCJ:2013-03", "severity"] == "critical"
    message = str(alerts.loc["rejected:WCJ:2013-03", "message"])
    assert message.startswith(f"文昌街道 2013-03 月报退回待改：{WCJ_FILE} 随 2013-03 批次报送")
    assert "表内报告期（2013-02）与所在批次不符" in message and "[period_mismatch]" in message
    assert "missing:WCJ:2013-03" not in alerts.index and "missing:LWJ:2013-03" in alerts.index
