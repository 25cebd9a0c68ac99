"""The history suite's floor: the months it reads, fetched with the raw driver, and its four
comparisons in plain pandas and numpy (no GE, no located issues).

- read: the accepted figures of the months ``history_periods`` names, ``SELECT`` through
  sqlite3 (fetchall) or PostgreSQL ``COPY … TO STDOUT`` parsed by pyarrow;
- checks: each row's series laid out as a (unit, indicator) × month table by pandas
  (``unstack``), then ytd_decreased and month_not_ytd_difference against last month, and
  mom_jump / yoy_jump against the median ± k·1.4826·MAD of the series' own changes (at least
  ``min_history`` of them; the bounds never narrower than the minimum factors).

It is a floor: the project's suite also centres a month-over-month bound on last year's same
change, restarts year-to-date flows in January, locates every failing row in the file and
writes GE's result documents; the floor does none of that.
"""

from __future__ import annotations

import io
import math
import sqlite3
import warnings
from typing import Any

import numpy as np
import pandas as pd

from bench.floors import Floor, timed

COLUMNS = ["org_unit", "period", "indicator", "value"]


def _query(periods: list[str]) -> str:
    months = ", ".join(f"'{p}'" for p in periods)
    return (
        "SELECT o.org_unit_code, o.period, o.indicator_code, o.value FROM observation o "
        "JOIN submission s ON s.id = o.submission_id "
        f"WHERE s.status = 'accepted' AND o.period IN ({months})"
    )


def read_raw(db: str, url: str, periods: list[str]) -> pd.DataFrame:
    """The months' accepted figures (org_unit, period, indicator, value)."""
    if db == "sqlite":
        path = url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            rows = conn.execute(_query(periods)).fetchall()
        return pd.DataFrame(rows, columns=COLUMNS)
    import psycopg
    import pyarrow.csv as pacsv
    from sqlalchemy.engine import make_url

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    buffer = io.BytesIO()
    sql = f"COPY ({_query(periods)}) TO STDOUT (FORMAT csv)"
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur, cur.copy(sql) as copy:
        for chunk in copy:
            buffer.write(chunk)
    buffer.seek(0)
    if not buffer.getbuffer().nbytes:
        return pd.DataFrame(columns=COLUMNS)
    options = pacsv.ReadOptions(column_names=COLUMNS)
    convert = pacsv.ConvertOptions(
        column_types={"org_unit": "string", "period": "string", "indicator": "string"}
    )
    return pacsv.read_csv(buffer, read_options=options, convert_options=convert).to_pandas()


def _robust(changes: np.ndarray, k: float, min_factor: float, min_history: int) -> Any:
    """(low, high) log bounds per row from its changes (NaN: none); NaN with too few."""
    count = np.count_nonzero(~np.isnan(changes), axis=1)
    with warnings.catch_warnings():  # rows without a change: their median is NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        median = np.nanmedian(changes, axis=1)
        mad = np.nanmedian(np.abs(changes - median[:, None]), axis=1)
    half = np.maximum(k * 1.4826 * mad, math.log(min_factor))
    enough = count >= min_history
    return np.where(enough, median - half, np.nan), np.where(enough, median + half, np.nan)


def pandas_history_checks(
    frame: pd.DataFrame, history: pd.DataFrame, period: str, catalog: Any, settings: Any
) -> dict[str, int]:
    """Rows failing each of the four history rules."""
    months = sorted(history["period"].unique().tolist())
    accumulates = {c: i.accumulates for c, i in catalog.indicators.items()}
    failed = dict.fromkeys(("ytd_decreased", "month_not_ytd_difference", "mom_jump", "yoy_jump"), 0)
    if not months or frame.empty:
        return failed
    wide = history.set_index(["org_unit", "indicator", "period"])["value"].unstack("period")
    wide = wide.reindex(columns=months)
    key = pd.MultiIndex.from_arrays([frame["org_unit"], frame["indicator"]])
    x = wide.reindex(key).to_numpy("float64")  # rows of the file × months before it
    value = frame["value"].to_numpy("float64")
    acc = frame["indicator"].map(accumulates).fillna(False).to_numpy(bool)
    january = period.endswith("-01")
    prev = np.where(acc & january, 0.0, x[:, -1])
    with np.errstate(invalid="ignore"):
        failed["ytd_decreased"] = int(np.count_nonzero(acc & (value < prev)))
        if "value_month" in frame:
            month = frame["value_month"].to_numpy("float64")
            gap = np.abs(value - prev - month)
            tol = np.maximum(0.02, 0.01 * np.abs(value))
            failed["month_not_ytd_difference"] = int(np.count_nonzero(acc & (gap > tol)))
        own = np.where(acc[:, None], np.diff(x, axis=1, prepend=np.nan), x)
        own = np.where(own > 0, own, np.nan)
        mom = np.log(own[:, 1:] / own[:, :-1])[:, -settings.mom_window :]
        low, high = _robust(mom, settings.k, settings.mom_min_factor, settings.min_history)
        now = value - x[:, -1] if not january else value
        change = np.log(np.where(acc, now, value) / own[:, -1])
        failed["mom_jump"] = int(np.count_nonzero((change < low) | (change > high)))
        if x.shape[1] > 12:
            yoy = np.log(x[:, 12:] / x[:, :-12])[:, -settings.yoy_window :]
            low, high = _robust(yoy, settings.k, settings.yoy_min_factor, settings.min_history)
            change = np.log(value / x[:, -12])
            failed["yoy_jump"] = int(np.count_nonzero((change < low) | (change > high)))
    return failed


def history_floor(store: Any, frame: pd.DataFrame, period: str, catalog: Any) -> Floor:
    """The floor of ``validate_against_store`` on ``frame`` (one month) in ``store``."""
    from jzplan.core.periods import Period
    from jzplan.validate.history_checks import OutlierSettings, history_periods

    settings = OutlierSettings()
    periods = [str(p) for p in history_periods(Period.parse(period), settings)]
    read: list[int] = []

    def run() -> dict[str, int]:
        history = read_raw(store.db, store.url, periods)
        read.append(len(history))
        return pandas_history_checks(frame, history, period, catalog, settings)

    floor, failed = timed("pandas history", len(frame), run)
    note = f"{read[0]:,} history figures; " + ", ".join(f"{k} {v}" for k, v in failed.items())
    return Floor(floor.name, floor.seconds, floor.rows, note)
