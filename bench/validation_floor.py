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
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.validation_month import synthetic_catalog, synthetic_month  # noqa: E402
from jzplan.reference.catalog import Catalog, load_catalog  # noqa: E402
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


def _indicator_rows(catalog: Catalog, rules: Rules) -> list[tuple[Any, ...]]:
    """(code, allows_negative, flow, unit, low, high) of every indicator of the catalog."""
    nan = float("nan")
    return [
        (
            i.code,
            i.allows_negative,
            i.measure == "flow",
            i.unit,
            *rules.ranges.get(i.code, (nan, nan)),
        )
        for i in catalog.indicators.values()
    ]


def _per_row(codes: np.ndarray, facts: pd.Series, uniques: Any, missing: Any) -> np.ndarray:
    """The fact of each row's code (``missing`` for a code not in ``facts``)."""
    looked_up = facts.reindex(pd.Index(uniques)).fillna(missing).to_numpy()
    return np.append(looked_up.astype(type(missing)), missing)[codes]


@dataclass(frozen=True, slots=True)
class _Codes:
    """The frame's code columns, each factorized once: codes per row and the distinct values."""

    ind: np.ndarray
    ind_uniq: Any
    unit: np.ndarray
    unit_uniq: Any
    period: np.ndarray
    period_uniq: Any

    @classmethod
    def of(cls, f: pd.DataFrame) -> _Codes:
        ind, ind_uniq = pd.factorize(f["indicator"])
        unit, unit_uniq = pd.factorize(f["org_unit"])
        period, period_uniq = pd.factorize(f["period"])
        return cls(ind, ind_uniq, unit, unit_uniq, period, period_uniq)

    def group(self) -> np.ndarray:
        """One number per (unit, period)."""
        return (self.unit.astype(np.int64) + 1) * (len(self.period_uniq) + 1) + self.period + 1


def _unit_mismatch(f: pd.DataFrame, c: _Codes, inds: pd.DataFrame) -> np.ndarray:
    """Units compared as codes: the expected unit's position among the file's units."""
    unit_code, unit_names = pd.factorize(f["unit"])
    expected = pd.Index(unit_names).get_indexer(pd.Index(inds["expected_unit"]))
    expected_pos = _per_row(c.ind, pd.Series(expected, index=inds.index), c.ind_uniq, -2)
    has_expected = _per_row(c.ind, inds["expected_unit"].notna(), c.ind_uniq, False)
    return (unit_code >= 0) & has_expected & (unit_code != expected_pos)


def _on_form(catalog: Catalog, c: _Codes, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whether each row's unit is known, and whether its indicator is on the unit's form (a
    unit unknown or without a form: every known indicator); membership goes through a form
    id."""
    form_ids: dict[tuple[str, ...], int] = {}
    form_of = pd.Series(
        {
            u.code: form_ids.setdefault(u.reports, len(form_ids)) if u.reports else -1
            for u in catalog.org_units.values()
        },
        dtype="float64",
    )
    form = _per_row(c.unit, form_of, c.unit_uniq, float("nan"))
    unit_known = ~np.isnan(form)
    width = len(c.ind_uniq) + 1
    listed_keys = [
        fid * width + pos
        for reports, fid in form_ids.items()
        for pos in pd.Index(c.ind_uniq).get_indexer(pd.Index(reports))
        if pos >= 0
    ]
    has_form = unit_known & (form >= 0)
    key = np.where(has_form, form, 0).astype(np.int64) * width + c.ind
    return unit_known, np.where(has_form, np.isin(key, listed_keys), known)


def _relation_failures(value: np.ndarray, c: _Codes, rules: Rules) -> tuple[int, int]:
    """Rows failing parts_sum_to_whole and part_exceeds_whole: the same-form relations, on
    each (unit, period)'s first non-empty figure per indicator."""
    nan = float("nan")
    ind = c.ind
    sums = rules.sums_for("forms")
    bounds = rules.bounds_for("forms")
    group = c.group()
    code_of = dict(zip(c.ind_uniq, range(len(c.ind_uniq)), strict=True))
    involved = {r.whole for r in sums} | {p for r in sums for p in r.parts}
    involved |= {x for b in bounds for x in (b.part, b.whole)}
    related = np.isin(ind, [code_of[x] for x in involved if x in code_of]) & ~np.isnan(value)
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
    return sum_fail, whole_fail


def pandas_checks(frame: pd.DataFrame, catalog: Catalog, rules: Rules) -> dict[str, int]:
    """Rows failing each file-suite rule, in plain vectorised pandas: each code column is
    factorized once and the catalog facts are looked up per distinct code."""
    f = frame.reset_index(drop=True)
    nan = float("nan")
    inds = pd.DataFrame(
        _indicator_rows(catalog, rules),
        columns=["indicator", "allows_negative", "flow", "expected_unit", "low", "high"],
    ).set_index("indicator")
    c = _Codes.of(f)
    ind, unit, period = c.ind, c.unit, c.period
    value, month = f["value"].to_numpy(), f["value_month"].to_numpy()
    known = _per_row(ind, pd.Series(True, index=inds.index), c.ind_uniq, False)
    nonneg = ~_per_row(ind, inds["allows_negative"], c.ind_uniq, True)
    flow = _per_row(ind, inds["flow"], c.ind_uniq, False)
    low = _per_row(ind, inds["low"], c.ind_uniq, nan)
    high = _per_row(ind, inds["high"], c.ind_uniq, nan)
    unit_differs = _unit_mismatch(f, c, inds)
    unit_known, on_form = _on_form(catalog, c, known)
    sum_fail, whole_fail = _relation_failures(value, c, rules)

    width = len(c.ind_uniq) + 1
    key3 = pd.Series((c.group() * width + ind + 1) if len(f) else np.zeros(0, np.int64))
    all_missing = (unit < 0) & (period < 0) & (ind < 0)
    dup = key3.duplicated(keep=False).to_numpy() & ~all_missing
    period_ok = pd.Series(c.period_uniq).astype("str").str.fullmatch(PERIOD_REGEX).to_numpy()
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


def _duckdb_tables(catalog: Catalog, rules: Rules) -> dict[str, pd.DataFrame]:
    """The catalog facts and the form relations as tables, by their name in the SQL."""
    inds = pd.DataFrame(
        _indicator_rows(catalog, rules),
        columns=["code", "allows_negative", "flow", "unit", "low", "high"],
    ).astype({"low": "Float64", "high": "Float64"})  # NULL, not NaN (NaN sorts above all)
    form_ids: dict[tuple[str, ...], int] = {}
    unit_rows = []
    for u in catalog.org_units.values():
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
    return {
        "inds": inds,
        "units": unit_table,
        "forms": form_table,
        "sum_rel": sum_table,
        "bound_rel": bound_table,
    }


def _duckdb_sql() -> str:
    """One query counting the rows that fail each rule (over the tables of _duckdb_tables)."""
    return f"""
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


def duckdb_checks(frame: pd.DataFrame, catalog: Catalog, rules: Rules) -> dict[str, int]:
    """Rows failing each file-suite rule, in duckdb SQL over the pandas frame."""
    import duckdb

    tables = _duckdb_tables(catalog, rules)
    con = duckdb.connect()
    try:
        for name, table in (("frame", frame), *tables.items()):
            con.register(name, table)
        cursor = con.execute(_duckdb_sql())
        names = [d[0] for d in cursor.description]
        row = cursor.fetchone()
        assert row is not None
    finally:
        con.close()
    out = {n: int(v or 0) for n, v in zip(names, row, strict=True)}
    rows = out.pop("rows")
    out["empty_submission"] = int(rows == 0)
    return out


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
