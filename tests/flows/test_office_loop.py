"""The township office's loop, end to end on each backend (issue 17's "done means").

March's batch, as offices send it: 宁郭镇's form with one name the catalog does not know
(项目建设总投入, row 10) and one qualified name it must fold (招商引资（实际到位资金）), and
文昌街道's form named 2013年03月 whose 报告期 cell says 2013年1-2月. The run keeps 宁郭镇's
other figures in the totals and holds its unknown row as a question; each office's receipt
reaches its own loopback endpoint; both units stand as 有待确认 / 退回待改 (never 未报) in the
report and the alerts; and answering the held row from the command line adds the figure to
the month's totals and teaches the catalog the name.
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import yaml

from flows.monthly import monthly_progress
from jzplan.cli import main
from jzplan.core.periods import Period
from jzplan.ingest.form_writer import FormRow, write_form
from jzplan.month.lines import run_lines
from jzplan.reference.catalog import load_catalog
from jzplan.store.aggregates import read_aggregates
from jzplan.store.alerts import read_alerts
from jzplan.store.db import make_engine
from jzplan.store.questions import list_questions
from jzplan.store.unit_months import unit_statuses
from tests.alert.receivers import http_receiver
from tests.conftest import REPO_ROOT
from tests.ingest.corpus import figures

pytestmark = pytest.mark.flow

MARCH = Period(2013, 3)
NGZ_FILE = "宁郭镇_2013年03月_月报.xlsx"
WCJ_FILE = "文昌街道_2013年03月_月报.xlsx"
UNKNOWN = "项目建设总投入"  # 项目投入 (alias 项目建设投入) as no catalog writes it


def _ngz_form(path: Path) -> None:
    """The demo's 宁郭镇 March form, edited as an office edits it: two names rewritten."""
    shutil.copy(REPO_ROOT / "data" / "inbox" / "2013-03" / NGZ_FILE, path)
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert sheet is not None
    names = {str(sheet.cell(r, 2).value): r for r in range(1, sheet.max_row + 1)}
    sheet.cell(names["项目投入"], 2).value = UNKNOWN  # held: 243.76 万元 in row 10
    sheet.cell(names["招商引资到位资金"], 2).value = "招商引资（实际到位资金）"  # folded, read
    book.save(path)


def _channels(path: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each office's own robot (a URL is a secret: read from the environment)."""
    monkeypatch.setenv("TEST_NGZ_URL", f"{url}/ngz?key=k")
    monkeypatch.setenv("TEST_WCJ_URL", f"{url}/wcj?key=k")
    path.write_text(
        yaml.safe_dump(
            {"offices": {
                "NGZ": [{"name": "ngz", "type": "wecom", "url": {"env": "TEST_NGZ_URL"}}],
                "WCJ": [{"name": "wcj", "type": "wecom", "url": {"env": "TEST_WCJ_URL"}}],
            }},
            allow_unicode=True,
        ),
        encoding="utf-8",
    )  # fmt: skip
    return path


def _area(url: str, indicator: str) -> tuple[float, int]:
    engine = make_engine(url)
    try:
        totals = read_aggregates(engine, [MARCH], org_units=["JZXQ"]).set_index("indicator")
    finally:
        engine.dispose()
    return float(totals.loc[indicator, "value"]), int(totals.loc[indicator, "n_reported"])


def test_the_office_loop(flow_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = load_catalog(REPO_ROOT / "data" / "catalog")
    data = flow_env / "data"  # the learned name is written here, not into the repository
    for folder in ("catalog", "targets"):
        shutil.copytree(REPO_ROOT / "data" / folder, data / folder)
    monkeypatch.setenv("JZPLAN_DATA_DIR", str(data))
    batch = flow_env / "inbox" / "2013-03"
    batch.mkdir(parents=True)
    for f in (REPO_ROOT / "data" / "inbox" / "2013-03").glob("*.xlsx"):
        if not f.name.startswith(("宁郭镇", "文昌街道")):
            shutil.copy(f, batch / f.name)
    _ngz_form(batch / NGZ_FILE)
    rows = [FormRow(c, ytd, m, None) for c, (ytd, m) in figures(catalog, "WCJ").items()]
    write_form(
        batch / WCJ_FILE, catalog=catalog, unit_code="WCJ", period=Period(2013, 2), rows=rows,
        filed_by="王五", filed_on=date(2013, 4, 2),
    )  # fmt: skip
    url = os.environ["JZPLAN_DATABASE_URL"]

    with http_receiver() as http:
        channels = _channels(flow_env / "channels.yaml", http.url, monkeypatch)
        monkeypatch.setenv("JZPLAN_ALERT_CHANNELS_FILE", str(channels))
        summary = monthly_progress(period="2013-03", inbox_dir=str(flow_env / "inbox"))
        receipts = {r.path.split("?")[0]: r.body["markdown"]["content"] for r in http.requests}

    # the good figures are in: 宁郭镇 accepted, its folded name read, the held row out
    assert (summary["accepted"], summary["rejected"]) == (6, 1)
    assert summary["unit_months"]["NGZ"] == "questions"
    assert summary["unit_months"]["WCJ"] == "returned"
    # what `jzplan run` prints of it: units by name, the returned file with its codes
    lines = run_lines(catalog, MARCH, summary)
    assert "；退回待改 文昌街道；有待确认 宁郭镇" in lines[0]
    assert any(line.startswith(f"  {WCJ_FILE}：已退回（") for line in lines[1:])
    attracted, n_attracted = _area(url, "investment_attracted")
    assert n_attracted == len(catalog.reporters_of("investment_attracted")) - 1  # but WCJ
    input_before, n_input = _area(url, "project_input")

    # the held row is listed, its cells as written
    engine = make_engine(url)
    try:
        [question] = list_questions(engine, period=MARCH)
        alerts = read_alerts(engine, open_only=True).set_index("dedup_key")
    finally:
        engine.dispose()
    assert (question.org_unit, question.name, question.value, question.unit) == (
        "NGZ", UNKNOWN, "243.76", "万元",
    )  # fmt: skip
    assert "项目投入" in question.hints or "项目建设投入" in question.hints

    # each receipt reached its own office: the question with its figure as written; the
    # returned file with its error first
    assert set(receipts) == {"/ngz", "/wcj"}
    ngz = receipts["/ngz"]
    assert ngz.startswith("### 【回执】宁郭镇｜宁郭镇\\_2013年03月\\_月报.xlsx｜已接收·有待确认")
    assert UNKNOWN in ngz and "累计 243.76 万元" in ngz
    wcj = receipts["/wcj"]
    assert wcj.startswith("### 【回执】文昌街道｜文昌街道\\_2013年03月\\_月报.xlsx｜退回")
    first = next(line for line in wcj.splitlines() if line.startswith("1. "))
    assert "报告期" in first and "2013年1-2月" in first

    # the four words: 有待确认 and 退回待改, not 未报, in the report and the alerts
    markdown = Path(summary["report"]).with_suffix(".md").read_text(encoding="utf-8")
    assert "- 未报：无；退回待改：文昌街道；有待确认：宁郭镇\n" in markdown
    assert alerts.loc["held:NGZ:2013-03", "severity"] == "warning"
    assert alerts.loc["rejected:WCJ:2013-03", "severity"] == "critical"
    assert not any(k.startswith("missing:") for k in alerts.index)

    # answering the held row re-evaluates the month and learns the name
    assert main(["answer", str(question.id), "--indicator", "project_input", "--by", "张三"]) == 0
    input_after, n_after = _area(url, "project_input")
    assert (input_after, n_after) == (pytest.approx(input_before + 243.76), n_input + 1)
    assert _area(url, "investment_attracted") == (pytest.approx(attracted), n_attracted)
    learned = yaml.safe_load((data / "catalog" / "aliases.yaml").read_text(encoding="utf-8"))
    assert UNKNOWN in str(learned)
    assert load_catalog(data / "catalog").name_index()[UNKNOWN] == "project_input"
    engine = make_engine(url)
    try:
        standing = unit_statuses(engine, ["NGZ", "WCJ"], MARCH)
        alerts = read_alerts(engine, open_only=True).set_index("dedup_key")
    finally:
        engine.dispose()
    assert (standing["NGZ"].status, standing["WCJ"].status) == ("reported", "returned")
    assert "held:NGZ:2013-03" not in alerts.index
