"""One status per unit and month, the same everywhere (alerts, the report's grid and header,
``jzplan progress``): 已报 / 有待确认 / 退回待改 / 未报 (``UnitMonthStatus``).

- 已报: a current accepted file, no question open;
- 有待确认: accepted, but rows of the current file are held as open questions, or files of
  the month are held against each other (``SubmissionStatus.HELD``);
- 退回待改: files came for the month and every one was rejected;
- 未报: nothing came.

A file counts for its own month (a late form of May in June's batch is May's), except a
rejected file whose own period cannot be trusted: none was read, it lies after its batch, or
its name and its 报告期 cell disagree. That file counts for the batch it arrived with, so the
office that sent it is told "退回待改" there, never "未报".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import Table, or_, select

from jzplan.core.periods import Period
from jzplan.core.states import SubmissionStatus, Timeliness, UnitMonthStatus
from jzplan.store.db import Bind, connect
from jzplan.store.models import SubmissionRow, ValidationResultRow
from jzplan.store.questions import open_question_counts
from jzplan.store.rows import period_key

_submission: Table = SubmissionRow.__table__  # type: ignore[assignment]
_validation: Table = ValidationResultRow.__table__  # type: ignore[assignment]

# Rejection codes that say a file's own period contradicts itself (name against cell) or its
# batch (a month after the folder it came in): such a file counts for its batch
PERIOD_CONTRADICTIONS = frozenset({"period_mismatch", "period_after_arrival"})
LOADED = frozenset({SubmissionStatus.ACCEPTED, SubmissionStatus.SUPERSEDED})
# The order a report lists the groups in, and the words it uses
SHOWN = (UnitMonthStatus.MISSING, UnitMonthStatus.RETURNED, UnitMonthStatus.QUESTIONS)


def counted_period(own: str | None, arrival: str, rejected: bool, contradicts: bool) -> str:
    """The month a file counts for: its own, but a rejected file's batch when its own period
    is unread, after the batch, or contradicted (``PERIOD_CONTRADICTIONS``)."""
    if own is None or (rejected and (contradicts or own > arrival)):
        return arrival
    return own


@dataclass(frozen=True, slots=True)
class UnitFile:
    """A received file of a unit as the status reads it; ``period`` is the file's own (None:
    unread), ``contradicts`` whether its rejection says that period contradicts itself."""

    org_unit: str
    period: str | None
    arrival_period: str
    status: SubmissionStatus
    file_name: str
    message: str | None
    contradicts: bool = False

    @property
    def counted_period(self) -> str:
        """The month this file counts for (see the module's rules)."""
        rejected = self.status == SubmissionStatus.REJECTED
        return counted_period(self.period, self.arrival_period, rejected, self.contradicts)

    @property
    def reason(self) -> str:
        """Why it was rejected: the first line of its message (errors are stored first)."""
        return (self.message or "").split("\n")[0] or "未说明原因"


@dataclass(frozen=True, slots=True)
class UnitMonth:
    """A unit's standing for a month, with the on-time dimension of a loaded form (按时 or 迟报;
    None when nothing was loaded), a Chinese detail for the grid's hover text, the rejected
    files counted here (in arrival order) and the files held against each other."""

    org_unit: str
    period: str
    status: UnitMonthStatus
    timeliness: Timeliness | None
    detail: str
    returned: tuple[UnitFile, ...] = ()
    held_files: tuple[str, ...] = ()
    open_questions: int = 0

    @property
    def misfiled(self) -> UnitFile | None:
        """The last returned file, when it counts here although its own period is another."""
        last = self.returned[-1] if self.returned else None
        return last if last is not None and last.period != self.period else None


def returned_text(um: UnitMonth) -> str:
    """What the office must fix, in its terms: the last returned file and its first error; a
    file whose own period contradicts its batch says so."""
    last = um.returned[-1]
    more = f"（本月共退回 {len(um.returned)} 份）" if len(um.returned) > 1 else ""
    if um.misfiled is not None:
        own = last.period or "无法识别"
        return (
            f"{last.file_name} 随 {last.arrival_period} 批次报送，表内报告期（{own}）与所在批次"
            f"不符，已退回{more}：{last.reason}"
        )
    return f"{last.file_name} 已退回{more}：{last.reason}"


def classify(
    files: Iterable[UnitFile],
    questions: Mapping[tuple[str, str], int],
    units: Sequence[str],
    periods: Sequence[Period],
) -> list[UnitMonth]:
    """Every unit's standing in every period (periods outer, units inner), from its files in
    arrival order and the open questions of its current file by (unit, period)."""
    by_key: dict[tuple[str, str], list[UnitFile]] = {}
    for f in files:
        by_key.setdefault((f.org_unit, f.counted_period), []).append(f)
    out: list[UnitMonth] = []
    for p in periods:
        for unit in units:
            key = (unit, period_key(p))
            out.append(_standing(unit, key[1], by_key.get(key, []), questions.get(key, 0)))
    return out


def _standing(unit: str, period: str, mine: list[UnitFile], open_rows: int) -> UnitMonth:
    loaded = [f for f in mine if f.status in LOADED]
    rejected = tuple(f for f in mine if f.status == SubmissionStatus.REJECTED)
    held = tuple(f.file_name for f in mine if f.status == SubmissionStatus.HELD)
    current = any(f.status == SubmissionStatus.ACCEPTED for f in mine)
    um = UnitMonth(unit, period, UnitMonthStatus.MISSING, None, "未收到报表", rejected, held)
    if not loaded and not held:
        if rejected:
            um = replace(um, status=UnitMonthStatus.RETURNED)
            return replace(um, detail=returned_text(um))
        return um
    timeliness = None
    parts: list[str] = []
    if loaded:
        first = min(f.arrival_period for f in loaded)
        timeliness = Timeliness.ON_TIME if first <= period else Timeliness.LATE
        parts.append(f"{timeliness.label}：{first} 批次收到")
        if rejected:
            parts.append(f"此前退回 {len(rejected)} 份")
        if len(loaded) > 1:
            parts.append(f"更正 {len(loaded) - 1} 次")
    if held:
        keeps = "仍用此前的报表" if current else "均未采用"
        parts.append(f"{'、'.join(held)} 填报日期相同而数字不同，有待确认，{keeps}")
    open_rows = open_rows if current else 0
    if open_rows:
        parts.append(f"{open_rows} 行指标待确认，其余数字已采用")
    questions = bool(held) or open_rows > 0
    status = UnitMonthStatus.QUESTIONS if questions else UnitMonthStatus.REPORTED
    return replace(
        um, status=status, timeliness=timeliness, detail="；".join(parts), open_questions=open_rows
    )


# --------------------------------------------------------------------------- reads


def read_unit_files(bind: Bind, periods: Sequence[Period]) -> list[UnitFile]:
    """Every unit's file of the given periods, or rejected in one of their batches, in arrival
    order (files with no unit read are no unit's)."""
    keys = [period_key(p) for p in periods]
    s = _submission
    contradicted = (
        select(_validation.c.submission_id)
        .where(
            _validation.c.rule.in_(sorted(PERIOD_CONTRADICTIONS)), _validation.c.success.is_(False)
        )
        .scalar_subquery()
    )
    query = (
        select(
            s.c.org_unit_code,
            s.c.period,
            s.c.arrival_period,
            s.c.status,
            s.c.file_name,
            s.c.message,
            s.c.id.in_(contradicted),
        )
        .where(
            s.c.org_unit_code.is_not(None),
            or_(
                s.c.period.in_(keys),
                (s.c.status == SubmissionStatus.REJECTED) & s.c.arrival_period.in_(keys),
            ),
        )
        .order_by(s.c.arrival_period, s.c.id)
    )
    with connect(bind) as conn:
        return [
            UnitFile(
                str(unit),
                None if own is None else str(own),
                str(arrival),
                SubmissionStatus(str(status)),
                str(name),
                message,
                bool(contra),
            )
            for unit, own, arrival, status, name, message, contra in conn.execute(query)
        ]


def unit_months(bind: Bind, units: Sequence[str], periods: Sequence[Period]) -> list[UnitMonth]:
    """Every unit's standing in every period, read from the store (periods outer)."""
    files = read_unit_files(bind, periods)
    return classify(files, open_question_counts(bind, periods), units, periods)


def unit_statuses(bind: Bind, units: Sequence[str], period: Period) -> dict[str, UnitMonth]:
    """Each unit's standing in one period, by unit."""
    return {um.org_unit: um for um in unit_months(bind, units, [period])}


def units_in(statuses: Iterable[UnitMonth], status: UnitMonthStatus) -> list[str]:
    """The units of ``statuses`` that stand at ``status``, in the order given."""
    return [um.org_unit for um in statuses if um.status == status]
