"""Unknown indicator names in a form, bounded: the closest catalog names are searched once per
distinct name and only for the first ``Limits.unknown_names_suggested`` of them, and past
``Limits.unknown_rows_max`` unknown rows the rest are counted in one summary issue, never one
issue (and one difflib search) per row of a hostile file."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field

from jzplan.core.limits import Limits
from jzplan.reference.catalog import Catalog


@dataclass(slots=True)
class UnknownNames:
    """The unknown names met in one table, their suggestions and the unknown rows counted."""

    index: Mapping[str, str]  # indicator name key -> code
    catalog: Catalog
    limits: Limits
    hints: dict[str, list[str]] = field(default_factory=dict)
    rows: int = 0

    def meet(self) -> bool:
        """Count one unknown row; whether it still gets its own located issue."""
        self.rows += 1
        return self.rows <= self.limits.unknown_rows_max

    @property
    def unlisted(self) -> int:
        """Unknown rows past the limit (in the summary issue only)."""
        return max(0, self.rows - self.limits.unknown_rows_max)

    def hint(self, key: str) -> list[str]:
        """Up to three catalog names close to ``key``: searched once per distinct name, and
        none once ``unknown_names_suggested`` distinct names have been searched."""
        found = self.hints.get(key)
        if found is not None:
            return found
        if len(self.hints) >= self.limits.unknown_names_suggested:
            return []
        found = suggest(key, self.index, self.catalog)
        self.hints[key] = found
        return found

    def summary(self) -> str:
        """The Chinese message of the summary issue."""
        return (
            f"共 {self.rows:,} 行的指标不在指标目录中，超过上限 {self.limits.unknown_rows_max:,} 行"
            f"（JZPLAN_LIMIT_UNKNOWN_ROWS），其后 {self.unlisted:,} 行不再逐行列出，文件拒收"
        )


def suggest(key: str, index: Mapping[str, str], catalog: Catalog) -> list[str]:
    """Up to three indicator names closest to ``key`` (difflib over the alias keys)."""
    close = difflib.get_close_matches(key, list(index), n=5, cutoff=0.4)
    names: list[str] = []
    for k in close:
        name = catalog.indicator(index[k]).name
        if name not in names:
            names.append(name)
    return names[:3]
