"""The single-level aggregation as it was before the hierarchy (issue 8), kept as the
reference the vectorised `jzplan.track.aggregate.aggregate_period` must match on the demo data."""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from jzplan.reference.catalog import Catalog, Indicator

AGGREGATE_COLUMNS = ["org_unit", "indicator", "value", "n_reported", "n_expected", "provisional"]

_OPS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def evaluate_formula(formula: str, values: Mapping[str, float]) -> float | None:
    """Evaluate a catalog formula (``+ - * /``, names, numbers); None if a name or divisor is 0."""

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.Name):
            return values[node.id]
        raise ValueError(f"unsupported formula element in {formula!r}")

    try:
        result = walk(ast.parse(formula, mode="eval"))
    except (KeyError, ZeroDivisionError):
        return None
    return None if math.isnan(result) else result


@dataclass(frozen=True, slots=True)
class Fact:
    """A value available for target evaluation, and how complete it is."""

    value: float
    n_reported: int = 1
    n_expected: int = 1

    @property
    def provisional(self) -> bool:
        return self.n_reported < self.n_expected


FactKey = tuple[str, str]  # (org unit code, indicator code)


def _area_row(
    ind: Indicator, obs: dict[str, dict[str, float]], catalog: Catalog
) -> dict[str, object] | None:
    reporters = [u.code for u in catalog.reporters_of(ind.code)]
    if not reporters:
        return None
    have = [u for u in reporters if ind.code in obs.get(u, {})]
    value: float | None
    if ind.aggregation == "sum":
        value = sum(obs[u][ind.code] for u in have) if have else None
    elif ind.aggregation == "weighted_mean":
        assert ind.weight is not None
        weight = ind.weight
        have = [u for u in have if weight in obs[u]]
        total_w = sum(obs[u][weight] for u in have)
        value = sum(obs[u][ind.code] * obs[u][weight] for u in have) / total_w if total_w else None
    else:
        return None
    return {
        "indicator": ind.code,
        "value": value,
        "n_reported": len(have),
        "n_expected": len(reporters),
    }


def aggregate_period(observations: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """Area totals and recomputed rates for one period.

    ``observations`` holds the period's current figures (columns org_unit, indicator, value).
    A total missing a reporting unit is kept with its coverage and marked provisional: it is
    never silently smaller. Rates (``aggregation: recompute``) are derived from their
    components, for every unit that has them and for the area.
    """
    obs: dict[str, dict[str, float]] = {}
    for unit, code, value in observations[["org_unit", "indicator", "value"]].itertuples(
        index=False
    ):
        if value is not None and not pd.isna(value):
            obs.setdefault(str(unit), {})[str(code)] = float(value)

    rows: list[dict[str, object]] = []
    area_rows: dict[str, dict[str, object]] = {}
    for ind in catalog.indicators.values():
        row = _area_row(ind, obs, catalog)
        if row is not None:
            area_rows[ind.code] = row

    recomputed = [i for i in catalog.indicators.values() if i.aggregation == "recompute"]
    for ind in recomputed:
        assert ind.formula is not None
        for unit in catalog.units:
            values = obs.get(unit.code, {})
            if all(c in values for c in ind.components):
                rows.append(
                    {
                        "org_unit": unit.code,
                        "indicator": ind.code,
                        "value": evaluate_formula(ind.formula, values),
                        "n_reported": 1,
                        "n_expected": 1,
                    }
                )
        parts = [area_rows.get(c) for c in ind.components]
        if all(p is not None for p in parts):
            present = [p for p in parts if p is not None]
            part_values = {str(p["indicator"]): p["value"] for p in present}
            value = (
                evaluate_formula(ind.formula, part_values)  # type: ignore[arg-type]
                if all(v is not None for v in part_values.values())
                else None
            )
            area_rows[ind.code] = {
                "indicator": ind.code,
                "value": value,
                "n_reported": min(int(p["n_reported"]) for p in present),  # type: ignore[call-overload]
                "n_expected": max(int(p["n_expected"]) for p in present),  # type: ignore[call-overload]
            }

    for row in area_rows.values():
        rows.append({"org_unit": catalog.area.code, **row})
    frame = pd.DataFrame(rows, columns=AGGREGATE_COLUMNS[:-1])
    frame["provisional"] = frame["n_reported"] < frame["n_expected"]
    frame["value"] = frame["value"].astype("float64")
    return frame.sort_values(["org_unit", "indicator"], ignore_index=True)[AGGREGATE_COLUMNS]


def collect_facts(observations: pd.DataFrame, aggregates: pd.DataFrame) -> dict[FactKey, Fact]:
    """Every value a target can read: each unit's own figures, then totals and rates."""
    facts: dict[FactKey, Fact] = {}
    for unit, code, value in observations[["org_unit", "indicator", "value"]].itertuples(
        index=False
    ):
        if not pd.isna(value):
            facts[(str(unit), str(code))] = Fact(float(value))
    for unit, code, value, n, big_n in aggregates[
        ["org_unit", "indicator", "value", "n_reported", "n_expected"]
    ].itertuples(index=False):
        if not pd.isna(value):
            facts[(str(unit), str(code))] = Fact(float(value), int(n), int(big_n))
    return facts
