"""The history suite on many units at once: ``history_columns`` vectorised equals the
row-by-row version it replaced (kept here as the reference), on the demo store and on random
histories; ``validate_against_store`` on a bulk file names exactly the rows that fail."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from jzplan.core.periods import Period, period_range
from jzplan.core.submissions import ParsedSubmission
from jzplan.reference.catalog import Catalog
from jzplan.store.db import migrate
from jzplan.store.observations import current_observations
from jzplan.store.reference import sync_reference
from jzplan.store.submissions import load_submission, record_submission
from jzplan.validate.history_checks import (
    HISTORY_COLUMNS,
    OutlierSettings,
    _index,
    _log_ratio,
    _pct,
    history_columns,
    is_continuous,
    robust_bounds,
)
from jzplan.validate.store_checks import (
    read_unit_history,
    read_units_history,
    validate_against_store,
)
from jzplan.validate.validator import SubmissionValidator
from tests.dbutil import BACKENDS, backend_engine
from tests.validate.cases import PERIOD, _period, _t, good_rows, row_of, submission

# --- the row-by-row reference (history_checks before it was vectorised) -----------------------


def reference_columns(
    frame: pd.DataFrame,
    history: pd.DataFrame,
    period: str,
    catalog: Catalog,
    settings: OutlierSettings,
) -> pd.DataFrame:
    now = _index(Period.parse(period))
    past = history[history["period"] < period]
    series: dict[str, dict[int, float]] = {}
    for code, p, v in past[["indicator", "period", "value"]].itertuples(index=False):
        if v is not None and not pd.isna(v):
            series.setdefault(str(code), {})[_index(Period.parse(str(p)))] = float(v)

    rows: list[dict[str, object]] = []
    for code, value in frame[["indicator", "value"]].itertuples(index=False):
        ind = catalog.indicators.get(str(code))
        row: dict[str, object] = dict.fromkeys(HISTORY_COLUMNS, np.nan)
        if ind is None or value is None or pd.isna(value):
            rows.append(row)
            continue
        x = dict(series.get(ind.code, {}))
        x[now] = float(value)
        prev = x.get(now - 1)
        if ind.accumulates and now % 12 == 0:
            prev = 0.0
        row["prev_value"] = np.nan if prev is None else prev
        if ind.accumulates:
            row["prev_ytd"] = row["prev_value"]
            if not ind.allows_negative:
                row["prev_ytd_nonneg"] = row["prev_value"]
        if is_continuous(ind.unit):
            row.update(_reference_changes(x, now, ind.accumulates, settings))
        rows.append(row)
    return pd.DataFrame(rows, index=frame.index, columns=list(HISTORY_COLUMNS), dtype="float64")


def _reference_changes(
    x: dict[int, float], now: int, accumulates: bool, settings: OutlierSettings
) -> dict[str, float]:
    def own(t: int) -> float | None:
        if t not in x:
            return None
        if not accumulates or t % 12 == 0:
            return x[t]
        return x[t] - x[t - 1] if t - 1 in x else None

    def mom(t: int) -> float | None:
        return None if t % 12 == 0 else _log_ratio(own(t), own(t - 1))

    def yoy(t: int) -> float | None:
        return _log_ratio(x.get(t), x.get(t - 12))

    out: dict[str, float] = {}
    before, current = own(now - 1), own(now)
    if now % 12 != 0 and before is not None and before > 0 and current is not None:
        hist = [v for t in range(now - settings.mom_window, now) if (v := mom(t)) is not None]
        if len(hist) >= settings.min_history:
            low, high = robust_bounds(hist, mom(now - 12), settings.k, settings.mom_min_factor)
            out["mom_pct"] = (current / before - 1.0) * 100.0
            out["mom_low_pct"], out["mom_high_pct"] = _pct(low), _pct(high)
    change = yoy(now)
    if change is not None:
        hist = [v for t in range(now - settings.yoy_window, now) if (v := yoy(t)) is not None]
        if len(hist) >= settings.min_history:
            low, high = robust_bounds(hist, None, settings.k, settings.yoy_min_factor)
            out["yoy_pct"] = _pct(change)
            out["yoy_low_pct"], out["yoy_high_pct"] = _pct(low), _pct(high)
    return out


def _same(new: pd.DataFrame, old: pd.DataFrame) -> None:
    """Equal to the last bits but for numpy's and libm's exp/log (at most a few ulp apart)."""
    pd.testing.assert_frame_equal(new, old, check_exact=False, rtol=1e-12, atol=1e-9)
    assert (new.isna() == old.isna()).all().all()


# --- history_columns --------------------------------------------------------------------------


def test_equal_to_row_by_row_on_the_demo_store(demo_year: Engine, catalog: Catalog) -> None:
    settings = OutlierSettings()
    checked = 0
    for p in period_range(Period(2012, 1), Period(2013, 12)):
        month = current_observations(demo_year, [p])
        if month.empty:
            continue
        units = sorted(month["org_unit"].unique())
        expected = []
        for unit in units:
            frame = month[month["org_unit"] == unit]
            history = read_unit_history(demo_year, unit, p, settings)
            old = reference_columns(frame, history, str(p), catalog, settings)
            new = history_columns(frame, history, p, catalog, settings)
            _same(new, old)
            expected.append(old)
            checked += int(old["mom_pct"].notna().sum() + old["yoy_pct"].notna().sum())
        # all units at once, each matched to its own history
        history = read_units_history(demo_year, units, p, settings)
        together = history_columns(month, history, None, catalog, settings)
        _same(together, pd.concat(expected).loc[month.index])
    assert checked > 100  # the demo has enough history for bounds to be computed


@pytest.mark.parametrize("seed", range(4))
def test_equal_to_row_by_row_on_random_histories(catalog: Catalog, seed: int) -> None:
    """Gaps, zeros, negative figures, duplicate rows, January and December, unknown
    indicators, missing figures; units and months mixed in one frame."""
    rng = np.random.default_rng(seed)
    codes = [*list(catalog.indicators)[:25], "not_an_indicator"]
    units = ["A", "B", "C"]
    months = ["2013-01", "2013-06", "2013-12", "2014-01"]

    def figure(t: int) -> float:
        """A growing year-to-date-like figure, now and then zero or negative."""
        odd = rng.random()
        if odd < 0.03:
            return 0.0 if odd < 0.015 else -1.0
        return float((t % 12 + 1) * rng.lognormal(3, 0.1 * (1 + seed)))

    hist_rows = [
        (u, _period(t), c, figure(t))
        for u in units
        for c in codes
        for t in range(_t("2010-10"), _t("2014-01"))
        if rng.random() < 0.9
    ]
    history = pd.DataFrame(hist_rows, columns=["org_unit", "period", "indicator", "value"])
    history.loc[history.sample(frac=0.02, random_state=seed).index, "value"] = np.nan
    rows = [
        (u, p, c, float(rng.lognormal(3, 0.5)) if rng.random() < 0.95 else np.nan)
        for u in units
        for p in months
        for c in codes
        if rng.random() < 0.9
    ]
    frame = pd.DataFrame(rows, columns=["org_unit", "period", "indicator", "value"])
    frame = pd.concat([frame, frame.sample(5, random_state=seed)], ignore_index=True)
    frame = frame.sample(frac=1.0, random_state=seed)  # any row order, any index
    settings = OutlierSettings(min_history=3 + seed, mom_window=12 + 4 * seed)
    new = history_columns(frame, history, None, catalog, settings)
    parts = []
    for (unit, p), rows_of in frame.groupby(["org_unit", "period"]):
        own = history[history["org_unit"] == unit]
        parts.append(reference_columns(rows_of, own, str(p), catalog, settings))
    old = pd.concat(parts).loc[frame.index]
    _same(new, old)
    assert new["mom_pct"].notna().sum() > 10 and new["yoy_pct"].notna().sum() > 10


def test_history_columns_of_history_not_in_the_frame_is_ignored(catalog: Catalog) -> None:
    frame = pd.DataFrame({"org_unit": ["A"], "period": ["2013-03"], "indicator": ["fai"],
                          "value": [5.0]})  # fmt: skip
    history = pd.DataFrame({"org_unit": ["B", "A", "A"], "period": ["2013-02", "2013-03", "x"],
                            "indicator": ["fai"] * 3, "value": [4.0, 9.0, 1.0]})  # fmt: skip
    cols = history_columns(frame, history, None, catalog, OutlierSettings())
    assert cols.isna().all().all()  # B's history, A's own month and a bad period: none used


# --- a bulk file against the store ------------------------------------------------------------

UNITS = ["SJZ", "NGZ", "YMZ", "LWJ"]


@pytest.fixture(scope="module", params=BACKENDS)
def units_store(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    catalog: Catalog,
    plan: object,
) -> Iterator[Engine]:
    """Four units' accepted months from 2011-01 to the month before PERIOD, one file each: built
    once per backend for this module's tests, which only read it."""
    with backend_engine(request.param, tmp_path_factory.mktemp("units-store")) as engine:
        migrate(engine)
        sync_reference(engine, catalog, plan)  # type: ignore[arg-type]
        for unit in UNITS:
            for t in range(_t("2011-01"), _t(PERIOD)):
                rows = [dict(r, org_unit=unit) for r in good_rows(catalog, _period(t))]
                sub_id = record_submission(
                    engine, sha256=f"{unit}{t:060d}", file_name=f"{unit}-{t}.xlsx",
                    archive_path="-", arrival_period=_period(t),
                    received_at=datetime(2013, 1, 1, tzinfo=UTC), org_unit=unit,
                    period=_period(t), filed_on=None,
                )  # fmt: skip
                load_submission(engine, sub_id, submission(rows, _period(t)).frame)
        yield engine


def _bulk(rows: list[dict[str, object]]) -> ParsedSubmission:
    """One bulk file of ``rows`` (each its own unit and period), lines numbered from 2."""
    parsed = submission([dict(r, row=2 + i, sheet=None, column=None) for i, r in enumerate(rows)])
    periods = {str(r["period"]) for r in rows}
    period = periods.pop() if len(periods) == 1 else None
    return dataclasses.replace(parsed, org_unit=None, period=period, bulk=True)


def _month_rows(catalog: Catalog, unit: str, period: str = PERIOD) -> list[dict[str, object]]:
    return [dict(r, org_unit=unit) for r in good_rows(catalog, period)]


def _flagged(parsed: ParsedSubmission, positions: np.ndarray) -> set[tuple[str, str, str]]:
    f = parsed.frame.iloc[positions]
    return set(zip(f["org_unit"], f["period"], f["indicator"], strict=True))


def test_bulk_file_rows_failing_history_rules_are_named(
    units_store: Engine, catalog: Catalog, validator: SubmissionValidator
) -> None:
    rows = {u: _month_rows(catalog, u) for u in UNITS}
    gdp = row_of(rows["NGZ"], "gdp")
    gdp["value"], gdp["value_month"] = 0.1, 0.05  # ytd below February's: two error rules
    row_of(rows["YMZ"], "ind_output")["value_month"] = 1.0  # 本月 ≠ 累计 − 上月累计
    out = row_of(rows["LWJ"], "ind_output")  # a fivefold month: a warning only
    out["value"] = float(out["value"]) + 4 * float(out["value_month"])  # type: ignore[arg-type]
    out["value_month"] = 5 * float(out["value_month"])  # type: ignore[arg-type]
    parsed = _bulk([r for u in UNITS for r in rows[u]])

    one = validate_against_store(units_store, parsed, validator)
    assert _flagged(parsed, one.error_rows) == {
        ("NGZ", PERIOD, "gdp"), ("YMZ", PERIOD, "ind_output")
    }  # fmt: skip
    failed = {r.rule: r.failed for r in one.results if not r.success}
    # NGZ's gdp and LWJ's ind_output also jump month over month and year over year
    jumps = {"mom_jump": 2, "yoy_jump": 2}
    assert failed == {"ytd_decreased": 1, "month_not_ytd_difference": 2, **jumps}
    assert {i.row for i in one.warnings} == {2 + 9, 2 + 27 + 1}  # their lines in the file
    # each unit as a township file finds the same
    for unit in UNITS:
        alone = submission(rows[unit])
        township = validate_against_store(units_store, alone, validator)
        mine = np.flatnonzero(parsed.frame["org_unit"] == unit)
        assert _flagged(parsed, mine[township.error_rows]) == _flagged(
            parsed, np.intersect1d(one.error_rows, mine)
        )
    # one unit per read and check: the same report, merged
    sliced = validate_against_store(units_store, parsed, validator, max_history_rows=1)
    assert np.array_equal(sliced.error_rows, one.error_rows)
    assert [(r.rule, r.success, r.checked, r.failed) for r in sliced.results] == [
        (r.rule, r.success, r.checked, r.failed) for r in one.results
    ]
    assert sorted(map(str, sliced.issues)) == sorted(map(str, one.issues))


def test_bulk_file_of_two_months_compares_june_with_its_own_may(
    units_store: Engine, catalog: Catalog, validator: SubmissionValidator
) -> None:
    """A file with February and March: March is compared with the February it brings."""
    feb = _month_rows(catalog, "SJZ", "2013-02")
    gdp = row_of(feb, "gdp")
    jan = float(row_of(good_rows(catalog, "2013-01"), "gdp")["value"])  # type: ignore[arg-type]
    gdp["value"], gdp["value_month"] = 100.0, 100.0 - jan  # a big February (mom_jump only)
    march = _month_rows(catalog, "SJZ")
    parsed = _bulk([*feb, *march, *_month_rows(catalog, "NGZ")])
    report = validate_against_store(units_store, parsed, validator)
    assert _flagged(parsed, report.error_rows) == {("SJZ", PERIOD, "gdp")}
    assert {r.rule for r in report.results if not r.success} >= {"ytd_decreased", "mom_jump"}
    assert math.isclose(sum(r.checked for r in report.results if r.rule == "ytd_decreased"),
                        len(parsed.frame))  # fmt: skip


def test_bulk_file_without_history_or_rows(
    engine: Engine, catalog: Catalog, validator: SubmissionValidator
) -> None:
    parsed = _bulk(_month_rows(catalog, "NGZ"))
    report = validate_against_store(engine, parsed, validator)
    assert report.ok and not len(report.error_rows)
    empty = dataclasses.replace(parsed, frame=parsed.frame.iloc[:0])
    assert validate_against_store(engine, empty, validator).results == ()


def test_a_bulk_month_with_nothing_before_it_is_reported_as_ge_would_without_ge(
    engine: Engine,
    catalog: Catalog,
    validator: SubmissionValidator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No earlier month in the store or the file: every comparison column is empty, so the
    report is GE's on those columns, given without running GE (a national month's first
    load spent seconds building columns nobody compared)."""
    parsed = _bulk([r for u in UNITS for r in _month_rows(catalog, u)])
    frame = dataclasses.replace(parsed, period=Period.parse(PERIOD))
    nothing = pd.DataFrame(columns=["period", "indicator", "value"])
    by_ge = validator.validate_history(frame, nothing)
    runs: list[object] = []
    real_run = validator.run
    monkeypatch.setattr(validator, "run", lambda *a, **k: runs.append(a) or real_run(*a, **k))
    report = validate_against_store(engine, parsed, validator)
    assert runs == []
    assert report.results == by_ge.results and report.issues == by_ge.issues == ()
    assert report.ok and not len(report.error_rows)
    # a January is compared with 0 (本月 = 累计): it is run, and finds a bad 本月
    january = _month_rows(catalog, "NGZ", "2013-01")
    row_of(january, "ind_output")["value_month"] = 1.0
    jan = validate_against_store(engine, _bulk(january), validator)
    assert runs and not jan.ok
    assert {r.rule for r in jan.results if not r.success} == {"month_not_ytd_difference"}
