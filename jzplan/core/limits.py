"""Limits on what one submitted file may make the pipeline do, checked before or while it is
read: a file over a limit is rejected with a located reason, and the month goes on.

The values come from ``jzplan.core.settings.Settings`` (``JZPLAN_LIMIT_*``,
``Settings.limits()``); the defaults here are the settings' defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1 << 20


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits one file is read under (sizes in bytes, figures in canonical units)."""

    # a form (.xlsx, .xls, .csv of one unit) and a bulk file (.csv or .parquet of many units)
    form_max_bytes: int = 20 * MIB
    bulk_max_bytes: int = 2048 * MIB
    # an .xlsx's zip members as its directory declares them: all together, and each one's
    # uncompressed / compressed size (a member under 1 MiB is not held to the ratio)
    xlsx_max_uncompressed_bytes: int = 200 * MIB
    xlsx_max_ratio: float = 200.0
    # cells a form's sheet (or CSV) actually holds, whatever its <dimension> says
    form_max_rows: int = 2000
    form_max_columns: int = 100
    # characters in one cell of a CSV form
    form_max_field_chars: int = 10_000
    # |figure| in the indicator's canonical unit
    max_abs_value: float = 1e12
    # unknown indicator names: suggestions for the first this many distinct names, and the
    # file refused with one summary issue after this many unknown rows
    unknown_names_suggested: int = 20
    unknown_rows_max: int = 200
    # located issues of one code listed per bulk file (the rest counted in one more issue)
    bulk_max_issues: int = 100

    def max_bytes_for(self, suffix: str) -> int:
        """The most bytes a file of ``suffix`` is read at all: a .csv may be a bulk file."""
        bulk = suffix.lower() in (".csv", ".parquet")
        return self.bulk_max_bytes if bulk else self.form_max_bytes


DEFAULT_LIMITS = Limits()


def mib(size: int) -> str:
    """A byte count for a Chinese message: ``20 MiB`` or ``1,234 字节``."""
    return f"{size / MIB:,.1f} MiB" if size >= MIB else f"{size:,} 字节"
