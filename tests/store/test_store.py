"""The store's writes are idempotent and return counts, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from jzplan.alert.lifecycle import sync_alerts
from jzplan.core.periods import Period
from jzplan.core.submissions import SubmissionIssue
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan, Target
from jzplan.store import aggregates
from jzplan.store.aggregates import BULK_AGGREGATE_ROWS, read_aggregates, write_aggregates
from jzplan.store.alerts import read_alerts
from jzplan.store.dump import dump_tables
from jzplan.store.models import SubmissionRow, ValidationResultRow
from jzplan.store.observations import current_observations
from jzplan.store.progress import read_progress, write_progress
from jzplan.store.reference import sync_reference
from jzplan.store.submissions import (
    LoadResult,
    find_submission_by_sha,
    load_submission,
    record_submission,
    reject_submission,
    submitted_units,
)
from tests.conftest import observation_frame

RECEIVED = datetime(2013, 4, 3, 8, 30, tzinfo=UTC)


def tiny_plan() -> Plan:
    return Plan(
        year=2013,
        targets=(
            Target(
                id="main-gdp",
                year=2013,
                group="主要预期目标",
                scope="JZXQ",
                kind="growth",
                label="地区生产总值增长",
                source="地区生产总值增长12%以上",
                indicator="gdp",
                value=12.0,
                unit="%",
            ),
            Target(
                id="main-fai",
                year=2013,
                group="主要预期目标",
                scope="JZXQ",
                kind="level",
                label="固定资产投资",
                source="全社会固定资产投资完成80亿元",
                indicator="fai",
                value=80.0,
                unit="亿元",
                baseline=64.5,
                growth_pct=24.0,
            ),
            Target(
                id="ngz-road",
                year=2013,
                group="乡镇街道目标",
                scope="NGZ",
                kind="milestone",
                label="道路建成",
                source="年底前建成道路",
                deadline=date(2013, 12, 31),
            ),
        ),
        baselines=(),
    )


@pytest.fixture
def ref_engine(engine: Engine, catalog: Catalog) -> Engine:
    sync_reference(engine, catalog, tiny_plan())
    return engine


def submit(engine: Engine, sha: str, org_unit: str = "NGZ", period: str = "2013-03") -> int:
    return record_submission(
        engine,
        sha256=sha,
        file_name=f"{org_unit}-{period}-{sha}.xlsx",
        archive_path=f"archive/{sha}.xlsx",
        arrival_period=Period.parse(period),
        received_at=RECEIVED,
        org_unit=org_unit,
        period=period,
        filed_on=date(2013, 4, 2),
        status="received",
        error_count=0,
        message=None,
    )


VALIDATION = [
    {"rule": "schema", "severity": "error", "success": True, "checked": 3, "failed": 0,
     "details": {}},
    {"rule": "ytd_not_decreasing", "severity": "warning", "success": False, "checked": 3,
     "failed": 1, "details": {"rows": (7,), "note": float("nan")}},
]  # fmt: skip


def test_sync_reference_twice_changes_nothing(engine: Engine, catalog: Catalog) -> None:
    first = sync_reference(engine, catalog, tiny_plan())
    n_units = 1 + len(catalog.units)
    assert first["org_unit_inserted"] == n_units
    assert first["indicator_inserted"] == len(catalog.indicators)
    assert first["target_inserted"] == 3
    assert first["updated"] == 0
    before = dump_tables(engine)

    second = sync_reference(engine, catalog, tiny_plan())
    assert second["inserted"] == second["updated"] == 0
    assert second["unchanged"] == first["inserted"]
    assert dump_tables(engine) == before
    target = next(r for r in before["target"] if r[0] == "main-fai")
    assert target[7:9] == (80.0, "亿元")  # seed value and unit kept as given


def test_sync_reference_updates_a_changed_target(engine: Engine, catalog: Catalog) -> None:
    sync_reference(engine, catalog, tiny_plan())
    plan = tiny_plan()
    changed = Plan(
        plan.year,
        (plan.targets[0], dataclasses.replace(plan.targets[1], value=85.0), plan.targets[2]),
        (),
    )
    counts = sync_reference(engine, catalog, changed)
    assert (counts["inserted"], counts["updated"], counts["target_updated"]) == (0, 1, 1)


def test_record_submission_duplicate_sha(ref_engine: Engine) -> None:
    first = submit(ref_engine, "a" * 64)
    before = dump_tables(ref_engine)
    assert submit(ref_engine, "a" * 64) == first
    assert dump_tables(ref_engine) == before
    assert len(before["submission"]) == 1
    found = find_submission_by_sha(ref_engine, "a" * 64)
    assert isinstance(found, SubmissionRow)
    assert (found.id, found.status, found.org_unit_code) == (first, "received", "NGZ")
    assert find_submission_by_sha(ref_engine, "b" * 64) is None


def test_load_submission_and_rerun(ref_engine: Engine) -> None:
    sid = submit(ref_engine, "a" * 64)
    # 6780 万元 came in the file; the parser hands over canonical 0.678 亿元
    frame = observation_frame(
        "NGZ", "2013-03", {"gdp": (0.678, 0.25), "fai": 1.5, "local_fiscal_revenue": 320.0}
    )
    result = load_submission(ref_engine, sid, frame, VALIDATION)
    assert result == LoadResult(inserted=3, updated=0, superseded=0, unchanged=0)

    current = current_observations(ref_engine, [Period(2013, 3)])
    assert list(current.columns) == [
        "org_unit", "period", "indicator", "value", "value_month", "submission_id",
    ]  # fmt: skip
    by_ind = current.set_index("indicator")
    assert by_ind.loc["gdp", "value"] == 0.678
    assert by_ind.loc["gdp", "value_month"] == 0.25
    assert by_ind["value_month"].isna()["fai"]
    assert set(current["submission_id"]) == {sid}
    assert submitted_units(ref_engine, Period(2013, 3)) == {"NGZ"}
    assert submitted_units(ref_engine, Period(2013, 4)) == set()

    dump = dump_tables(ref_engine)
    sub = dump["submission"][0]
    assert sub[9:11] == ("accepted", 1)  # status, version
    fai = next(r for r in dump["observation"] if r[3] == "fai")
    assert fai[5] is None  # NaN stored as NULL
    assert len(dump["validation_result"]) == 2

    again = load_submission(ref_engine, sid, frame, VALIDATION)
    assert again == LoadResult(inserted=0, updated=0, superseded=0, unchanged=3)
    assert dump_tables(ref_engine) == dump
    assert submit(ref_engine, "a" * 64) == sid  # the same file arriving again
    assert dump_tables(ref_engine) == dump


def test_second_submission_supersedes_the_first(ref_engine: Engine) -> None:
    first = submit(ref_engine, "a" * 64)
    load_submission(
        ref_engine,
        first,
        observation_frame("NGZ", "2013-03", {"gdp": 0.678, "fai": 1.5, "ind_output": 900.0}),
    )
    # another unit's figures are not affected
    other = submit(ref_engine, "c" * 64, org_unit="SJZ")
    load_submission(ref_engine, other, observation_frame("SJZ", "2013-03", {"gdp": 0.5}))

    second = submit(ref_engine, "b" * 64)
    frame = observation_frame(
        "NGZ", "2013-03", {"gdp": 0.7, "fai": 1.5, "local_fiscal_revenue": 330.0}
    )
    result = load_submission(ref_engine, second, frame)
    # gdp changed, fai equal, revenue new, ind_output no longer reported
    assert result == LoadResult(inserted=1, updated=1, superseded=1, unchanged=1)

    with ref_engine.connect() as conn:
        rows = conn.execute(
            select(SubmissionRow.id, SubmissionRow.status, SubmissionRow.version).order_by(
                SubmissionRow.id
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        (first, "superseded", 1),
        (other, "accepted", 1),
        (second, "accepted", 2),
    ]
    current = current_observations(ref_engine, [Period(2013, 3)])
    ngz = current[current["org_unit"] == "NGZ"].set_index("indicator")["value"].to_dict()
    assert ngz == {"gdp": 0.7, "fai": 1.5, "local_fiscal_revenue": 330.0}
    assert set(current.loc[current["org_unit"] == "NGZ", "submission_id"]) == {second}
    assert submitted_units(ref_engine, Period(2013, 3)) == {"NGZ", "SJZ"}

    dump = dump_tables(ref_engine)
    assert load_submission(ref_engine, second, frame).unchanged == 3
    assert dump_tables(ref_engine) == dump
    with pytest.raises(ValueError, match="superseded"):
        load_submission(ref_engine, first, frame)
    assert dump_tables(ref_engine) == dump


def test_load_rejects_a_frame_of_another_unit(ref_engine: Engine) -> None:
    sid = submit(ref_engine, "a" * 64)
    with pytest.raises(ValueError, match="frame has"):
        load_submission(ref_engine, sid, observation_frame("SJZ", "2013-03", {"gdp": 1.0}))
    assert current_observations(ref_engine, [Period(2013, 3)]).empty


def test_reject_submission_stores_located_messages(ref_engine: Engine) -> None:
    sid = submit(ref_engine, "a" * 64)
    issues = [
        SubmissionIssue(
            code="unknown_indicator",
            message="指标“工业产量”不在目录中",
            file="宁郭镇3月.xlsx",
            sheet="月报",
            row=9,
            column="B",
        ),
        SubmissionIssue(
            code="bad_value",
            message="数值不是数字",
            file="宁郭镇3月.xlsx",
            sheet="月报",
            row=11,
            column="C",
            rule="value_is_number",
        ),
        SubmissionIssue(
            code="bad_value",
            message="数值不是数字",
            file="宁郭镇3月.xlsx",
            sheet="月报",
            row=12,
            column="C",
            rule="value_is_number",
        ),
    ]
    reject_submission(ref_engine, sid, issues)
    found = find_submission_by_sha(ref_engine, "a" * 64)
    assert found is not None
    assert (found.status, found.error_count) == ("rejected", 3)
    assert found.message is not None
    lines = found.message.splitlines()
    assert lines[0] == (
        "[unknown_indicator] 文件 宁郭镇3月.xlsx，工作表 月报，第 9 行，B 列："
        "指标“工业产量”不在目录中"
    )
    assert len(lines) == 3

    with ref_engine.connect() as conn:
        results = {
            r.rule: r
            for r in conn.execute(select(ValidationResultRow).order_by(ValidationResultRow.rule))
        }
    assert set(results) == {"unknown_indicator", "value_is_number"}
    number = results["value_is_number"]
    assert (number.success, number.failed, number.severity) == (False, 2, "error")
    assert [d["row"] for d in number.details["issues"]] == [11, 12]
    assert number.details["issues"][0]["message"] == "数值不是数字"
    assert submitted_units(ref_engine, Period(2013, 3)) == set()

    dump = dump_tables(ref_engine)
    reject_submission(ref_engine, sid, issues)
    assert dump_tables(ref_engine) == dump


def _aggregates(gdp: float, provisional: bool = True) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "org_unit": ["JZXQ", "JZXQ", "NGZ"],
            "indicator": ["gdp", "fai", "gdp"],
            "value": [gdp, float("nan"), 0.7],
            "n_reported": [5, 0, 1],
            "n_expected": [7, 7, 1],
            "provisional": [provisional, True, False],
        }
    )


@pytest.mark.parametrize("bulk", [False, True], ids=["rows", "bulk"])
def test_write_aggregates_changed_only(
    ref_engine: Engine, bulk: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # bulk: the frame comparison and COPY rewrite that a province's totals take
    monkeypatch.setattr(aggregates, "BULK_AGGREGATE_ROWS", 0 if bulk else BULK_AGGREGATE_ROWS)
    counts = write_aggregates(ref_engine, Period(2013, 3), _aggregates(3.5))
    assert counts == {"inserted": 3, "updated": 0, "deleted": 0, "unchanged": 0}
    dump = dump_tables(ref_engine)
    again = write_aggregates(ref_engine, Period(2013, 3), _aggregates(3.5))
    assert again == {"inserted": 0, "updated": 0, "deleted": 0, "unchanged": 3}
    assert dump_tables(ref_engine) == dump

    fewer = _aggregates(3.75, provisional=False).iloc[:2]
    changed = write_aggregates(ref_engine, Period(2013, 3), fewer)
    assert changed == {"inserted": 0, "updated": 1, "deleted": 1, "unchanged": 1}
    write_aggregates(ref_engine, Period(2013, 4), _aggregates(4.0))

    read = read_aggregates(ref_engine, [Period(2013, 3)])
    assert list(read.columns) == [
        "org_unit", "period", "indicator", "value", "n_reported", "n_expected", "provisional",
    ]  # fmt: skip
    assert len(read) == 2
    gdp = read.set_index("indicator").loc["gdp"]
    assert (gdp["value"], gdp["provisional"]) == (3.75, False)
    assert read.set_index("indicator")["value"].isna()["fai"]
    assert len(read_aggregates(ref_engine, [Period(2013, 3), Period(2013, 4)])) == 5


def _progress(actual: float | None, status: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "target_id": ["main-fai", "main-gdp"],
            "actual": [actual, 11.0],
            "expected": [20.0, 12.0],
            "target_value": [80.0, 12.0],
            "unit": ["亿元", "%"],
            "completion_pct": [None if actual is None else actual / 80 * 100, None],
            "status": [status, "at_risk"],
            "provisional": [True, True],
            "note": [None, "5/7 单位已报"],
        }
    )


def test_write_progress_changed_only(ref_engine: Engine) -> None:
    assert write_progress(ref_engine, Period(2013, 3), _progress(18.0, "behind")) == {
        "inserted": 2, "updated": 0, "deleted": 0, "unchanged": 0,
    }  # fmt: skip
    dump = dump_tables(ref_engine)
    assert write_progress(ref_engine, Period(2013, 3), _progress(18.0, "behind"))["updated"] == 0
    assert dump_tables(ref_engine) == dump

    counts = write_progress(ref_engine, Period(2013, 3), _progress(21.0, "on_track"))
    assert counts == {"inserted": 0, "updated": 1, "deleted": 0, "unchanged": 1}
    read = read_progress(ref_engine, Period(2013, 3)).set_index("target_id")
    assert read.loc["main-fai", "status"] == "on_track"
    assert read.loc["main-fai", "completion_pct"] == pytest.approx(26.25)
    assert read["completion_pct"].isna()["main-gdp"]
    assert read.loc["main-gdp", "note"] == "5/7 单位已报"
    assert read_progress(ref_engine, Period(2013, 4)).empty


def _alert(key: str, message: str, kind: str = "target_status") -> dict[str, object]:
    return {
        "dedup_key": key,
        "kind": kind,
        "severity": "warning",
        "org_unit": "JZXQ" if kind == "target_status" else "NGZ",
        "target_id": "main-fai" if kind == "target_status" else None,
        "message": message,
    }


def test_sync_alerts_lifecycle(ref_engine: Engine) -> None:
    kinds = {"target_status"}
    fai = _alert("target_status:main-fai", "固定资产投资滞后")
    missing = _alert("missing_submission:NGZ", "宁郭镇未报", kind="missing_submission")

    counts = sync_alerts(ref_engine, Period(2013, 3), [fai, missing], scope_kinds=kinds)
    assert (counts["opened"], counts["updated"], counts["resolved"]) == (2, 0, 0)
    dump = dump_tables(ref_engine)
    counts = sync_alerts(ref_engine, Period(2013, 3), [fai, missing], scope_kinds=kinds)
    assert counts == {"opened": 0, "reopened": 0, "updated": 0, "resolved": 0, "unchanged": 2}
    assert dump_tables(ref_engine) == dump

    # still active next month: last_seen moves, first_seen stays
    fai_april = {**fai, "message": "固定资产投资仍滞后"}
    counts = sync_alerts(ref_engine, Period(2013, 4), [fai_april], scope_kinds=kinds)
    assert (counts["opened"], counts["updated"], counts["resolved"]) == (0, 1, 0)
    alerts = read_alerts(ref_engine).set_index("dedup_key")
    row = alerts.loc["target_status:main-fai"]
    assert (row["first_seen"], row["last_seen"], row["message"]) == (
        "2013-03", "2013-04", "固定资产投资仍滞后",
    )  # fmt: skip
    assert row["resolved"] is None
    # the missing-submission alert is outside this evaluation's scope: still open
    assert alerts.loc["missing_submission:NGZ", "resolved"] is None

    # a rerun of March does not move April's state back
    dump = dump_tables(ref_engine)
    counts = sync_alerts(ref_engine, Period(2013, 3), [fai], scope_kinds=kinds)
    assert counts["unchanged"] == 1 and counts["resolved"] == 0
    assert dump_tables(ref_engine) == dump

    # absent in May: resolved
    counts = sync_alerts(ref_engine, Period(2013, 5), [], scope_kinds=kinds)
    assert counts["resolved"] == 1
    assert list(read_alerts(ref_engine, open_only=True)["dedup_key"]) == ["missing_submission:NGZ"]
    dump = dump_tables(ref_engine)
    assert sync_alerts(ref_engine, Period(2013, 5), [], scope_kinds=kinds)["resolved"] == 0
    assert dump_tables(ref_engine) == dump

    # active again in June: reopened, first_seen kept
    counts = sync_alerts(ref_engine, Period(2013, 6), [fai], scope_kinds=kinds)
    assert (counts["opened"], counts["reopened"]) == (1, 1)
    row = read_alerts(ref_engine).set_index("dedup_key").loc["target_status:main-fai"]
    assert (row["first_seen"], row["last_seen"], row["resolved"]) == ("2013-03", "2013-06", None)

    # the missing-submission evaluation resolves its own kind only
    counts = sync_alerts(ref_engine, Period(2013, 6), [], scope_kinds={"missing_submission"})
    assert counts["resolved"] == 1
    assert list(read_alerts(ref_engine, open_only=True)["dedup_key"]) == ["target_status:main-fai"]


def test_sync_alerts_in_scope_limits_resolution(ref_engine: Engine) -> None:
    a = _alert("missing_submission:NGZ:2013-03", "宁郭镇3月未报", kind="missing_submission")
    b = _alert("missing_submission:NGZ:2013-04", "宁郭镇4月未报", kind="missing_submission")
    sync_alerts(ref_engine, Period(2013, 4), [a, b], scope_kinds={"missing_submission"})
    counts = sync_alerts(
        ref_engine,
        Period(2013, 4),
        [a],
        scope_kinds={"missing_submission"},
        in_scope=lambda key: key.endswith(":2013-04"),
    )
    assert counts["resolved"] == 1
    open_keys = list(read_alerts(ref_engine, open_only=True)["dedup_key"])
    assert open_keys == ["missing_submission:NGZ:2013-03"]


def test_dump_tables_covers_every_table(ref_engine: Engine) -> None:
    dump = dump_tables(ref_engine)
    with ref_engine.connect() as conn:
        n_sub = conn.scalar(select(func.count()).select_from(SubmissionRow))
    assert set(dump) >= {"org_unit", "indicator", "target", "submission", "alert"}
    assert len(dump["submission"]) == n_sub == 0
