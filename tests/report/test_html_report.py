"""The HTML monthly report rendered by headless Chromium (Debian's package, driven by
Playwright): a full-page screenshot, Chinese text drawn with a real CJK font, and the page's
key numbers (summary, status table, charts, contributions, timeliness grid, warnings) checked
against the database they were read from."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from jzplan.alert.explanations import sync_validation_alerts
from jzplan.core.periods import Period
from jzplan.core.states import TARGET_STATUS_LABELS
from jzplan.reference.catalog import Catalog, convert
from jzplan.reference.plan import Plan
from jzplan.report.data import SUMMARY_BUCKETS, key_targets, read_report_data
from jzplan.report.html import write_report
from jzplan.report.plan_notes import NOTE_MARK, PlanNote
from jzplan.store.alerts import read_alerts
from jzplan.store.db import make_engine
from jzplan.store.progress import read_progress
from jzplan.store.submissions import read_submissions, write_validation_results
from jzplan.track.history import month_facts
from jzplan.validate.rules import Rules

CHROMIUM = os.environ.get("JZPLAN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Chromium as root in a container: no sandbox; no network chatter on a closed network
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
WARNED_UNIT, WARNED_PERIOD = "NGZ", "2013-06"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright; a skip without it, unless CI requires it."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("JZPLAN_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium not found at {CHROMIUM} (.ci/run installs Debian's chromium)")
        pytest.skip("Chromium not installed (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def store(demo_year: Engine, catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """A copy of the demo year, plus one figure flagged by a warning rule (as a load records
    it) and its validation_warning alert, so the report has a warning to show."""
    source = demo_year.url.database
    assert source is not None
    db = tmp_path_factory.mktemp("report-store") / "jzplan.db"
    shutil.copy(source, db)
    engine = make_engine(f"sqlite:///{db}")
    subs = read_submissions(engine, [WARNED_PERIOD])
    assert len(subs[(subs["org_unit"] == WARNED_UNIT) & (subs["status"] == "accepted")]) == 1
    with engine.connect() as conn:
        sid = conn.exec_driver_sql(
            "SELECT id FROM submission WHERE org_unit_code = ? AND period = ? "
            "AND status = 'accepted'",
            (WARNED_UNIT, WARNED_PERIOD),
        ).scalar_one()
    detail = {
        "indicator": "ind_output",
        "value": 12.5,
        "message": "工业总产值环比增长 85%，超出 50%",
    }
    write_validation_results(
        engine,
        sid,
        [{"rule": "mom_jump", "severity": "warning", "success": False, "checked": 20,
          "failed": 1, "details": [detail]}],
    )  # fmt: skip
    sync_validation_alerts(
        engine,
        catalog=catalog,
        period=Period.parse(WARNED_PERIOD),
        as_of=Period.parse(WARNED_PERIOD),
    )
    return engine


def _number(text: str) -> tuple[float, str]:
    """'2,275人' → (2275.0, '人'); '25.86亿元（暂）' → (25.86, '亿元')."""
    m = re.match(r"^(-?[\d,]+(?:\.\d+)?)(.*)$", text.split("（")[0].strip())
    assert m, text
    return float(m.group(1).replace(",", "")), m.group(2)


def _cjk_families() -> set[str]:
    out = subprocess.run(
        ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False
    ).stdout
    return {name.strip() for line in out.splitlines() for name in line.split(",")}


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


@pytest.mark.parametrize("period", ["2013-06", "2013-12"])
def test_report_renders_and_matches_the_database(
    browser: Any,
    store: Engine,
    plan: Plan,
    catalog: Catalog,
    rules: Rules,
    tmp_path: Path,
    period: str,
) -> None:
    month = Period.parse(period)
    data = read_report_data(store, plan, catalog, month, rules=rules)
    path = write_report(data, plan, catalog, tmp_path / "report.html")
    keys = key_targets(plan, catalog)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    try:
        page.goto(path.as_uri())
        # every chart drawn: the key targets and the contributions
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {len(keys) + 1}",
            timeout=30_000,
        )
        shot = tmp_path / f"report-{period}.png"
        page.screenshot(path=str(shot), full_page=True)
        width, height = _png_size(shot)
        assert width == 1366 and height > 5000  # the whole page, not the first screen

        # Chinese drawn with a CJK font the machine has, not boxes
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        h1 = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "h1"})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": h1})["fonts"]
        used = {f["familyName"] for f in fonts if f["glyphCount"] > 0}
        assert used & _cjk_families(), (used, "no CJK font drew the title")
        assert page.inner_text("h1") == f"焦作新区2013年目标进度月报（{month.label}）"

        progress = read_progress(store, period).set_index("target_id")
        _check_summary(page, progress, plan)
        _check_status_table(page, progress, plan)
        _check_plan_notes(page, data.plan_notes)
        _check_charts(page, store, keys, month)
        _check_contributions(page, store, plan, catalog, month)
        _check_timeliness(page, store, catalog, month)
        _check_warnings(page, store)
    finally:
        page.close()


def _check_summary(page: Any, progress: Any, plan: Plan) -> None:
    assert int(page.inner_text("#target-total")) == len(plan.targets) == len(progress)
    for label, statuses in SUMMARY_BUCKETS.items():
        expected = int(progress["status"].isin(statuses).sum())
        assert int(page.inner_text(f'[data-summary="{label}"]')) == expected, label


def _check_status_table(page: Any, progress: Any, plan: Plan) -> None:
    rows = page.eval_on_selector_all(
        "tr[data-target]",
        """rows => rows.map(r => ({id: r.dataset.target, status: r.dataset.status,
            label: r.querySelector('[data-col="状态"]').innerText,
            actual: r.querySelector('[data-col="累计完成"]').innerText}))""",
    )
    assert [r["id"] for r in rows] == [t.id for t in plan.targets]
    checked = 0
    for r in rows:
        db = progress.loc[r["id"]]
        assert r["status"] == db["status"] and r["label"] == TARGET_STATUS_LABELS[db["status"]], r
        if db["actual"] != db["actual"]:  # NaN: no figure
            assert r["actual"] == "—", r
            continue
        shown, unit = _number(r["actual"])
        value = float(db["actual"])
        if unit and db["unit"] and unit != db["unit"] and plan.target(r["id"]).kind != "ranking":
            value = convert(value, str(db["unit"]), unit)
        assert shown == pytest.approx(value, rel=5e-3, abs=0.006), (r, value)
        checked += 1
    assert checked > 60


def _check_plan_notes(page: Any, notes: dict[str, PlanNote]) -> None:
    """The plan's contradictions: ※ beside the target, the note in its 说明, nothing else."""
    rows = page.eval_on_selector_all(
        "tr[data-target]",
        """rows => rows.map(r => ({id: r.dataset.target,
            label: r.querySelector('[data-col="目标"]').innerText,
            remark: r.querySelector('[data-col="说明"]').innerText}))""",
    )
    assert {"A03", "A08", "P04", "T-NGZ-01", "T-NGZ-03", "T-NGZ-04"} <= set(notes)
    for r in rows:
        note = notes.get(r["id"])
        assert r["label"].endswith(NOTE_MARK) == (note is not None), r
        assert (note is not None and f"{NOTE_MARK}{note.text}" in r["remark"]) or (
            note is None and NOTE_MARK not in r["remark"]
        ), r


def _check_charts(page: Any, store: Engine, keys: list[Any], month: Period) -> None:
    monthly = [read_progress(store, Period(2013, m)) for m in range(1, month.month + 1)]
    for t in keys:
        traces = page.evaluate(
            f"""() => {{ const el = document.getElementById('chart-{t.id}');
                 return {{unit: el.layout.yaxis.title.text,
                         traces: el.data.map(d => ({{name: d.name, y: d.y,
                                   err: d.error_y ? [d.error_y.arrayminus[0], d.error_y.array[0]]
                                                  : null}}))}}; }}"""
        )
        by_name = {tr["name"]: tr for tr in traces["traces"]}
        unit = traces["unit"]
        # ticks as the tables write figures: 20,000, never 20k or 20000
        ticks = page.eval_on_selector_all(
            f"#chart-{t.id} .ytick text", "ts => ts.map(t => t.textContent)"
        )
        assert ticks and all(re.fullmatch(r"−?\d{1,3}(,\d{3})*(\.\d+)?", x) for x in ticks), ticks
        rows = [f.set_index("target_id").loc[t.id] for f in monthly]
        canonical = str(rows[-1]["unit"])

        def shown(v: float, unit: str = unit, canonical: str = canonical) -> float:
            return convert(v, canonical, unit) if unit and unit != canonical else v

        actual = [shown(float(r["actual"])) for r in rows]
        assert by_name["实际累计"]["y"] == pytest.approx(actual, rel=1e-9), t.id
        linear = by_name["时间进度（线性）"]["y"]
        assert len(linear) == 12
        seasonal = by_name.get("季节进度（上年同期比重）", {"y": [None] * 12})["y"]
        # the curves pass through each stored month's linear and seasonal pace
        for m, r in enumerate(rows):
            if r["expected"] == r["expected"] and t.kind != "growth":
                assert linear[m] == pytest.approx(shown(float(r["expected"])), rel=1e-9), t.id
            if r["expected_seasonal"] == r["expected_seasonal"]:
                want = shown(float(r["expected_seasonal"]))
                assert seasonal[m] == pytest.approx(want, rel=1e-9), (t.id, m)
        last = rows[-1]
        if month.month < 12 and last["forecast"] == last["forecast"]:
            point = by_name["年末预计（区间）"]
            assert point["y"][0] == pytest.approx(shown(float(last["forecast"])), rel=1e-9)
            low, high = point["y"][0] - point["err"][0], point["y"][0] + point["err"][1]
            assert low == pytest.approx(shown(float(last["forecast_low"])), rel=1e-9)
            assert high == pytest.approx(shown(float(last["forecast_high"])), rel=1e-9)


def _check_contributions(
    page: Any, store: Engine, plan: Plan, catalog: Catalog, month: Period
) -> None:
    facts = month_facts(store, month)
    rows = page.eval_on_selector_all(
        "tr[data-contribution]",
        """rows => rows.map(r => ({id: r.dataset.contribution,
            shares: Object.fromEntries([...r.querySelectorAll('[data-unit]')]
                .map(c => [c.dataset.unit, c.innerText]))}))""",
    )
    assert rows, "no contribution rows"
    for r in rows:
        indicator = plan.target(r["id"]).indicator
        total = facts[(catalog.area.code, indicator)].value
        for unit, text in r["shares"].items():
            part = facts.get((unit, indicator))
            if part is None:
                assert text == "—", (r["id"], unit)
            else:
                share = part.value / total * 100
                assert float(text.rstrip("%")) == pytest.approx(share, abs=0.05), (r["id"], unit)


def _check_timeliness(page: Any, store: Engine, catalog: Catalog, month: Period) -> None:
    cells = page.eval_on_selector_all(
        "tr[data-unit] td[data-state]",
        """cs => cs.map(c => ({unit: c.closest('tr').dataset.unit, period: c.dataset.period,
            state: c.dataset.state, timeliness: c.dataset.timeliness, text: c.innerText,
            late: c.classList.contains('late')}))""",
    )
    units = [u.code for u in catalog.reporting_units]
    assert len(cells) == len(units) * month.month
    subs = read_submissions(store, sorted({c["period"] for c in cells}))
    labels = {"reported": "已报", "missing": "未报", "returned": "退回待改"}
    for c in cells:
        mine = subs[(subs["org_unit"] == c["unit"]) & (subs["period"] == c["period"])]
        loaded = mine[mine["status"].isin(["accepted", "superseded"])]
        on_time = ""
        if len(loaded):
            expected = "reported"
            late = str(loaded["arrival_period"].min()) > c["period"]
            on_time = "late" if late else "on_time"
        else:
            expected = "returned" if (mine["status"] == "rejected").any() else "missing"
        assert c["state"] == expected and c["text"] == labels[expected], c
        assert c["timeliness"] == on_time and c["late"] == (on_time == "late"), c
    states = {(c["unit"], c["period"]): c["timeliness"] for c in cells}
    assert states[("LWJ", "2013-05")] == "late"  # the demo's late township
    if month.month >= 8:
        assert states[("NGZ", "2013-08")] == "on_time"  # rejected, corrected the same month


def _check_warnings(page: Any, store: Engine) -> None:
    alerts = read_alerts(store, open_only=True)
    warnings = alerts[alerts["kind"] == "validation_warning"]
    assert len(warnings) == 1
    assert int(page.inner_text("#warning-count")) == 1
    assert page.inner_text("tr.warning").count(str(warnings.iloc[0]["message"])[:8]) == 1
    assert int(page.inner_text("#alert-count")) == len(alerts)
