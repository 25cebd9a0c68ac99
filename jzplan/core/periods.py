"""Reporting periods: one calendar month, written ``YYYY-MM``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Self
from zoneinfo import ZoneInfo

_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True, slots=True)
class Period:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month out of range: {self.month}")

    @classmethod
    def parse(cls, text: str) -> Self:
        m = _PERIOD_RE.match(text.strip())
        if not m:
            raise ValueError(f"period must look like 2013-03, got {text!r}")
        return cls(int(m.group(1)), int(m.group(2)))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """Chinese label of the year-to-date span, e.g. ``2013年1-3月``."""
        if self.month == 1:
            return f"{self.year}年1月"
        return f"{self.year}年1-{self.month}月"

    def previous(self) -> Period:
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)

    def next(self) -> Period:
        return Period(self.year + 1, 1) if self.month == 12 else Period(self.year, self.month + 1)

    def same_month_last_year(self) -> Period:
        return Period(self.year - 1, self.month)

    @property
    def year_fraction(self) -> float:
        """Share of the year elapsed at the end of this month (时间进度)."""
        return self.month / 12


def month_before(moment: datetime, timezone: str) -> Period:
    """The month before ``moment``'s month in ``timezone``: a run on 2013-04-06 does March."""
    local = moment.astimezone(ZoneInfo(timezone))
    return Period(local.year, local.month).previous()


def period_range(start: Period, end: Period) -> list[Period]:
    """Every month from ``start`` to ``end`` inclusive."""
    if end < start:
        raise ValueError(f"range end {end} is before start {start}")
    out = [start]
    while out[-1] < end:
        out.append(out[-1].next())
    return out


def parse_period(text: str, name: str = "报告期") -> Period:
    """An operator's month (a CLI argument, a flow parameter) as a Period; a bad one raises
    OperatorError ``bad_period``, one line saying what is expected."""
    from jzplan.core.errors import OperatorError

    try:
        return Period.parse(text)
    except ValueError:
        raise OperatorError(
            "bad_period", f"{name}“{text}”不是有效的月份：应写作 YYYY-MM（月份 01–12），如 2013-06"
        ) from None


def parse_range(start: str, end: str) -> list[Period]:
    """An operator's range of months (``backfill --start --end``): each a valid month and the
    start not after the end, else OperatorError ``bad_period`` / ``bad_range``."""
    from jzplan.core.errors import OperatorError

    first, last = parse_period(start, "起始报告期"), parse_period(end, "结束报告期")
    if last < first:
        raise OperatorError(
            "bad_range", f"结束报告期 {last} 早于起始报告期 {first}：请把较早的月份写在 --start"
        )
    return period_range(first, last)
