"""Reporting units' figures → totals at every level above them, each with its coverage n of N."""

from __future__ import annotations

import ast
import dataclasses
import math
import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog

_OPS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def evaluate_formula(formula: str, values: Mapping[str, float]) -> float | None:
    """Evaluate a catalog formula (``+ - * /``, names, numbers); None if a name or divisor is 0.

    The one-value case of the array evaluation the aggregation uses (``_formula``)."""
    try:
        result = _formula(
            formula, {k: np.asarray([v], dtype=np.float64) for k, v in values.items()}
        )
    except KeyError:
        return None
    value = float(np.atleast_1d(result)[0])
    return None if math.isnan(value) else value


@dataclass(frozen=True, slots=True)
class Fact:
    """A value available for target evaluation, and how complete it is."""

    value: float
    n_reported: int = 1
    n_expected: int = 1
    note: str | None = None  # how it was computed, when not as stored (可比口径：…)

    @property
    def provisional(self) -> bool:
        return self.n_reported < self.n_expected


FactKey = tuple[str, str]  # (org unit code, indicator code)


@dataclass(frozen=True, slots=True)
class _Level:
    """One depth's contributions to the aggregates above it, in catalog order: aggregates, and
    the reporting units listed after an aggregate sibling (added one by one)."""

    aggregates: np.ndarray  # aggregate positions
    leaves: np.ndarray  # leaf positions
    order: np.ndarray | None  # [aggregates, leaves] → catalog order; None without leaves
    parent: np.ndarray  # the aggregate each contribution (in catalog order) goes into


@dataclass(frozen=True, slots=True)
class _Tree:
    """The catalog as arrays, built once per catalog.

    Totals are added up exactly as the units × indicators rollup did (one level at a time,
    deepest first, each parent's children in catalog order, from 0), so the floats come out
    the same to the bit. The reporting units ("leaves", the rows of a period's figures) are
    laid out in blocks: every parent's first child, then every parent's second child, …,
    the parents with most children first, so adding a parent's children in order is adding
    whole contiguous blocks. The units above them ("aggregates") and the indicators are in
    code order, so the result comes out sorted.
    """

    indicators: tuple[str, ...]  # in code order
    ind_index: pd.Index
    leaf_index: pd.Index  # unit code → leaf position (the aggregates are absent)
    leaf_form: np.ndarray  # bool (leaves × indicators): on the unit's form
    leaf_rank: np.ndarray  # code rank of each leaf
    leaves_by_code: np.ndarray  # leaf positions in code order
    block_sizes: tuple[int, ...]  # the blocks of the leaves listed before any aggregate sibling
    run_parent: np.ndarray  # the aggregate of each block row (a block is a prefix of these)
    agg_rank: np.ndarray  # code rank of each aggregate
    levels: tuple[_Level, ...]  # deepest first
    expected: np.ndarray  # int (aggregates × indicators): reporting units below with it
    codes: pa.Array  # every unit code, in code order (large_string, as pandas' str dtype)
    ind_codes: pa.Array

    def totals(self, leaf: np.ndarray, dtype: type = np.float64) -> np.ndarray:
        """(leaves × k) figures → (aggregates × k) totals of the reporting units below."""
        out: np.ndarray = np.zeros((len(self.agg_rank), leaf.shape[1]), dtype=dtype)
        if self.block_sizes:
            # (np.add.reduceat would add a run pairwise: other roundings)
            runs: np.ndarray = np.zeros((len(self.run_parent), leaf.shape[1]), dtype=dtype)
            start = 0
            for size in self.block_sizes:
                runs[:size] += leaf[start : start + size]
                start += size
            out[self.run_parent] = runs
        for level in self.levels:
            part = out[level.aggregates]
            if level.order is not None:
                part = np.concatenate([part, leaf[level.leaves].astype(dtype)])[level.order]
            np.add.at(out, level.parent, part)
        return out


def _build_tree(catalog: Catalog) -> _Tree:
    units = (catalog.area, *catalog.units)
    n = len(units)
    codes = [u.code for u in units]
    by_code = np.argsort(np.array(codes), kind="stable")  # numpy orders str as Python does
    rank = np.empty(n, dtype=np.int64)
    rank[by_code] = np.arange(n)
    row_of = {code: row for row, code in enumerate(codes)}
    area = catalog.area.code
    parent = np.array([-1, *(row_of[u.parent or area] for u in catalog.units)], dtype=np.int64)
    depth = np.zeros(n, dtype=np.int64)
    for _ in range(n):  # at most the tree's height rounds
        new = np.where(parent >= 0, depth[np.maximum(parent, 0)] + 1, 0)
        if np.array_equal(new, depth):
            break
        depth = new
    # the forms: a national catalog's 40,000 units share a few named ones (the same tuple)
    ids, first, form_of = np.unique(
        np.array([id(u.reports) for u in units], dtype=np.uint64),
        return_index=True,
        return_inverse=True,
    )
    inds = tuple(sorted(catalog.indicators))
    ind_index = pd.Index(inds)
    forms = np.zeros((len(ids), len(inds)), dtype=bool)
    for k, row in enumerate(first):
        forms[k, ind_index.get_indexer(pd.Index(units[row].reports, dtype=object))] = True
    reporting = np.asarray(forms.any(axis=1))[form_of]
    aggs = by_code[~reporting[by_code]]
    agg_pos = np.full(n + 1, -1, dtype=np.int64)  # [-1] (no parent) stays -1
    agg_pos[aggs] = np.arange(len(aggs))
    up = agg_pos[parent]  # each unit's parent among the aggregates, -1 if none
    # the leaves listed after an aggregate sibling are added one by one, in catalog order
    first_agg_child = np.full(n + 1, n, dtype=np.int64)
    has_up = aggs[up[aggs] >= 0]
    np.minimum.at(first_agg_child, parent[has_up], has_up)
    leaves = np.flatnonzero(reporting)
    head = (up[leaves] >= 0) & (leaves < first_agg_child[parent[leaves]])
    heads = leaves[head]  # in catalog order
    parents, run_of, run_size = np.unique(up[heads], return_inverse=True, return_counts=True)
    by_size = np.argsort(-run_size, kind="stable")  # runs, the longest first
    run_rank = np.empty(len(by_size), dtype=np.int64)
    run_rank[by_size] = np.arange(len(by_size))
    nth = np.empty(len(heads), dtype=np.int64)  # each leaf's place among its parent's
    nth[np.argsort(run_of, kind="stable")] = np.arange(len(heads)) - np.repeat(
        np.cumsum(run_size) - run_size, run_size
    )
    heads = heads[np.lexsort((run_rank[run_of], nth))]
    block_sizes = tuple(int(c) for c in np.bincount(nth)) if len(heads) else ()
    layout = np.concatenate([heads, leaves[~head]])
    leaf_pos = np.full(n, -1, dtype=np.int64)
    leaf_pos[layout] = np.arange(len(layout))
    levels = []
    for d in range(int(depth.max(initial=0)), 0, -1):
        rows = np.flatnonzero((depth == d) & (up >= 0) & ~(reporting & (leaf_pos < len(heads))))
        is_agg = ~reporting[rows]
        a_rows, l_rows = rows[is_agg], rows[~is_agg]
        order = None
        if len(l_rows):
            order = np.argsort(np.concatenate([a_rows, l_rows]), kind="stable")
        levels.append(_Level(agg_pos[a_rows], leaf_pos[l_rows], order, up[rows]))
    tree = _Tree(
        indicators=inds,
        ind_index=ind_index,
        leaf_index=pd.Index([codes[r] for r in layout.tolist()], dtype=object),
        leaf_form=forms[form_of[layout]],
        leaf_rank=rank[layout],
        leaves_by_code=leaf_pos[by_code[reporting[by_code]]],
        block_sizes=block_sizes,
        run_parent=parents[by_size],
        agg_rank=rank[aggs],
        levels=tuple(levels),
        expected=np.zeros((len(aggs), len(inds)), dtype=np.int64),
        codes=pa.array([codes[r] for r in by_code.tolist()], type=pa.large_string()),
        ind_codes=pa.array(inds, type=pa.large_string()),
    )
    return dataclasses.replace(tree, expected=tree.totals(tree.leaf_form, np.int64))


def _formula(formula: str, columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """``evaluate_formula`` over arrays: NaN where a name is NaN or a divisor is 0."""

    def walk(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.Name):
            return columns[node.id]
        raise ValueError(f"unsupported formula element in {formula!r}")

    with np.errstate(divide="ignore", invalid="ignore"):
        result = np.asarray(walk(ast.parse(formula, mode="eval")), dtype=np.float64)
    return np.where(np.isfinite(result), result, np.nan)


def _positions(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Position of each value in ``index`` (-1 if absent), each distinct value looked up once.

    Arrow-backed strings are first compared with their neighbours: a unit's figures come
    together in a file, so 4 million figures of 40,000 units are 40,000 lookups (hashing
    every code costs several times more). Categories (a bulk file's codes,
    ``jzplan.month.refresh.period_figures``) are looked up once per category."""
    array = values.array
    if isinstance(array, pd.Categorical):
        found: np.ndarray = np.append(index.get_indexer(array.categories), -1)
        return found[np.asarray(array.codes)]
    arrow = pa.array(array) if isinstance(array, pd.arrays.ArrowExtensionArray) else None
    if arrow is None or not (
        pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type)
    ):
        codes, uniques = pd.factorize(values)
        return np.append(index.get_indexer(pd.Index(uniques)), -1)[codes]
    flat = arrow.combine_chunks() if isinstance(arrow, pa.ChunkedArray) else arrow
    n = len(flat)
    starts = None
    if n > 1:
        differs = pc.not_equal(flat.slice(1), flat.slice(0, n - 1)).fill_null(True)
        starts = np.flatnonzero(np.append(True, differs.to_numpy(zero_copy_only=False)))
        if 2 * len(starts) > n:  # no runs to speak of
            starts = None
    heads = flat if starts is None else flat.take(pa.array(starts))
    encoded = pc.dictionary_encode(heads)
    found = index.get_indexer(pd.Index(pd.array(encoded.dictionary, dtype="str")))
    codes = encoded.indices.fill_null(len(found)).to_numpy(zero_copy_only=False)
    positions = np.append(found, -1)[codes]
    return positions if starts is None else np.repeat(positions, np.diff(starts, append=n))


def aggregate_period(
    observations: pd.DataFrame, catalog: Catalog, period: Period | None = None
) -> pd.DataFrame:
    """Totals at every level of the hierarchy and recomputed rates, for one period.

    ``observations`` holds the period's current figures (columns org_unit, indicator, value)
    of the reporting units. Every unit above them (the area, and counties, cities or
    provinces in a deeper catalog) gets, for each indicator some reporting unit below it
    has on its form, the total over those units with its coverage *n of N*: a total missing
    a unit is kept and marked provisional, never silently smaller. ``weighted_mean``
    indicators are weighted by their weight indicator; rates (``aggregation: recompute``)
    are derived from their components, for every unit that has them. Rows are sorted by
    org_unit, indicator. With ``period``, only the reporting units and indicators valid in it
    count (their figures and N): a unit merged away or not yet split off is neither added nor
    expected, and an indicator before its ``valid_from`` or after its ``valid_to`` has no row.

    Vectorised over a reporting units × indicators array, the units above added up from it,
    the rows produced in order (no sort).
    """
    tree = catalog.cached("aggregate.leaf_tree", lambda: _build_tree(catalog))
    own = _leaf_grid(observations, tree)
    grid = _Grid.empty(tree)
    dated = catalog.cached(
        "aggregate.dated_indicators",
        lambda: any(not i.validity.always for i in catalog.indicators.values()),
    )
    if period is not None and (catalog.changes_over_time or dated):
        valid = np.array([catalog.unit(c).validity.covers(period) for c in tree.leaf_index])
        live = np.array([catalog.indicators[c].validity.covers(period) for c in tree.indicators])
        own[~valid] = np.nan
        own[:, ~live] = np.nan
        grid.n_exp = tree.totals(tree.leaf_form & valid[:, None] & live[None, :], np.int64)
    col = {code: j for j, code in enumerate(tree.indicators)}
    _add_up(tree, catalog, col, own, grid)
    rates = _recompute_rates(catalog, col, own, grid)
    return _rows_in_order(tree, grid, rates)


def _leaf_grid(observations: pd.DataFrame, tree: _Tree) -> np.ndarray:
    """The reporting units' own figures as a units × indicators array (NaN: not reported)."""
    n_leaves, n_inds = tree.leaf_form.shape
    rows = _positions(observations["org_unit"], tree.leaf_index)
    cols = _positions(observations["indicator"], tree.ind_index)
    values = pd.to_numeric(observations["value"], errors="coerce").to_numpy(np.float64)
    keep = (rows >= 0) & (cols >= 0) & ~np.isnan(values)
    at = rows * n_inds + cols
    if not keep.all():
        at, values = at[keep], values[keep]
    own = np.full((n_leaves, n_inds), np.nan)
    own.ravel()[at] = values
    return own


@dataclass(slots=True)
class _Grid:
    """The aggregates (units above the reporting units) × indicators: value, units reported
    and expected, and whether the aggregate has a row."""

    value: np.ndarray
    n_rep: np.ndarray
    n_exp: np.ndarray
    derived: np.ndarray

    @classmethod
    def empty(cls, tree: _Tree) -> _Grid:
        n_exp = tree.expected.copy()
        return cls(
            value=np.full(n_exp.shape, np.nan),
            n_rep=np.zeros(n_exp.shape, dtype=np.int64),
            n_exp=n_exp,
            derived=np.zeros(n_exp.shape, dtype=bool),
        )


def _add_up(
    tree: _Tree, catalog: Catalog, col: Mapping[str, int], own: np.ndarray, grid: _Grid
) -> None:
    """Summed and weighted-mean indicators of every aggregate, into ``grid``."""
    inds = catalog.indicators
    observed = ~np.isnan(own)
    have = observed & tree.leaf_form
    summed = [col[c] for c, i in inds.items() if i.aggregation == "sum"]
    if summed:
        total = tree.totals(np.where(have, own, 0.0))[:, summed]
        count = tree.totals(have, np.int64)[:, summed]
        grid.value[:, summed] = np.where(count > 0, total, np.nan)
        grid.n_rep[:, summed] = count
    weighted = [
        (col[c], col[i.weight])
        for c, i in inds.items()
        if i.aggregation == "weighted_mean" and i.weight is not None
    ]
    if weighted:
        wcols, weights = [j for j, _ in weighted], [w for _, w in weighted]
        w_have = have[:, wcols] & observed[:, weights]
        w_value = np.where(w_have, own[:, weights], 0.0)
        products = tree.totals(np.where(w_have, own[:, wcols], 0.0) * w_value)
        total_w = tree.totals(w_value)
        with np.errstate(divide="ignore", invalid="ignore"):
            grid.value[:, wcols] = np.where(total_w != 0, products / total_w, np.nan)
        grid.n_rep[:, wcols] = tree.totals(w_have, np.int64)
    plain = summed + [j for j, _ in weighted]
    grid.derived[:, plain] = grid.n_exp[:, plain] > 0


@dataclass(frozen=True, slots=True)
class _UnitRates:
    """The reporting units' own rates: columns (indicator positions), values, which exist."""

    cols: list[int]
    value: np.ndarray
    rows: np.ndarray


def _recompute_rates(
    catalog: Catalog, col: Mapping[str, int], own: np.ndarray, grid: _Grid
) -> _UnitRates:
    """Rates from their components: the aggregates' into ``grid``, the reporting units'
    returned."""
    observed = ~np.isnan(own)
    rates = [(c, i) for c, i in catalog.indicators.items() if i.aggregation == "recompute"]
    rate_cols = sorted(col[code] for code, _ in rates)
    unit_value = np.full((own.shape[0], len(rate_cols)), np.nan)
    unit_rows = np.zeros((own.shape[0], len(rate_cols)), dtype=bool)
    for code, ind in rates:
        assert ind.formula is not None
        j, parts = col[code], [col[c] for c in ind.components]
        # Reporting units: from their own figures; aggregates: from their totals.
        k = rate_cols.index(j)
        unit_rows[:, k] = observed[:, parts].all(axis=1)
        unit_value[:, k] = _formula(ind.formula, {c: own[:, col[c]] for c in ind.components})
        agg_rows = grid.derived[:, parts].all(axis=1)
        agg_value = _formula(ind.formula, {c: grid.value[:, col[c]] for c in ind.components})
        # a part without a total makes the rate unknown, as in evaluate_formula
        agg_rows_known = agg_rows & ~np.isnan(grid.value[:, parts]).any(axis=1)
        grid.value[:, j] = np.where(agg_rows_known, agg_value, np.nan)
        grid.n_rep[:, j] = grid.n_rep[:, parts].min(axis=1)
        grid.n_exp[:, j] = grid.n_exp[:, parts].max(axis=1)
        grid.derived[:, j] = agg_rows
    return _UnitRates(rate_cols, unit_value, unit_rows)


def _rows_in_order(tree: _Tree, grid: _Grid, rates: _UnitRates) -> pd.DataFrame:
    """The rows in (org_unit, indicator) order: aggregates' and reporting units' merged by
    code."""
    n_inds = tree.leaf_form.shape[1]
    a_row, a_col = np.nonzero(grid.derived)
    by_code = tree.leaves_by_code
    l_row, l_k = np.nonzero(rates.rows[by_code])
    l_col = np.asarray(rates.cols, dtype=np.int64)[l_k]
    a_key = tree.agg_rank[a_row] * n_inds + a_col
    l_key = tree.leaf_rank[by_code[l_row]] * n_inds + l_col
    at_a = np.arange(len(a_key)) + np.searchsorted(l_key, a_key)
    at_l = np.arange(len(l_key)) + np.searchsorted(a_key, l_key)
    n = len(a_key) + len(l_key)
    rank = np.empty(n, dtype=np.int64)
    rank[at_a], rank[at_l] = tree.agg_rank[a_row], tree.leaf_rank[by_code[l_row]]
    ind_of = np.empty(n, dtype=np.int64)
    ind_of[at_a], ind_of[at_l] = a_col, l_col
    out_value = np.empty(n)
    out_value[at_a], out_value[at_l] = grid.value[a_row, a_col], rates.value[by_code[l_row], l_k]
    n_reported = np.ones(n, dtype=np.int64)
    n_reported[at_a] = grid.n_rep[a_row, a_col]
    n_expected = np.ones(n, dtype=np.int64)
    n_expected[at_a] = grid.n_exp[a_row, a_col]
    return pd.DataFrame(
        {
            "org_unit": pd.array(tree.codes.take(rank), dtype="str"),
            "indicator": pd.array(tree.ind_codes.take(ind_of), dtype="str"),
            "value": out_value,
            "n_reported": n_reported,
            "n_expected": n_expected,
            "provisional": n_reported < n_expected,
        }
    )


def collect_facts(observations: pd.DataFrame, aggregates: pd.DataFrame) -> dict[FactKey, Fact]:
    """Every value a target can read: each unit's own figures, then totals and rates."""
    facts: dict[FactKey, Fact] = {}
    for _, key, fact in _fact_rows(observations, aggregates):
        facts[key] = fact
    return facts


def collect_facts_by_period(
    observations: pd.DataFrame, aggregates: pd.DataFrame
) -> dict[str, dict[FactKey, Fact]]:
    """``collect_facts`` of each period in the frames' ``period`` column, in one pass."""
    out: dict[str, dict[FactKey, Fact]] = {}
    for period, key, fact in _fact_rows(observations, aggregates, with_period=True):
        facts = out.get(period)
        if facts is None:
            facts = out[period] = {}
        facts[key] = fact
    return out


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    return [str(v) for v in frame[name].tolist()]


def _fact_rows(
    observations: pd.DataFrame, aggregates: pd.DataFrame, *, with_period: bool = False
) -> Iterator[tuple[str, FactKey, Fact]]:
    """(period, key, fact) of every non-missing value: the observations', then the totals'
    (a total read later replaces a unit's own figure of the same key). Read column-wise: a
    row iterator over a frame costs several times the facts it yields."""
    for frame, counted in ((observations, False), (aggregates, True)):
        if frame.empty:
            continue
        periods = _column(frame, "period") if with_period else [""] * len(frame)
        values = frame["value"].to_numpy(dtype="float64", na_value=np.nan)
        present = ~np.isnan(values)
        keys = zip(_column(frame, "org_unit"), _column(frame, "indicator"), strict=True)
        if counted:
            n = frame["n_reported"].to_numpy(dtype="float64", na_value=np.nan)
            big_n = frame["n_expected"].to_numpy(dtype="float64", na_value=np.nan)
            rows = zip(periods, keys, values.tolist(), present.tolist(), n.tolist(),
                       big_n.tolist(), strict=True)  # fmt: skip
            for period, key, value, ok, got, expected in rows:
                if ok:
                    yield period, key, Fact(value, int(got), int(expected))
        else:
            plain = zip(periods, keys, values.tolist(), present.tolist(), strict=True)
            for period, key, value, ok in plain:
                if ok:
                    yield period, key, Fact(value)
