"""The indicators of the synthetic monthly form, how each one's figures are generated, and
the form relations they must keep (bench/synth.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from bench.synth_tiers import CATALOG_DIR, ROOT

EXPECTATIONS_DIR = ROOT / "expectations"
FORM_SIZE = 100
# the unit dimensions counted in whole numbers (jzplan.reference.catalog.UNIT_FACTORS)
_WHOLE_DIMENSIONS = ("count_", "people", "rank")
# the largest figure of an indicator without a plausible range, by unit
_DEFAULT_MAX: dict[str, float] = {
    "万元": 100_000, "亿元": 100, "元": 50_000, "万美元": 10_000, "人": 100_000, "个": 200,
    "家": 200, "所": 50, "条": 100, "亩": 10_000, "万平方米": 50, "平方米": 100_000, "公里": 100,
}  # fmt: skip
# synthetic indicators after the project's own: (unit, measure, aggregation, weight, direction)
_EXTRA_FLOW_UNITS = ("万元", "亿元", "人", "万元", "亩", "个", "万美元", "平方米")
_EXTRA_STOCK_UNITS = ("万元", "人", "家", "亩", "万平方米", "个")


class GeneratorError(RuntimeError):
    """The generated figures would break a rule they are meant to pass (a generator bug)."""


@dataclass(frozen=True, slots=True)
class IndicatorModel:
    """How one reported indicator's figures are generated."""

    code: str
    unit: str
    measure: str
    aggregation: str
    weight: str | None
    low: float  # plausible range, canonical unit
    high: float
    scale: int  # ticks per unit: 1 (whole numbers) or 10^4
    discrete: bool  # a small count (个, 家 ...): Poisson, not checked month over month

    @property
    def accumulates(self) -> bool:
        return self.measure in ("flow", "per_capita")


def _unit_dimension(unit: str) -> str:
    from jzplan.reference.catalog import UNIT_FACTORS

    return UNIT_FACTORS[unit][0]


def extra_indicators(count: int) -> list[dict[str, Any]]:
    """``count`` synthetic indicators ``x01``…: mostly flows and stocks summed, two weighted
    means with a stock weight, the last two lower-is-better flows."""
    out: list[dict[str, Any]] = []
    for n in range(1, count + 1):
        code = f"x{n:02d}"
        entry: dict[str, Any] = {"code": code, "name": f"合成指标{n:02d}", "group": "合成"}
        flows, stocks = len(_EXTRA_FLOW_UNITS) * 2, len(_EXTRA_STOCK_UNITS)
        if n <= flows:
            entry |= {"unit": _EXTRA_FLOW_UNITS[(n - 1) % len(_EXTRA_FLOW_UNITS)]}
            entry |= {"measure": "flow"}
        elif n <= flows + stocks:
            entry |= {"unit": _EXTRA_STOCK_UNITS[n - flows - 1], "measure": "stock"}
        elif n == flows + stocks + 1:
            entry |= {"name": f"合成人均指标{n:02d}", "unit": "元", "measure": "per_capita"}
            entry |= {"aggregation": "weighted_mean", "weight": "registered_population"}
        elif n == flows + stocks + 2:
            people = f"x{flows + 2:02d}"  # the second synthetic stock, in 人
            entry |= {"name": f"合成平均水平{n:02d}", "unit": "元", "measure": "stock"}
            entry |= {"aggregation": "weighted_mean", "weight": people}
        else:
            entry |= {"unit": "万元", "measure": "flow", "direction": "lower"}
        out.append(entry)
    return out


def catalog_indicators() -> tuple[list[dict[str, Any]], list[str]]:
    """Every indicator entry of the synthetic catalog (the project's, then x01…) and the codes
    of the monthly form (every indicator a unit reports: not recomputed rates, not rankings)."""
    real: list[dict[str, Any]] = yaml.safe_load(
        (CATALOG_DIR / "indicators.yaml").read_text(encoding="utf-8")
    )
    reported = [
        str(r["code"]) for r in real if r.get("aggregation", "sum") not in ("recompute", "none")
    ]
    extras = extra_indicators(FORM_SIZE - len(reported))
    return real + extras, reported + [e["code"] for e in extras]


def indicator_models(entries: list[dict[str, Any]], form: list[str]) -> list[IndicatorModel]:
    ranges = yaml.safe_load((EXPECTATIONS_DIR / "plausible_ranges.yaml").read_text("utf-8"))
    by_code = {str(e["code"]): e for e in entries}
    models = []
    for code in form:
        e = by_code[code]
        unit = str(e["unit"])
        negative = bool(e.get("allows_negative", False))
        spec = (ranges or {}).get(code)
        high = float(spec["max"]) if spec else _DEFAULT_MAX[unit]
        low = float(spec.get("min", -high if negative else 0.0)) if spec else 0.0
        dim = _unit_dimension(unit)
        whole = dim.startswith(_WHOLE_DIMENSIONS)
        models.append(
            IndicatorModel(
                code=code,
                unit=unit,
                measure=str(e["measure"]),
                aggregation=str(e.get("aggregation", "sum")),
                weight=e.get("weight"),
                low=low,
                high=high,
                scale=1 if whole else 10_000,
                discrete=dim.startswith("count_"),
            )
        )
    return models


# --- relations -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Relations:
    """The form relations of ``expectations/relations.yaml``, as column positions."""

    sums: list[tuple[int, list[int]]]  # whole, parts
    bounds: list[tuple[int, int]]  # part, whole; a whole before the parts bounded by it

    @classmethod
    def of(cls, models: Sequence[IndicatorModel]) -> Relations:
        raw = yaml.safe_load((EXPECTATIONS_DIR / "relations.yaml").read_text("utf-8"))
        pos = {m.code: i for i, m in enumerate(models)}

        def on_form(codes: list[str]) -> bool:
            return all(c in pos for c in codes)

        sums = []
        for r in raw.get("sums") or []:
            codes = [r["whole"], *r["parts"]]
            if "forms" in r["applies_to"] and on_form(codes):
                cls._same_kind(models, [pos[c] for c in codes])
                sums.append((pos[r["whole"]], [pos[p] for p in r["parts"]]))
        bounds = []
        for r in raw.get("bounds") or []:
            if "forms" in r["applies_to"] and on_form([r["part"], r["whole"]]):
                part, whole = pos[r["part"]], pos[r["whole"]]
                if models[part].unit != models[whole].unit:
                    raise GeneratorError(f"bound {r['part']} <= {r['whole']}: units differ")
                if not models[part].accumulates and models[whole].accumulates:
                    raise GeneratorError(f"bound {r['part']} <= {r['whole']}: stock under flow")
                bounds.append((part, whole))
        # a part that is itself a whole (1亿 ⊇ 5亿 ⊇ 10亿) is set before its own parts
        ordered: list[tuple[int, int]] = []
        rest = list(bounds)
        while rest:
            ready = [b for b in rest if not any(o[0] == b[1] for o in rest)]
            if not ready:
                raise GeneratorError("the form bounds form a cycle")
            ordered.extend(ready)
            rest = [b for b in rest if b not in ready]
        return cls(sums, ordered)

    @staticmethod
    def _same_kind(models: Sequence[IndicatorModel], cols: list[int]) -> None:
        if len({(models[c].unit, models[c].accumulates) for c in cols}) != 1:
            codes = [models[c].code for c in cols]
            raise GeneratorError(f"sum {codes}: the parts and the whole differ in unit or measure")
