"""Store reads and writes of validation: a unit's history for the history suite, Great
Expectations' result documents, and the per-rule results of a batch."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Table, insert, select

from jzplan.history_checks import OutlierSettings, history_periods
from jzplan.periods import Period
from jzplan.store import repo
from jzplan.store.db import Bind, connect, transaction
from jzplan.store.models import (
    SubmissionRow,
    ValidationDocumentRow,
    ValidationResultRow,
)
from jzplan.submissions import ParsedSubmission
from jzplan.validation import SubmissionValidator, ValidationReport

_submission: Table = SubmissionRow.__table__  # type: ignore[assignment]
_document: Table = ValidationDocumentRow.__table__  # type: ignore[assignment]
_result: Table = ValidationResultRow.__table__  # type: ignore[assignment]

HISTORY_FRAME_COLUMNS = ("period", "indicator", "value")


def read_unit_history(
    bind: Bind, org_unit: str, period: str, settings: OutlierSettings | None = None
) -> pd.DataFrame:
    """The unit's accepted figures of the months the history checks read (period, indicator,
    value), oldest first."""
    periods = history_periods(Period.parse(period), settings or OutlierSettings())
    frame = repo.current_observations(bind, periods, org_unit=org_unit)
    return frame[list(HISTORY_FRAME_COLUMNS)].sort_values(
        ["period", "indicator"], ignore_index=True
    )


def validate_against_store(
    bind: Bind,
    parsed: ParsedSubmission,
    validator: SubmissionValidator,
    settings: OutlierSettings | None = None,
) -> ValidationReport:
    """The history suite for a parsed submission, against what the store holds now."""
    if parsed.org_unit is None or parsed.period is None:
        return ValidationReport((), ())
    settings = settings or validator.outlier
    history = read_unit_history(bind, parsed.org_unit, parsed.period, settings)
    return validator.validate_history(parsed, history, settings)


def write_validation_documents(
    bind: Bind, submission_id: int, documents: Iterable[Mapping[str, Any]]
) -> int:
    """Store GE's result document of each suite once per submission; returns rows written."""
    docs = list(documents)
    if not docs:
        return 0
    with transaction(bind) as conn:
        mine = select(_document.c.suite).where(_document.c.submission_id == submission_id)
        have = set(conn.scalars(mine))
        rows = [
            {
                "submission_id": submission_id,
                "suite": str(d.get("suite_name")),
                "success": bool(d.get("success")),
                "document": dict(d),
            }
            for d in docs
            if str(d.get("suite_name")) not in have
        ]
        if rows:
            conn.execute(insert(_document), rows)
        return len(rows)


def read_validation_documents(bind: Bind, submission_ids: Sequence[int]) -> list[dict[str, Any]]:
    """(submission_id, suite, document) of the given submissions, in id and suite order."""
    query = (
        select(_document.c.submission_id, _document.c.suite, _document.c.document)
        .where(_document.c.submission_id.in_(list(submission_ids)))
        .order_by(_document.c.submission_id, _document.c.suite)
    )
    with connect(bind) as conn:
        return [
            {"submission_id": int(s), "suite": str(n), "document": d}
            for s, n, d in conn.execute(query)
        ]


def read_validation_results(bind: Bind, submission_ids: Sequence[int]) -> pd.DataFrame:
    """Per-rule results of the given submissions: submission_id, org_unit, period, file_name,
    status, rule, severity, success, checked, failed, details."""
    query = (
        select(
            _result.c.submission_id,
            _submission.c.org_unit_code.label("org_unit"),
            _submission.c.period,
            _submission.c.file_name,
            _submission.c.status,
            _result.c.rule,
            _result.c.severity,
            _result.c.success,
            _result.c.checked,
            _result.c.failed,
            _result.c.details,
        )
        .join(_submission, _submission.c.id == _result.c.submission_id)
        .where(_result.c.submission_id.in_(list(submission_ids)))
        .order_by(_result.c.submission_id, _result.c.rule)
    )
    columns = [
        "submission_id", "org_unit", "period", "file_name", "status", "rule", "severity",
        "success", "checked", "failed", "details",
    ]  # fmt: skip
    with connect(bind) as conn:
        rows = [tuple(r) for r in conn.execute(query)]
    return pd.DataFrame(rows, columns=columns)


def summarise_results(results: pd.DataFrame) -> list[dict[str, Any]]:
    """One row per rule over a batch: files checked and failed, rows checked and failed."""
    out: list[dict[str, Any]] = []
    if results.empty:
        return out
    for (rule, severity), g in results.groupby(["rule", "severity"], sort=True):
        failed = g[~g["success"].astype(bool)]
        out.append(
            {
                "规则": rule,
                "级别": "错误（退回）" if severity == "error" else "警告（接收并提示）",
                "文件数": int(g["submission_id"].nunique()),
                "未通过文件": int(failed["submission_id"].nunique()),
                "检查行数": int(g["checked"].sum()),
                "未通过行数": int(g["failed"].sum()),
                "单位": "、".join(sorted({str(u) for u in failed["org_unit"] if u})) or "—",
            }
        )
    return out
