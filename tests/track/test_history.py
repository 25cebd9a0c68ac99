"""Loading a month's status and ranking files, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine

from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store import tracking
from jzplan.store.reference import sync_reference
from jzplan.track.history import load_status_submissions
from tests.conftest import REPO_ROOT

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
