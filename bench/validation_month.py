"""A synthetic national month for the validation floor (bench/validation_floor.py): every
unit's every form figure, consistent with the rules, and a few planted errors of each rule."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from jzplan.core.periods import Period
from jzplan.core.submissions import OBSERVATION_COLUMNS, ParsedSubmission
from jzplan.reference.catalog import Catalog, Indicator, OrgUnit
from jzplan.validate.rules import Rules

# planted errors: rule code → how many rows each breaks
PLANTED = {
    "unknown_org_unit": 3,
    "bad_period": 2,
    "unknown_indicator": 2,
    "not_on_form": 1,  # the unit's form lacks the indicator
    "missing_value": 2,
    "negative_value": 2,
    "duplicate_indicator": 2,  # one figure twice
    "month_exceeds_ytd": 2,
    "unit_mismatch": 2,
    "implausible_value": 2,
    "parts_sum_to_whole": 2,
    "part_exceeds_whole": 2,
}


def synthetic_catalog(base: Catalog, units: int, indicators: int) -> Catalog:
    """``base``'s indicators (extended with made-up ones up to ``indicators``) reported by
    ``units`` units U00001.. on the same form; the last unit's form lacks the first indicator."""
    inds = dict(list(base.indicators.items())[:indicators])
    for k in range(len(inds), indicators):
        code = f"x_{k:03d}"
        inds[code] = Indicator(code, f"指标{k}", "万元", "flow", "其他")
    form = tuple(inds)
    area = OrgUnit("AREA", "全国", "国家", None)
    org = [OrgUnit(f"U{k:05d}", f"单位{k}", "镇", "AREA", form) for k in range(1, units + 1)]
    org[-1] = dataclasses.replace(org[-1], reports=form[1:])
    return Catalog(area=area, units=tuple(org), indicators=inds)


def synthetic_month(
    catalog: Catalog, rules: Rules, period: str = "2013-06", seed: int = 1, *, plant: bool = True
) -> ParsedSubmission:
    """Every unit's every form figure for ``period``, consistent with the rules, then the
    PLANTED errors (on the last units, so a one-unit error never meets another)."""
    units = [u.code for u in catalog.units]
    codes = list(catalog.indicators)
    n_units, n_inds = len(units), len(codes)
    rng = np.random.default_rng(seed)
    values = rng.uniform(1.0, 2.0, size=(n_units, n_inds)).round(4)
    pos = {c: i for i, c in enumerate(codes)}
    for b in rules.bounds_for("forms"):
        if b.whole in pos:
            values[:, pos[b.whole]] = 5.0
    for r in rules.sums_for("forms"):
        if r.whole in pos and all(p in pos for p in r.parts):
            values[:, pos[r.whole]] = values[:, [pos[p] for p in r.parts]].sum(axis=1)
    flows = np.array([catalog.indicators[c].measure == "flow" for c in codes])
    month = np.where(flows, (values / 2).round(4), np.nan)
    n = n_units * n_inds
    unit_idx = np.repeat(np.arange(n_units), n_inds)
    ind_idx = np.tile(np.arange(n_inds), n_units)
    text = "str"
    frame = pd.DataFrame(
        {
            "org_unit": pd.Categorical.from_codes(unit_idx, units).astype(text),
            "period": pd.array([period] * n, dtype=text),
            "indicator": pd.Categorical.from_codes(ind_idx, codes).astype(text),
            "value": values.ravel(),
            "value_month": np.broadcast_to(month, values.shape).ravel(),
            "unit": pd.array([catalog.indicators[c].unit for c in codes], dtype=text).take(ind_idx),
            "sheet": pd.array([None] * n, dtype=text),
            "row": np.arange(2, n + 2, dtype="int64"),
            "column": pd.array(["value"] * n, dtype=text),
        }
    )
    frame["raw_unit"] = frame["unit"]
    frame = frame[list(OBSERVATION_COLUMNS)]
    if plant:
        _plant(frame, catalog, rules, n_inds)
    else:  # the last unit's form lacks the first indicator
        frame = frame.drop(index=(n_units - 1) * n_inds).reset_index(drop=True)
        frame["row"] = np.arange(2, len(frame) + 2, dtype="int64")
    return ParsedSubmission(
        Path("national.parquet"), "0" * 64, None, Period.parse(period), frame=frame
    )


def _plant(frame: pd.DataFrame, catalog: Catalog, rules: Rules, n_inds: int) -> None:
    codes = list(catalog.indicators)
    pos = {c: i for i, c in enumerate(codes)}
    n_units = len(frame) // n_inds
    unit = iter(range(n_units - 2, 0, -1))  # the last unit carries not_on_form

    def at(code: str) -> int:
        return next(unit) * n_inds + pos[code]

    nonneg_flow = next(
        c for c, i in catalog.indicators.items() if i.measure == "flow" and not i.allows_negative
    )
    ranged = next(iter(rules.ranges))
    total = next(r for r in rules.sums_for("forms") if r.whole in pos)
    bound = next(b for b in rules.bounds_for("forms") if b.part in pos and b.whole in pos)

    def col(name: str) -> int:
        return int(frame.columns.get_loc(name))  # type: ignore[arg-type]

    for _ in range(PLANTED["unknown_org_unit"]):
        frame.iat[at(codes[0]), col("org_unit")] = "NOWHERE"
    for _ in range(PLANTED["bad_period"]):
        frame.iat[at(codes[0]), col("period")] = "2013-13"
    for _ in range(PLANTED["unknown_indicator"]):
        frame.iat[at(codes[0]), col("indicator")] = "made_up"
    for _ in range(PLANTED["missing_value"]):
        frame.iat[at(codes[1]), col("value")] = np.nan
    for _ in range(PLANTED["negative_value"]):
        frame.iat[at(nonneg_flow), col("value")] = -1.0
        frame.iat[at(nonneg_flow) - n_inds, col("value_month")] = np.nan  # keep one rule each
    for _ in range(PLANTED["duplicate_indicator"] // 2):
        i = at(codes[2])
        frame.iat[i + 1, col("indicator")] = codes[2]
    for _ in range(PLANTED["month_exceeds_ytd"]):
        frame.iat[at(nonneg_flow), col("value_month")] = 99.0
    for _ in range(PLANTED["unit_mismatch"]):
        frame.iat[at(codes[0]), col("unit")] = "个"
    for _ in range(PLANTED["implausible_value"]):
        frame.iat[at(ranged), col("value")] = 1e12
    for _ in range(PLANTED["parts_sum_to_whole"]):
        frame.iat[at(total.whole), col("value")] = 999.0
    for _ in range(PLANTED["part_exceeds_whole"]):
        frame.iat[at(bound.part), col("value")] = 6.0
