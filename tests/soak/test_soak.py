"""The soak's one-year version (docs/soak.md): a short 2013 through the real monthly flow on
SQLite, one run killed and rerun, compared with the independent recomputation; and the
comparer shown to fail on a planted difference."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import text

from jzplan.store.db import make_engine
from tests.soak.compare import compare
from tests.soak.run import soak_years

pytestmark = pytest.mark.flow


def test_short_year_matches_the_oracle_and_a_planted_difference_is_found(
    tmp_path: Path,
) -> None:
    """2012-02 and 2012-12 as history (February's seasonal profile and same month last year,
    last December), then 2013-02; one of the last two runs killed at a random point and
    rerun (three runs: the whole year is `make soak`). Then one stored total and one stored
    status are changed: the comparer must report exactly those two. (One test, not two on a
    shared fixture: pytest-xdist could run the soak once per worker.)"""
    result = soak_years([2013], [2], "sqlite", seed=3, kills=1, folder=tmp_path, history=[2, 12])
    print(result.line())
    assert result.months == 3
    assert result.counts["files"] >= 21
    assert result.kills == 1
    assert result.differences.empty, result.differences.to_string()

    assert result.expected is not None
    engine = make_engine(result.url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE aggregate SET value = value + 1 WHERE org_unit_code = 'JZXQ' "
                    "AND indicator_code = 'fai' AND period = '2013-02'"
                )
            )
            conn.execute(
                text(
                    "UPDATE target_progress SET status = 'achieved' "
                    "WHERE target_id = 'A03' AND period = '2013-02'"
                )
            )
        diffs = compare(engine, result.expected, 2013)
    finally:
        engine.dispose()
    found = set(zip(diffs["table"], diffs["key"], diffs["column"], strict=True))
    assert found == {
        ("aggregate", "JZXQ/fai/2013-02", "value"),
        ("target_progress", "A03/2013-02", "status"),
    }


def test_a_later_year_plans_from_the_store_and_tracks_its_revision_and_its_changes(
    tmp_path: Path,
) -> None:
    """2014, the first year after the demo's, with the catalog changed from its January
    (tests/soak/changes.py: two merges, a split, a rename, a new indicator): 2013-07 and
    2013-12 as history, then the office edits the catalog, plan-new drafts the 2014 plan from
    the stored December (the merged units' targets carried to their successors), the office
    fills it (one area target revised from July, growth targets of the changed units), and
    2014-07 runs; the oracle agrees on every figure, total, status and alert — growth on the
    comparable base included."""
    result = soak_years([2014], [7], "sqlite", seed=5, kills=0, folder=tmp_path, history=[7, 12],
                        change_year=2014)  # fmt: skip
    print(result.line())
    assert result.months == 3
    assert result.differences.empty, result.differences.to_string()

    plan = yaml.safe_load((tmp_path / "data" / "targets" / "2014.yaml").read_text("utf-8"))
    (revised,) = [t for t in plan["targets"] if t.get("revisions")]
    assert revised["id"].startswith("2014-") and revised["baseline"] > 0
    scopes = {t["id"]: t["scope"] for t in plan["targets"]}
    assert scopes["2014-T-LWJ-01"] == "LWY" and scopes["2014-T-SJZ-01"] == "SJJ"
    assert not {"LWJ", "WYJ", "SJZ"} & set(scopes.values())
    engine = make_engine(result.url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(
                text(
                    "SELECT target_value FROM target_progress WHERE target_id = :t "
                    "AND period = '2014-07'"
                ),
                {"t": revised["id"]},
            ).scalar_one()
            notes: dict[str, str] = dict(
                conn.execute(
                    text(
                        "SELECT target_id, note FROM target_progress WHERE period = '2014-07' "
                        "AND target_id IN ('2014-T-FXJ-G1', '2014-T-LWY-G5')"
                    )
                ).all()
            )
            units = conn.execute(
                text(
                    "SELECT o.org_unit_code FROM observation o JOIN submission s "
                    "ON s.id = o.submission_id WHERE o.indicator_code = 'project_input' "
                    "AND o.period = '2014-07' AND s.status = 'accepted'"
                )
            ).scalars()
            with_project_input = set(units)
    finally:
        engine.dispose()
    assert stored == pytest.approx(revised["revisions"][0]["value"])
    assert stored != pytest.approx(revised["value"])
    assert "可比口径：按阳庙镇上年数的 40% 计算" in notes["2014-T-FXJ-G1"]
    assert "可比口径：按李万街道、文苑街道上年数合并计算" in notes["2014-T-LWY-G5"]
    # LWY and NGZ still wrote 项目投入 (last year's template): their figures loaded all the same
    assert {"LWY", "NGZ"} <= with_project_input
