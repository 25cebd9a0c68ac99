"""Numbers and units as offices write them in a form's cells and indicator names."""

from __future__ import annotations

import math
import re

from jzplan.ingest.form_layout import norm
from jzplan.reference.catalog import UNIT_FACTORS, UnitError, convert, normalize_unit

MULTIPLIERS = {"万": 1e4, "亿": 1e8}
_EMPTY_MARKERS = frozenset(
    {"", "-", "--", "—", "——", "–", "―", "/", "\\", "无", "空", "空白", "…", "……", "...", "x", "X"}
)
_NUMBER_RE = re.compile(r"([+-]?(?:\d+(?:\.\d*)?|\.\d+))(.*)")
_CIRCLED = re.compile(r"^[\u2460-\u2473\u2776-\u277f]+")
_NAME_PREFIX = re.compile(
    r"^(?:其中[:]?|内[:]|[#*※△▲■□●○-]+|\d{1,2}[.、)]|\([一二三四五六七八九十\d]{1,3}\)"
    r"|[一二三四五六七八九十]{1,3}[、.])+"
)


class NotANumberError(ValueError):
    """A number cell holds text that is neither a number nor an empty marker."""


class NonFiniteNumberError(NotANumberError):
    """A number cell holds ±inf or NaN (1E999 typed or exported, NaN from a program)."""


def _is_non_finite_text(text: str) -> bool:
    """``1E999``, ``-inf``, ``NaN``: text Python reads as a number that is not finite."""
    try:
        return not math.isfinite(float(text))
    except ValueError:
        return False


def parse_quantity(value: object) -> tuple[float | None, str | None]:
    """A cell as (number, unit written in the cell), (None, None) when blank or an empty marker.

    Accepts full-width digits and punctuation (１２３，４５６．７), thousands separators, a
    leading △ for minus (statistical tables), and a trailing 万/亿, %, ‰ or unit (1.2亿元).
    Raises ``NonFiniteNumberError`` on ±inf or NaN (as a number or as text such as
    ``1E999``) and ``NotANumberError`` on anything else.
    """
    if value is None:
        return None, None
    if isinstance(value, bool):
        raise NotANumberError(value)
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            raise NonFiniteNumberError(value)
        return number, None
    if not isinstance(value, str):
        raise NotANumberError(value)
    text = norm(value)
    if text in _EMPTY_MARKERS:
        return None, None
    if _is_non_finite_text(text):
        raise NonFiniteNumberError(value)
    sign = ""
    if text.startswith(("△", "▲")):
        sign, text = "-", text[1:]
    m = _NUMBER_RE.fullmatch(text.replace(",", "")) if _good_grouping(text) else None
    if m is None:
        raise NotANumberError(value)
    suffix = normalize_unit(m.group(2)) or None
    if suffix is not None and suffix not in MULTIPLIERS and suffix not in UNIT_FACTORS:
        raise NotANumberError(value)
    return float(sign + m.group(1)), suffix


def _good_grouping(text: str) -> bool:
    """Commas only as thousands separators (1,234,567.8), never 12,34 or 1,2."""
    if "," not in text:
        return True
    integer = re.match(r"[+-]?([\d,]*)", text)
    assert integer is not None
    return re.fullmatch(r"\d{1,3}(,\d{3})+", integer.group(1)) is not None


def parse_number(value: object) -> float | None:
    """A plain number cell (no unit in it) as a float; ``None`` for blank or an empty marker."""
    number, suffix = parse_quantity(value)
    if suffix is not None:
        raise NotANumberError(value)
    return number


def to_canonical(number: float, cell_unit: str | None, row_unit: str, canonical: str) -> float:
    """Convert a value to the indicator's unit; raises ``UnitError``.

    ``cell_unit`` is what the cell itself carries: a full unit (亿元) replaces the row's
    unit, a bare 万/亿 scales the row unit's base (1.2亿 in a 万元 row is 1.2亿元).
    """
    unit = row_unit
    if cell_unit in MULTIPLIERS:
        if UNIT_FACTORS.get(canonical, ("", 0.0))[0] in ("percent", "permille"):
            raise UnitError(f"比率指标的数值不能带“{cell_unit}”")
        number *= MULTIPLIERS[cell_unit]
        unit = _bare_unit(row_unit)
    elif cell_unit is not None:
        unit = cell_unit
    pair = {normalize_unit(unit), normalize_unit(canonical)}
    if pair == {"%", "‰"}:
        return number * 10 if normalize_unit(unit) == "%" else number / 10
    return convert(number, unit, canonical)


def _bare_unit(unit: str) -> str:
    for prefix in MULTIPLIERS:
        if unit.startswith(prefix) and unit[1:] in UNIT_FACTORS:
            return unit[1:]
    return unit


def same_dimension(a: str, b: str) -> bool:
    """Both units known and of one dimension (万元 and 亿元, not 万元 and 人)."""
    da, db = UNIT_FACTORS.get(a), UNIT_FACTORS.get(b)
    return da is not None and db is not None and da[0] == db[0]


def indicator_key(raw: str) -> tuple[str, str | None]:
    """Matching key of a name cell and the unit it carries in brackets, if any.

    ``其中：规上工业增加值（亿元）`` → (``规上工业增加值``, ``亿元``): numbering, 其中 and
    list marks go, full-width forms fold, spaces vanish.
    """
    text = norm(_CIRCLED.sub("", str(raw).strip()))
    text = _NAME_PREFIX.sub("", text).rstrip(":")
    unit: str | None = None
    m = re.search(r"\(([^()]*)\)$", text)
    if m and normalize_unit(m.group(1)) in UNIT_FACTORS:
        unit = normalize_unit(m.group(1))
        text = text[: m.start()]
    return text, unit
