"""Mid-year revisions (调整目标) of a plan's targets.

A target in ``data/targets/<year>.yaml`` may carry ``revisions``, each a revised value, the
date it was decided and the document that decided it::

    revisions:
      - value: 90
        revised_on: 2013-07-01
        source: 新区管委会〔2013〕45号文件

From the month of ``revised_on`` on, the target is tracked against the revised value; before
it, against the original. The file stays one per year: the original value stays in ``value``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from jzplan.core.periods import Period
from jzplan.reference.plan_yaml import Entry, key_label

if TYPE_CHECKING:
    from jzplan.reference.plan import Plan, Target

_REQUIRED = ("value", "revised_on", "source")
_OPTIONAL = ("growth_pct", "note")
# kinds whose value can be revised: a figure to compare against
REVISABLE_KINDS = ("level", "growth", "ceiling", "count", "ratio", "ranking")


@dataclass(frozen=True, slots=True)
class Revision:
    """A target's value as revised from ``revised_on`` on, by the document ``source``."""

    value: float
    revised_on: date
    source: str  # the document that revised it, e.g. 新区管委会〔2013〕45号文件
    growth_pct: float | None = None  # the growth stated with a revised level, if any
    note: str | None = None

    @property
    def period(self) -> Period:
        """The first month tracked against the revised value."""
        return Period(self.revised_on.year, self.revised_on.month)


def _date(entry: Entry, where: str, raw: object) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise entry.error(
        f"{where}: 'revised_on' must be a date like 2013-07-01, got {raw!r}", "revisions"
    )


def _number(entry: Entry, where: str, key: str, raw: object) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise entry.error(
            f"{where}: {key_label(key)} must be a finite number, got {raw!r}", "revisions"
        )
    return float(raw)


def _one(entry: Entry, where: str, raw: Any, kind: str) -> Revision:
    if not isinstance(raw, dict):
        raise entry.error(
            f"{where}: expected a mapping with value, revised_on and source", "revisions"
        )
    for key in raw:
        if key not in _REQUIRED and key not in _OPTIONAL:
            raise entry.error(f"{where}: unknown key {key!r}", "revisions")
    for key in _REQUIRED:
        if raw.get(key) is None:
            raise entry.error(f"{where}: missing required key {key_label(key)}", "revisions")
    value = _number(entry, where, "value", raw["value"])
    if kind == "count" and not value.is_integer():
        raise entry.error(
            f"{where}: a count target needs a whole number, got {value:g}", "revisions"
        )
    if kind in ("count", "ranking", "ratio", "level") and value < 0:
        raise entry.error(f"{where}: {key_label('value')} must not be negative", "revisions")
    source = str(raw["source"]).strip()
    if not source:
        raise entry.error(f"{where}: {key_label('source')} is empty", "revisions")
    growth = raw.get("growth_pct")
    note = raw.get("note")
    return Revision(
        value=value,
        revised_on=_date(entry, where, raw["revised_on"]),
        source=source,
        growth_pct=None if growth is None else _number(entry, where, "growth_pct", growth),
        note=None if note is None else str(note).strip() or None,
    )


def parse_revisions(entry: Entry, kind: str, year: int) -> tuple[Revision, ...]:
    """The target's ``revisions``, checked: a figure target with a value, dates in the plan's
    year in increasing order, each with its document."""
    if not entry.has("revisions"):
        return ()
    raw = entry.values["revisions"]
    if not isinstance(raw, list):
        raise entry.error(f"{key_label('revisions')} must be a list", "revisions")
    if kind not in REVISABLE_KINDS:
        raise entry.error(f"a {kind} target has no value to revise", "revisions")
    if not entry.has("value"):
        raise entry.error(
            f"{key_label('revisions')} need the original {key_label('value')}", "revisions"
        )
    out: list[Revision] = []
    for i, item in enumerate(raw):
        r = _one(entry, f"revisions[{i}]", item, kind)
        if r.revised_on.year != year:
            raise entry.error(
                f"revisions[{i}]: 'revised_on' {r.revised_on} is not in the plan year {year}",
                "revisions",
            )
        if out and r.period <= out[-1].period:
            raise entry.error(
                f"revisions[{i}]: 'revised_on' {r.revised_on} must be in a later month than "
                f"{out[-1].revised_on}",
                "revisions",
            )
        out.append(r)
    return tuple(out)


def revision_at(target: Target, period: Period) -> Revision | None:
    """The revision in force at ``period`` (the latest from its month on), or None."""
    found = None
    for r in target.revisions:
        if r.period <= period:
            found = r
    return found


def target_at(target: Target, period: Period) -> Target:
    """The target as tracked at ``period``: its value revised where a revision is in force."""
    r = revision_at(target, period)
    if r is None:
        return target
    return dataclasses.replace(target, value=r.value, growth_pct=r.growth_pct)


def plan_at(plan: Plan, period: Period) -> Plan:
    """The plan as tracked at ``period``: every target at that month."""
    if not any(t.revisions for t in plan.targets):
        return plan
    return dataclasses.replace(plan, targets=tuple(target_at(t, period) for t in plan.targets))


def plan_versions(plan: Plan) -> list[tuple[Period | None, Plan]]:
    """The plan as written (None) and as it stands from each revision's month on."""
    months = sorted({r.period for t in plan.targets for r in t.revisions})
    return [(None, plan), *((m, plan_at(plan, m)) for m in months)]
