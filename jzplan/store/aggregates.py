"""The aggregate table: a period's totals at every level of the hierarchy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table, delete, select

from jzplan.core.periods import Period
from jzplan.store.db import Bind, connect, transaction
from jzplan.store.fastread import read_frame
from jzplan.store.fastwrite import append_rows
from jzplan.store.models import AGGREGATE_COLUMNS, AggregateRow
from jzplan.store.rows import frame_records, optional_float, period_key, same_floats, upsert_changed

_aggregate: Table = AggregateRow.__table__  # type: ignore[assignment]


# Above this many rows a period's aggregates are compared as frames and rewritten with COPY
BULK_AGGREGATE_ROWS = 20_000


def write_aggregates(bind: Bind, period: Period, frame: pd.DataFrame) -> dict[str, int]:
    """Replace a period's aggregates with ``frame``, touching only rows that changed.

    Returns inserted, updated, deleted and unchanged counts. A large period (a province's or
    the country's hundreds of thousands of totals) is compared as frames and, if anything
    changed, rewritten with COPY (executemany on SQLite): the same counts, no row-by-row
    statements; unchanged, nothing is written.
    """
    key = period_key(period)
    if len(frame) > BULK_AGGREGATE_ROWS:
        return _write_aggregates_bulk(bind, period, frame)
    rows = [
        {
            "org_unit_code": str(r["org_unit"]),
            "period": key,
            "indicator_code": str(r["indicator"]),
            "value": optional_float(r["value"]),
            "n_reported": int(r["n_reported"]),
            "n_expected": int(r["n_expected"]),
            "provisional": bool(r["provisional"]),
        }
        for r in frame_records(frame, AGGREGATE_COLUMNS)
    ]
    with transaction(bind) as conn:
        return upsert_changed(
            conn,
            _aggregate,
            ["org_unit_code", "period", "indicator_code"],
            rows,
            scope=_aggregate.c.period == key,
            delete_missing=True,
        )


def _write_aggregates_bulk(bind: Bind, period: Period, frame: pd.DataFrame) -> dict[str, int]:
    key = period_key(period)
    keys = ["org_unit", "indicator"]
    values = ["value", "n_reported", "n_expected", "provisional"]
    new = frame[keys + values].reset_index(drop=True)
    if new.duplicated(keys).any():
        raise ValueError(f"aggregate: duplicate (org unit, indicator) in {period}")
    with transaction(bind) as conn:
        old = read_aggregates(conn, [period])
        if old.empty:  # the period's first totals: nothing to compare them with
            _append(conn, key, new)
            return {"inserted": len(new), "updated": 0, "deleted": 0, "unchanged": 0}
        merged = new.merge(old[keys + values], on=keys, how="outer", suffixes=("", "_old"),
                           indicator=True)  # fmt: skip
        both = (merged["_merge"] == "both").to_numpy()
        same = both.copy()
        for col in values:
            a, b = merged[col].to_numpy(), merged[f"{col}_old"].to_numpy()
            if col == "value":
                same &= same_floats(a.astype(np.float64), b.astype(np.float64))
            else:
                same &= a == b
        counts = {
            "inserted": int((merged["_merge"] == "left_only").sum()),
            "updated": int((both & ~same).sum()),
            "deleted": int((merged["_merge"] == "right_only").sum()),
            "unchanged": int(same.sum()),
        }
        if counts["inserted"] or counts["updated"] or counts["deleted"]:
            conn.execute(delete(_aggregate).where(_aggregate.c.period == key))
            _append(conn, key, new)
        return counts


def _append(conn: Connection, key: str, new: pd.DataFrame) -> None:
    append_rows(
        conn,
        _aggregate,
        pd.DataFrame(
            {
                "org_unit_code": new["org_unit"],
                "period": key,
                "indicator_code": new["indicator"],
                "value": new["value"].astype("float64"),
                "n_reported": new["n_reported"].astype("int64"),
                "n_expected": new["n_expected"].astype("int64"),
                "provisional": new["provisional"].astype(bool),
            }
        ),
        repeat=("org_unit_code", "period"),
    )


def read_aggregates(
    bind: Bind, periods: Sequence[Period], *, org_units: Sequence[str] | None = None
) -> pd.DataFrame:
    """org_unit, period, indicator, value, n_reported, n_expected, provisional (of
    ``org_units`` only, if given)."""
    query = (
        select(
            _aggregate.c.org_unit_code.label("org_unit"),
            _aggregate.c.period,
            _aggregate.c.indicator_code.label("indicator"),
            _aggregate.c.value,
            _aggregate.c.n_reported,
            _aggregate.c.n_expected,
            _aggregate.c.provisional,
        )
        .where(_aggregate.c.period.in_([period_key(p) for p in periods]))
        .order_by(_aggregate.c.period, _aggregate.c.org_unit_code, _aggregate.c.indicator_code)
    )
    if org_units is not None:
        query = query.where(_aggregate.c.org_unit_code.in_(list(org_units)))
    columns = ["org_unit", "period", "indicator", "value", "n_reported", "n_expected",
               "provisional"]  # fmt: skip
    with connect(bind) as conn:
        frame = read_frame(conn, query, columns)
    if frame["provisional"].dtype != bool:  # PostgreSQL's COPY writes booleans as t / f
        frame["provisional"] = frame["provisional"].isin([True, 1, "t", "true"])
    return frame.astype(
        {"value": "float64", "n_reported": "int64", "n_expected": "int64", "provisional": "bool"}
    )
