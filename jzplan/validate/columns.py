"""The frame the suites read: the parsed frame plus the catalog facts and same-form relations,
kept as named columns (text columns dictionary-encoded) from which a GE batch or a few
located rows are cut without assembling the whole frame."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from jzplan.core.submissions import ParsedSubmission
from jzplan.ingest.bulk import coded as codes_read
from jzplan.reference.catalog import Catalog
from jzplan.validate.rules import Rules


def validation_frame(
    parsed: ParsedSubmission, catalog: Catalog, rules: Rules | None = None
) -> pd.DataFrame:
    """The parsed frame plus the catalog facts and same-form relations the suites read.

    Vectorised: the frame may hold many units' figures (a bulk file, millions of rows); each
    row's form is its own unit's, and the same-form relations are taken per (unit, period).
    """
    return validation_columns(parsed, catalog, rules).frame()


class Codes:
    """A text column kept dictionary-encoded: ``values`` taken by ``codes`` (-1: missing, or
    with ``wrap`` the last value). Its text is built only where something reads it (a located
    row, the whole frame); a GE batch takes it as a categorical, which GE filters and
    compares by its integer codes."""

    def __init__(self, codes: np.ndarray, values: Any, *, wrap: bool = False) -> None:
        self.codes = codes
        self.values = values  # pandas array; unique when the column is read as a categorical
        self.wrap = wrap
        self._categorical: pd.Categorical | None = None

    def text(self, at: np.ndarray | None = None) -> Any:
        codes = self.codes if at is None else self.codes[at]
        return self.values.take(codes, allow_fill=not self.wrap)

    def categorical(self) -> pd.Categorical:
        if self._categorical is None:
            dtype = pd.CategoricalDtype(pd.Index(self.values))
            self._categorical = pd.Categorical.from_codes(self.codes, dtype=dtype, validate=False)
        return self._categorical


@dataclass(frozen=True, slots=True)
class Columns:
    """The validation frame as named columns (arrays, or ``Codes`` built on demand): a GE
    batch or a few located rows are cut from it without assembling the whole frame."""

    n: int
    data: dict[str, Any]  # in the frame's column order
    coded: dict[str, Codes]  # categorical stand-ins of text columns, for GE batches

    @classmethod
    def of(cls, frame: pd.DataFrame) -> Columns:
        return cls(len(frame), {c: frame[c].array for c in frame.columns}, {})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({c: _whole(v) for c, v in self.data.items()}, index=range(self.n))

    def batch(self, columns: tuple[str, ...], *, coded: bool) -> pd.DataFrame:
        """The columns ``columns`` (table-level: the first one), text columns as categoricals
        when ``coded``."""
        names = columns or tuple(self.data)[:1]
        return pd.DataFrame(
            {
                c: self.coded[c].categorical()
                if coded and c in self.coded
                else _whole(self.data[c])
                for c in names
            },
            index=range(self.n),
            copy=False,
        )

    def rows(self, at: np.ndarray) -> pd.DataFrame:
        """Every column at the positions ``at``, a few (index: the positions)."""
        return pd.DataFrame({c: _take_few(v, at) for c, v in self.data.items()}, index=at)


def _take_few(v: Any, at: np.ndarray) -> Any:
    if isinstance(v, Codes):
        return v.text(at)
    if isinstance(v.dtype, pd.StringDtype | pd.ArrowDtype):
        # value by value: Arrow's take on a column of many chunks (a bulk file's) first
        # joins them
        return pd.array([v[i] for i in at.tolist()], dtype=cast(Any, v.dtype))
    return v.take(at)


def _whole(v: Any) -> Any:
    return v.text() if isinstance(v, Codes) else v


def validation_columns(
    parsed: ParsedSubmission,
    catalog: Catalog,
    rules: Rules | None,
    unit_forms: UnitForms | None = None,
) -> Columns:
    """``validation_frame``'s columns. Each code column is factorized once, and its codes
    serve the catalog look-ups, the relations and the GE batches alike; arrays of a row each
    are only those the suites read (on millions of rows, every such array costs)."""
    src = parsed.frame.reset_index(drop=True)
    n = len(src)
    data: dict[str, Any] = {c: src[c].array for c in src.columns}
    facts = IndicatorFacts.of(catalog, rules)
    ind_codes, ind_uniques = _factorize(parsed, "indicator")
    unit_codes, unit_uniques = _factorize(parsed, "org_unit")
    period_codes, period_uniques = _factorize(parsed, "period")
    measure_codes, measure_uniques = _factorize(parsed, "unit")
    # position of each row's indicator in the catalog; -1 (unknown) takes the arrays' last slot
    found = facts.index.get_indexer(pd.Index(ind_uniques).astype("str"))
    ind = np.append(found, -1).astype(np.int32)[ind_codes]
    data["allows_negative"] = facts.allows_negative[ind]
    data["measure"] = Codes(ind, facts.measure, wrap=True)
    # the file's units and the catalog's in one dictionary: the unit check compares codes
    names = pd.Index(measure_uniques)
    catalog_units = pd.Index(facts.expected_unit).dropna().unique()
    names = names.append(catalog_units.difference(names, sort=False))
    unit_names = pd.array(names, dtype="str")
    expected = names.get_indexer(facts.expected_unit).astype(np.int32)
    data["expected_unit"] = Codes(expected[ind], unit_names)
    # catalog membership as boolean columns: an in-set expectation with the whole catalog as
    # its value set costs far more in GE than the check itself
    unit_list: list[Any] = pd.Index(unit_uniques).tolist()
    forms = unit_forms or UnitForms.of(catalog, facts.index)
    known, on_form = forms.of_units(unit_list)
    data["org_unit_known"] = np.append(known, False)[unit_codes]
    data["indicator_known"] = ind >= 0
    form_codes = unit_codes
    if parsed.org_unit is not None and not getattr(parsed, "bulk", False):
        # a one-unit file: the file's unit decides the form, and all its rows are one group
        form_codes = np.zeros(n, dtype=np.intp)
        _, on_form = forms.of_units([parsed.org_unit])
    data["on_form"] = on_form(form_codes, ind)
    # masked copies instead of row conditions (a pandas query per expectation is slow)
    value = src["value"].astype("float64").to_numpy()
    data["nonneg_value"] = np.where(facts.nonneg[ind], value, np.nan)
    data["nonneg_flow_value"] = np.where(facts.nonneg_flow[ind], value, np.nan)
    figure_key = _figure_key(
        (unit_codes, len(unit_uniques)),
        (period_codes, len(period_uniques)),
        (ind_codes, len(ind_uniques)),
    )
    key = figure_key.codes.astype(np.float64)
    key[figure_key.codes < 0] = np.nan
    data["figure_key"] = key
    coded = {
        "org_unit": Codes(unit_codes, unit_uniques),
        "period": Codes(period_codes, period_uniques),
        "indicator": Codes(ind_codes, ind_uniques),
        "unit": Codes(measure_codes, unit_names),
        "expected_unit": data["expected_unit"],
        "figure_key": figure_key,
    }
    if rules is not None:
        data["plausible_min"] = facts.plausible_min[ind]
        data["plausible_max"] = facts.plausible_max[ind]
        groups = (form_codes, period_codes, len(period_uniques))
        data.update(_relations(value, ind, groups, facts, rules, catalog))
    return Columns(n, data, coded)


def _factorize(parsed: ParsedSubmission, column: str) -> tuple[np.ndarray, Any]:
    """``pd.factorize`` of a text column, or the codes ``read_bulk`` made of it while
    reading (a bulk file's code columns)."""
    found = codes_read(parsed, column)
    if found is not None:
        return found.codes, found.uniques
    return pd.factorize(parsed.frame[column])


def _figure_key(*columns: tuple[np.ndarray, int]) -> Codes:
    """One code per row for its (org_unit, period, indicator): equal exactly where the three
    codes are (a missing code counts as a value of its own), missing (-1) where all three
    are; from each column's codes (-1: missing) and its number of distinct values. The
    duplicate rule checks this one column for uniqueness (GE's compound-columns check
    factorizes every column again, then hashes the rows); a GE batch takes it as a
    categorical, whose duplicates pandas finds from its int32 codes."""
    (first, size), *rest = columns
    key = first.astype(np.int64) + 1
    bound = size + 1  # key < bound
    missing = first < 0
    for codes, n in rest:
        key *= n + 1
        key += codes
        key += 1
        bound *= n + 1
        missing &= codes < 0
        if bound >= 2**31:  # dense again: the codes stay int32
            key, uniques = pd.factorize(key)
            key, bound = key.astype(np.int64), len(uniques)
    key[missing] = -1
    return Codes(key.astype(np.int32), pd.RangeIndex(bound))


@dataclass(frozen=True, slots=True)
class IndicatorFacts:
    """Per-indicator arrays in catalog order, plus a last slot for an unknown indicator."""

    index: pd.Index
    allows_negative: np.ndarray
    measure: Any  # pandas str array
    expected_unit: Any
    nonneg: np.ndarray
    nonneg_flow: np.ndarray
    plausible_min: np.ndarray
    plausible_max: np.ndarray

    @classmethod
    def of(cls, catalog: Catalog, rules: Rules | None) -> IndicatorFacts:
        inds = list(catalog.indicators.values())
        ranges = rules.ranges if rules else {}
        nan = float("nan")
        return cls(
            index=pd.Index([i.code for i in inds], dtype="str"),
            allows_negative=np.array([i.allows_negative for i in inds] + [True]),
            measure=pd.array([i.measure for i in inds] + ["unknown"], dtype="str"),
            expected_unit=pd.array([i.unit for i in inds] + [None], dtype="str"),
            nonneg=np.array([not i.allows_negative for i in inds] + [False]),
            nonneg_flow=np.array(
                [not i.allows_negative and i.measure == "flow" for i in inds] + [False]
            ),
            plausible_min=np.array([ranges.get(i.code, (nan, nan))[0] for i in inds] + [nan]),
            plausible_max=np.array([ranges.get(i.code, (nan, nan))[1] for i in inds] + [nan]),
        )


@dataclass(frozen=True, slots=True)
class UnitForms:
    """The catalog's units and the indicators on each one's form, built once per catalog."""

    index: pd.Index  # catalog unit codes (object: compared as the catalog's keys are)
    form_of: np.ndarray  # per catalog unit, then an unknown unit: its row of ``table``
    table: np.ndarray  # row 0: every indicator; column 0: an unknown indicator, 1 + i: i-th

    @classmethod
    def of(cls, catalog: Catalog, index: pd.Index) -> UnitForms:
        forms: dict[tuple[str, ...], int] = {}
        units = list(catalog.org_units.values())
        form_of = np.zeros(len(units) + 1, dtype=np.int32)
        for k, unit in enumerate(units):
            if unit.reports:
                form_of[k] = forms.setdefault(unit.reports, len(forms) + 1)
        table = np.zeros((len(forms) + 1, len(index) + 1), dtype=bool)
        table[0, 1:] = True
        for reports, row in forms.items():
            pos = index.get_indexer(pd.Index(reports, dtype="str"))
            table[row, 1 + pos[pos >= 0]] = True
        codes = pd.Index([u.code for u in units], dtype="object")
        return cls(codes, form_of, table)

    def of_units(self, unit_list: list[Any]) -> tuple[np.ndarray, Any]:
        """For each unit of ``unit_list``: is it in the catalog; and a function of (unit
        codes, indicator positions) telling whether the indicator is on the unit's form. A
        unit unknown to the catalog, or with no form, and a missing unit (code -1) count
        every catalog indicator as on their form (only unknown_org_unit fires); an unknown
        indicator (-1) is on no form."""
        pos = self.index.get_indexer(pd.Index(unit_list, dtype="object"))
        known = pos >= 0
        form_of = np.append(self.form_of[pos], 0)  # -1 (unknown) takes the last slot: 0
        width = self.table.shape[1]
        flat = self.table.ravel()

        def on_form(unit_codes: np.ndarray, ind: np.ndarray) -> np.ndarray:
            at = form_of[unit_codes]
            at *= width
            at += ind
            at += 1
            result: np.ndarray = flat[at]
            return result

        return known, on_form


def _relations(
    value: np.ndarray,
    ind: np.ndarray,
    groups: tuple[np.ndarray, np.ndarray, int],
    facts: IndicatorFacts,
    rules: Rules,
    catalog: Catalog,
) -> dict[str, Any]:
    """``parts_sum``/``parts`` on each form-sum whole and ``whole_value``/``whole`` on each
    bounded part, from the figures of the same unit and period (the first non-empty one).
    ``groups``: the rows' unit codes, period codes and the number of periods."""
    n = len(value)
    sums = rules.sums_for("forms")
    bounds = rules.bounds_for("forms")
    involved, rel_col = _involved(rules, facts)
    col = {code: i for i, code in enumerate(involved)}
    row_col = rel_col[ind]
    rows = np.flatnonzero(row_col >= 0)
    parts_sum = np.full(n, np.nan)
    parts_text = np.full(n, -1, dtype=np.int16)  # -1: none, i: the i-th relation's text
    whole_value = np.full(n, np.nan)
    whole_name = np.full(n, -1, dtype=np.int16)  # -1: none, i: involved[i]'s name
    if len(rows):
        unit_codes, period_codes, periods = groups
        key = (unit_codes[rows].astype(np.int64) + 1) * (periods + 1) + period_codes[rows] + 1
        groups_at, uniques = pd.factorize(key)
        cols = row_col[rows]
        # the figures of each group: first non-empty value per indicator
        table = np.full((len(uniques), len(involved)), np.nan)
        vals = value[rows]
        filled = ~np.isnan(vals)
        flat = groups_at[filled] * len(involved) + cols[filled]
        _, first = np.unique(flat, return_index=True)
        table.flat[flat[first]] = vals[filled][first]
        # the rows of each involved indicator, as positions into ``rows``
        order = np.argsort(cols, kind="stable")
        bounds_at = np.searchsorted(cols[order], np.arange(len(involved) + 1))

        def rows_of(code: str) -> np.ndarray:
            c = col[code]
            return order[bounds_at[c] : bounds_at[c + 1]]

        for k, rel in enumerate(sums):
            at = rows_of(rel.whole)
            figures = table[groups_at[at][:, None], [col[p] for p in rel.parts]]
            complete = ~np.isnan(figures).any(axis=1)
            target = rows[at[complete]]
            if figures.shape[1] <= 2:  # a sum of two is correctly rounded, as fsum's is
                parts_sum[target] = figures[complete].sum(axis=1)
            else:
                parts_sum[target] = [math.fsum(r) for r in figures[complete].tolist()]
            parts_text[target] = k
        by_part: dict[str, list[str]] = {}
        for b in bounds:
            by_part.setdefault(b.part, []).append(b.whole)
        for part, wholes in by_part.items():
            wholes = sorted(set(wholes))  # a tie between wholes goes to the smaller code
            at = rows_of(part)
            figures = table[groups_at[at][:, None], [col[w] for w in wholes]]
            some = ~np.isnan(figures).all(axis=1)
            pick = np.nanargmin(figures[some], axis=1) if some.any() else np.zeros(0, np.intp)
            target = rows[at[some]]
            whole_value[target] = figures[some][np.arange(len(pick)), pick]
            whole_name[target] = np.array([col[w] for w in wholes])[pick]
    texts = [" + ".join(indicator_name(catalog, p) for p in r.parts) for r in sums]
    return {
        "parts_sum": parts_sum,
        "parts": Codes(parts_text, pd.array(texts, dtype="str")),
        "whole_value": whole_value,
        "whole": Codes(
            whole_name, pd.array([indicator_name(catalog, c) for c in involved], dtype="str")
        ),
    }


def _involved(rules: Rules, facts: IndicatorFacts) -> tuple[list[str], np.ndarray]:
    """The indicators the form relations involve, sorted, and per indicator position its
    column among them (-1: not involved)."""
    sums = rules.sums_for("forms")
    bounds = rules.bounds_for("forms")
    involved = sorted(
        {r.whole for r in sums}
        | {p for r in sums for p in r.parts}
        | {c for r in bounds for c in (r.part, r.whole)}
    )
    rel_col = np.full(len(facts.index) + 1, -1, dtype=np.int16)
    found = facts.index.get_indexer(pd.Index(involved, dtype="str"))
    rel_col[found[found >= 0]] = np.arange(len(involved))[found >= 0]
    return involved, rel_col


def indicator_name(catalog: Catalog, code: str) -> str:
    """The indicator's Chinese name; the code itself when the catalog lacks it."""
    ind = catalog.indicators.get(code)
    return ind.name if ind else code
