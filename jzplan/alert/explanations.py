"""Warnings that ask for an explanation (上报说明), the explanations, and their alerts.

A warning-level rule that fails on a figure of a unit's current (accepted) submission raises
a ``validation_warning`` alert keyed ``validation:<period>:<unit>:<rule>:<indicator>`` — per
reporting slot, rule and indicator, so a resubmission of the same month maps to the same
alert. The office answers with an explanation — through the CLI (``record_explanation``) or
in the form's own 情况说明 column (``explain_from_form``, at load) — stored with the submission
and the figure it explains; the alert resolves. A resubmission with the same figure keeps the
explanation; one that changes the figure and still trips the rule reopens the alert ("asked
for again").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, insert, select, update

from jzplan.alert.lifecycle import sync_alerts
from jzplan.alert.rules import Alert, as_records, in_period
from jzplan.core.periods import Period
from jzplan.core.states import (
    AlertKey,
    AlertKind,
    AlertSeverity,
    IssueSeverity,
    SubmissionStatus,
)
from jzplan.core.submissions import ParsedSubmission
from jzplan.reference.catalog import Catalog
from jzplan.store.db import Bind, connect, transaction
from jzplan.store.lifecycle import Acceptance, accept_submission
from jzplan.store.models import (
    AlertRow,
    SubmissionRow,
    ValidationExplanationRow,
    ValidationResultRow,
)

KIND = AlertKind.VALIDATION_WARNING

_submission: Table = SubmissionRow.__table__  # type: ignore[assignment]
_result: Table = ValidationResultRow.__table__  # type: ignore[assignment]
_explanation: Table = ValidationExplanationRow.__table__  # type: ignore[assignment]
_alert: Table = AlertRow.__table__  # type: ignore[assignment]


class ExplanationError(ValueError):
    """The explanation names no current warning."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One figure of a current submission that a warning rule flagged."""

    submission_id: int
    org_unit: str
    period: Period
    rule: str
    indicator: str
    value: float | None
    message: str

    @property
    def key(self) -> AlertKey:
        return AlertKey.validation(self.period, self.org_unit, self.rule, self.indicator)


@dataclass(frozen=True, slots=True)
class Explanation:
    submission_id: int
    org_unit: str
    period: Period
    rule: str
    indicator: str
    value: float | None
    text: str


def warning_findings(bind: Bind, period: Period) -> list[Finding]:
    """Failed warning rules of the period's accepted submissions, one per flagged figure."""
    query = (
        select(
            _submission.c.id,
            _submission.c.org_unit_code,
            _result.c.rule,
            _result.c.details,
        )
        .join(_result, _result.c.submission_id == _submission.c.id)
        .where(
            _submission.c.period == str(period),
            _submission.c.status == SubmissionStatus.ACCEPTED,
            _result.c.severity == IssueSeverity.WARNING,
            _result.c.success.is_(False),
        )
        .order_by(_submission.c.org_unit_code, _result.c.rule)
    )
    out: list[Finding] = []
    with connect(bind) as conn:
        for sub_id, unit, rule, details in conn.execute(query):
            for d in details if isinstance(details, list) else []:
                indicator = d.get("indicator")
                if not indicator:
                    continue
                value = d.get("value")
                out.append(
                    Finding(
                        submission_id=int(sub_id),
                        org_unit=str(unit),
                        period=period,
                        rule=str(rule),
                        indicator=str(indicator),
                        value=None if value is None else float(value),
                        message=str(d.get("message") or rule),
                    )
                )
    return out


def read_explanations(bind: Bind, period: Period) -> list[Explanation]:
    query = (
        select(_explanation).where(_explanation.c.period == str(period)).order_by(_explanation.c.id)
    )
    with connect(bind) as conn:
        return [
            Explanation(
                submission_id=int(r["submission_id"]),
                org_unit=str(r["org_unit_code"]),
                period=Period.parse(str(r["period"])),
                rule=str(r["rule"]),
                indicator=str(r["indicator_code"]),
                value=r["value"],
                text=str(r["text"]),
            )
            for r in conn.execute(query).mappings()
        ]


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def validation_alerts(bind: Bind, period: Period, catalog: Catalog) -> list[Alert]:
    """An alert per flagged figure without an explanation of that very figure."""
    explained: dict[tuple[str, str, str], list[Explanation]] = {}
    for e in read_explanations(bind, period):
        explained.setdefault((e.org_unit, e.rule, e.indicator), []).append(e)
    alerts: list[Alert] = []
    for f in warning_findings(bind, period):
        earlier = explained.get((f.org_unit, f.rule, f.indicator), [])
        if any(_same(e.value, f.value) for e in earlier):
            continue
        unit = catalog.org_units.get(f.org_unit)
        ind = catalog.indicators.get(f.indicator)
        again = "（数值已更正，原说明不再适用，请重新说明）" if earlier else "，请报送情况说明"
        alerts.append(
            Alert(
                key=f.key,
                kind=KIND,
                severity=AlertSeverity.WARNING,
                org_unit=f.org_unit,
                target_id=None,
                message=(
                    f"{unit.name if unit else f.org_unit} {period} 月报"
                    f"「{ind.name if ind else f.indicator}」校验提示 {f.rule}{again}："
                    f"{f.message}"
                ),
            )
        )
    return alerts


def sync_validation_alerts(
    bind: Bind, *, catalog: Catalog, period: Period, as_of: Period | None = None
) -> dict[str, int]:
    """Open, keep, resolve and reopen the period's validation alerts (``as_of``: the batch
    being processed, at or after ``period``)."""
    return sync_alerts(
        bind,
        max(as_of or period, period),
        as_records(validation_alerts(bind, period, catalog)),
        scope_kinds={KIND},
        in_scope=in_period(period),
    )


def record_explanation(
    bind: Bind,
    *,
    catalog: Catalog,
    org_unit: str,
    period: Period,
    indicator: str,
    text: str,
    rule: str | None = None,
    explained_by: str | None = None,
    explained_on: date,
) -> dict[str, Any]:
    """Store an office's explanation of the warnings on one figure of its current submission
    (every warning rule on it, or only ``rule``) and resolve their alerts.

    Raises ExplanationError when that figure has no warning. Explaining again replaces the
    text.
    """
    text = text.strip()
    if not text:
        raise ExplanationError("说明内容为空")
    findings = [
        f
        for f in warning_findings(bind, period)
        if f.org_unit == org_unit and f.indicator == indicator and (rule is None or f.rule == rule)
    ]
    if not findings:
        raise ExplanationError(
            f"{org_unit} {period} 的当前月报中，指标 {indicator}"
            f"{'、规则 ' + rule if rule else ''} 没有需要说明的校验提示"
        )
    with transaction(bind) as conn:
        for f in findings:
            key = {"submission_id": f.submission_id, "rule": f.rule, "indicator_code": indicator}
            row = {
                "org_unit_code": org_unit,
                "period": str(period),
                "value": f.value,
                "text": text,
                "explained_by": explained_by,
                "explained_on": explained_on,
            }
            found = conn.scalar(
                select(_explanation.c.id).where(
                    *(getattr(_explanation.c, k) == v for k, v in key.items())
                )
            )
            if found is None:
                conn.execute(insert(_explanation), [{**key, **row}])
            else:
                conn.execute(update(_explanation).where(_explanation.c.id == found).values(row))
        keys = [str(f.key) for f in findings]
        seen = conn.scalars(select(_alert.c.last_seen).where(_alert.c.dedup_key.in_(keys)))
        as_of = max([period, *(Period.parse(str(s)) for s in seen)])
        counts = sync_validation_alerts(conn, catalog=catalog, period=period, as_of=as_of)
    return {"explained": len(findings), "rules": sorted({f.rule for f in findings}), **counts}


def explain_from_form(
    conn: Connection,
    submission_id: int,
    texts: Mapping[str, str],
    *,
    explained_by: str | None,
    explained_on: date,
) -> int:
    """Store the 情况说明 a form wrote beside its figures (``texts``: indicator code → text) as
    the explanation of every failed warning rule on that figure of ``submission_id``, in the
    caller's transaction; the number stored. A text on a row without a warning is only kept
    as the parser's note. The alerts follow at the next ``sync_validation_alerts``."""
    if not texts:
        return 0
    sub = conn.execute(
        select(_submission.c.org_unit_code, _submission.c.period).where(
            _submission.c.id == submission_id
        )
    ).one()
    failed = conn.execute(
        select(_result.c.rule, _result.c.details).where(
            _result.c.submission_id == submission_id,
            _result.c.severity == IssueSeverity.WARNING,
            _result.c.success.is_(False),
        )
    )
    stored = 0
    for rule, details in failed:
        for d in details if isinstance(details, list) else []:
            indicator = d.get("indicator")
            text = texts.get(str(indicator), "").strip() if indicator else ""
            if not text:
                continue
            key = {"submission_id": submission_id, "rule": str(rule), "indicator_code": indicator}
            if conn.scalar(
                select(_explanation.c.id).where(
                    *(getattr(_explanation.c, k) == v for k, v in key.items())
                )
            ):
                continue  # one rule flags a figure once; a rerun keeps the first
            value = d.get("value")
            conn.execute(
                insert(_explanation),
                [
                    {
                        **key,
                        "org_unit_code": sub.org_unit_code,
                        "period": sub.period,
                        "value": None if value is None else float(value),
                        "text": text,
                        "explained_by": (explained_by or "")[:64] or None,
                        "explained_on": explained_on,
                    }
                ],
            )
            stored += 1
    return stored


def accept_with_explanations(
    conn: Connection,
    submission_id: int,
    parsed: ParsedSubmission,
    results: Sequence[Mapping[str, Any]],
    received_at: datetime,
) -> Acceptance:
    """Accept a checked form, then store its 情况说明 texts as the explanations of the
    warnings on their figures (by its 填表人, on its 报出日期 or else the day it came)."""
    accepted = accept_submission(conn, submission_id, parsed.frame, results)
    explain_from_form(
        conn, submission_id, parsed.explanations,
        explained_by=parsed.filed_by, explained_on=parsed.filed_on or received_at.date(),
    )  # fmt: skip
    return accepted


def open_warnings(bind: Bind, period: Period, catalog: Catalog) -> list[dict[str, Any]]:
    """The period's flagged figures still waiting for an explanation (for the CLI)."""
    return [
        {"key": str(a.key), "unit": a.org_unit, "message": a.message}
        for a in validation_alerts(bind, period, catalog)
    ]
