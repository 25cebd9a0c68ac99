"""How figures are shown to people: numbers and units as the plan states its targets. Shared by
the reports and the alert messages (which sit below the reports and cannot import them)."""

from __future__ import annotations

import math

from jzplan.reference.catalog import convert

# Units of whole things (and places): a figure in one is shown as a whole number
WHOLE_UNITS = frozenset({"人", "个", "家", "所", "条", "位", "名"})


def present(value: object) -> bool:
    """A value that is there: not None, not NaN."""
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def number(value: float) -> str:
    """``25.86``, ``3``, ``12,340``: two decimals at most, none for whole numbers."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value - round(value)) < 1e-9:
        return f"{value:.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def display_unit_of(kind: str, unit: str | None, indicator_unit: str | None) -> str | None:
    """The unit a target is read in: the plan's own, else (growth, %) the indicator's."""
    if indicator_unit is None:
        return None
    if kind == "growth" or (unit in (None, "%") and kind != "ratio"):
        return indicator_unit
    return unit


def in_display_unit(value: object, canonical: object, unit: str | None) -> float | None:
    """A stored value (in the indicator's canonical unit) in ``unit``; None without a value."""
    if not present(value):
        return None
    v = float(value)  # type: ignore[arg-type]
    if unit and isinstance(canonical, str) and canonical and canonical != unit:
        v = convert(v, canonical, unit)
    return round(v, 10)  # 11.514, not 11.514000000000001 from the conversion


def fmt_value(value: object, canonical: object, unit: str | None) -> str:
    """A stored value as the report shows it, e.g. ``25.86亿元``, ``193个`` (a whole unit's
    figure rounded: a forecast of 193.47 enterprises reads 193个); ``—`` without a value."""
    v = in_display_unit(value, canonical, unit)
    if v is None:
        return "—"
    return f"{number(round(v) if unit in WHOLE_UNITS else v)}{unit or ''}"


def fmt_monthly_pace(
    pace: object, left: object, canonical: object, unit: str | None, lower_is_better: bool
) -> str:
    """剩余月均需完成 as shown: in a whole unit, rounded up (the whole things a month that
    reach the target; a ceiling's allowance rounded down), and below one a month the total
    still needed, ``共需1个`` (``left``: target minus actual), never ``0.17个``."""
    v = in_display_unit(pace, canonical, unit)
    if v is None or unit not in WHOLE_UNITS:
        return fmt_value(pace, canonical, unit)
    if lower_is_better:
        return f"{number(math.floor(v + 1e-9))}{unit}"
    if 0 < v < 1 - 1e-9:
        total = in_display_unit(left, canonical, unit)
        if total is not None:
            return f"共需{number(math.ceil(total - 1e-9))}{unit}"
    return f"{number(math.ceil(v - 1e-9))}{unit}"


def _points(unit: str | None) -> str:
    """The unit a difference of rates is read in: 个千分点, 个百分点, else the unit itself."""
    return {"‰": "个千分点", "%": "个百分点"}.get(unit or "", unit or "")


def ceiling_margin(actual: object, cap: object, canonical: object, unit: str | None) -> str:
    """A ceiling's standing instead of a completion rate: ``低于上限1.2个千分点``,
    ``超出上限0.3个千分点``, ``等于上限``; ``—`` without both figures."""
    a, c = in_display_unit(actual, canonical, unit), in_display_unit(cap, canonical, unit)
    if a is None or c is None:
        return "—"
    gap = round(c - a, 10)
    if unit in WHOLE_UNITS:
        gap = round(gap)
    if abs(gap) < 1e-9:
        return "等于上限"
    return f"{'低于' if gap > 0 else '超出'}上限{number(abs(gap))}{_points(unit)}"
