"""Store reads and writes of validation: a unit's history for the history suite, Great
Expectations' result documents, and the per-rule results of a batch."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, Table, Text, cast, func, insert, select

from jzplan.core.markup import md_escape
from jzplan.core.periods import Period
from jzplan.core.states import IssueSeverity
from jzplan.core.submissions import ParsedSubmission, SubmissionIssue
from jzplan.store.db import Bind, connect, transaction
from jzplan.store.models import (
    ObservationRow,
    SubmissionRow,
    ValidationDocumentRow,
    ValidationResultRow,
)
from jzplan.store.observations import current_observations
from jzplan.store.rows import period_key
from jzplan.validate.batch import validate_histories
from jzplan.validate.history_checks import OutlierSettings, history_periods
from jzplan.validate.results import MAX_ISSUES_PER_RULE, RuleResult, ValidationReport
from jzplan.validate.rules import load_suite_dict
from jzplan.validate.shared import Suites
from jzplan.validate.validator import (
    CROSS_FIELD_SUITE,
    HISTORY_SUITE,
    STRUCTURE_SUITE,
    SubmissionValidator,
)

_submission: Table = SubmissionRow.__table__  # type: ignore[assignment]
_observation: Table = ObservationRow.__table__  # type: ignore[assignment]
_document: Table = ValidationDocumentRow.__table__  # type: ignore[assignment]
_result: Table = ValidationResultRow.__table__  # type: ignore[assignment]

HISTORY_FRAME_COLUMNS = ("period", "indicator", "value")
# figures of history read and checked at once for a bulk file (a slice of its units)
MAX_HISTORY_ROWS = 5_000_000
_MAX_DETAILS = 50  # details kept per merged rule result, as one report keeps them


def read_unit_history(
    bind: Bind, org_unit: str, period: Period, settings: OutlierSettings | None = None
) -> pd.DataFrame:
    """The unit's accepted figures of the months the history checks read (period, indicator,
    value), oldest first."""
    periods = history_periods(period, settings or OutlierSettings())
    frame = current_observations(
        bind, periods, org_unit=org_unit, ordered=False, columns=HISTORY_FRAME_COLUMNS
    )
    return frame.sort_values(["period", "indicator"], ignore_index=True)


def read_units_history(
    bind: Bind, org_units: Sequence[str], period: Period, settings: OutlierSettings | None = None
) -> pd.DataFrame:
    """The units' accepted figures of the months the history checks of ``period`` read
    (org_unit, period, indicator, value), in the store's order."""
    periods = history_periods(period, settings or OutlierSettings())
    # unsorted: the checks place each figure by its unit, month and indicator (sorting
    # millions of figures in the store took longer than reading them)
    return current_observations(
        bind,
        periods,
        org_units=list(org_units),
        ordered=False,
        columns=("org_unit", *HISTORY_FRAME_COLUMNS),
    )


def read_units_histories(
    bind: Bind, wanted: Sequence[tuple[str, Period]], settings: OutlierSettings | None = None
) -> list[pd.DataFrame]:
    """``read_unit_history`` of each (unit, period) of ``wanted``, read one query per period
    (a batch's township forms: one query, not one per form)."""
    units_of: dict[Period, set[str]] = {}
    for unit, period in wanted:
        units_of.setdefault(period, set()).add(unit)
    read = {p: read_units_history(bind, sorted(u), p, settings) for p, u in units_of.items()}
    parts = {p: dict(tuple(f.groupby("org_unit", sort=False))) for p, f in read.items()}
    return [
        parts[period]
        .get(unit, read[period].iloc[:0])[list(HISTORY_FRAME_COLUMNS)]
        .sort_values(["period", "indicator"], ignore_index=True)
        for unit, period in wanted
    ]


def validate_against_store(
    bind: Bind,
    parsed: ParsedSubmission,
    validator: SubmissionValidator,
    settings: OutlierSettings | None = None,
    *,
    max_history_rows: int = MAX_HISTORY_ROWS,
) -> ValidationReport:
    """The history suite for a parsed submission, against what the store holds now.

    A bulk file is checked per period it holds, its units in batches whose history stays
    under about ``max_history_rows`` figures (a national month's 24 months of history are
    100 million figures: read and checked a slice of units at a time); the report's
    ``error_rows`` are positions in ``parsed.frame``, as the bulk loader reads them."""
    settings = settings or validator.outlier
    if parsed.bulk:
        return _validate_bulk(bind, parsed, validator, settings, max_history_rows)
    if parsed.org_unit is None or parsed.period is None:
        return ValidationReport((), ())
    history = read_unit_history(bind, parsed.org_unit, parsed.period, settings)
    return validator.validate_history(parsed, history, settings)


def checked_against_store(
    validator: SubmissionValidator,
    bind: Bind,
    parsed: ParsedSubmission,
    settings: OutlierSettings | None = None,
) -> ValidationReport:
    """``validate_against_store`` with the validator first: what ``Suites.here`` runs (the
    store is read in the caller's transaction, so never in a helper process)."""
    return validate_against_store(bind, parsed, validator, settings)


def validate_many_against_store(
    bind: Bind,
    parsed: Sequence[ParsedSubmission],
    validator: Suites,
    settings: OutlierSettings | None = None,
) -> list[ValidationReport]:
    """``validate_against_store`` of each file, the township files' history suites run as
    one (``jzplan.validate.batch``). Each file's history is read before any is checked:
    the caller makes sure no file of ``parsed`` changes another's (``pipeline.history_groups``)."""
    settings = settings or validator.outlier
    reports: list[ValidationReport | None] = [None] * len(parsed)
    todo: list[int] = []
    wanted: list[tuple[str, Period]] = []
    for i, p in enumerate(parsed):
        if p.bulk:  # read and checked in slices of units, here
            reports[i] = validator.here(checked_against_store, bind, p, settings)
        elif p.org_unit is None or p.period is None:
            reports[i] = ValidationReport((), ())
        else:
            todo.append(i)
            wanted.append((p.org_unit, p.period))
    histories = read_units_histories(bind, wanted, settings)
    checked = (
        validator.call(validate_histories, [parsed[i] for i in todo], histories, settings)
        if todo
        else []
    )
    for i, report in zip(todo, checked, strict=True):
        reports[i] = report
    return [r if r is not None else ValidationReport((), ()) for r in reports]


def _validate_bulk(
    bind: Bind,
    parsed: ParsedSubmission,
    validator: SubmissionValidator,
    settings: OutlierSettings,
    max_history_rows: int,
) -> ValidationReport:
    frame = parsed.frame.reset_index(drop=True)
    if frame.empty:
        return ValidationReport((), ())
    period_codes, period_uniques = pd.factorize(frame["period"])
    months = len(history_periods(Period(2000, 1), settings))
    periods = [_period_or_none(str(text)) for text in period_uniques.tolist()]
    parts: list[tuple[ValidationReport, np.ndarray]] = []
    for code, period in enumerate(periods):
        if period is None:
            continue  # a bad period fails the file suites; nothing to compare with
        at = np.flatnonzero(period_codes == code)
        stored = _stored_figures(bind, history_periods(period, settings))
        if not stored and period.month != 1 and not any(p and p < period for p in periods):
            # nothing before this month, in the store or the file: no figure has anything to
            # be compared with (a January's year-to-date is compared with 0, so it is run)
            parts.append((validator.history_unchecked(len(at)), at))
            continue
        units, unit_uniques = pd.factorize(frame["org_unit"].to_numpy()[at])
        if not len(unit_uniques):
            continue
        per_unit = max(1, len(at) // len(unit_uniques)) * months
        batch = max(1, max_history_rows // per_unit)
        # the store may hold far less than the worst case (a first month: nothing at all)
        if stored <= max_history_rows:
            batch = len(unit_uniques)
        order, bounds = _batches(units, batch, len(unit_uniques))
        for b in range(len(bounds) - 1):
            rows = at[np.sort(order[bounds[b] : bounds[b + 1]])]
            names = [str(u) for u in unit_uniques[b * batch : (b + 1) * batch]]
            history = read_units_history(bind, names, period, settings)
            history = _with_earlier_rows(history, frame, names, period)
            sub = ParsedSubmission(
                path=parsed.path,
                sha256=parsed.sha256,
                org_unit=None,
                period=period,
                frame=frame.iloc[rows].reset_index(drop=True),
                bulk=True,
            )
            parts.append((validator.validate_history(sub, history, settings), rows))
    return merge_reports(parts, validator)


def _stored_figures(bind: Bind, periods: Sequence[Period]) -> int:
    """How many figures the store holds for ``periods`` (all units, any status): an upper
    bound of the history a batch can read, from the period index alone."""
    query = select(func.count()).where(_observation.c.period.in_([period_key(p) for p in periods]))
    with connect(bind) as conn:
        return int(conn.scalar(query) or 0)


def _period_or_none(text: str) -> Period | None:
    try:
        return Period.parse(text)
    except ValueError:
        return None


def _batches(units: np.ndarray, batch: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions ordered by batch of ``batch`` units (units numbered 0..count-1, -1 none),
    and each batch's bounds in that order; rows without a unit go with the first batch."""
    group = np.maximum(units, 0) // batch
    groups = (count + batch - 1) // batch
    if groups == 1:
        return np.arange(len(units)), np.array([0, len(units)])
    order = np.argsort(group, kind="stable")
    return order, np.searchsorted(group[order], np.arange(groups + 1))


def _with_earlier_rows(
    history: pd.DataFrame, frame: pd.DataFrame, units: Sequence[str], period: Period
) -> pd.DataFrame:
    """The store's history plus the file's own figures of earlier months for these units (a
    file holding May and June: June is compared with the May it brings, as a township batch
    compares it with a May file loaded just before)."""
    earlier = frame["period"].astype("str") < str(period)
    if not earlier.any():
        return history
    mine = earlier & frame["org_unit"].isin(list(units))
    if not mine.any():
        return history
    own = frame.loc[mine, ["org_unit", *HISTORY_FRAME_COLUMNS]].astype(
        {"org_unit": "str", "period": "str", "indicator": "str", "value": "float64"}
    )
    both = pd.concat([history.astype(own.dtypes.to_dict()), own], ignore_index=True)
    return both.drop_duplicates(["org_unit", "period", "indicator"], keep="last")


def merge_reports(
    parts: Sequence[tuple[ValidationReport, np.ndarray]], validator: SubmissionValidator
) -> ValidationReport:
    """One report from reports on slices of a frame (each with the positions of its rows in
    the whole frame): rule counts summed, located issues capped per rule as one report caps
    them, error rows mapped back. GE's documents are kept one per slice (a bulk file's are
    not stored)."""
    if not parts:
        return ValidationReport((), ())
    error_rows = [rows[r.error_rows] for r, rows in parts if len(r.error_rows)]
    merged_rows = (
        np.unique(np.concatenate(error_rows)).astype(np.int64)
        if error_rows
        else np.zeros(0, np.int64)
    )
    if len(parts) == 1:
        report = parts[0][0]
        return ValidationReport(report.results, report.issues, report.documents, merged_rows)
    results: dict[tuple[str, IssueSeverity], list[RuleResult]] = {}
    for report, _ in parts:
        for r in report.results:
            results.setdefault((r.rule, r.severity), []).append(r)
    issues = [i for report, _ in parts for i in report.issues]
    messages = _rule_messages(validator)
    merged: list[RuleResult] = []
    merged_issues: list[SubmissionIssue] = []
    for (rule, severity), found in results.items():
        one = RuleResult(
            rule=rule,
            severity=severity,
            success=all(r.success for r in found),
            checked=sum(r.checked for r in found),
            failed=sum(r.failed for r in found),
            details=[d for r in found for d in r.details][:_MAX_DETAILS],
        )
        merged.append(one)
        mine = [i for i in issues if i.rule == rule and i.severity == severity]
        located = [i for i in mine if i.row is not None][:MAX_ISSUES_PER_RULE]
        merged_issues.extend(located)
        rest = one.failed - len(located)
        if rest > 0 and any(i.row is not None for i in mine):
            merged_issues.append(
                SubmissionIssue(
                    code=rule,
                    message=f"{messages.get(rule, rule)}：另有 {rest} 行同样的错误",
                    file=mine[0].file,
                    rule=rule,
                    severity=severity,
                )
            )
        elif not located:
            merged_issues.extend(dict.fromkeys(mine))  # failures with no row, once each
    documents = tuple(d for report, _ in parts for d in report.documents)
    return ValidationReport(tuple(merged), tuple(merged_issues), documents, merged_rows)


def _rule_messages(validator: SubmissionValidator) -> dict[str, str]:
    """Rule code -> the office's message, from the history suite's meta."""
    suite = load_suite_dict(validator.expectations_dir, HISTORY_SUITE)
    return {
        str(e["meta"]["code"]): str(e["meta"]["message"])
        for e in suite["expectations"]
        if "code" in e.get("meta", {}) and "message" in e.get("meta", {})
    }


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


def _documents_of(submission_ids: Sequence[int], *columns: Any) -> Select[Any]:
    """(submission_id, suite, ``columns``) of the given submissions' documents, in id and
    suite order."""
    return (
        select(_document.c.submission_id, _document.c.suite, *columns)
        .where(_document.c.submission_id.in_(list(submission_ids)))
        .order_by(_document.c.submission_id, _document.c.suite)
    )


def read_validation_documents(bind: Bind, submission_ids: Sequence[int]) -> list[dict[str, Any]]:
    """(submission_id, suite, document) of the given submissions, in id and suite order."""
    query = _documents_of(submission_ids, _document.c.document)
    with connect(bind) as conn:
        return [
            {"submission_id": int(s), "suite": str(n), "document": d}
            for s, n, d in conn.execute(query)
        ]


def read_validation_fingerprints(
    bind: Bind, submission_ids: Sequence[int]
) -> list[tuple[int, str, int, int]]:
    """(submission_id, suite, row id, length of the stored JSON) of the given submissions'
    documents, in id and suite order: what tells one set of documents from another without
    reading them. A document is written once and never changed (``write_validation_documents``);
    a document written anew is a new row."""
    size = func.length(cast(_document.c.document, Text))
    query = _documents_of(submission_ids, _document.c.id, size)
    with connect(bind) as conn:
        return [(int(s), str(n), int(i), int(z or 0)) for s, n, i, z in conn.execute(query)]


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


def rule_labels(expectations_dir: Path) -> dict[str, str]:
    """Rule code -> a short Chinese name with the code, e.g. ``环比变动超出本单位历史正常区间
    （mom_jump）``: the first clause of the township suites' messages."""
    out: dict[str, str] = {}
    for name in (STRUCTURE_SUITE, CROSS_FIELD_SUITE, HISTORY_SUITE):
        for e in load_suite_dict(expectations_dir, name)["expectations"]:
            meta = e.get("meta", {})
            if "code" in meta and "message" in meta:
                short = re.split(r"[，；（(]", str(meta["message"]), maxsplit=1)[0]
                out[str(meta["code"])] = f"{short}（{meta['code']}）"
    return out


def summarise_results(
    results: pd.DataFrame,
    labels: Mapping[str, str] | None = None,
    unit_names: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """One row per rule over a batch: files checked and failed, rows checked and failed; the
    rule by its ``labels`` (``rule_labels``), the units failing by ``unit_names``."""
    labels, unit_names = labels or {}, unit_names or {}
    out: list[dict[str, Any]] = []
    if results.empty:
        return out
    for (rule, severity), g in results.groupby(["rule", "severity"], sort=True):
        failed = g[~g["success"].astype(bool)]
        units = sorted({str(u) for u in failed["org_unit"] if u})
        out.append(
            {
                "规则": labels.get(str(rule), str(rule)),
                "级别": "错误（退回）" if severity == IssueSeverity.ERROR else "警告（接收并提示）",
                "文件数": int(g["submission_id"].nunique()),
                "未通过文件": int(failed["submission_id"].nunique()),
                "检查行数": int(g["checked"].sum()),
                "未通过行数": int(g["failed"].sum()),
                "单位": "、".join(unit_names.get(u, u) for u in units) or "—",
            }
        )
    return out


def rules_failed(rows: Sequence[Mapping[str, Any]]) -> int:
    """How many of ``summarise_results``' rules failed in some file."""
    return sum(1 for r in rows if r["未通过文件"])


def batch_markdown(
    period: Period,
    rows: Sequence[Mapping[str, Any]],
    docs: Path | None,
    waiting: Sequence[str],
    *,
    files: int = 0,
    reused: int = 0,
) -> str:
    """A batch's validation in brief: the Data Docs link, the rules failed, how many of the
    ``files`` were stored before (``reused``: their stored results shown, not validated again)
    and the open explanations of missing submissions (``waiting``)."""
    lines = [f"# {period} 批次校验", ""]
    if docs is not None:
        lines.append(f"Great Expectations Data Docs：[{docs}]({docs.as_uri()})")
        lines.append("")
    if not files:
        lines.append("本批次没有可校验的文件（未收到文件，或收到的均已拒收）。")
    else:
        lines.append(
            f"文件 {files} 个，规则 {len(rows)} 条，未通过的规则 {rules_failed(rows)} 条。"
        )
    if reused == files and files:
        lines += [
            "",
            f"本次运行没有新文件需要校验：{files} 个文件此前均已入库，以上为其入库时的校验结果。",
        ]
    elif reused:
        lines += ["", f"其中 {reused} 个文件此前已入库，未重新校验，沿用其入库时的校验结果。"]
    if waiting:
        lines += ["", "## 待报送情况说明", ""] + [f"- {md_escape(message)}" for message in waiting]
    return "\n".join(lines) + "\n"
