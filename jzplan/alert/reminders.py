"""Reminders (催报): before the deadline, each reporting unit without an accepted form for the
month is sent one reminder through its own channel (``office_message`` outbox)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from jzplan.core.markup import md_escape
from jzplan.core.periods import Period
from jzplan.core.states import MessageKind, MessageStatus, UnitMonthStatus
from jzplan.reference.catalog import Catalog
from jzplan.store.db import Bind
from jzplan.store.office_messages import (
    OfficeMessage,
    mark_messages,
    read_messages,
    record_messages,
)
from jzplan.store.unit_months import unit_statuses

# Why a pending reminder is not sent after all
ALREADY_REPORTED = "already reported"


def reminder_period(now: datetime, timezone: str) -> Period:
    """The month a reminder run at ``now`` is about: the month before, in ``timezone``."""
    local = now.astimezone(ZoneInfo(timezone))
    return Period(local.year, local.month).previous()


def _when(moment: datetime) -> str:
    return f"{moment.year}年{moment.month}月{moment.day}日{moment.hour}时"


def reminders(
    catalog: Catalog,
    period: Period,
    *,
    accepted: Collection[str],
    returned: Collection[str],
    due: datetime,
) -> list[OfficeMessage]:
    """One reminder per reporting unit not in ``accepted`` (units with an accepted form for
    ``period``); a unit in ``returned`` is told its file was returned."""
    out = []
    for unit in catalog.reporting_units_in(period):
        if unit.code in accepted:
            continue
        title = f"【催报】{unit.name}｜{period.label}月报"
        if unit.code in returned:
            state = "已报送的文件被退回，尚无通过审核的月报；请按回执改正后重新报送"
        else:
            state = "尚未收到贵单位的月报"
        body = (
            f"### {md_escape(title)}\n\n"
            f"{md_escape(unit.name)}：{period.label}（{period}）{state}。\n\n"
            f"请于 **{_when(due)}** 前报送（报送截止时间）。\n"
        )
        out.append(OfficeMessage(f"reminder:{unit.code}:{period}", MessageKind.REMINDER,
                                 str(period), unit.code, title, body))  # fmt: skip
    return out


@dataclass(frozen=True, slots=True)
class ReminderRun:
    period: Period
    missing: list[str]  # units without an accepted form, in catalog order
    queued: int  # reminders new in the outbox (a rerun queues none)
    withdrawn: int  # pending reminders of units that have reported since


def queue_reminders(
    bind: Bind, catalog: Catalog, period: Period, due: datetime, now: datetime
) -> ReminderRun:
    """Queue one reminder per reporting unit without an accepted form for ``period`` (read
    from the store), and withdraw pending ones of units that have reported since."""
    units = [u.code for u in catalog.reporting_units_in(period)]
    standing = unit_statuses(bind, units, period)  # the one unit-month status (未报, 退回待改…)
    unsent = {UnitMonthStatus.MISSING, UnitMonthStatus.RETURNED}
    accepted = {u for u, um in standing.items() if um.status not in unsent}
    returned = {u for u, um in standing.items() if um.status == UnitMonthStatus.RETURNED}
    messages = reminders(catalog, period, accepted=accepted, returned=returned, due=due)
    queued = record_messages(bind, messages, now)
    stale = [
        m.id
        for m in read_messages(
            bind, kind=MessageKind.REMINDER, status=MessageStatus.PENDING, period=str(period)
        )
        if m.org_unit in accepted
    ]
    withdrawn = mark_messages(bind, stale, MessageStatus.SKIPPED, now, ALREADY_REPORTED)
    return ReminderRun(period, [m.org_unit for m in messages], queued, withdrawn)


def withdraw_reported(bind: Bind, now: datetime) -> int:
    """Withdraw every pending reminder (any month) whose unit has reported since: a reminder
    held back by a channel outage must not reach an office that has sent its form."""
    pending = read_messages(bind, kind=MessageKind.REMINDER, status=MessageStatus.PENDING)
    stale: list[int] = []
    for period in sorted({m.period for m in pending}):
        mine = [m for m in pending if m.period == period]
        standing = unit_statuses(bind, sorted({m.org_unit for m in mine}), Period.parse(period))
        unsent = {UnitMonthStatus.MISSING, UnitMonthStatus.RETURNED}
        reported = {u for u, um in standing.items() if um.status not in unsent}
        stale += [m.id for m in mine if m.org_unit in reported]
    return mark_messages(bind, stale, MessageStatus.SKIPPED, now, ALREADY_REPORTED)
