"""A rejected submission's message puts the errors that rejected it first."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select

from jzplan.core.periods import Period
from jzplan.core.states import IssueSeverity
from jzplan.core.submissions import SubmissionIssue
from jzplan.store.models import SubmissionRow
from jzplan.store.submissions import record_submission, reject_submission


def test_the_first_line_of_a_rejection_is_its_error(store: Engine) -> None:
    sid = record_submission(
        store, sha256="e" * 64, file_name="宁郭镇_2013年03月_月报.xlsx", archive_path="-",
        source_path="2013-03/宁郭镇_2013年03月_月报.xlsx", arrival_period=Period(2013, 3),
        received_at=datetime(2013, 4, 3, tzinfo=UTC), org_unit="NGZ", period="2013-03",
        filed_on=None, size_bytes=1, file_format="xlsx",
    )  # fmt: skip
    warnings = [
        SubmissionIssue(
            "missing_indicator", f"应填指标{n}缺失", file="f", severity=IssueSeverity.WARNING
        )
        for n in range(15)
    ]
    error = SubmissionIssue(
        "unknown_indicator", "指标名称“招商引资（实际到位资金）”无法识别", file="f", row=9
    )
    reject_submission(store, sid, [*warnings, error])
    with store.connect() as conn:
        message = conn.scalar(select(SubmissionRow.message).where(SubmissionRow.id == sid))
    lines = str(message).split("\n")
    assert lines[0].startswith("[unknown_indicator]") and len(lines) == 16
    assert all(line.startswith("[missing_indicator]") for line in lines[1:])
