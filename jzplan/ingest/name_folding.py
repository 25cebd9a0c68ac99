"""Matching an indicator name as an office writes it to the catalog, never to another statistic.

A name is tried as written (招商引资到位资金（省外） is a catalog name), then without numbering,
其中： and a unit in brackets (``quantities.indicator_key``), then without what the catalog's
``name_folding.yaml`` calls neutral: bracketed qualifier words (（实际到位资金）, 【快报】) and
period words (1-3月, 本年累计) in brackets, before or after the name. A qualifier that a catalog
name carries to set itself apart from another (省外 in 招商引资到位资金（省外）) is never folded,
and a folded name is only taken when it is a catalog name or alias: 招商引资（省外） and
农民人均现金收入 stay unknown (held as questions with the closest names).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from jzplan.ingest.quantities import indicator_key
from jzplan.reference.catalog import UNIT_FACTORS, Catalog, normalize_name, normalize_unit

_OPEN, _CLOSE = "([【〔", ")]】〕"
_INNER = rf"[^{re.escape(_OPEN + _CLOSE)}]*"
_TRAILING = re.compile(rf"[{re.escape(_OPEN)}]({_INNER})[{re.escape(_CLOSE)}]$")
_LEADING = re.compile(rf"^[{re.escape(_OPEN)}]({_INNER})[{re.escape(_CLOSE)}]")
_ANY = re.compile(rf"[{re.escape(_OPEN)}]({_INNER})[{re.escape(_CLOSE)}]")
_UNIT_LABEL = re.compile(r"^(?:计量)?单位[:：]?")


@dataclass(frozen=True, slots=True)
class NameMatch:
    """A name cell looked up: its indicator code (None: unknown), the key it was last tried
    as (for the closest names), and the unit the name carries, if any."""

    code: str | None
    key: str
    unit: str | None


@dataclass(frozen=True, slots=True)
class NameMatcher:
    """The catalog's names and what may be folded around them."""

    index: Mapping[str, str]  # name or alias key -> code
    neutral: frozenset[str]
    periods: re.Pattern[str] | None
    distinguishing: frozenset[str]  # qualifiers catalog names are told apart by

    def match(self, raw: str, month: int | None = None) -> NameMatch:
        """``raw`` as written, then its key, then folded; the first that is a catalog name.
        With the report's ``month``, a period word must end there (1-2月 in a March form is
        February's figure, not this one)."""
        exact = normalize_name(raw)
        key, unit = indicator_key(raw)
        for candidate in (exact, key):
            if candidate in self.index:
                return NameMatch(self.index[candidate], candidate, unit)
        folded, folded_unit = self.fold(key, month)
        return NameMatch(self.index.get(folded), folded, unit or folded_unit)

    def fold(self, key: str, month: int | None = None) -> tuple[str, str | None]:
        """``key`` without neutral bracketed qualifiers and period words, and a unit found in
        brackets on the way."""
        text, unit = key, None
        changed = True
        while changed and text:
            changed = False
            for pattern in (_TRAILING, _LEADING):
                m = pattern.search(text)
                if m is None or m.end() - m.start() == len(text):
                    continue
                neutral, found_unit = self._neutral(m.group(1), month)
                if neutral:
                    unit = unit or found_unit
                    text = (text[: m.start()] + text[m.end() :]).strip(":")
                    changed = True
            if self.periods is not None:
                for edge in (f"^(?:{self.periods.pattern})", f"(?:{self.periods.pattern})$"):
                    m = re.search(edge, text)
                    if m is None or not m.group() or not _same_month(m.group(), month):
                        continue
                    rest = (text[: m.start()] + text[m.end() :]).strip(":")
                    if rest:
                        text, changed = rest, True
        return text, unit

    def _neutral(self, qualifier: str, month: int | None) -> tuple[bool, str | None]:
        """Whether a bracketed ``qualifier`` may go, and the unit it names, if any."""
        word = _UNIT_LABEL.sub("", qualifier)
        if not word or word in self.distinguishing:
            return False, None
        if normalize_unit(word) in UNIT_FACTORS:
            return True, normalize_unit(word)
        if word in self.neutral:
            return True, None
        period = self.periods is not None and self.periods.fullmatch(word) is not None
        return period and _same_month(word, month), None


def _same_month(word: str, month: int | None) -> bool:
    """A period word's last month (1-3月: 3) is the report's, or it names none (本年累计)."""
    m = re.search(r"(\d{1,2})月", word)
    return m is None or month is None or int(m.group(1)) == month


def name_matcher(catalog: Catalog) -> NameMatcher:
    """The catalog's matcher, built once per catalog."""
    return catalog.cached("ingest.name_matcher", lambda: _build(catalog))


def _build(catalog: Catalog) -> NameMatcher:
    index = catalog.name_index()
    periods = "|".join(f"(?:{p})" for p in catalog.period_patterns)
    return NameMatcher(
        index=index,
        neutral=frozenset(catalog.neutral_qualifiers),
        periods=re.compile(periods) if periods else None,
        distinguishing=distinguishing_qualifiers(index),
    )


def distinguishing_qualifiers(index: Mapping[str, str]) -> frozenset[str]:
    """Bracketed words of catalog names whose removal leaves another indicator's name or no
    catalog name at all: 省外 (招商引资到位资金 is another indicator)."""
    found: set[str] = set()
    for key, code in index.items():
        for m in _ANY.finditer(key):
            base = key[: m.start()] + key[m.end() :]
            if index.get(base) != code:
                found.add(_UNIT_LABEL.sub("", m.group(1)))
    return frozenset(found)
