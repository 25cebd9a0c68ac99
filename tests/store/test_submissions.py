"""Recording, loading and rejecting submissions, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, select

from jzplan.core.periods import Period
from jzplan.core.states import IssueSeverity
from jzplan.core.submissions import SubmissionIssue
from jzplan.store.bulk_writes import MAX_MESSAGES, issue_text
from jzplan.store.dump import dump_tables
from jzplan.store.models import SubmissionRow, ValidationResultRow
from jzplan.store.observations import current_observations
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


def test_a_bulk_units_message_puts_its_errors_first() -> None:
    """The alert quotes a rejected unit's first line: an error, even after 20 warnings."""
    warning = IssueSeverity.WARNING
    warn = [SubmissionIssue("missing_indicator", "未填", "b.csv", row=r, severity=warning)
            for r in range(2, 25)]  # fmt: skip
    error = SubmissionIssue("bad_number", "“x”不是数字", "b.csv", row=30)
    text = issue_text([*warn, error], failed_rows=1).split("\n")
    assert text[0] == str(error) and len(text) == MAX_MESSAGES
