"""The vectorised validation frame equals the row-by-row one it replaced, on the bundled demo
files and on every defect case; a bulk frame of many units gets each unit's own facts."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from jzplan.core.submissions import ParsedSubmission
from jzplan.ingest.form_parser import parse_submission
from jzplan.reference.catalog import Catalog
from jzplan.validate.columns import validation_frame
from jzplan.validate.rules import Rules, load_rules
from tests.validate.cases import DEFECTS, EXPECTATIONS, good_rows, submission

INBOX = Path(__file__).resolve().parents[2] / "data" / "inbox"
MONTHS = ("2012-01", "2012-12", "2013-06")


def reference_frame(
    parsed: ParsedSubmission, catalog: Catalog, rules: Rules | None = None
) -> pd.DataFrame:
    """The implementation before vectorising (one unit per file, a Python loop per row)."""
    frame = parsed.frame.reset_index(drop=True).copy()
    inds = catalog.indicators
    codes = [str(c) for c in frame["indicator"]]
    frame["allows_negative"] = [inds[c].allows_negative if c in inds else True for c in codes]
    frame["measure"] = [inds[c].measure if c in inds else "unknown" for c in codes]
    frame["expected_unit"] = [inds[c].unit if c in inds else None for c in codes]
    units = catalog.org_units
    unit = units.get(parsed.org_unit or "")
    form = set(unit.reports) if unit and unit.reports else set(inds)
    frame["org_unit_known"] = [u in units for u in frame["org_unit"]]
    frame["indicator_known"] = [c in inds for c in codes]
    frame["on_form"] = [c in form for c in codes]
    nonneg = [c in inds and not inds[c].allows_negative for c in codes]
    flow = [c in inds and inds[c].measure == "flow" for c in codes]
    frame["nonneg_value"] = frame["value"].where(pd.Series(nonneg, index=frame.index))
    both = pd.Series([a and b for a, b in zip(nonneg, flow, strict=True)], index=frame.index)
    frame["nonneg_flow_value"] = frame["value"].where(both)
    if rules is None:
        return frame
    nan = float("nan")
    frame["plausible_min"] = [rules.ranges.get(c, (nan, nan))[0] for c in codes]
    frame["plausible_max"] = [rules.ranges.get(c, (nan, nan))[1] for c in codes]

    def name(code: str) -> str:
        ind = catalog.indicators.get(code)
        return ind.name if ind else code

    values: dict[str, float] = {}
    for c, v in zip(codes, frame["value"], strict=True):
        if c not in values and v is not None and not pd.isna(v):
            values[c] = float(v)
    parts_sum: list[float] = []
    parts_text: list[str | None] = []
    sums = {r.whole: r for r in rules.sums_for("forms")}
    for c in codes:
        rel = sums.get(c)
        if rel is None or any(p not in values for p in rel.parts):
            parts_sum.append(nan)
            parts_text.append(None)
            continue
        parts_sum.append(math.fsum(values[p] for p in rel.parts))
        parts_text.append(" + ".join(name(p) for p in rel.parts))
    frame["parts_sum"] = parts_sum
    frame["parts"] = parts_text
    whole_value: list[float] = []
    whole_name: list[str | None] = []
    for c in codes:
        wholes = [
            (values[r.whole], r.whole)
            for r in rules.bounds_for("forms")
            if r.part == c and r.whole in values
        ]
        if wholes:
            v, w = min(wholes)
            whole_value.append(v)
            whole_name.append(name(w))
        else:
            whole_value.append(nan)
            whole_name.append(None)
    frame["whole_value"] = whole_value
    frame["whole"] = whole_name
    return frame


def assert_same_figures(key: pd.Series, frame: pd.DataFrame) -> None:
    """``figure_key`` is equal exactly where (org_unit, period, indicator) are, a missing one
    counting as a value of its own, and missing where all three are."""
    triples = [
        tuple(None if pd.isna(v) else str(v) for v in row)
        for row in frame[["org_unit", "period", "indicator"]].itertuples(index=False)
    ]
    none = (None, None, None)
    assert key.isna().tolist() == [t == none for t in triples]
    key_of: dict[tuple[str | None, ...], float] = {}
    triple_of: dict[float, tuple[str | None, ...]] = {}
    for t, k in zip(triples, key.tolist(), strict=True):
        if t != none:
            assert key_of.setdefault(t, k) == k and triple_of.setdefault(k, t) == t


def assert_same(new: pd.DataFrame, old: pd.DataFrame) -> None:
    assert_same_figures(new.pop("figure_key"), old)
    # the old columns were inferred from Python lists: text was object when every entry was
    # None, and every column float64 when the frame was empty; the new dtypes are fixed
    for c in ("measure", "expected_unit", "parts", "whole"):
        if c in old:
            old[c] = old[c].astype("str")
    pd.testing.assert_frame_equal(new, old, check_dtype=len(new) > 0)


@pytest.fixture(scope="module")
def rules(catalog: Catalog) -> Rules:
    return load_rules(EXPECTATIONS, catalog)


@pytest.fixture(scope="module")
def demo(catalog: Catalog) -> list[ParsedSubmission]:
    files = [f for m in MONTHS for f in sorted((INBOX / m).glob("*.xlsx"))]
    assert len(files) == 7 * len(MONTHS) + 1  # 2013-06 also holds a late 2013-05 file
    return [parse_submission(f, catalog) for f in files]


def test_same_frame_as_before_on_the_demo_files(
    demo: list[ParsedSubmission], catalog: Catalog, rules: Rules
) -> None:
    for parsed in demo:
        assert parsed.ok, parsed.issues
        assert_same(
            validation_frame(parsed, catalog, rules), reference_frame(parsed, catalog, rules)
        )
        assert_same(validation_frame(parsed, catalog), reference_frame(parsed, catalog))


@pytest.mark.parametrize("rule", sorted(DEFECTS))
def test_same_frame_as_before_on_each_defect(catalog: Catalog, rules: Rules, rule: str) -> None:
    mutate, _, _ = DEFECTS[rule]
    parsed = submission(mutate(good_rows(catalog)))
    assert_same(validation_frame(parsed, catalog, rules), reference_frame(parsed, catalog, rules))


def test_a_bulk_frame_gets_each_units_own_facts(
    demo: list[ParsedSubmission], catalog: Catalog, rules: Rules
) -> None:
    """Many units and months in one frame: each (unit, period) slice equals its own file's."""
    bulk_frame = pd.concat([p.frame for p in reversed(demo)], ignore_index=True)
    first = demo[0]
    bulk = replace(first, org_unit=None, period=None, frame=bulk_frame)
    frame = validation_frame(bulk, catalog, rules)
    start = 0
    for parsed in reversed(demo):
        part = frame.iloc[start : start + len(parsed.frame)].reset_index(drop=True)
        assert_same(part, reference_frame(parsed, catalog, rules))
        start += len(parsed.frame)
    assert start == len(frame)
    assert frame["parts_sum"].notna().sum() >= 6 * len(MONTHS)  # every township's 地方财政收入


def test_bulk_relations_use_the_rows_own_unit(catalog: Catalog, rules: Rules) -> None:
    rows = good_rows(catalog)
    other = [dict(r, org_unit="YMZ") for r in good_rows(catalog)]
    for r in other:
        if r["indicator"] in ("national_tax", "ind_output"):
            r["value"] = 1e6  # the other unit's figures must not reach NGZ's rows
    bulk = replace(submission(rows + other), org_unit=None)
    frame = validation_frame(bulk, catalog, rules)
    mine = frame[frame["org_unit"] == "NGZ"].reset_index(drop=True)
    assert_same(mine, reference_frame(submission(rows), catalog, rules))
    theirs = frame[(frame["org_unit"] == "YMZ") & (frame["indicator"] == "ind_va")]
    assert theirs["whole_value"].tolist() == [1e6]
