"""Cross-checks of the catalog's org unit tree and of its history (validity, lineage, names
over time). Each raises ``error`` (the catalog's ``CatalogError``) with the entry it is about."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from jzplan.core.periods import Period

if TYPE_CHECKING:
    from jzplan.reference.catalog import Indicator, OrgUnit


def _name_key(name: str) -> str:
    """``catalog.normalize_name`` (not imported: the catalog imports this module)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


def check_tree(area: OrgUnit, units: Sequence[OrgUnit], error: type[ValueError]) -> None:
    """Unique codes; every parent exists; no cycle; reporting units are leaves."""
    parents = {u.code: u.parent for u in units}
    if len(parents) != len(units) or area.code in parents:
        seen: set[str] = {area.code}
        for u in units:
            if u.code in seen:
                raise error(f"duplicate org unit code {u.code!r}")
            seen.add(u.code)
    for u in units:
        if u.parent != area.code and u.parent not in parents:
            raise error(f"org unit {u.code}: unknown parent {u.parent!r}")
        if u.parent == u.code:
            raise error(f"org unit {u.code}: is its own parent")
    reporting = {u.code for u in units if u.reports}
    for u in units:
        if u.parent in reporting:
            raise error(
                f"org unit {u.code}: its parent {u.parent} has a monthly form; reporting "
                "units are leaves (list a unit's own figures as a child unit, like DIR)"
            )
    depth: dict[str, int] = {area.code: 0}
    for u in units:
        path: list[str] = []
        code: str = u.code
        while code not in depth:
            if code in path:
                raise error(f"org units {path}: the parents form a cycle")
            path.append(code)
            code = parents[code] or area.code
        for i, c in enumerate(reversed(path), start=1):
            depth[c] = depth[code] + i


def check_unit_history(units: Sequence[OrgUnit], error: type[ValueError]) -> None:
    """Lineage points at known units at the right months; a unit's name belongs to one unit
    at a time (two units of one name whose validity overlaps cannot be told apart)."""
    by_code = {u.code: u for u in units}
    for u in units:
        lin = u.lineage
        if lin is None:
            continue
        if lin.split_from is not None:
            parent = by_code.get(lin.split_from)
            if parent is None:
                raise error(f"org unit {u.code}: split_from unknown unit {lin.split_from!r}")
            start = u.validity.valid_from
            if start is None:
                raise error(f"org unit {u.code}: split_from needs valid_from (when it split)")
            if not parent.validity.covers(start.previous()):
                raise error(
                    f"org unit {u.code}: split_from {parent.code}, which is not valid in "
                    f"{start.previous()} (the month before the split)"
                )
        if lin.merged_into is not None:
            target = by_code.get(lin.merged_into)
            if target is None or target.code == u.code:
                raise error(f"org unit {u.code}: merged_into unknown unit {lin.merged_into!r}")
            end = u.validity.valid_to
            if end is None:
                raise error(f"org unit {u.code}: merged_into needs valid_to (its last month)")
            if not target.validity.covers(end.next()):
                raise error(
                    f"org unit {u.code}: merged_into {target.code}, which is not valid in "
                    f"{end.next()} (the month after the merge)"
                )
    _check_split_shares(units, error)
    _check_names_over_time(units, error)


def _check_split_shares(units: Sequence[OrgUnit], error: type[ValueError]) -> None:
    """The units split from one parent at one month take at most the whole of it, for each
    indicator a share names (an indicator's share falls back to the ``*`` one)."""
    siblings: dict[tuple[str, Period | None], list[OrgUnit]] = {}
    for u in units:
        if u.lineage is not None and u.lineage.split_from is not None:
            siblings.setdefault((u.lineage.split_from, u.validity.valid_from), []).append(u)
    for (parent, month), split in siblings.items():
        codes = dict.fromkeys(c for u in split if u.lineage for c, _ in u.lineage.shares)
        for code in codes:
            taken = sum(u.lineage.share(code) or 0.0 for u in split if u.lineage)
            if taken > 1 + 1e-9:
                raise error(
                    f"org unit {split[-1].code}: the units split from {parent} in {month} "
                    f"take {taken:g} of its base ({code}; at most 1)"
                )


def _check_names_over_time(units: Sequence[OrgUnit], error: type[ValueError]) -> None:
    by_name: dict[str, list[OrgUnit]] = {}
    for u in units:
        by_name.setdefault(_name_key(u.name), []).append(u)
    for same in by_name.values():
        for i, a in enumerate(same):
            for b in same[i + 1 :]:
                if a.validity.overlaps(b.validity):
                    raise error(
                        f"org units {a.code} and {b.code}: both named {a.name!r} with "
                        f"overlapping validity ({a.validity.text()} / {b.validity.text()})"
                    )


def check_indicator_names(indicators: Iterable[Indicator], error: type[ValueError]) -> None:
    """A rename's old names are not another indicator's current name (checked with the other
    names by ``load_catalog``); a renamed indicator's old names are its aliases."""
    for ind in indicators:
        for old in ind.renamed_from:
            if old == ind.name:
                raise error(f"indicator {ind.code}: renamed_from repeats its own name {old!r}")
