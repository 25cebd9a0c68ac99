"""The catalog over time: when an indicator or an org unit is valid, and the lineage of org
units (a unit split from another, units merged into one), read from the same YAML files.

Every entry is valid always unless it says ``valid_from`` / ``valid_to`` (months, ``YYYY-MM``,
both inclusive). An org unit may say ``split_from: CODE`` (carved out of ``CODE`` from its
``valid_from``, taking ``base_share`` of the parent's figures as its comparable base) or
``merged_into: CODE`` (from the month after its ``valid_to`` its figures are part of
``CODE``'s). docs/catalog-changes.md describes how an office records each change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from jzplan.core.periods import Period

if TYPE_CHECKING:
    from jzplan.reference.catalog import Indicator

ANY_INDICATOR = "*"  # base_share's key for the indicators it does not name


@dataclass(frozen=True, slots=True)
class Validity:
    """The months an entry is valid in, both ends inclusive; None: open."""

    valid_from: Period | None = None
    valid_to: Period | None = None

    def covers(self, period: Period) -> bool:
        if self.valid_from is not None and period < self.valid_from:
            return False
        return self.valid_to is None or period <= self.valid_to

    def overlaps(self, other: Validity) -> bool:
        starts_before_other_ends = (
            self.valid_from is None or other.valid_to is None or self.valid_from <= other.valid_to
        )
        ends_after_other_starts = (
            self.valid_to is None or other.valid_from is None or other.valid_from <= self.valid_to
        )
        return starts_before_other_ends and ends_after_other_starts

    @property
    def always(self) -> bool:
        return self.valid_from is None and self.valid_to is None

    def text(self) -> str:
        """``2014-01 起``, ``至 2014-12``, ``2014-01 至 2014-12`` (what a finding says)."""
        if self.valid_from and self.valid_to:
            return f"{self.valid_from} 至 {self.valid_to}"
        if self.valid_from:
            return f"{self.valid_from} 起"
        return f"至 {self.valid_to}" if self.valid_to else "长期"


ALWAYS = Validity()


@dataclass(frozen=True, slots=True)
class Lineage:
    """Where an org unit comes from or goes to.

    ``split_from``: the parent it was carved out of at its ``valid_from``; ``shares`` the part
    of the parent's figures it takes, per indicator (``ANY_INDICATOR`` for the rest).
    ``merged_into``: the unit that holds its figures from the month after its ``valid_to``.
    """

    split_from: str | None = None
    shares: tuple[tuple[str, float], ...] = ()
    merged_into: str | None = None

    def share(self, indicator: str) -> float | None:
        """The part of the parent's ``indicator`` this unit takes (None: not given)."""
        found = dict(self.shares)
        return found.get(indicator, found.get(ANY_INDICATOR))


def _period(value: Any, where: str, key: str, error: type[ValueError]) -> Period | None:
    if value is None:
        return None
    if isinstance(value, date):  # YAML reads 2014-01-01 as a date
        return Period(value.year, value.month)
    try:
        return Period.parse(str(value))
    except ValueError:
        raise error(f"{where}: {key} {value!r} is not a month (YYYY-MM)") from None


def parse_validity(raw: Mapping[str, Any], where: str, error: type[ValueError]) -> Validity:
    """``valid_from`` / ``valid_to`` of a catalog entry; an empty span is an error."""
    validity = Validity(
        _period(raw.get("valid_from"), where, "valid_from", error),
        _period(raw.get("valid_to"), where, "valid_to", error),
    )
    if validity.valid_from and validity.valid_to and validity.valid_to < validity.valid_from:
        raise error(f"{where}: valid_to {validity.valid_to} is before valid_from")
    return validity


def parse_lineage(
    raw: Mapping[str, Any], where: str, indicators: Iterable[str], error: type[ValueError]
) -> Lineage | None:
    """``split_from`` with ``base_share`` (a number, or indicator → number with ``*`` for the
    rest), and ``merged_into``; None when the unit has neither."""
    split, merged, share = raw.get("split_from"), raw.get("merged_into"), raw.get("base_share")
    if split is None and merged is None:
        if share is not None:
            raise error(f"{where}: base_share without split_from")
        return None
    if split is not None and share is None:
        raise error(f"{where}: split_from needs base_share (the part of the parent it takes)")
    if split is None:
        return Lineage(merged_into=str(merged))
    given: Mapping[Any, Any] = share if isinstance(share, Mapping) else {ANY_INDICATOR: share}
    known = set(indicators)
    shares: list[tuple[str, float]] = []
    for code, value in given.items():
        if str(code) != ANY_INDICATOR and str(code) not in known:
            raise error(f"{where}: base_share names unknown indicator {code!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise error(f"{where}: base_share {value!r} is not a number") from None
        if not 0 < number <= 1:
            raise error(f"{where}: base_share {number:g} must be above 0 and at most 1")
        shares.append((str(code), number))
    return Lineage(str(split), tuple(shares), None if merged is None else str(merged))


def outside_validity(indicator: Indicator, period: Period | None) -> str | None:
    """What a form's row of ``indicator`` is told when ``period`` is outside its validity
    (the finding ``indicator_not_valid``); None when it is valid then, or no period is known."""
    if period is None or indicator.validity.covers(period):
        return None
    return (
        f"（{indicator.name}）在报告期 {period} 不在指标目录的有效期内"
        f"（有效期 {indicator.validity.text()}），本行未读入"
    )
