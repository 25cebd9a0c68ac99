"""Which file of a unit's month is current: what the office says, not the file names.

The files of one (org unit, period) that passed their checks are *contenders*. Their order:

1. the later filing date (填报日期 / 报出日期) wins, where both files give one;
2. equal or unknown dates: the later receipt wins (a later run, then a later batch folder);
3. equal or unknown dates and the same receipt (two files of one batch): identical figures
   are one report (the second is just unchanged); different figures are a question only the
   office can answer, so both are *held* (有待确认) and the current file stays as it was.

A file dated earlier than the standing one (a stale draft arriving after the final) supersedes
nothing: it is recorded as superseded, with a warning naming the file that stays current.

``settle`` is a pure function of the set of contenders, folded batch by batch in receipt order:
the files of one batch decide the same whatever order they are loaded in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from jzplan.core.states import IssueSeverity, SubmissionStatus
from jzplan.core.submissions import SubmissionIssue

# An indicator's figures, comparable: (indicator, value, month value), sorted
Fingerprint = tuple[tuple[str, float | None, float | None], ...]


def fingerprint(figures: Mapping[str, tuple[float | None, float | None]]) -> Fingerprint:
    """Figures in a form two submissions can be compared by (NaN already None)."""
    return tuple(sorted((code, v, m) for code, (v, m) in figures.items()))


@dataclass(frozen=True, slots=True)
class Contender:
    """A checked file of one unit and month: its filing date, its receipt and its figures."""

    id: int
    file_name: str
    filed_on: date | None
    received_at: datetime
    arrival_period: str  # the batch folder, YYYY-MM
    figures: Fingerprint

    @property
    def receipt(self) -> tuple[datetime, str]:
        """When it came: the run's time, then the batch (tests load batches at one time)."""
        return (self.received_at, self.arrival_period)


class Reason(StrEnum):
    """Why a contender is not (or no longer) current, for its warning."""

    REPLACED = "replaced"  # a later file took its place: no warning
    IDENTICAL = "identical"  # same figures as the file taken: no question, no warning
    STALE = "stale"  # filed earlier than the file that stays current
    CONFLICT = "conflict"  # held: same date and receipt, different figures


@dataclass(frozen=True, slots=True)
class Standing:
    """A contender's place after settling, and, for STALE or CONFLICT, the files it lost to or
    is held with (their names, for the office)."""

    status: SubmissionStatus
    reason: Reason | None = None
    others: tuple[str, ...] = ()


CURRENT = Standing(SubmissionStatus.ACCEPTED)


@dataclass(slots=True)
class Settlement:
    """Every contender's standing and the current one (None: no file current)."""

    standings: dict[int, Standing] = field(default_factory=dict)
    current: int | None = None

    @property
    def held(self) -> list[int]:
        return sorted(i for i, s in self.standings.items() if s.status == SubmissionStatus.HELD)


def earlier_dated(a: Contender, b: Contender) -> bool:
    """Whether ``a`` was filed before ``b``: only when both files give a date."""
    return a.filed_on is not None and b.filed_on is not None and a.filed_on < b.filed_on


def _group_date(group: Sequence[Contender]) -> date | None:
    dates = [c.filed_on for c in group if c.filed_on is not None]
    return max(dates) if dates else None


def _leaders(batch: Sequence[Contender]) -> tuple[list[Contender], list[Contender]]:
    """The batch's files no other file of the batch was filed after, and the rest."""
    leaders = [c for c in batch if not any(earlier_dated(c, o) for o in batch)]
    return leaders, [c for c in batch if c not in leaders]


def _pick(same: Sequence[Contender]) -> Contender:
    """One of files with identical figures, the same whatever the order: the latest dated,
    then the last by name, then the last recorded."""
    return max(same, key=lambda c: (c.filed_on or date.min, c.file_name, c.id))


@dataclass(slots=True)
class _State:
    current: Contender | None = None
    held: list[Contender] = field(default_factory=list)

    def standing(self) -> tuple[date | None, list[Contender]]:
        """The filing date a newer batch must not fall behind, and the files it names."""
        if self.held:
            return _group_date(self.held), self.held
        if self.current is not None:
            return self.current.filed_on, [self.current]
        return None, []


def _names(files: Iterable[Contender]) -> tuple[str, ...]:
    return tuple(sorted(c.file_name for c in files))


def settle(contenders: Iterable[Contender]) -> Settlement:
    """The standing of every contender of one unit and month (see the module's rules)."""
    batches: dict[tuple[datetime, str], list[Contender]] = {}
    for c in contenders:
        batches.setdefault(c.receipt, []).append(c)
    out = Settlement()
    state = _State()
    for receipt in sorted(batches):
        _settle_batch(sorted(batches[receipt], key=lambda c: c.id), state, out)
    out.current = None if state.current is None else state.current.id
    return out


def _settle_batch(batch: list[Contender], state: _State, out: Settlement) -> None:
    superseded = SubmissionStatus.SUPERSEDED
    leaders, behind = _leaders(batch)
    for c in behind:  # a draft of the batch, filed before another file of it
        top = [o for o in leaders if earlier_dated(c, o)]
        out.standings[c.id] = Standing(superseded, Reason.STALE, _names(top))
    standing_date, standing_files = state.standing()
    fresh = []
    for c in leaders:  # filed before the file that stays current (or held): stale
        if standing_date is not None and c.filed_on is not None and c.filed_on < standing_date:
            out.standings[c.id] = Standing(superseded, Reason.STALE, _names(standing_files))
        else:
            fresh.append(c)
    if not fresh:
        return
    leaders = fresh
    distinct = {c.figures for c in leaders}
    if len(distinct) > 1:  # a question for the office; the current file stays
        for old in state.held:  # an older question is answered by a newer batch
            out.standings[old.id] = Standing(superseded, Reason.REPLACED)
        for c in leaders:
            mates = _names(o for o in leaders if o is not c)
            out.standings[c.id] = Standing(SubmissionStatus.HELD, Reason.CONFLICT, mates)
        state.held = list(leaders)
        return
    winner = _pick(leaders)
    for c in leaders:
        if c is not winner:
            out.standings[c.id] = Standing(superseded, Reason.IDENTICAL, (winner.file_name,))
    for old in [*state.held, *([state.current] if state.current else [])]:
        out.standings[old.id] = Standing(superseded, Reason.REPLACED)
    out.standings[winner.id] = Standing(SubmissionStatus.ACCEPTED)
    state.current, state.held = winner, []


# --------------------------------------------------------------------------- the office's question

CONFLICT_CODE = "conflicting_submissions"
STALE_CODE = "stale_submission"


def standing_issue(
    file_name: str, standing: Standing, current: str | None
) -> SubmissionIssue | None:
    """The warning a file gets for where it stands (None: current, or identical to it), in
    Chinese for the office: which other file, and what to do."""
    others = "、".join(standing.others)
    keeps = f"现仍以此前的 {current} 为准" if current else "该单位本月暂无采用的报表"
    if standing.reason == Reason.CONFLICT:
        message = (
            f"与同批次的 {others} 填报日期相同（或未填）而数字不同，无法判断以哪份为准："
            f"本月报有待确认，两份均未采用，{keeps}。请重新报送正确的一份并填写更晚的填报日期，"
            "或撤回另一份"
        )
        return SubmissionIssue(CONFLICT_CODE, message, file_name, severity=IssueSeverity.WARNING)
    if standing.reason == Reason.STALE or (
        standing.status == SubmissionStatus.SUPERSEDED and standing.reason != Reason.IDENTICAL
    ):
        named = others or current or "另一份报表"
        message = (
            f"填报日期早于 {named}，视为旧稿：未采用，数字未变。"
            "如此文件才是正确的，请改填更晚的填报日期后重新报送"
            if standing.reason == Reason.STALE
            else f"已有更晚收到的 {named}：此文件未采用，数字未变"
        )
        return SubmissionIssue(STALE_CODE, message, file_name, severity=IssueSeverity.WARNING)
    return None
