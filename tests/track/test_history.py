"""Loading a month's status and ranking files, on SQLite and PostgreSQL: archived, recorded
once, checked by their suites."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from jzplan.core.periods import Period
from jzplan.core.states import StatusFileKind
from jzplan.ingest.inbox import read_metadata
from jzplan.ingest.status_files import RANKING_FILE, STATUS_FILE
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store import tracking
from jzplan.store.models import StatusFileRow
from jzplan.store.reference import sync_reference
from jzplan.store.status_files import clean_check_results, read_status_files
from jzplan.track.history import StatusLoad, StatusReceipt, load_status_submissions
from jzplan.validate.shared import SharedValidator
from jzplan.validate.status_checks import StatusChecker
from tests.conftest import REPO_ROOT
from tests.validate.status_cases import RANKING_CASES, STATUS_CASES

INBOX = REPO_ROOT / "data" / "inbox"


@pytest.fixture
def store(engine: Engine, catalog: Catalog, plan: Plan) -> Engine:
    sync_reference(engine, catalog, plan)
    return engine


def test_status_and_ranking_files_load_idempotently(
    store: Engine, plan: Plan, catalog: Catalog, tmp_path: Path
) -> None:
    period = Period(2013, 6)
    shutil.copytree(INBOX / "2013-06", tmp_path / "2013-06")
    first = load_status_submissions(store, tmp_path, period, plan=plan, catalog=catalog)
    milestones = [t for t in plan.targets if t.kind in ("milestone", "qualitative")]
    assert first.issues == [] and first.reports["inserted"] == len(milestones)
    assert first.rankings["inserted"] == 2
    again = load_status_submissions(store, tmp_path, period, plan=plan, catalog=catalog)
    assert again.reports["unchanged"] == len(milestones) and again.reports["inserted"] == 0
    c15 = {r.target_id: r for r in tracking.read_status_reports(store, 2013)}["C15"]
    assert c15.status == "done" and "黄河水" in (c15.evidence or "")
    ranks = {r.indicator: r.rank for r in tracking.read_rankings(store, 2013)}
    assert ranks == {"rank_cluster_growth": 11, "rank_new_area_economy": 7}


@pytest.fixture(scope="module")
def checker(catalog: Catalog, plan: Plan) -> StatusChecker:
    lengths = {
        StatusFileKind.PROGRESS: tracking.status_report_lengths(),
        StatusFileKind.RANKING: tracking.ranking_lengths(),
    }
    shared = SharedValidator(REPO_ROOT / "expectations", catalog)
    return StatusChecker(shared, plan, catalog, lengths)


def _archived(archive: Path) -> list[Path]:
    return sorted(p for p in archive.rglob("*") if p.is_file())


def test_status_files_are_archived_and_recorded_once(
    store: Engine, plan: Plan, catalog: Catalog, checker: StatusChecker, tmp_path: Path
) -> None:
    period = Period(2013, 6)
    shutil.copytree(INBOX / "2013-06", tmp_path / "inbox" / "2013-06")
    archive = tmp_path / "archive"
    first_time = datetime(2013, 7, 6, 9, 0, tzinfo=UTC)
    loaded = load_status_submissions(
        store, tmp_path / "inbox", period, plan=plan, catalog=catalog, check=checker,
        receipt=StatusReceipt(archive, first_time),
    )  # fmt: skip
    assert loaded.issues == [] and set(loaded.outcomes.values()) == {"accepted"}
    rows = read_status_files(store, period)
    assert [(r.kind, r.file_name, r.status) for r in rows] == [
        ("progress", "重点工作进展.csv", "accepted"),
        ("ranking", "排名.csv", "accepted"),
    ]
    for row in rows:
        inbox_bytes = (tmp_path / "inbox" / "2013-06" / row.file_name).read_bytes()
        copy = Path(row.archive_path)
        assert copy.read_bytes() == inbox_bytes
        assert copy.name == f"{hashlib.sha256(inbox_bytes).hexdigest()}.csv"
        assert stat.S_IMODE(copy.stat().st_mode) == 0o400
        assert stat.S_IMODE(copy.parent.stat().st_mode) == 0o700
        meta = read_metadata(copy)
        assert (meta.original_name, meta.source_path) == (row.file_name, f"2013-06/{row.file_name}")
        assert row.rows == row.rows_loaded > 0 and row.details  # the suite's rule results
        assert all(r["success"] for r in row.details)
    files = _archived(archive)
    assert len(files) == 4  # two copies, two sidecars
    # a rerun of the month with the same bytes adds nothing, and keeps the first receipt
    load_status_submissions(
        store, tmp_path / "inbox", period, plan=plan, catalog=catalog, check=checker,
        receipt=StatusReceipt(archive, datetime(2013, 7, 9, tzinfo=UTC)),
    )  # fmt: skip
    assert read_status_files(store) == rows
    assert _archived(archive) == files
    with store.connect() as conn:
        received = conn.scalars(select(StatusFileRow.received_at)).all()
    assert {r.replace(tzinfo=UTC) if r.tzinfo is None else r for r in received} == {first_time}


def test_a_bad_status_file_is_recorded_and_keeps_the_stored_month(
    store: Engine, plan: Plan, catalog: Catalog, checker: StatusChecker, tmp_path: Path
) -> None:
    period = Period(2013, 6)
    shutil.copytree(INBOX / "2013-06", tmp_path / "2013-06")
    receipt = StatusReceipt(tmp_path / "archive", datetime(2013, 7, 6, tzinfo=UTC))
    kwargs = {"plan": plan, "catalog": catalog, "check": checker, "receipt": receipt}
    load_status_submissions(store, tmp_path, period, **kwargs)  # type: ignore[arg-type]
    before = (tracking.read_status_reports(store, 2013), tracking.read_rankings(store, 2013))
    # the office sends again: a header-only 排名.csv, and a 进展 file with a duplicate target
    ranking = tmp_path / "2013-06" / "排名.csv"
    ranking.write_text("单位,排名指标,位次,参评总数,发布单位,发布日期\n", encoding="utf-8")
    status = tmp_path / "2013-06" / "重点工作进展.csv"
    lines = status.read_text(encoding="utf-8").splitlines()
    status.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    again = load_status_submissions(store, tmp_path, period, **kwargs)  # type: ignore[arg-type]
    assert again.outcomes == {"重点工作进展.csv": "partial", "排名.csv": "rejected"}
    codes = sorted({(i.file, i.code) for i in again.issues})
    assert codes == [("排名.csv", "empty_status_file"), ("重点工作进展.csv", "duplicate_target")]
    # the rankings stored before stay; the duplicated target's report is left out
    assert tracking.read_rankings(store, 2013) == before[1]
    duplicated = lines[1].split(",")[0]
    reports = tracking.read_status_reports(store, 2013)
    assert duplicated not in {r.target_id for r in reports}
    assert len(reports) == len(before[0]) - 1
    rows = read_status_files(store, period)
    assert [(r.kind, r.status) for r in rows] == [
        ("progress", "accepted"), ("ranking", "accepted"),
        ("progress", "partial"), ("ranking", "rejected"),
    ]  # fmt: skip
    rejected = rows[-1]
    assert rejected.rows == rejected.rows_loaded == 0 and rejected.error_count == 1
    failed = [r["rule"] for r in rejected.details if not r["success"]]
    assert failed == ["empty_status_file"]


HOSTILE = [(STATUS_FILE, *case) for case in STATUS_CASES] + [
    (RANKING_FILE, *case) for case in RANKING_CASES
]


@pytest.mark.parametrize(
    ("name", "case", "text", "encoding", "expected", "outcome"),
    HOSTILE,
    ids=[f"{'status' if h[0] == STATUS_FILE else 'ranking'}-{h[1]}" for h in HOSTILE],
)
def test_a_hostile_status_file_is_located_recorded_and_the_month_goes_on(
    name: str, case: str, text: str, encoding: str,
    expected: list[tuple[int, str | None, str]], outcome: str,
    store: Engine, plan: Plan, catalog: Catalog, checker: StatusChecker, tmp_path: Path,
) -> None:  # fmt: skip
    period = Period(2013, 6)
    folder = tmp_path / "inbox" / "2013-06"
    folder.mkdir(parents=True)
    (folder / name).write_bytes(text.encode(encoding))
    receipt = StatusReceipt(tmp_path / "archive", datetime(2013, 7, 6, tzinfo=UTC))
    loaded = load_status_submissions(
        store, tmp_path / "inbox", period, plan=plan, catalog=catalog, check=checker,
        receipt=receipt,
    )  # fmt: skip
    located = sorted((i.row, i.column, i.code) for i in loaded.issues if i.file == name)
    assert located == sorted(expected)
    assert loaded.outcomes == {name: outcome}
    [row] = read_status_files(store, period)
    assert (row.file_name, row.status, row.error_count) == (name, outcome, len(expected))
    assert Path(row.archive_path).read_bytes() == (folder / name).read_bytes()
    stored = (
        tracking.read_status_reports(store, 2013)
        if name == STATUS_FILE
        else tracking.read_rankings(store, 2013)
    )
    assert len(stored) == row.rows_loaded == (0 if outcome == "rejected" else len(stored))
    if outcome != "rejected":
        assert stored


def test_a_status_file_checked_clean_before_is_not_run_through_ge_again(
    store: Engine, plan: Plan, catalog: Catalog, tmp_path: Path
) -> None:
    """A rerun of a month (same bytes, same plan and suites) reuses the suite's stored rule
    results instead of building a GE context (3–4 s in a new process); anything the suite
    reads changing runs it again."""
    period = Period(2013, 6)
    shutil.copytree(INBOX / "2013-06", tmp_path / "inbox" / "2013-06")
    lengths = {
        StatusFileKind.PROGRESS: tracking.status_report_lengths(),
        StatusFileKind.RANKING: tracking.ranking_lengths(),
    }

    def load(month_plan: Plan) -> tuple[StatusLoad, SharedValidator]:
        shared = SharedValidator(REPO_ROOT / "expectations", catalog)
        check = StatusChecker(
            shared, month_plan, catalog, lengths,
            known=lambda digest: clean_check_results(store, digest),
        )  # fmt: skip
        loaded = load_status_submissions(
            store, tmp_path / "inbox", period, plan=month_plan, catalog=catalog, check=check,
            receipt=StatusReceipt(tmp_path / "archive", datetime(2013, 7, 6, tzinfo=UTC)),
        )  # fmt: skip
        return loaded, shared

    first, shared = load(plan)
    assert shared.built and first.issues == []
    stored = read_status_files(store, period)
    again, shared = load(plan)
    assert not shared.built
    assert (again.outcomes, again.issues, again.reports["unchanged"]) == (
        first.outcomes, [], first.reports["inserted"],
    )  # fmt: skip
    assert read_status_files(store, period) == stored  # the same results, recorded once
    # a milestone dropped from the plan: the progress file's suite reads another frame
    gone = next(t for t in plan.targets if t.kind == "milestone")
    changed = dataclasses.replace(plan, targets=tuple(t for t in plan.targets if t is not gone))
    third, shared = load(changed)
    assert shared.built
    assert [i.code for i in third.issues] == ["unknown_target"]
