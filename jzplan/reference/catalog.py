"""The catalog: org units and indicators, read from ``data/catalog/*.yaml``."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from jzplan.core.files import read_yaml
from jzplan.core.periods import Period
from jzplan.reference.catalog_checks import check_indicator_names, check_tree, check_unit_history
from jzplan.reference.catalog_history import (
    ALWAYS,
    Lineage,
    Validity,
    parse_lineage,
    parse_validity,
)

Measure = Literal["flow", "stock", "per_capita", "rate"]
Direction = Literal["higher", "lower"]
T = TypeVar("T")
Aggregation = Literal["sum", "weighted_mean", "recompute", "none"]

MEASURES: tuple[str, ...] = ("flow", "stock", "per_capita", "rate")
AGGREGATIONS: tuple[str, ...] = ("sum", "weighted_mean", "recompute", "none")

# unit -> (dimension, factor to the dimension's base unit)
UNIT_FACTORS: dict[str, tuple[str, float]] = {
    "元": ("cny", 1.0),
    "万元": ("cny", 1e4),
    "亿元": ("cny", 1e8),
    "美元": ("usd", 1.0),
    "万美元": ("usd", 1e4),
    "亿美元": ("usd", 1e8),
    "人": ("people", 1.0),
    "万人": ("people", 1e4),
    "%": ("percent", 1.0),
    "‰": ("permille", 1.0),
    "亩": ("mu", 1.0),
    "万亩": ("mu", 1e4),
    "公里": ("km", 1.0),
    "千米": ("km", 1.0),
    "米": ("km", 1e-3),
    "平方米": ("m2", 1.0),
    "万平方米": ("m2", 1e4),
    "个": ("count_ge", 1.0),
    "家": ("count_jia", 1.0),
    "所": ("count_suo", 1.0),
    "条": ("count_tiao", 1.0),
    "位": ("rank", 1.0),
    "名": ("rank", 1.0),
}


class CatalogError(ValueError):
    """The catalog files are inconsistent."""


class UnitError(ValueError):
    """A value's unit cannot be converted to the indicator's canonical unit."""


def normalize_unit(unit: str) -> str:
    """Fold full-width forms and spaces: ``（万元）`` → ``万元``, ``％`` → ``%``."""
    text = unicodedata.normalize("NFKC", unit).strip()
    return text.strip("()[] ").replace(" ", "")


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert ``value`` between units of the same dimension, e.g. 6780 万元 → 0.678 亿元."""
    src, dst = normalize_unit(from_unit), normalize_unit(to_unit)
    if src == dst:
        return value
    try:
        src_dim, src_factor = UNIT_FACTORS[src]
        dst_dim, dst_factor = UNIT_FACTORS[dst]
    except KeyError as exc:
        raise UnitError(f"未知计量单位：{exc.args[0]}") from None
    if src_dim != dst_dim:
        raise UnitError(f"计量单位“{from_unit}”不能换算为“{to_unit}”")
    return value * src_factor / dst_factor


def normalize_name(name: str) -> str:
    """Key for matching indicator names: NFKC, no whitespace, no brackets' spacing."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


@dataclass(frozen=True, slots=True)
class OrgUnit:
    code: str
    name: str
    kind: str
    parent: str | None
    reports: tuple[str, ...] = ()
    validity: Validity = ALWAYS
    lineage: Lineage | None = None


@dataclass(frozen=True, slots=True)
class Indicator:
    code: str
    name: str
    unit: str
    measure: Measure
    group: str
    direction: Direction = "higher"
    aggregation: Aggregation = "sum"
    weight: str | None = None
    formula: str | None = None
    allows_negative: bool = False
    aliases: tuple[str, ...] = ()
    validity: Validity = ALWAYS
    renamed_from: tuple[str, ...] = ()  # former names, also among the aliases

    @property
    def accumulates(self) -> bool:
        """Reported as a year-to-date total (累计), so linear pace is a share of the target."""
        return self.measure in ("flow", "per_capita")

    @property
    def paced_from_zero(self) -> bool:
        """Its pace toward a target starts at 0 each January (year-to-date totals and rates such
        as 人口自然增长率), not at last December's level (stocks)."""
        return self.accumulates or self.measure == "rate"

    @property
    def components(self) -> tuple[str, ...]:
        """Indicator codes a recomputed indicator's formula reads."""
        if not self.formula:
            return ()
        return tuple(dict.fromkeys(re.findall(r"[a-z_][a-z0-9_]*", self.formula)))


@dataclass(frozen=True, slots=True)
class Catalog:
    """Org units (a tree of any depth under ``area``) and indicators.

    Units with a monthly form (``reports``) are the reporting units; they are leaves. Every
    other unit, the area included, is an aggregate of the reporting units below it.
    """

    area: OrgUnit
    units: tuple[OrgUnit, ...]
    indicators: dict[str, Indicator] = field(default_factory=dict)
    # What offices write around a name that does not change the statistic (name_folding.yaml,
    # read by jzplan.ingest.name_folding): bracketed words, and regexes of period words
    neutral_qualifiers: tuple[str, ...] = ()
    period_patterns: tuple[str, ...] = ()
    # Indexes built once (a national catalog has ~43,000 units): see __post_init__
    _by_code: dict[str, OrgUnit] = field(init=False, repr=False, compare=False)
    _by_name: dict[str, OrgUnit] = field(init=False, repr=False, compare=False)
    _reporters: dict[str, tuple[OrgUnit, ...]] = field(init=False, repr=False, compare=False)
    _children: dict[str, tuple[OrgUnit, ...]] = field(init=False, repr=False, compare=False)
    _cache: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_code = {u.code: u for u in (self.area, *self.units)}
        by_name: dict[str, OrgUnit] = {}
        for u in (self.area, *self.units):
            by_name.setdefault(normalize_name(u.name), u)
        children: dict[str, list[OrgUnit]] = {}
        for u in self.units:
            children.setdefault(u.parent or self.area.code, []).append(u)
        object.__setattr__(self, "_by_code", by_code)
        object.__setattr__(self, "_by_name", by_name)
        object.__setattr__(self, "_reporters", {})  # filled on demand by reporters_of
        object.__setattr__(self, "_children", {k: tuple(v) for k, v in children.items()})
        object.__setattr__(self, "_cache", {})

    @property
    def org_units(self) -> dict[str, OrgUnit]:
        """Code → unit, the area included (one shared dict: do not modify)."""
        return self._by_code

    @property
    def townships(self) -> tuple[OrgUnit, ...]:
        return tuple(u for u in self.units if u.kind in ("乡", "镇", "街道"))

    @property
    def reporting_units(self) -> tuple[OrgUnit, ...]:
        """Units with a monthly form, at any time (``reporting_units_in``: of one month)."""
        return tuple(u for u in self.units if u.reports)

    def reporting_units_in(self, period: Period) -> tuple[OrgUnit, ...]:
        """The reporting units valid in ``period``: each owes a submission that month."""
        return tuple(u for u in self.units if u.reports and u.validity.covers(period))

    @property
    def changes_over_time(self) -> bool:
        """Some org unit has a validity or a lineage (else every unit is valid always)."""
        return self.cached(
            "catalog.changes",
            lambda: any(not u.validity.always or u.lineage for u in self.units),
        )

    def unit(self, code: str) -> OrgUnit:
        try:
            return self._by_code[code]
        except KeyError:
            raise KeyError(f"unknown org unit {code!r}") from None

    def unit_by_name(self, name: str, period: Period | None = None) -> OrgUnit | None:
        """The unit of that name (of those valid in ``period`` first: names may be reused)."""
        found = self._by_name.get(normalize_name(name))
        if found is None or period is None or found.validity.covers(period):
            return found
        key = normalize_name(name)
        later = (u for u in self.units if normalize_name(u.name) == key)
        return next((u for u in later if u.validity.covers(period)), found)

    def children(self, code: str) -> tuple[OrgUnit, ...]:
        """The units directly under ``code``."""
        return self._children.get(code, ())

    def ancestors(self, code: str) -> tuple[str, ...]:
        """Codes of the units above ``code``, nearest first, the area last."""
        out: list[str] = []
        parent = self.unit(code).parent
        while parent is not None:
            out.append(parent)
            parent = self._by_code[parent].parent
        return tuple(out)

    def indicator(self, code: str) -> Indicator:
        try:
            return self.indicators[code]
        except KeyError:
            raise KeyError(f"unknown indicator {code!r}") from None

    def name_index(self) -> dict[str, str]:
        """Normalised Chinese name or alias → indicator code."""
        index: dict[str, str] = {}
        for ind in self.indicators.values():
            for name in (ind.name, *ind.aliases):
                index[normalize_name(name)] = ind.code
        return index

    def reporters_of(
        self, indicator_code: str, period: Period | None = None
    ) -> tuple[OrgUnit, ...]:
        """Units whose monthly form includes the indicator (N in a total's coverage n/N), in
        catalog order; with ``period``, those valid in it. Built per indicator on first use:
        units sharing a named form share its tuple, so each distinct form is a set once."""
        found = self._reporters.get(indicator_code)
        if found is None:
            forms = self.cached(
                "catalog.form_sets",
                lambda: {id(u.reports): frozenset(u.reports) for u in self.units if u.reports},
            )
            found = tuple(
                u for u in self.units if u.reports and indicator_code in forms[id(u.reports)]
            )
            self._reporters[indicator_code] = found
        if period is not None and self.changes_over_time:
            return tuple(u for u in found if u.validity.covers(period))
        return found

    def cached(self, key: str, build: Callable[[], T]) -> T:
        """A value derived from this (immutable) catalog, built once: e.g. the aggregation's
        unit × indicator arrays."""
        if key not in self._cache:
            self._cache[key] = build()
        return cast(T, self._cache[key])


def _flatten(items: list[Any]) -> list[str]:
    out: list[str] = []
    for item in items:
        if isinstance(item, list):
            out.extend(_flatten(item))
        else:
            out.append(str(item))
    return out


def _parse_indicator(raw: dict[str, Any]) -> Indicator:
    known = {
        "code", "name", "unit", "measure", "group", "direction", "aggregation",
        "weight", "formula", "allows_negative", "aliases", "valid_from", "valid_to",
        "renamed_from",
    }  # fmt: skip
    extra = set(raw) - known
    where = f"indicator {raw.get('code')!r}"
    if extra:
        raise CatalogError(f"{where}: unknown keys {sorted(extra)}")
    data = {k: v for k, v in raw.items() if k not in ("valid_from", "valid_to")}
    data["validity"] = parse_validity(raw, where, CatalogError)
    old = raw.get("renamed_from") or ()
    data["renamed_from"] = tuple(str(n) for n in ([old] if isinstance(old, str) else old))
    data["aliases"] = tuple(dict.fromkeys((*data.get("aliases", ()), *data["renamed_from"])))
    data["unit"] = normalize_unit(str(data["unit"]))
    return Indicator(**data)


ALIASES_FILE = "aliases.yaml"


def read_learned_aliases(catalog_dir: Path) -> dict[str, tuple[str, ...]]:
    """Names learned by answering held rows (``ALIASES_FILE``: a list of ``{name, indicator,
    written, by, at, file}``, written by ``jzplan.reference.aliases``), by indicator code."""
    path = catalog_dir / ALIASES_FILE
    if not path.exists():
        return {}
    raw = read_yaml(path) or []
    if not isinstance(raw, list):
        raise CatalogError(f"{ALIASES_FILE}: a list of learned names expected")
    out: dict[str, list[str]] = {}
    for i, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("indicator"):
            raise CatalogError(f"{ALIASES_FILE}: entry {i} needs a name and an indicator")
        out.setdefault(str(entry["indicator"]), []).append(str(entry["name"]))
    return {code: tuple(names) for code, names in out.items()}


def load_catalog(catalog_dir: Path) -> Catalog:
    """Read and cross-check ``org_units.yaml``, ``indicators.yaml`` and the learned names of
    ``aliases.yaml`` (each name, learned or not, belongs to one indicator)."""
    org = read_yaml(catalog_dir / "org_units.yaml")
    raw_inds = read_yaml(catalog_dir / "indicators.yaml")

    indicators: dict[str, Indicator] = {}
    for raw in raw_inds:
        ind = _parse_indicator(raw)
        if ind.code in indicators:
            raise CatalogError(f"duplicate indicator code {ind.code!r}")
        if ind.unit not in UNIT_FACTORS:
            raise CatalogError(f"indicator {ind.code}: unknown unit {ind.unit!r}")
        if ind.measure not in MEASURES:
            raise CatalogError(f"indicator {ind.code}: unknown measure {ind.measure!r}")
        if ind.aggregation not in AGGREGATIONS:
            raise CatalogError(f"indicator {ind.code}: unknown aggregation {ind.aggregation!r}")
        indicators[ind.code] = ind

    for ind in indicators.values():
        if ind.aggregation == "weighted_mean" and ind.weight not in indicators:
            raise CatalogError(f"indicator {ind.code}: weight {ind.weight!r} is not an indicator")
        if ind.aggregation == "recompute":
            missing = [c for c in ind.components if c not in indicators]
            if not ind.formula or missing:
                raise CatalogError(f"indicator {ind.code}: formula needs unknown {missing}")

    for code, learned in read_learned_aliases(catalog_dir).items():
        if code not in indicators:
            raise CatalogError(f"{ALIASES_FILE}: unknown indicator {code!r}")
        ind = indicators[code]
        indicators[code] = replace(ind, aliases=(*ind.aliases, *learned))

    check_indicator_names(indicators.values(), CatalogError)
    names: dict[str, str] = {}
    for ind in indicators.values():
        for name in (ind.name, *ind.aliases):
            key = normalize_name(name)
            if names.get(key, ind.code) != ind.code:
                raise CatalogError(f"name {name!r} is used by {names[key]} and {ind.code}")
            names[key] = ind.code

    a = org["area"]
    area = OrgUnit(code=a["code"], name=a["name"], kind=a["kind"], parent=None)
    forms = _read_forms(org.get("forms") or {}, indicators)
    raw_units: list[dict[str, Any]] = list(org.get("units") or [])
    if org.get("units_file"):
        raw_units.extend(_read_units_file(catalog_dir / str(org["units_file"])))
    units = [_parse_unit(u, area.code, forms, indicators) for u in raw_units]
    check_tree(area, units, CatalogError)
    check_unit_history(units, CatalogError)
    neutral, periods = _read_folding(catalog_dir / "name_folding.yaml")
    return Catalog(
        area=area,
        units=tuple(units),
        indicators=indicators,
        neutral_qualifiers=neutral,
        period_patterns=periods,
    )


def _read_folding(path: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Neutral qualifier words and period patterns (none when the file is absent)."""
    if not path.is_file():
        return (), ()
    raw = read_yaml(path) or {}
    neutral = tuple(normalize_name(str(w)) for w in raw.get("neutral_qualifiers") or ())
    periods = tuple(str(p) for p in raw.get("period_patterns") or ())
    for pattern in periods:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise CatalogError(f"{path.name}: bad period pattern {pattern!r}: {exc}") from None
    return neutral, periods


ORG_UNIT_KEYS = frozenset(
    {"code", "name", "kind", "parent", "reports", "form", "valid_from", "valid_to"}
    | {"split_from", "base_share", "merged_into"}
)
UNITS_FILE_COLUMNS = ("code", "name", "kind", "parent", "form")


def _read_forms(
    raw: dict[str, Any], indicators: dict[str, Indicator]
) -> dict[str, tuple[str, ...]]:
    """Named monthly forms (``forms: {standard: [gdp, ...]}``), shared by many units."""
    forms: dict[str, tuple[str, ...]] = {}
    for name, items in raw.items():
        codes = tuple(dict.fromkeys(_flatten(list(items or []))))
        unknown = [c for c in codes if c not in indicators]
        if unknown:
            raise CatalogError(f"form {name!r}: unknown indicators {unknown}")
        forms[str(name)] = codes
    return forms


def _read_units_file(path: Path) -> list[dict[str, Any]]:
    """``units_file``: a UTF-8 CSV with the columns code,name,kind,parent,form — how a
    province's or the country's tens of thousands of units are listed."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in ("code", "name", "kind") if c not in (reader.fieldnames or [])]
            if missing:
                raise CatalogError(f"{path.name}: missing columns {missing}")
            extra = set(reader.fieldnames or []) - set(UNITS_FILE_COLUMNS)
            if extra:
                raise CatalogError(f"{path.name}: unknown columns {sorted(extra)}")
            rows = []
            for line, row in enumerate(reader, start=2):
                unit = {k: v.strip() for k, v in row.items() if v and v.strip()}
                if not unit.get("code"):
                    raise CatalogError(f"{path.name}:{line}: a unit without a code")
                rows.append(unit)
            return rows
    except OSError as exc:
        raise CatalogError(f"cannot read units file {path}: {exc}") from exc


def _parse_unit(
    raw: dict[str, Any],
    area_code: str,
    forms: dict[str, tuple[str, ...]],
    indicators: dict[str, Indicator],
) -> OrgUnit:
    code = str(raw.get("code"))
    if not code.isprintable() or "," in code:
        raise CatalogError(f"org unit {code!r}: a code is printable text without commas")
    extra = set(raw) - ORG_UNIT_KEYS
    if extra:
        raise CatalogError(f"org unit {code}: unknown keys {sorted(extra)}")
    if "form" in raw and "reports" in raw:
        raise CatalogError(f"org unit {code}: give either form or reports, not both")
    if "form" in raw:
        if raw["form"] not in forms:
            raise CatalogError(f"org unit {code}: unknown form {raw['form']!r}")
        reports = forms[raw["form"]]
    else:
        reports = tuple(dict.fromkeys(_flatten(list(raw.get("reports") or []))))
        unknown = [c for c in reports if c not in indicators]
        if unknown:
            raise CatalogError(f"org unit {code}: reports unknown indicators {unknown}")
    parent = str(raw.get("parent") or area_code)
    where = f"org unit {code}"
    validity = parse_validity(raw, where, CatalogError)
    lineage = parse_lineage(raw, where, indicators, CatalogError)
    return OrgUnit(code, str(raw["name"]), str(raw["kind"]), parent, reports, validity, lineage)
