"""The floor Great Expectations validation is measured against: the file suites' checks
(``township_monthly`` + ``township_cross_field``) done in raw vectorised pandas, and in duckdb
SQL over the same pandas frame, from the same input the validator starts from (the parsed
frame, the catalog and the rules) and counting failing rows the way GE does (rule code →
rows failed, as ``RuleResult.failed``).

Run ``.venv/bin/python bench/validation_floor.py`` to time, on a synthetic national month
(40,000 units × 100 indicators = 4,000,000 rows by default, a few planted errors), the
validator's ``validate`` against both floors: medians of ``--repeat`` rounds, and the peak
memory of the process.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from jzplan.core.periods import Period  # noqa: E402
from jzplan.core.submissions import OBSERVATION_COLUMNS, ParsedSubmission  # noqa: E402
from jzplan.reference.catalog import Catalog, Indicator, OrgUnit, load_catalog  # noqa: E402
from jzplan.validate.rules import Rules, load_suite_dict  # noqa: E402

EXPECTATIONS = ROOT / "expectations"


def _suite_kwargs(code: str) -> dict[str, Any]:
    """The kwargs of the expectation with this rule code (regex, tolerances): one source."""
    for name in ("township_monthly", "township_cross_field"):
        for e in load_suite_dict(EXPECTATIONS, name)["expectations"]:
            if e["meta"]["code"] == code:
                kwargs: dict[str, Any] = e["kwargs"]
                return kwargs
    raise KeyError(code)


PERIOD_REGEX = _suite_kwargs("bad_period")["regex"]
SUM_TOL = _suite_kwargs("parts_sum_to_whole")


# --- raw pandas --------------------------------------------------------------------------------


def pandas_checks(frame: pd.DataFrame, catalog: Catalog, rules: Rules) -> dict[str, int]:
    """Rows failing each file-suite rule, in plain vectorised pandas: each code column is
    factorized once and the catalog facts are looked up per distinct code."""
    f = frame.reset_index(drop=True)
    nan = float("nan")
    inds = pd.DataFrame(
        [
            (
                i.code,
                i.allows_negative,
                i.measure == "flow",
                i.unit,
                *rules.ranges.get(i.code, (nan, nan)),
            )
            for i in catalog.indicators.values()
        ],
        columns=["indicator", "allows_negative", "flow", "expected_unit", "low", "high"],
    ).set_index("indicator")
    ind, ind_uniq = pd.factorize(f["indicator"])
    unit, unit_uniq = pd.factorize(f["org_unit"])
    period, period_uniq = pd.factorize(f["period"])

    def per_row(codes: np.ndarray, facts: pd.Series, uniques: Any, missing: Any) -> np.ndarray:
        """The fact of each row's code (``missing`` for a code not in ``facts``)."""
        looked_up = facts.reindex(pd.Index(uniques)).fillna(missing).to_numpy()
        return np.append(looked_up.astype(type(missing)), missing)[codes]

    value, month = f["value"].to_numpy(), f["value_month"].to_numpy()
    known = per_row(ind, pd.Series(True, index=inds.index), ind_uniq, False)
    nonneg = ~per_row(ind, inds["allows_negative"], ind_uniq, True)
    flow = per_row(ind, inds["flow"], ind_uniq, False)
    low = per_row(ind, inds["low"], ind_uniq, nan)
    high = per_row(ind, inds["high"], ind_uniq, nan)
    # units compared as codes: the expected unit's position among the file's units
    unit_code, unit_names = pd.factorize(f["unit"])
    expected = pd.Index(unit_names).get_indexer(pd.Index(inds["expected_unit"]))
    expected_pos = per_row(ind, pd.Series(expected, index=inds.index), ind_uniq, -2)
    has_expected = per_row(ind, inds["expected_unit"].notna(), ind_uniq, False)
    unit_differs = (unit_code >= 0) & has_expected & (unit_code != expected_pos)

    # the indicators on each unit's form (a unit unknown or without a form: all of them);
    # units share a few forms, so membership goes through a form id
    units = catalog.org_units
    form_ids: dict[tuple[str, ...], int] = {}
    form_of = pd.Series(
        {
            u.code: form_ids.setdefault(u.reports, len(form_ids)) if u.reports else -1
            for u in units.values()
        },
        dtype="float64",
    )
    form = per_row(unit, form_of, unit_uniq, nan)
    unit_known = ~np.isnan(form)
    width = len(ind_uniq) + 1
    listed_keys = [
        fid * width + pos
        for reports, fid in form_ids.items()
        for pos in pd.Index(ind_uniq).get_indexer(pd.Index(reports))
        if pos >= 0
    ]
    has_form = unit_known & (form >= 0)
    key = np.where(has_form, form, 0).astype(np.int64) * width + ind
    on_form = np.where(has_form, np.isin(key, listed_keys), known)

    # same-form relations: each (unit, period)'s first non-empty figure per indicator
    sums = rules.sums_for("forms")
    bounds = rules.bounds_for("forms")
    group = (unit.astype(np.int64) + 1) * (len(period_uniq) + 1) + period + 1
    code_of = dict(zip(ind_uniq, range(len(ind_uniq)), strict=True))
    involved = {r.whole for r in sums} | {p for r in sums for p in r.parts}
    involved |= {c for b in bounds for c in (b.part, b.whole)}
    related = np.isin(ind, [code_of[c] for c in involved if c in code_of]) & ~np.isnan(value)
    rows = pd.DataFrame({"group": group[related], "ind": ind[related], "value": value[related]})
    wide = rows.drop_duplicates(["group", "ind"]).pivot(
        index="group", columns="ind", values="value"
    )

    def figure(code: str, at: np.ndarray) -> np.ndarray:
        """The group's figure of ``code`` for the rows at ``at``."""
        col = code_of.get(code)
        if col is None or col not in wide.columns:
            return np.full(len(at), nan)
        return wide[col].reindex(group[at]).to_numpy()

    sum_fail = 0
    for r in sums:
        at = np.flatnonzero(ind == code_of.get(r.whole, -2))
        parts = np.sum([figure(p, at) for p in r.parts], axis=0)
        total = value[at]
        scale = np.maximum(np.abs(total), np.abs(parts))
        bad = np.abs(total - parts) > SUM_TOL["rel_tol"] * scale + SUM_TOL["abs_tol"]
        sum_fail += int(bad.sum())  # NaN on either side compares False
    whole_fail = 0
    for part in {b.part for b in bounds}:
        at = np.flatnonzero(ind == code_of.get(part, -2))
        wholes = [figure(b.whole, at) for b in bounds if b.part == part]
        with np.errstate(all="ignore"):
            least = np.fmin.reduce(wholes) if wholes else np.full(len(at), nan)
        whole_fail += int((value[at] > least).sum())

    key3 = pd.Series((group * width + ind + 1) if len(f) else np.zeros(0, np.int64))
    all_missing = (unit < 0) & (period < 0) & (ind < 0)
    dup = key3.duplicated(keep=False).to_numpy() & ~all_missing
    period_ok = pd.Series(period_uniq).astype("str").str.fullmatch(PERIOD_REGEX).to_numpy()
    with np.errstate(invalid="ignore"):
        return {
            "empty_submission": int(len(f) == 0),
            "missing_org_unit": int((unit < 0).sum()),
            "unknown_org_unit": int((~unit_known).sum()),
            "bad_period": int(((period >= 0) & ~np.append(period_ok, True)[period]).sum()),
            "unknown_indicator": int((~known).sum()),
            "not_on_form": int((~on_form).sum()),
            "missing_value": int(np.isnan(value).sum()),
            "negative_value": int((nonneg & (value < 0)).sum()),
            "duplicate_indicator": int(dup.sum()),
            "month_exceeds_ytd": int((nonneg & flow & (value < month)).sum()),
            "unit_mismatch": int(unit_differs.sum()),
            "implausible_value": int(((value < low) | (value > high)).sum()),
            "parts_sum_to_whole": sum_fail,
            "part_exceeds_whole": whole_fail,
        }


# --- duckdb SQL ---------------------------------------------------------------------------------


def duckdb_checks(frame: pd.DataFrame, catalog: Catalog, rules: Rules) -> dict[str, int]:
    """Rows failing each file-suite rule, in duckdb SQL over the pandas frame."""
    import duckdb

    nan = float("nan")
    inds = pd.DataFrame(
        [
            (
                i.code,
                i.allows_negative,
                i.measure == "flow",
                i.unit,
                *rules.ranges.get(i.code, (nan, nan)),
            )
            for i in catalog.indicators.values()
        ],
        columns=["code", "allows_negative", "flow", "unit", "low", "high"],
    ).astype({"low": "Float64", "high": "Float64"})  # NULL, not NaN (NaN sorts above all)
    units = catalog.org_units
    form_ids: dict[tuple[str, ...], int] = {}
    unit_rows = []
    for u in units.values():
        fid = form_ids.setdefault(u.reports, len(form_ids)) if u.reports else None
        unit_rows.append((u.code, fid))
    unit_table = pd.DataFrame(unit_rows, columns=["code", "form"]).astype({"form": "Int64"})
    form_table = pd.DataFrame(
        [(fid, c) for reports, fid in form_ids.items() for c in reports], columns=["form", "code"]
    )
    sums = rules.sums_for("forms")
    bounds = rules.bounds_for("forms")
    sum_table = pd.DataFrame(
        [(r.whole, p, len(r.parts)) for r in sums for p in r.parts], columns=["whole", "part", "n"]
    )
    bound_table = pd.DataFrame([(b.part, b.whole) for b in bounds], columns=["part", "whole"])
    con = duckdb.connect()
    try:
        for name, table in (
            ("frame", frame),
            ("inds", inds),
            ("units", unit_table),
            ("forms", form_table),
            ("sum_rel", sum_table),
            ("bound_rel", bound_table),
        ):
            con.register(name, table)
        sql = f"""
        WITH f AS (
            SELECT f.*, row_number() OVER () AS pos FROM frame f
        ),
        fx AS (
            SELECT f.*, i.code IS NOT NULL AS known, i.allows_negative, i.flow,
                   i.unit AS expected_unit, i.low, i.high,
                   u.code IS NOT NULL AS unit_known, u.form, m.code IS NOT NULL AS listed
            FROM f LEFT JOIN inds i ON f.indicator = i.code
                   LEFT JOIN units u ON f.org_unit = u.code
                   LEFT JOIN forms m ON m.form = u.form AND m.code = f.indicator
        ),
        figures AS (  -- each (unit, period)'s first non-empty figure per related indicator
            SELECT org_unit, period, indicator, arg_min(value, pos) AS value
            FROM f
            WHERE value IS NOT NULL AND NOT isnan(value) AND indicator IN (
                SELECT whole FROM sum_rel UNION SELECT part FROM sum_rel
                UNION SELECT part FROM bound_rel UNION SELECT whole FROM bound_rel)
            GROUP BY org_unit, period, indicator
        ),
        sums AS (
            SELECT s.whole, g.org_unit, g.period,
                   CASE WHEN count(g.value) = any_value(s.n) THEN sum(g.value) END AS parts_sum
            FROM sum_rel s JOIN figures g ON g.indicator = s.part
            GROUP BY s.whole, g.org_unit, g.period
        ),
        wholes AS (
            SELECT b.part, g.org_unit, g.period, min(g.value) AS whole_value
            FROM bound_rel b JOIN figures g ON g.indicator = b.whole
            GROUP BY b.part, g.org_unit, g.period
        )
        SELECT
            count_if(org_unit IS NULL) AS missing_org_unit,
            count_if(NOT unit_known) AS unknown_org_unit,
            count_if(NOT regexp_full_match(period, '{PERIOD_REGEX}')) AS bad_period,
            count_if(NOT known) AS unknown_indicator,
            count_if(NOT CASE WHEN form IS NULL THEN known ELSE listed END) AS not_on_form,
            count_if(value IS NULL OR isnan(value)) AS missing_value,
            count_if(known AND NOT allows_negative AND value < 0) AS negative_value,
            count_if(known AND NOT allows_negative AND flow AND value < value_month)
                AS month_exceeds_ytd,
            count_if(unit <> expected_unit) AS unit_mismatch,
            count_if(value < low OR value > high) AS implausible_value,
            (SELECT count(*) FROM fx JOIN sums s
                ON fx.indicator = s.whole AND fx.org_unit = s.org_unit AND fx.period = s.period
                WHERE abs(fx.value - s.parts_sum) > {SUM_TOL["rel_tol"]}
                      * greatest(abs(fx.value), abs(s.parts_sum)) + {SUM_TOL["abs_tol"]}
            ) AS parts_sum_to_whole,
            (SELECT count(*) FROM fx JOIN wholes w
                ON fx.indicator = w.part AND fx.org_unit = w.org_unit AND fx.period = w.period
                WHERE fx.value > w.whole_value) AS part_exceeds_whole,
            (SELECT coalesce(sum(c), 0) FROM (
                SELECT count(*) AS c FROM f
                WHERE org_unit IS NOT NULL OR period IS NOT NULL OR indicator IS NOT NULL
                GROUP BY org_unit, period, indicator HAVING count(*) > 1)) AS duplicate_indicator,
            count(*) AS rows
        FROM fx
        """
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        row = cursor.fetchone()
        assert row is not None
    finally:
        con.close()
    out = {n: int(v or 0) for n, v in zip(names, row, strict=True)}
    rows = out.pop("rows")
    out["empty_submission"] = int(rows == 0)
    return out


# --- a synthetic national month -----------------------------------------------------------------

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


# --- timing --------------------------------------------------------------------------------------


def _median(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=40_000)
    parser.add_argument("--indicators", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from jzplan.validate.validator import SubmissionValidator

    base = load_catalog(ROOT / "data" / "catalog")
    catalog = synthetic_catalog(base, args.units, args.indicators)
    validator = SubmissionValidator(EXPECTATIONS, catalog)
    rules = validator.rules
    t = time.perf_counter()
    parsed = synthetic_month(catalog, rules)
    frame = parsed.frame
    print(f"{len(frame):,} rows, {args.units:,} units built in {time.perf_counter() - t:.1f} s")

    ge, report = _median(lambda: validator.validate(parsed), args.repeat)
    pd_s, counts = _median(lambda: pandas_checks(frame, catalog, rules), args.repeat)
    db_s, db_counts = _median(lambda: duckdb_checks(frame, catalog, rules), args.repeat)
    failed = {r.rule: r.failed for r in report.results}  # type: ignore[attr-defined]
    assert failed == counts == db_counts, (failed, counts, db_counts)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"GE validate   {ge:6.2f} s   (issues {len(report.issues)})")  # type: ignore[attr-defined]
    print(f"pandas floor  {pd_s:6.2f} s")
    print(f"duckdb floor  {db_s:6.2f} s")
    print(f"ratio GE/pandas {ge / pd_s:.2f}, GE/duckdb {ge / db_s:.2f}; peak RSS {peak:.2f} GiB")
    print({k: v for k, v in counts.items() if v})


if __name__ == "__main__":
    main()
