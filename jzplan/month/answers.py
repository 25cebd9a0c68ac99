"""Answering a held row (待确认) once: map it to a catalog indicator or discard it, audited.

Mapping converts the row's cells as written with the indicator's unit rules (as the parser
does), adds the figure to its submission, checks the submission again (the file, cross-field
and history suites, against the store as it is), teaches the catalog the name
(``data/catalog/aliases.yaml``) and recomputes the month and the later stored months of its
year: the office need not send the file again. All under the store's lock, in one transaction;
the name is written last, so a refused answer changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine

from jzplan.core.periods import Period
from jzplan.core.states import IssueSeverity, QuestionStatus
from jzplan.core.submissions import OBSERVATION_COLUMNS, ParsedSubmission
from jzplan.ingest.quantities import (
    NotANumberError,
    indicator_key,
    parse_quantity,
    same_dimension,
    to_canonical,
)
from jzplan.month.refresh import refresh_period
from jzplan.month.resources import Resources
from jzplan.month.runs import affected_periods
from jzplan.reference.aliases import AliasClash, LearnedAlias, add_learned_alias, check_alias
from jzplan.reference.catalog import (
    ALIASES_FILE,
    Catalog,
    Indicator,
    UnitError,
    normalize_unit,
)
from jzplan.reference.plan import Plan
from jzplan.store.locks import locked_transaction
from jzplan.store.month_states import read_month, released_months
from jzplan.store.periods import stored_periods
from jzplan.store.questions import (
    AnswerRefused,
    Question,
    add_question_figure,
    check_answerable,
    read_question,
    record_answer,
    submission_figures,
)
from jzplan.store.submissions import write_validation_results
from jzplan.track.progress import Thresholds
from jzplan.validate.history_checks import outlier_settings
from jzplan.validate.store_checks import read_unit_history
from jzplan.validate.validator import SubmissionValidator

MAX_ANSWERED_BY = 64  # the held_row.answered_by column


@dataclass(frozen=True, slots=True)
class Answer:
    """What answering did: the question as answered, the figure added (canonical unit), whether
    the catalog learned the name, the warnings the checks raised, and the months recomputed."""

    question: Question
    value: float | None = None
    month: float | None = None
    alias_added: bool = False
    warnings: tuple[str, ...] = ()
    refreshed: tuple[Period, ...] = ()


@dataclass(frozen=True, slots=True)
class Answering:
    """What answering needs, passed in: the store, the catalog and where its files are, the
    plan and thresholds (to re-evaluate targets) and the validator (None: no re-check)."""

    engine: Engine
    catalog: Catalog
    catalog_dir: Path
    plan: Plan | None
    thresholds: Thresholds
    validator: SubmissionValidator | None = None
    lock_timeout: float = 600.0
    plans: Mapping[int, Plan] = field(default_factory=dict)  # every year's, by year

    def plan_for(self, year: int) -> Plan | None:
        """The plan a month of ``year`` is evaluated against (None: none to evaluate)."""
        if year in self.plans:
            return self.plans[year]
        return self.plan if self.plan is not None and self.plan.year == year else None


def answering_for(resources: Resources, *, check: bool = True) -> Answering:
    """What answering needs, from a run's resources; ``check`` builds the validator (seconds:
    Great Expectations is imported and its context made)."""
    settings = resources.settings
    validator = (
        SubmissionValidator(
            settings.expectations_dir, resources.catalog, outlier=outlier_settings(settings)
        )
        if check
        else None
    )
    return Answering(
        engine=resources.engine,
        catalog=resources.catalog,
        catalog_dir=settings.catalog_dir,
        plan=resources.plan,
        plans=dict(resources.plans),
        thresholds=resources.thresholds,
        validator=validator,
        lock_timeout=settings.lock_timeout_seconds,
    )


def answer_question(
    ctx: Answering,
    question_id: int,
    *,
    indicator: str | None,
    answered_by: str,
    answered_at: datetime,
    note: str | None = None,
) -> Answer:
    """Map question ``question_id`` to ``indicator`` (None: discard it), once.

    AnswerRefused (a stable code and a Chinese message) when the question is unknown, answered
    or not current, the indicator unknown or already in the file, the name another
    indicator's, the cells unreadable or not convertible, or the checks fail on the result."""
    by = answered_by.strip()
    if not by or len(by) > MAX_ANSWERED_BY:
        raise AnswerRefused(
            "answered_by_missing", f"请用 --by 写明答复人姓名（1–{MAX_ANSWERED_BY} 个字符）。"
        )
    with locked_transaction(ctx.engine, timeout=ctx.lock_timeout) as conn:
        question = read_question(conn, question_id)
        check_answerable(question)
        period = Period.parse(str(question.period))
        check_unlocked(conn, period)
        if indicator is None:
            record_answer(
                conn, question_id, status=QuestionStatus.DISCARDED, indicator=None,
                answered_by=by, answered_at=answered_at, note=note,
            )  # fmt: skip
            refreshed = _refresh(conn, ctx, [period])
            return Answer(read_question(conn, question_id), refreshed=refreshed)
        ind = _indicator(ctx.catalog, question, indicator)
        key = indicator_key(question.name)[0]
        try:
            learns = check_alias(ctx.catalog, key, ind.code)
        except AliasClash as clash:
            raise AnswerRefused(
                "name_clash",
                f"名称「{question.name}」已是指标 {clash.owner}"
                f"（{ctx.catalog.indicator(clash.owner).name}）的名称，不能再对应到 {ind.code}。",
            ) from None
        value, month = written_figures(question, ind)
        add_question_figure(conn, question, ind.code, value, month)
        warnings = _check_again(conn, ctx, question, period)
        record_answer(
            conn, question_id, status=QuestionStatus.MAPPED, indicator=ind.code,
            answered_by=by, answered_at=answered_at, note=note,
        )  # fmt: skip
        stored = stored_periods(conn, period.year) if ctx.plan is not None else []
        later = affected_periods(period, [], stored)
        locked = released_months(conn, later)  # a released later month stays as released
        refreshed = _refresh(conn, ctx, [p for p in later if p not in locked])
        learned = learns and add_learned_alias(
            ctx.catalog_dir,
            ctx.catalog,
            LearnedAlias(
                key, ind.code, question.name, by, answered_at, question.file_name, question_id
            ),
        )
        return Answer(read_question(conn, question_id), value, month, learned, warnings, refreshed)


def check_unlocked(conn: Connection, period: Period) -> None:
    """AnswerRefused (month_released) when ``period`` is released: an answer would change
    its figures; the month is reopened first."""
    month = read_month(conn, period)
    if month.locked:
        raise AnswerRefused(
            "month_released",
            f"{period} 已由 {month.released_by} 发布（第{month.version}版），答复会改变其数字："
            f"请先 jzplan reopen --period {period}",
        )


def answer_lines(done: Answer, catalog: Catalog) -> list[str]:
    """What an answer did, in Chinese, for the operator (the CLI prints it, the flow logs it)."""
    q = done.question
    months = "、".join(str(p) for p in done.refreshed)
    if q.status == QuestionStatus.DISCARDED or q.indicator is None:
        where = f"{q.file_name} {q.sheet} 第{q.row}行「{q.name}」"
        return [f"已舍弃待确认行 {q.id}（{where}）；已重算 {months}"]
    ind = catalog.indicator(q.indicator)
    month = "" if done.month is None else f"（本月 {done.month:g}）"
    lines = [
        f"已将待确认行 {q.id}「{q.name}」对应到 {ind.code}（{ind.name}）：{done.value:g} {ind.unit}"
        f"{month}，已计入 {q.file_name}；已重算 {months}"
    ]
    if done.alias_added:
        lines.append(f"已记住名称「{q.name}」（{ALIASES_FILE}），以后的报表直接识别")
    lines += [f"提示：{warning}" for warning in done.warnings]
    return lines


def _indicator(catalog: Catalog, question: Question, code: str) -> Indicator:
    try:
        return catalog.indicator(code)
    except KeyError:
        hints = "、".join(question.hints)
        tip = f"；最接近的指标名称：{hints}" if hints else ""
        raise AnswerRefused(
            "unknown_indicator", f"指标目录中没有代码为 {code} 的指标{tip}。"
        ) from None


def _where(q: Question) -> str:
    return f"文件 {q.file_name} 工作表 {q.sheet} 第{q.row}行「{q.name}」"


def written_figures(question: Question, ind: Indicator) -> tuple[float, float | None]:
    """The row's 累计 and 本月 cells as written, in ``ind``'s unit: the unit cell, else the
    unit in the name, else the indicator's own (as the parser reads a row); AnswerRefused
    (bad_unit, not_a_number, missing_value) when they cannot be."""
    row_unit = normalize_unit(question.unit) if question.unit else None
    row_unit = row_unit or indicator_key(question.name)[1] or ind.unit
    if not same_dimension(row_unit, ind.unit) and {row_unit, ind.unit} != {"%", "‰"}:
        raise AnswerRefused(
            "bad_unit",
            f"{_where(question)}的计量单位“{question.unit or row_unit}”不能换算为指标 "
            f"{ind.code}（{ind.name}）的单位“{ind.unit}”。",
        )
    value = _cell(question, ind, question.value, "累计", row_unit)
    if value is None:
        raise AnswerRefused("missing_value", f"{_where(question)}没有填写累计数，无法对应指标。")
    return value, _cell(question, ind, question.month, "本月", row_unit)


def _cell(
    question: Question, ind: Indicator, raw: str | None, label: str, row_unit: str
) -> float | None:
    try:
        number, cell_unit = parse_quantity(raw)
    except NotANumberError:
        raise AnswerRefused(
            "not_a_number", f"{_where(question)}{label}“{raw}”不是数字，无法对应指标。"
        ) from None
    if number is None:
        return None
    try:
        return to_canonical(number, cell_unit, row_unit, ind.unit)
    except UnitError as exc:
        raise AnswerRefused(
            "bad_unit", f"{_where(question)}{label}“{raw}”无法换算为“{ind.unit}”：{exc}"
        ) from None


def submission_frame(conn: Connection, question: Question, catalog: Catalog) -> pd.DataFrame:
    """The question's submission's stored figures as a parsed frame (``OBSERVATION_COLUMNS``)."""
    rows = [
        {
            "org_unit": question.org_unit,
            "period": question.period,
            "indicator": r["indicator_code"],
            "value": float(r["value"]),
            "value_month": float("nan") if r["value_month"] is None else float(r["value_month"]),
            "unit": catalog.indicator(r["indicator_code"]).unit,
            "raw_unit": catalog.indicator(r["indicator_code"]).unit,
            "sheet": question.sheet,
            "row": r["source_row"],
            "column": None,
        }
        for r in submission_figures(conn, question.submission_id)
    ]
    return pd.DataFrame(rows, columns=list(OBSERVATION_COLUMNS))


def _check_again(
    conn: Connection, ctx: Answering, question: Question, period: Period
) -> tuple[str, ...]:
    """The submission with its new figure through the file, cross-field and history suites:
    an error refuses the answer; the rules' results are stored, the warnings returned."""
    if ctx.validator is None or question.org_unit is None:
        return ()
    parsed = ParsedSubmission(
        path=Path(question.file_name),
        sha256="",
        org_unit=question.org_unit,
        period=period,
        frame=submission_frame(conn, question, ctx.catalog),
    )
    history = read_unit_history(conn, question.org_unit, period, ctx.validator.outlier)
    report = ctx.validator.validate(parsed, history=history)
    errors = [str(i) for i in report.issues if i.severity == IssueSeverity.ERROR]
    if errors:
        raise AnswerRefused(
            "check_failed",
            f"{_where(question)}对应指标后，本报表未通过校验，未作任何更改："
            + "；".join(errors[:3]),
        )
    write_validation_results(conn, question.submission_id, [r.as_row() for r in report.results])
    return tuple(str(i) for i in report.issues)


def _refresh(conn: Connection, ctx: Answering, periods: list[Period]) -> tuple[Period, ...]:
    """Totals, target progress and alerts of ``periods``, in order."""
    for p in periods:
        refresh_period(
            conn,
            catalog=ctx.catalog,
            plan=ctx.plan_for(p.year),
            period=p,
            thresholds=ctx.thresholds,
        )
    return tuple(periods)
