"""Each month's state (采集中 / 待审核 / 已发布, ``MonthState``) and the append-only audit of
every move (migration 0014): which version, from what to what, by whom, why, when. A month
without a row is 采集中. The models live here, imported by ``jzplan.store.models``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Integer, String, Table, Text, UniqueConstraint, insert, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Mapped, mapped_column

from jzplan.core.periods import Period
from jzplan.core.states import MonthAction, MonthState, month_move
from jzplan.store.db import Bind, connect, transaction
from jzplan.store.models import Base


class MonthStateRow(Base):
    """A month that has left 采集中: its state, how many times it was released, the last
    release (who, when, the note)."""

    __tablename__ = "month_state"
    __table_args__ = (UniqueConstraint("period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    period: Mapped[str] = mapped_column(String(7))
    state: Mapped[str] = mapped_column(String(16))  # MonthState
    version: Mapped[int] = mapped_column(Integer)  # releases so far (0: never released)
    released_by: Mapped[str | None] = mapped_column(String(64))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)


class MonthTransitionRow(Base):
    """One move of a month, never updated nor deleted."""

    __tablename__ = "month_transition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    version: Mapped[int] = mapped_column(Integer)  # the month's releases after the move
    action: Mapped[str] = mapped_column(String(16))  # MonthAction
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))  # 发布人 / 重新开放人, or the run
    note: Mapped[str | None] = mapped_column(Text)  # the release's note, the reopening's reason
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


_state: Table = MonthStateRow.__table__  # type: ignore[assignment]
_move: Table = MonthTransitionRow.__table__  # type: ignore[assignment]
MAX_ACTOR = 64


@dataclass(frozen=True, slots=True)
class MonthStanding:
    """A month's state; ``version``, ``released_by``, ``released_at`` and ``note`` are its
    last release's (version 0: never released)."""

    period: Period
    state: MonthState = MonthState.COLLECTING
    version: int = 0
    released_by: str | None = None
    released_at: datetime | None = None
    note: str | None = None

    @property
    def locked(self) -> bool:
        return self.state == MonthState.RELEASED

    def released_on(self, timezone: str = "Asia/Shanghai") -> str:
        """The last release's day in ``timezone`` (JZPLAN_TIMEZONE), ISO; — if never."""
        if self.released_at is None:
            return "—"
        return self.released_at.astimezone(ZoneInfo(timezone)).date().isoformat()

    def figures_text(self, timezone: str = "Asia/Shanghai") -> str:
        """What a report calls the month's figures: 正式（第N版，NAME 于 DATE 发布）, or
        暂（待审核） / 暂（采集中）."""
        label = self.state.figures_label
        if self.locked:
            on = self.released_on(timezone)
            return f"{label}（第{self.version}版，{self.released_by} 于 {on} 发布）"
        return f"{label}（{self.state.label}）"


@dataclass(frozen=True, slots=True)
class MonthTransition:
    period: Period
    version: int
    action: MonthAction
    from_state: MonthState
    to_state: MonthState
    actor: str
    note: str | None
    at: datetime


def _standing(row: object) -> MonthStanding:
    r = row._mapping  # type: ignore[attr-defined]
    return MonthStanding(
        Period.parse(str(r["period"])), MonthState(r["state"]), int(r["version"]),
        r["released_by"], r["released_at"], r["note"],
    )  # fmt: skip


def read_month(bind: Bind, period: Period) -> MonthStanding:
    """The month's state (采集中 when it has no row)."""
    with connect(bind) as conn:
        row = conn.execute(select(_state).where(_state.c.period == str(period))).first()
    return MonthStanding(period) if row is None else _standing(row)


def read_months(bind: Bind, periods: Iterable[Period] | None = None) -> dict[Period, MonthStanding]:
    """The months that have a row (all, or those of ``periods``), by period."""
    query = select(_state)
    if periods is not None:
        query = query.where(_state.c.period.in_([str(p) for p in periods]))
    with connect(bind) as conn:
        return {s.period: s for s in map(_standing, conn.execute(query))}


def released_months(bind: Bind, periods: Iterable[Period]) -> dict[Period, MonthStanding]:
    """Those of ``periods`` that are released (locked)."""
    return {p: s for p, s in read_months(bind, periods).items() if s.locked}


def record_move(
    bind: Bind,
    before: MonthStanding,
    action: MonthAction,
    to: MonthState,
    *,
    actor: str,
    note: str | None,
    at: datetime,
) -> MonthStanding:
    """Write the month's new state and append its audit row, in one transaction (the
    caller's checks the move: ``jzplan.month.release``). A release counts a new version."""
    released = action == MonthAction.RELEASE
    after = MonthStanding(
        before.period,
        to,
        before.version + 1 if released else before.version,
        actor if released else before.released_by,
        at if released else before.released_at,
        note if released else before.note,
    )
    values = {
        "state": str(after.state), "version": after.version, "released_by": after.released_by,
        "released_at": after.released_at, "note": after.note,
    }  # fmt: skip
    with transaction(bind) as conn:
        where = _state.c.period == str(before.period)
        if conn.scalar(select(_state.c.id).where(where)) is None:
            conn.execute(insert(_state).values(period=str(before.period), **values))
        else:
            conn.execute(sql_update(_state).where(where).values(**values))
        conn.execute(
            insert(_move).values(
                period=str(before.period), version=after.version, action=str(action),
                from_state=str(before.state), to_state=str(to), actor=actor, note=note, at=at,
            )
        )  # fmt: skip
    return after


def read_transitions(bind: Bind, period: Period | None = None) -> list[MonthTransition]:
    """The audit of months' moves, oldest first."""
    query = select(_move).order_by(_move.c.id)
    if period is not None:
        query = query.where(_move.c.period == str(period))
    with connect(bind) as conn:
        rows = list(conn.execute(query).mappings())
    return [
        MonthTransition(
            Period.parse(str(r["period"])),
            int(r["version"]),
            MonthAction(r["action"]),
            MonthState(r["from_state"]),
            MonthState(r["to_state"]),
            str(r["actor"]),
            r["note"],
            r["at"],
        )
        for r in rows
    ]


def mark_produced(bind: Bind, period: Period, *, actor: str, at: datetime) -> bool:
    """A month's run has produced it: 采集中 → 待审核 (audited); a month already past that
    stays as it is (a rerun, or a late file). Whether it moved."""
    with transaction(bind) as conn:
        before = read_month(conn, period)
        to = month_move(before.state, MonthAction.PRODUCE)
        if to is None:
            return False
        record_move(conn, before, MonthAction.PRODUCE, to, actor=actor, note=None, at=at)
        return True
