"""A figure cell's text: read as a number, or the code and Chinese reason it cannot be."""

from __future__ import annotations

from jzplan.ingest.quantities import NonFiniteNumberError, NotANumberError, parse_quantity
from jzplan.ingest.readers import UncachedFormula


def is_quantity(value: str) -> bool:
    """Text a figure parser would read (beside a row: not a remark)."""
    try:
        parse_quantity(value)
    except NotANumberError:
        return False
    return True


def read_figure(raw: object) -> tuple[float | None, str | None]:
    """A figure cell as (number, unit in the cell); raises ``NotANumberError``."""
    if isinstance(raw, UncachedFormula):
        raise FormulaWithoutValueError(raw.formula)
    return parse_quantity(raw)


class FormulaWithoutValueError(NotANumberError):
    """A figure cell holds a formula saved without its value."""


def unreadable_figure(exc: NotANumberError) -> tuple[str, str]:
    """The code and the Chinese reason for a figure cell that cannot be read."""
    raw = exc.args[0] if exc.args else ""
    if isinstance(exc, FormulaWithoutValueError):
        return "formula_without_value", (
            f"是公式“{raw}”，文件中没有保存计算结果（程序生成、未经 Excel 计算保存），"
            "请在 Excel 中打开、保存后重新报送，或直接填写数字"
        )
    if isinstance(exc, NonFiniteNumberError):
        return "non_finite_number", f"的内容“{raw}”不是有限的数字（超出范围或为无效数值）"
    return "not_a_number", f"的内容“{raw}”不是数字（只能填数字或“—”）"
