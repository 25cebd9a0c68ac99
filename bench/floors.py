"""Raw floors for the bench: the least work each stage's result needs, on the same data.

- read: ``pyarrow.csv.read_csv`` / ``pyarrow.parquet.read_table`` then ``to_pandas`` (the
  bytes to a frame, no catalog checks, no unit conversion);
- load: the parsed frame's observation rows (submission_id, org_unit_code, period,
  indicator_code, value, value_month, source_row) into an unconstrained table of the same
  columns: PostgreSQL ``COPY … FROM STDIN`` (psycopg 3, the rows serialised by pyarrow's CSV
  writer) and sqlite3 ``executemany`` on a fresh SQLite file opened through the project's
  ``make_engine`` (so the same pragmas); from the frame to committed rows;
- aggregate: sum and count of the leaf figures per (ancestor unit, indicator) at every level,
  weighted means by their weight indicator, and the coverage N from the catalog: pandas
  (a groupby at the leaves' parents, then rolled up level by level) and duckdb SQL (a join on a
  leaf → ancestor table). The leaf → ancestor arrays are the catalog's, built once outside the
  timing (the project caches its own tree the same way).

Validation floors are H1's ``bench/validation_floor.py``.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from jzplan.reference.catalog import Catalog
from jzplan.store.bulk_writes import OBSERVATION_COPY_COLUMNS

# the same columns the project's load writes
OBSERVATION_FLOOR_COLUMNS = OBSERVATION_COPY_COLUMNS
FLOOR_TABLE = "bench_floor_observation"
_FLOOR_DDL = f"""CREATE TABLE {FLOOR_TABLE} (
    submission_id INTEGER, org_unit_code VARCHAR(16), period VARCHAR(7),
    indicator_code VARCHAR(64), value DOUBLE PRECISION, value_month DOUBLE PRECISION,
    source_row INTEGER)"""


@dataclass(frozen=True, slots=True)
class Floor:
    name: str
    seconds: float
    rows: int
    note: str = ""


def timed(name: str, rows: int, fn: Callable[[], Any], note: str = "") -> tuple[Floor, Any]:
    started = time.perf_counter()
    result = fn()
    return Floor(name, time.perf_counter() - started, rows, note), result


# --- read ------------------------------------------------------------------------------------


def read_floor(path: Path) -> Floor:
    """The file to a pandas frame, nothing else."""

    def run() -> int:
        table = pq.read_table(path) if path.suffix == ".parquet" else pacsv.read_csv(path)
        return len(table.to_pandas())

    floor, rows = timed(f"pyarrow {path.suffix.lstrip('.')}", 0, run)
    return Floor(floor.name, floor.seconds, rows)


# --- load ------------------------------------------------------------------------------------


def observation_table(frame: pd.DataFrame, submission_id: int = 1) -> pa.Table:
    """The rows a load writes, as an Arrow table in the store's column order."""
    n = len(frame)
    return pa.table(
        {
            "submission_id": pa.array(np.full(n, submission_id, dtype=np.int32)),
            "org_unit_code": pa.array(frame["org_unit"].to_numpy(dtype=object), pa.string()),
            "period": pa.array(frame["period"].to_numpy(dtype=object), pa.string()),
            "indicator_code": pa.array(frame["indicator"].to_numpy(dtype=object), pa.string()),
            "value": pa.array(frame["value"].to_numpy(dtype=np.float64)),
            "value_month": pa.array(
                frame["value_month"].to_numpy(dtype=np.float64),
                mask=frame["value_month"].isna().to_numpy(),
            ),
            "source_row": pa.array(pd.to_numeric(frame["row"]).to_numpy(dtype=np.int64)),
        }
    )


def copy_postgres(conninfo: str, frame: pd.DataFrame) -> Floor:
    """``COPY … FROM STDIN (FORMAT csv)`` of the frame's observation rows, committed."""
    import psycopg

    with psycopg.connect(conninfo) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
        conn.execute(_FLOOR_DDL)
        conn.commit()
        started = time.perf_counter()
        table = observation_table(frame)
        buffer = io.BytesIO()
        options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        pacsv.write_csv(table, buffer, write_options=options)
        prepared = time.perf_counter() - started
        with conn.cursor() as cur:
            columns = ", ".join(OBSERVATION_FLOOR_COLUMNS)
            with cur.copy(f"COPY {FLOOR_TABLE} ({columns}) FROM STDIN (FORMAT csv)") as copy:
                view = buffer.getbuffer()
                for start in range(0, len(view), 1 << 20):
                    copy.write(view[start : start + (1 << 20)])
                del view
        conn.commit()
        seconds = time.perf_counter() - started
        rows = conn.execute(f"SELECT count(*) FROM {FLOOR_TABLE}").fetchone()
        conn.execute(f"DROP TABLE {FLOOR_TABLE}")
        conn.commit()
    count = int(rows[0]) if rows else 0
    return Floor("PostgreSQL COPY", seconds, count, f"serialising {prepared:.2f} s of it")


def executemany_sqlite(path: Path, frame: pd.DataFrame) -> Floor:
    """sqlite3 ``executemany`` of the frame's observation rows into a fresh file, committed;
    the connection comes from the project's ``make_engine`` (its pragmas)."""
    from jzplan.store.db import make_engine

    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    try:
        fairy = engine.raw_connection()
        conn = fairy.driver_connection
        assert conn is not None
        conn.execute(_FLOOR_DDL)
        conn.commit()
        started = time.perf_counter()
        table = observation_table(frame)
        columns = [table.column(c).to_pylist() for c in OBSERVATION_FLOOR_COLUMNS]
        rows = list(zip(*columns, strict=True))
        prepared = time.perf_counter() - started
        marks = ", ".join("?" * len(OBSERVATION_FLOOR_COLUMNS))
        conn.executemany(f"INSERT INTO {FLOOR_TABLE} VALUES ({marks})", rows)
        conn.commit()
        seconds = time.perf_counter() - started
        count = conn.execute(f"SELECT count(*) FROM {FLOOR_TABLE}").fetchone()[0]
        fairy.close()
    finally:
        engine.dispose()
    path.unlink(missing_ok=True)
    return Floor("sqlite3 executemany", seconds, int(count), f"rows to tuples {prepared:.2f} s")


# --- aggregate -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TreeArrays:
    """The catalog's tree as arrays: what both aggregation floors start from."""

    index: pd.Index  # unit code → row (the area first)
    parent: np.ndarray  # row of the parent, -1 for the area
    indicators: pd.Index
    weight_of: np.ndarray  # per indicator: the weight's position, -1 when not weighted
    ancestors: pd.DataFrame  # leaf, ancestor (codes): every unit above each reporting unit
    expected: pd.DataFrame  # org_unit, indicator, n_expected (> 0): reporting units below
    weights: pd.DataFrame  # indicator, weight (codes) of weighted means

    @classmethod
    def of(cls, catalog: Catalog) -> TreeArrays:
        units = (catalog.area, *catalog.units)
        index = pd.Index([u.code for u in units], dtype="str")
        parent = np.append(
            -1, index.get_indexer([u.parent or catalog.area.code for u in catalog.units])
        )
        inds = pd.Index(list(catalog.indicators), dtype="str")
        weight_of = np.array(
            [
                inds.get_loc(i.weight)
                if i.aggregation == "weighted_mean" and i.weight is not None
                else -1
                for i in catalog.indicators.values()
            ]
        )
        totalled = np.array(
            [i.aggregation in ("sum", "weighted_mean") for i in catalog.indicators.values()]
        )
        # every (reporting unit, unit above it), climbing one level per round
        leaves = np.flatnonzero([bool(u.reports) for u in units])
        leaf_col, anc_col = [], []
        above = parent[leaves]
        while (above >= 0).any():
            keep = above >= 0
            leaf_col.append(leaves[keep])
            anc_col.append(above[keep])
            above = np.where(keep, parent[np.maximum(above, 0)], -1)
        leaf_rows, anc_rows = np.concatenate(leaf_col), np.concatenate(anc_col)
        # N: per form, the reporting units below each unit, times the form's indicators
        expected = np.zeros((len(units), len(inds)), dtype=np.int64)
        forms: dict[tuple[str, ...], list[int]] = {}
        for row in leaves:
            forms.setdefault(units[row].reports, []).append(int(row))
        for reports, rows in forms.items():
            on = np.zeros(len(inds), dtype=np.int64)
            on[inds.get_indexer(pd.Index(reports))] = 1
            below = np.bincount(anc_rows[np.isin(leaf_rows, rows)], minlength=len(units))
            expected += np.outer(below, on * totalled)
        r, c = np.nonzero(expected)
        weights = pd.DataFrame(
            [
                (c, i.weight)
                for c, i in catalog.indicators.items()
                if i.aggregation == "weighted_mean"
            ],
            columns=["indicator", "weight"],
        ).astype("str")
        return cls(
            index,
            parent,
            inds,
            weight_of,
            pd.DataFrame({"leaf": index.take(leaf_rows), "ancestor": index.take(anc_rows)}),
            pd.DataFrame(
                {
                    "org_unit": index.take(r),
                    "indicator": inds.take(c),
                    "n_expected": expected[r, c],
                }
            ),
            weights,
        )


def _positions(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Position of each value in ``index`` (-1 if absent): factorised first, because looking
    up millions of strings one by one costs several times more."""
    codes, uniques = pd.factorize(values)
    return np.append(index.get_indexer(pd.Index(uniques)), -1)[codes]


def pandas_totals(frame: pd.DataFrame, tree: TreeArrays) -> pd.DataFrame:
    """Totals of every unit above the reporting units: a groupby at the leaves' parents, then
    rolled up a level at a time (the groups shrink ~10× per level)."""
    value = frame["value"].to_numpy(dtype=np.float64)
    unit = _positions(frame["org_unit"], tree.index)
    ind = _positions(frame["indicator"], tree.indicators)
    ok = (unit >= 0) & (ind >= 0) & ~np.isnan(value)
    unit, ind, value = unit[ok], ind[ok], value[ok]
    n_inds = len(tree.indicators)
    # the weight of each weighted figure: the same unit's figure of the weight indicator
    dense = np.full(len(tree.index) * n_inds, np.nan)
    dense[unit * n_inds + ind] = value
    wpos = tree.weight_of[ind]
    weight = np.where(wpos >= 0, dense[unit * n_inds + np.maximum(wpos, 0)], 0.0)
    weighted = (wpos >= 0) & ~np.isnan(weight)
    weight = np.where(weighted, weight, 0.0)
    level = pd.DataFrame(
        {
            "key": tree.parent[unit] * n_inds + ind,
            "v": value,
            "n": np.ones(len(value), dtype=np.int64),
            "wv": np.where(weighted, value * weight, 0.0),
            "w": weight,
            "wn": weighted.astype(np.int64),
        }
    )
    parts = []
    while len(level):
        level = level.groupby("key", sort=False, as_index=False).sum()
        parts.append(level)
        key = level["key"].to_numpy()
        up = tree.parent[key // n_inds]
        level = level.assign(key=up * n_inds + key % n_inds)[up >= 0]
    totals = pd.concat(parts).groupby("key", as_index=False).sum()
    key = totals["key"].to_numpy()
    unit, ind = key // n_inds, key % n_inds
    is_weighted = tree.weight_of[ind] >= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = totals["wv"].to_numpy() / totals["w"].to_numpy()
    out = pd.DataFrame(
        {
            "org_unit": tree.index.take(unit),
            "indicator": tree.indicators.take(ind),
            "value": np.where(is_weighted, mean, totals["v"].to_numpy()),
            "n_reported": np.where(is_weighted, totals["wn"], totals["n"]),
        }
    )
    return out.merge(tree.expected, on=["org_unit", "indicator"], how="right")


_DUCKDB_TOTALS = """
WITH s AS (
    SELECT a.ancestor AS org_unit, o.indicator, sum(o.value) AS total, count(*) AS n
    FROM obs o JOIN ancestors a ON a.leaf = o.org_unit
    WHERE o.value IS NOT NULL GROUP BY ALL
),
wo AS (
    SELECT o.org_unit, o.indicator, o.value, m.weight
    FROM obs o JOIN weights m ON o.indicator = m.indicator WHERE o.value IS NOT NULL
),
wt AS (
    SELECT org_unit, indicator AS weight, value AS w FROM obs
    WHERE value IS NOT NULL AND indicator IN (SELECT weight FROM weights)
),
ws AS (
    SELECT a.ancestor AS org_unit, wo.indicator, sum(wo.value * wt.w) / sum(wt.w) AS mean,
           count(*) AS n
    FROM wo JOIN wt USING (org_unit, weight) JOIN ancestors a ON a.leaf = wo.org_unit
    GROUP BY ALL
)
SELECT e.org_unit, e.indicator,
       CASE WHEN m.indicator IS NULL THEN s.total ELSE ws.mean END AS value,
       coalesce(CASE WHEN m.indicator IS NULL THEN s.n ELSE ws.n END, 0) AS n_reported,
       e.n_expected
FROM expected e
LEFT JOIN s USING (org_unit, indicator)
LEFT JOIN ws USING (org_unit, indicator)
LEFT JOIN weights m ON m.indicator = e.indicator
"""


def duckdb_totals(frame: pd.DataFrame, tree: TreeArrays) -> pd.DataFrame:
    """The same totals in duckdb SQL: a join on the leaf → ancestor table, grouped."""
    import duckdb

    con = duckdb.connect()
    try:
        # Arrow tables: duckdb scans them without converting pandas' string columns
        obs = pa.Table.from_pandas(frame[["org_unit", "indicator", "value"]], preserve_index=False)
        con.register("obs", obs)
        for name in ("ancestors", "expected", "weights"):
            con.register(name, pa.Table.from_pandas(getattr(tree, name), preserve_index=False))
        return con.execute(_DUCKDB_TOTALS).df()
    finally:
        con.close()


def aggregate_floors(frame: pd.DataFrame, tree: TreeArrays) -> list[Floor]:
    out = []
    for name, fn in (("pandas", pandas_totals), ("duckdb", duckdb_totals)):
        floor, totals = timed(name, len(frame), lambda fn=fn: fn(frame, tree))  # type: ignore[misc]
        out.append(Floor(floor.name, floor.seconds, floor.rows, f"{len(totals):,} totals"))
    return out
