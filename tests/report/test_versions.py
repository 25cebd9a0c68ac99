"""Versioned reports (issue 19 item 3) on a copy of the demo store: June released as version 1;
a corrected June form of 宁郭镇 (one figure changed) loaded through the monthly run's locked
path (``load_month`` with the plain steps); version 2 then lists exactly what changed — checked
against the two snapshot.json files and against the store read directly — while version 1's
files stay byte-identical; an existing version is never overwritten."""

from __future__ import annotations

import hashlib
import math
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
from markdown_it import MarkdownIt
from sqlalchemy import Engine

from jzplan.core.errors import OperatorError
from jzplan.core.periods import Period
from jzplan.core.settings import Settings
from jzplan.core.states import IngestStatus, TargetStatus
from jzplan.ingest.form_writer import FormRow, write_form
from jzplan.ingest.inbox import scan_batch
from jzplan.month.prepare import prepare_file, validate_prepared
from jzplan.month.resources import Resources, open_resources
from jzplan.month.runs import load_month, plain_steps
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.report.snapshot import (
    MonthSnapshot,
    parse_snapshot,
    snapshot_json,
    snapshot_month,
    stable_float,
)
from jzplan.report.versions import (
    is_version_path,
    list_versions,
    read_version_snapshot,
    write_version,
)
from jzplan.report.versions_diff import NO_CHANGES, change_rows, month_changes
from jzplan.store.alerts import read_alerts
from jzplan.store.locks import run_locked
from jzplan.store.observations import current_observations
from jzplan.store.progress import read_progress
from jzplan.track.history import month_facts
from jzplan.validate.shared import SharedValidator
from tests.hostile_text import HOSTILE_TEXT, assert_inert_html

JUNE = Period(2013, 6)
UNIT, INDICATOR = "NGZ", "fai"  # 宁郭镇 固定资产投资: T-NGZ-02 滞后 at 1.62 of 2.5 亿元 due
FACTOR = 1.8
AT1 = datetime(2013, 7, 8, 2, 30, tzinfo=UTC)  # 10:30 in Shanghai
AT2 = datetime(2013, 8, 9, 1, 5, tzinfo=UTC)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): sha(p) for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass
class Store:
    resources: Resources
    reports: Path
    inbox: Path

    @property
    def engine(self) -> Engine:
        return self.resources.engine


@pytest.fixture(scope="module")
def store(demo_year: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A copy of the demo store (2012–2013 loaded), opened as a run opens it."""
    tmp = tmp_path_factory.mktemp("versions")
    copy = tmp / "jzplan.db"
    assert demo_year.url.database
    with sqlite3.connect(demo_year.url.database) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    settings = Settings(
        database_url=f"sqlite:///{copy}", archive_dir=tmp / "archive", report_dir=tmp / "reports"
    )
    resources = open_resources(settings)
    yield Store(resources, tmp / "reports", tmp / "inbox")
    resources.close()


def correct_june(s: Store) -> None:
    """宁郭镇's June form again, filed later, its 固定资产投资 year-to-date times FACTOR (the
    month's figure up by as much), run as the July batch runs it."""
    catalog = s.resources.catalog
    obs = current_observations(s.engine, [JUNE], UNIT)
    last = current_observations(s.engine, [JUNE.same_month_last_year()], UNIT)
    last_year = dict(zip(last["indicator"], last["value"], strict=True))
    rows = []
    for r in obs.to_dict("records"):
        up = r["value"] * (FACTOR - 1) if r["indicator"] == INDICATOR else 0.0
        month = None if math.isnan(r["value_month"]) else r["value_month"] + up
        rows.append(FormRow(r["indicator"], r["value"] + up, month, last_year.get(r["indicator"])))
    arrival = Period(2013, 7)
    folder = s.inbox / str(arrival)
    folder.mkdir(parents=True)
    write_form(
        folder / "宁郭镇_2013年06月_月报(更正).xlsx", catalog=catalog, unit_code=UNIT,
        period=JUNE, rows=rows, filed_by="王五", filed_on=date(2013, 7, 20),
    )  # fmt: skip
    shared = SharedValidator(s.resources.settings.expectations_dir, catalog)
    files = [
        prepare_file(p, catalog=catalog, validator=shared, archive_dir=s.inbox.parent / "archive",
                     defer=True)
        for p in scan_batch(s.inbox, arrival).files
    ]  # fmt: skip
    with shared.exclusive() as checking:
        prepared = validate_prepared(files, checking)
    steps = plain_steps(s.resources, shared, s.inbox, arrival, datetime(2013, 7, 21, tzinfo=UTC))
    load = run_locked(
        s.engine,
        lambda conn: load_month(conn, prepared, arrival, steps, s.resources.plan.year),
        timeout=120,
    )
    assert [o.status for o in load.outcomes] == [IngestStatus.ACCEPTED], [
        (o.status, o.messages) for o in load.outcomes
    ]
    assert JUNE in load.refreshed


def write(s: Store, version: int, by: str, note: str, at: datetime):  # type: ignore[no-untyped-def]
    r = s.resources
    return write_version(
        r.engine, r.plan, r.catalog, JUNE, rules=r.rules, version=version, by=by, note=note,
        at=at, report_dir=s.reports,
    )  # fmt: skip


def test_snapshot_holds_the_stored_month(store: Store, plan: Plan, catalog: Catalog) -> None:
    snap = snapshot_month(store.engine, plan, catalog, JUNE)
    facts = month_facts(store.engine, JUNE)
    shown = {f.key: f for f in snap.figures}
    assert set(shown) == set(facts)
    for key, fact in facts.items():
        assert shown[key].value == pytest.approx(fact.value, rel=1e-11)
        assert shown[key].provisional == fact.provisional
        assert shown[key].unit == catalog.indicator(key[1]).unit
    assert shown[(catalog.area.code, INDICATOR)].org_unit_name == catalog.area.name
    progress = read_progress(store.engine, JUNE).set_index("target_id")
    assert [t.target_id for t in snap.targets] == [t.id for t in plan.targets]
    for t in snap.targets:
        assert t.status == progress.loc[t.target_id, "status"]
        assert t.status_label == TargetStatus(t.status).label
        assert t.actual == stable_float(progress.loc[t.target_id, "actual"])
    alerts = read_alerts(store.engine)
    open_in_june = alerts[
        (alerts["first_seen"] <= "2013-06")
        & (alerts["resolved"].isna() | (alerts["resolved"] > "2013-06"))
    ]
    assert {a.dedup_key: a.message for a in snap.alerts} == dict(
        zip(open_in_june["dedup_key"], open_in_june["message"], strict=True)
    )
    assert snap.alerts and snap.version is None
    # JSON: the same snapshot, the same bytes, read back equal
    text = snapshot_json(snap)
    assert parse_snapshot(text) == snap
    assert snapshot_json(snapshot_month(store.engine, plan, catalog, JUNE)) == text
    assert month_changes(snap, parse_snapshot(text)).empty


def test_month_changes_finds_exactly_what_differs(
    store: Store, plan: Plan, catalog: Catalog
) -> None:
    snap = snapshot_month(store.engine, plan, catalog, JUNE)
    figure, target, alert = snap.figures[3], snap.targets[5], snap.alerts[0]
    other = TargetStatus.ACHIEVED if target.status != TargetStatus.ACHIEVED else TargetStatus.BEHIND
    changed = replace(
        snap,
        figures=tuple(
            replace(f, value=(f.value or 0) + 2.5) if f == figure else f for f in snap.figures
        )[1:],
        targets=tuple(
            replace(t, status=other.value, status_label=other.label) if t == target else t
            for t in snap.targets
        ),
        alerts=snap.alerts[1:],
    )
    changes = month_changes(snap, changed)
    assert [(c.old, c.new.value, c.difference) for c in changes.figures_changed] == [
        (figure, (figure.value or 0) + 2.5, pytest.approx(2.5))
    ]
    assert changes.figures_removed == (snap.figures[0],) and not changes.figures_added
    assert [(c.old.status_label, c.new.status_label) for c in changes.statuses_changed] == [
        (target.status_label, other.label)
    ]
    assert changes.alerts_closed == (alert,) and not changes.alerts_opened
    rows = change_rows(changes)
    assert f"由{target.status_label}转为{other.label}" in [r.difference for r in rows]
    back = month_changes(changed, snap)
    assert back.figures_added == (snap.figures[0],) and back.alerts_opened == (alert,)


def test_versions_keep_what_was_released(store: Store, plan: Plan, catalog: Catalog) -> None:
    engine = store.engine
    v1 = write(store, 1, "张三", "六月数据审核定稿", AT1)
    assert v1.changes is None
    assert v1.folder == store.reports / "2013-06" / "v1"
    assert sorted(p.name for p in v1.folder.iterdir()) == [
        "progress-2013-06-v1-文字分析.docx", "progress-2013-06-v1.html", "progress-2013-06-v1.md",
        "progress-2013-06-v1.xlsx", "snapshot.json",
    ]  # fmt: skip
    assert v1.briefing.name == "progress-2013-06-v1-文字分析.docx"
    before = tree_hashes(v1.folder)
    heading1 = "正式（第1版，张三 于 2013-07-08 10:30 发布）"
    html1 = v1.html.read_text(encoding="utf-8")
    assert heading1 in html1 and "六月数据审核定稿" in html1 and 'id="changes"' not in html1
    assert heading1 in v1.markdown.read_text(encoding="utf-8")
    snap1 = read_version_snapshot(store.reports, JUNE, 1)
    assert snap1.version is not None and snap1.version.released_by == "张三"
    facts1, progress1 = month_facts(engine, JUNE), read_progress(engine, JUNE)

    correct_june(store)

    facts2, progress2 = month_facts(engine, JUNE), read_progress(engine, JUNE)
    v2 = write(store, 2, "李四", "宁郭镇更正6月固定资产投资", AT2)
    # version 1 untouched, to the byte
    assert tree_hashes(v1.folder) == before
    # the change section: exactly the changes between the two snapshot.json files ...
    old = parse_snapshot(v1.snapshot.read_text(encoding="utf-8"))
    new = parse_snapshot(v2.snapshot.read_text(encoding="utf-8"))
    assert v2.changes == month_changes(old, new)
    changes = v2.changes
    assert changes is not None
    # ... and exactly what the store says changed
    moved = {
        k for k in facts1.keys() | facts2.keys()
        if k not in facts1 or k not in facts2
        or stable_float(facts1[k].value) != stable_float(facts2[k].value)
        or facts1[k].provisional != facts2[k].provisional
    }  # fmt: skip
    assert {c.new.key for c in changes.figures_changed} == moved
    assert (UNIT, INDICATOR) in moved and (catalog.area.code, INDICATOR) in moved
    assert not changes.figures_added and not changes.figures_removed
    ngz = next(c for c in changes.figures_changed if c.new.key == (UNIT, INDICATOR))
    assert ngz.new.value == pytest.approx(ngz.old.value * FACTOR)  # type: ignore[operator]
    assert ngz.difference == pytest.approx(ngz.old.value * (FACTOR - 1))  # type: ignore[operator]
    s1 = dict(zip(progress1["target_id"], progress1["status"], strict=True))
    s2 = dict(zip(progress2["target_id"], progress2["status"], strict=True))
    flipped = {t for t in s2 if s1.get(t) != s2[t]}
    assert flipped, "the correction should move a target's status"
    assert {c.new.target_id for c in changes.statuses_changed} == flipped
    # the change section as HTML, Markdown and workbook sheet
    rows = change_rows(changes)
    html2 = v2.html.read_text(encoding="utf-8")
    heading2 = "正式（第2版，李四 于 2013-08-09 09:05 发布）"
    assert heading2 in html2 and "宁郭镇更正6月固定资产投资" in html2
    section = html2[html2.index('<section id="changes">') : html2.index('<section id="summary">')]
    assert (
        section.count('<tr class="change"')
        == len(rows)
        == len(moved)
        + len(flipped)
        + len(changes.alerts_opened)
        + len(changes.alerts_closed)
        + len(changes.alerts_reworded)
    )
    for c in changes.statuses_changed:
        assert f"由{c.old.status_label}转为{c.new.status_label}" in section
    # the version shows the month's alerts, as its snapshot does
    assert f'<span id="alert-count">{len(new.alerts)}</span>' in html2
    md = v2.markdown.read_text(encoding="utf-8")
    assert f"- 未解除告警：{len(new.alerts)} 条" in md
    assert md.index(heading2) < md.index("## 较上一版变化") < md.index("## 目标进度")
    assert md.count("| 数据变化 |") == len(moved)
    sheet = openpyxl.load_workbook(v2.workbook, read_only=True)["较上一版变化"]
    values = [r for r in sheet.iter_rows(values_only=True) if r and r[0] == "数据变化"]
    assert len(values) == len(moved)
    assert ("数据变化", "宁郭镇", catalog.indicator(INDICATOR).name) in [v[:3] for v in values]
    # never overwritten: refused with a stable code, v2 as it was
    v2_hashes = tree_hashes(v2.folder)
    with pytest.raises(OperatorError) as refused:
        write(store, 2, "李四", "再写一遍", AT2)
    assert refused.value.code == "version_exists" and "第2版已存在" in refused.value.message
    with pytest.raises(OperatorError) as gap:
        write(store, 4, "李四", "跳号", AT2)
    assert gap.value.code == "version_missing"
    # the same release written again (a rerun) finds its files
    assert write(store, 2, "李四", "宁郭镇更正6月固定资产投资", AT2).folder == v2.folder
    assert tree_hashes(v2.folder) == v2_hashes and tree_hashes(v1.folder) == before
    # the history: both versions, newest first and current, links to files that exist
    versions = list_versions(store.reports, JUNE)
    assert [(v.number, v.released_by, v.note) for v in versions] == [
        (1, "张三", "六月数据审核定稿"), (2, "李四", "宁郭镇更正6月固定资产投资"),
    ]  # fmt: skip
    page = v2.history.read_text(encoding="utf-8")
    assert v2.history == store.reports / "2013-06" / "index.html"
    assert page.index('data-version="2"') < page.index('data-version="1"')
    current = re.findall(r'<tr class="version current" data-version="(\d+)"', page)
    assert current == ["2"] and page.count('<td class="mark">当前版本</td>') == 1
    for href in re.findall(r'href="([^"]+)"', page):
        assert (v2.history.parent / href).is_file(), href
    assert 'href="v2/progress-2013-06-v2-文字分析.docx"' in page
    # a third version with nothing changed says so
    v3 = write(store, 3, "王五", "复核无误", AT2)
    assert v3.changes is not None and v3.changes.empty
    assert NO_CHANGES in v3.html.read_text(encoding="utf-8")
    assert NO_CHANGES in v3.markdown.read_text(encoding="utf-8")
    assert tree_hashes(v1.folder) == before and tree_hashes(v2.folder) == v2_hashes


def test_report_command_leaves_version_folders_alone(
    store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from jzplan.cli import main

    if not list_versions(store.reports, JUNE):
        write(store, 1, "张三", "定稿", AT1)
    month = store.reports / "2013-06"
    before = tree_hashes(month)
    monkeypatch.setenv("JZPLAN_DATABASE_URL", str(store.engine.url))
    monkeypatch.setenv("JZPLAN_REPORT_DIR", str(store.reports))
    assert main(["report", "--period", "2013-06"]) == 0
    assert (store.reports / "progress-2013-06.html").is_file()
    assert (store.reports / "progress-2013-06-文字分析.docx").is_file()
    assert "文字分析：" in capsys.readouterr().out
    assert main(["report", "--period", "2013-06", "--out", str(month / "v1")]) == 2
    assert "[version_folder]" in capsys.readouterr().err
    assert tree_hashes(month) == before
    assert is_version_path(month / "v1" / "x", store.reports)
    assert not is_version_path(month, store.reports)


def test_history_page_shows_hostile_text_as_text(
    store: Store, plan: Plan, catalog: Catalog, tmp_path: Path
) -> None:
    r = store.resources
    files = write_version(
        r.engine, plan, catalog, JUNE, rules=r.rules, version=1, by="<b>张三</b>",
        note=HOSTILE_TEXT, at=AT1, report_dir=tmp_path,
    )  # fmt: skip
    page = files.history.read_text(encoding="utf-8")
    note = page[page.index('<td class="note">') : page.index("</td>", page.index('class="note"'))]
    assert_inert_html(note)
    assert "&lt;script&gt;" in note and "\x07" not in page and "\\x07" in note
    assert "<b>张三</b>" not in page and "&lt;b&gt;张三&lt;/b&gt;" in page
    html = files.html.read_text(encoding="utf-8")
    shown = html[html.index('id="release"') : html.index('<p class="lead">时间进度')]
    assert "<script>alert" not in shown and "<b>张三" not in shown
    md = files.markdown.read_text(encoding="utf-8")
    (line,) = [x for x in md.splitlines() if x.startswith("发布说明：")]
    assert_inert_html(MarkdownIt().render(line))
    assert MarkdownIt().render(md[: md.index("发布说明：")]).count("<strong>") == 1  # the heading


@pytest.mark.postgres
def test_snapshot_alike_on_postgresql(
    plan: Plan, catalog: Catalog, parsed_inbox: dict[Path, object], tmp_path: Path
) -> None:
    """The same months loaded into SQLite and PostgreSQL give the same snapshot.json bytes."""
    from jzplan.store.db import make_engine, migrate
    from jzplan.store.reference import sync_reference
    from tests.dbutil import pg_schema_engine
    from tests.demo_store import run_month

    def load(engine: Engine) -> str:
        migrate(engine)
        sync_reference(engine, catalog, plan)
        for month in (Period(2013, 5), JUNE):
            run_month(engine, catalog, plan, month, parsed_inbox)  # type: ignore[arg-type]
        return snapshot_json(snapshot_month(engine, plan, catalog, JUNE))

    lite = make_engine(f"sqlite:///{tmp_path / 'lite.db'}")
    try:
        expected = load(lite)
    finally:
        lite.dispose()
    with pg_schema_engine() as pg:
        assert load(pg) == expected
    snap: MonthSnapshot = parse_snapshot(expected)
    assert snap.figures and snap.targets
