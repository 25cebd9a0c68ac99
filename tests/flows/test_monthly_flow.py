"""The real monthly flow on the bundled submissions, under a Prefect test server, per backend."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.sorting import ArtifactSort

import flows.monthly
from flows.backfill import backfill
from flows.monthly import monthly_progress
from jzplan.core.periods import Period
from jzplan.reference.catalog import load_catalog
from jzplan.reference.plan import load_plan
from jzplan.store.aggregates import read_aggregates
from jzplan.store.alerts import read_alerts
from jzplan.store.db import make_engine
from jzplan.store.dump import dump_tables
from jzplan.store.progress import read_progress
from jzplan.store.submissions import submitted_units
from tests.conftest import REPO_ROOT
from tests.flows.conftest import MonthRun

pytestmark = pytest.mark.flow


def test_month_end_to_end_late_file_and_rerun(
    flow_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # History for growth targets, then the month LWJ misses and the batch its late file comes with.
    backfill(start="2012-12", end="2013-01")
    may = monthly_progress(period="2013-05")
    assert may["missing_units"] == ["LWJ"]
    assert may["accepted"] == 6 and may["rejected"] == 0

    engine = make_engine(os.environ["JZPLAN_DATABASE_URL"])
    try:
        agg = read_aggregates(engine, [Period(2013, 5)])
        fai = agg[(agg["org_unit"] == "JZXQ") & (agg["indicator"] == "fai")].iloc[0]
        assert fai["provisional"] and fai["n_reported"] == fai["n_expected"] - 1
        open_alerts = read_alerts(engine, open_only=True)
        assert "missing:LWJ:2013-05" in set(open_alerts["dedup_key"])

        sent: list[list[str]] = []  # the files sent to ingest tasks (the real function runs)
        real = flows.monthly._prepare_files

        def spy(*args: Any) -> Any:
            sent.append([p.name for p in args[3]])
            return real(*args)

        monkeypatch.setattr(flows.monthly, "_prepare_files", spy)
        june = monthly_progress(period="2013-06")
        assert [len(names) for names in sent] == [june["files"]]  # all new: each to its task
        assert june["recomputed"] == ["2013-05", "2013-06"]
        assert june["missing_units"] == []
        agg = read_aggregates(engine, [Period(2013, 5)])
        fai = agg[(agg["org_unit"] == "JZXQ") & (agg["indicator"] == "fai")].iloc[0]
        assert not fai["provisional"]
        alerts = read_alerts(engine).set_index("dedup_key")
        # resolved by the batch that brought the late file
        assert alerts.loc["missing:LWJ:2013-05", "resolved"] == "2013-06"

        # Every target of the plan has a row for June, with a status.
        catalog = load_catalog(REPO_ROOT / "data" / "catalog")
        plan = load_plan(REPO_ROOT / "data" / "targets" / "2013.yaml", catalog)
        progress = read_progress(engine, Period(2013, 6))
        assert set(progress["target_id"]) == {t.id for t in plan.targets}
        assert progress["status"].notna().all()
        report = Path(june["report"])
        assert report.is_file() and "2013年1-6月" in report.read_text(encoding="utf-8")
        # the folder's page lists every month the runs published, newest first; the
        # month's artifact links it
        index = report.parent / "index.html"
        shown = re.findall(r'data-period="([^"]+)"', index.read_text(encoding="utf-8"))
        assert shown == ["2013-06", "2013-05", "2013-01"]  # plan-year months only
        assert 'href="../receipts/2013-06/"' in index.read_text(encoding="utf-8")
        with get_client(sync_client=True) as client:
            (artifact,) = client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["progress-2013-06"])),
                limit=1,
                sort=ArtifactSort.CREATED_DESC,
            )
        assert f"[全部月份]({index.resolve().as_uri()})" in str(artifact.data)

        # Running the same month again changes nothing in the database.
        before = dump_tables(engine)
        again = monthly_progress(period="2013-06")
        assert again["duplicates"] == again["files"] and again["accepted"] == 0
        assert dump_tables(engine) == before
        assert len(sent) == 1  # every form stored: no ingest task started for any
    finally:
        engine.dispose()


@pytest.fixture
def august(database_url: str, request: pytest.FixtureRequest) -> MonthRun:
    """The monthly run of August 2013 on each backend: on SQLite the session's run (shared with
    test_dask_runner), on PostgreSQL a run on this test's schema."""
    if database_url.startswith("sqlite"):
        shared: MonthRun = request.getfixturevalue("august_on_sqlite")
        return shared
    request.getfixturevalue("flow_env")
    return MonthRun(monthly_progress(period="2013-08"), database_url)


def test_partly_bad_file_is_accepted_kept_and_corrected(august: MonthRun) -> None:
    """宁郭镇's August form has “约1300” in one cell: since issue 17 that row is held as a
    question and the file checked like any other; its correction, filed later in the same
    batch, stays current and the first one is stale (superseded)."""
    summary = august.summary
    assert (summary["rejected"], summary["accepted"], summary["stale"]) == (0, 7, 1)
    first = next(o for o in summary["outcomes"] if o["file"] == "宁郭镇_2013年08月_月报.xlsx")
    assert first["codes"] == ["not_a_number", "stale_submission"]
    engine = make_engine(august.database_url)
    try:
        subs = {s.file_name: s for s in _submissions(engine)}
        bad = subs["宁郭镇_2013年08月_月报.xlsx"]
        assert bad.status == "superseded"
        assert Path(bad.archive_path).is_file()  # the raw file is kept
        assert subs["宁郭镇_2013年08月_月报(更正).xlsx"].status == "accepted"
        assert "NGZ" in submitted_units(engine, Period(2013, 8))
    finally:
        engine.dispose()


def _submissions(engine):  # type: ignore[no-untyped-def]
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from jzplan.store.models import SubmissionRow

    with Session(engine) as session:
        rows = list(session.scalars(select(SubmissionRow)))
        session.expunge_all()
        return rows
