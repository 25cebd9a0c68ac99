"""How figures are shown to people: numbers and units as the plan states its targets. Shared by
the reports and the alert messages (which sit below the reports and cannot import them)."""

from __future__ import annotations

import math

from jzplan.reference.catalog import convert


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
    """A stored value as the report shows it, e.g. ``25.86亿元``; ``—`` without a value."""
    v = in_display_unit(value, canonical, unit)
    return "—" if v is None else f"{number(v)}{unit or ''}"
