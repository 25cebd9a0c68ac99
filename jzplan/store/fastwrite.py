"""Appending a frame's rows to a table at the database's own speed.

- PostgreSQL: ``COPY … FROM STDIN (FORMAT binary)``. The binary tuples are built by numpy:
  rows whose fields have the same lengths (text lengths, NULLs) share one fixed layout, so a
  block of them is one structured array. No text formatting on our side, no float parsing on
  the server's.
- SQLite: multi-row ``INSERT … VALUES (…), (…), …`` with as many rows per statement as the
  connection's variable limit allows: one statement step per ~140–4,000 rows instead of one
  per row (``executemany``).

Both fall back to the plain path for a column type they do not encode (the caller's types
decide: ``Integer``, ``BigInteger``, ``Float``, ``Boolean``, ``String``/``Text``).
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import BigInteger, Boolean, Connection, Float, Integer, String, Table, text

_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8  # signature, flags, no header extension
_TRAILER = b"\xff\xff"
_BLOCK = 1 << 16  # rows encoded together; their order is kept between blocks
_INT4 = (-(2**31), 2**31 - 1)


def append_rows(
    conn: Connection, table: Table, frame: pd.DataFrame, *, repeat: Sequence[str] = ()
) -> int:
    """Append ``frame`` (columns named as ``table``'s) inside the connection's transaction;
    ``repeat``: columns constant over runs of consecutive rows (see ``insert_values``)."""
    if frame.empty:
        return 0
    if conn.dialect.name == "postgresql":
        encoded = encode_binary_copy(table, frame)
        columns = ", ".join(str(c) for c in frame.columns)
        raw: Any = conn.connection.driver_connection
        with raw.cursor() as cur:
            if encoded is None:  # a column we do not encode: COPY in CSV
                buf = io.BytesIO()
                pacsv.write_csv(
                    pa.Table.from_pandas(frame, preserve_index=False),
                    buf,
                    pacsv.WriteOptions(include_header=False, batch_size=1 << 16),
                )
                view = buf.getbuffer()
                with cur.copy(f"COPY {table.name} ({columns}) FROM STDIN (FORMAT csv)") as cp:
                    for start in range(0, len(view), 1 << 22):
                        cp.write(view[start : start + (1 << 22)])
                del view
            else:
                from psycopg.copy import QueuedLibpqWriter  # only a PostgreSQL store needs it

                # the queued writer sends from its own thread: the server parses one block
                # while this thread encodes the next
                statement = f"COPY {table.name} ({columns}) FROM STDIN (FORMAT binary)"
                with cur.copy(statement, writer=QueuedLibpqWriter(cur)) as cp:
                    for piece in encoded:
                        cp.write(piece)
        refresh_statistics(conn, table, len(frame))
    else:
        processors = {
            str(c): table.c[str(c)].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
            for c in frame.columns
            if str(c) in table.c and _kind(table, str(c)) is None
        }
        insert_values(conn.connection.driver_connection, table.name, frame, processors, repeat)
    return len(frame)


def refresh_statistics(conn: Connection, table: Table, appended: int) -> bool:
    """``ANALYZE`` a PostgreSQL table that ``appended`` rows outgrew its planner statistics
    by, as autovacuum would (50 rows + 10 % of the rows the statistics know), but now, inside
    the transaction: autovacuum only looks after the commit, and until it does, the planner
    takes a table a bulk load has filled for the size it was (bench/RESULTS.md has the
    province numbers). Returns whether it analyzed."""
    if conn.dialect.name != "postgresql" or appended <= 0:
        return False
    known = conn.scalar(
        text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:name)"),
        {"name": conn.dialect.identifier_preparer.format_table(table)},
    )
    if known is not None and appended < 50 + 0.1 * max(float(known), 0.0):
        return False
    conn.execute(text(f"ANALYZE {conn.dialect.identifier_preparer.format_table(table)}"))
    return True


# --- PostgreSQL binary COPY -------------------------------------------------------------------


def _kind(table: Table, column: str) -> str | None:
    """How a column's values travel in binary COPY: int4, int8, float8, bool or text."""
    if column not in table.c:
        return None
    sa_type = table.c[column].type
    if isinstance(sa_type, Boolean):
        return "bool"
    if isinstance(sa_type, BigInteger):
        return "int8"
    if isinstance(sa_type, Integer):
        return "int4"
    if isinstance(sa_type, Float) and not getattr(sa_type, "asdecimal", False):
        precision = getattr(sa_type, "precision", None)
        return "float8" if precision is None or precision > 24 else None
    if isinstance(sa_type, String):  # Text is a String
        return "text"
    return None


class _Column:
    """One column ready for encoding: its values as a numpy array, NULLs as a mask, and for
    text the distinct values' UTF-8 bytes and each row's index into them."""

    __slots__ = ("codes", "kind", "lengths", "null", "size", "uniques", "values")

    def __init__(self, kind: str, series: pd.Series) -> None:
        self.kind = kind
        self.null: np.ndarray = series.isna().to_numpy()
        self.codes: np.ndarray | None = None
        self.uniques: np.ndarray | None = None
        self.lengths: np.ndarray | None = None
        if kind == "text":
            codes, uniques = pd.factorize(series)
            encoded = [str(u).encode() for u in uniques]
            self.codes = np.asarray(codes, dtype=np.int64)
            width = max((len(e) for e in encoded), default=1) or 1
            self.uniques = np.array([*encoded, b""], dtype=f"S{width}")  # [-1]: NULL
            self.lengths = np.array([len(e) for e in encoded] + [-1], dtype=np.int64)[self.codes]
            self.values = np.empty(0)
            self.size = 0
        elif kind == "float8":
            self.values = series.to_numpy(dtype=np.float64, na_value=np.nan)
            self.size = 8
        elif kind == "bool":
            self.values = series.fillna(False).to_numpy(dtype=bool).astype(np.uint8)
            self.size = 1
        else:
            self.values = series.to_numpy(dtype=np.int64, na_value=0)
            self.size = 4 if kind == "int4" else 8

    def fits(self) -> bool:
        if self.kind != "int4" or not len(self.values):
            return True
        live = self.values[~self.null]
        return not len(live) or bool(live.min() >= _INT4[0] and live.max() <= _INT4[1])


def encode_binary_copy(table: Table, frame: pd.DataFrame) -> Iterator[bytes] | None:
    """The frame as PostgreSQL binary COPY data (header, tuples, trailer), in pieces
    encoded as they are asked for (the server takes one while the next is encoded);
    ``None`` when a column is of a type this encoder does not write."""
    kinds = [_kind(table, str(c)) for c in frame.columns]
    if any(k is None for k in kinds):
        return None
    cols = [_Column(str(k), frame[c]) for k, c in zip(kinds, frame.columns, strict=True)]
    if not all(c.fits() for c in cols):
        return None
    return _binary_pieces(cols, len(frame))


def _binary_pieces(cols: Sequence[_Column], n: int) -> Iterator[bytes]:
    # rows with the same field lengths share a layout: the layout key of every row
    key = np.zeros(n, dtype=np.int64)
    for col in cols:
        part = col.lengths if col.lengths is not None else np.where(col.null, -1, col.size)
        codes, uniques = pd.factorize(part)
        key = key * (len(uniques) + 1) + codes
    key, _ = pd.factorize(key)
    yield _HEADER
    count = np.array(len(cols), dtype=">i2")
    for start in range(0, n, _BLOCK):
        block = key[start : start + _BLOCK]
        groups = np.unique(block)
        for group in groups:
            rows = (
                np.arange(start, start + len(block))
                if len(groups) == 1
                else np.flatnonzero(block == group) + start
            )
            yield _encode_rows(cols, rows, count)
    yield _TRAILER


def _encode_rows(cols: Sequence[_Column], rows: np.ndarray, count: np.ndarray) -> bytes:
    """Rows that share one layout (the first row's) as one structured array's bytes."""
    first = int(rows[0])
    fields: list[tuple[str, str]] = [("n", ">i2")]
    sizes: list[int] = []
    for i, col in enumerate(cols):
        fields.append((f"l{i}", ">i4"))
        if col.kind == "text":
            assert col.lengths is not None
            size = int(col.lengths[first])
            if size > 0:
                fields.append((f"v{i}", f"S{size}"))
        elif col.null[first]:
            size = -1
        else:
            size = col.size
            code = {"int4": ">i4", "int8": ">i8", "float8": ">f8", "bool": "u1"}[col.kind]
            fields.append((f"v{i}", code))
        sizes.append(size)
    out = np.empty(len(rows), dtype=np.dtype(fields))
    out["n"] = count
    for i, (col, size) in enumerate(zip(cols, sizes, strict=True)):
        out[f"l{i}"] = size
        if size <= 0:
            continue
        if col.kind == "text":
            assert col.codes is not None and col.uniques is not None
            out[f"v{i}"] = col.uniques[col.codes[rows]]
        else:
            out[f"v{i}"] = col.values[rows]
    return out.tobytes()


# --- SQLite multi-row INSERT ------------------------------------------------------------------


class _Bindable:
    """A column as Python values to bind, a slice at a time (None for NULL). Text goes
    through its distinct values: 4 million cells cost one lookup each, not one string each."""

    __slots__ = ("codes", "values")

    def __init__(self, series: pd.Series, convert: Callable[[Any], Any] | None = None) -> None:
        self.codes: np.ndarray | None = None
        dtype = series.dtype
        if convert is not None or (
            isinstance(dtype, pd.CategoricalDtype | pd.StringDtype | pd.ArrowDtype)
            or dtype.kind == "O"
        ):
            codes, uniques = pd.factorize(series)
            change = convert or _plain
            self.codes = codes
            self.values = np.array([*(change(u) for u in uniques.astype(object)), None],
                                   dtype=object)  # fmt: skip
        elif dtype.kind == "f":
            self.values = series.to_numpy()  # NaN binds as NULL
        elif series.hasnans:
            self.values = series.astype(object).where(series.notna(), None).to_numpy()
        else:
            self.values = series.to_numpy()

    def take(self, rows: np.ndarray) -> list[Any]:
        picked = self.values[self.codes[rows]] if self.codes is not None else self.values[rows]
        out: list[Any] = picked.tolist()
        return out

    def slice(self, start: int, stop: int) -> list[Any]:
        if self.codes is not None:
            out: list[Any] = self.values[self.codes[start:stop]].tolist()
            return out
        values: list[Any] = self.values[start:stop].tolist()
        return values


def _plain(value: Any) -> Any:
    """A distinct value as sqlite3 binds it: numpy scalars unwrapped."""
    return value.item() if isinstance(value, np.generic) else value


_ROWS_AT_ONCE = 1 << 18  # rows turned into Python values at a time (memory)


def insert_values(
    raw: Any,
    table_name: str,
    frame: pd.DataFrame,
    processors: Mapping[str, Callable[[Any], Any] | None] | None = None,
    repeat: Sequence[str] = (),
) -> None:
    """Insert the frame's rows through ``raw`` (a sqlite3 connection), many per statement.

    ``processors``: columns whose values go through a converter first (SQLAlchemy's bind
    processor of a type the module does not encode, e.g. DateTime to SQLite's text).
    ``repeat``: columns that keep one value over runs of consecutive rows (a submission's
    id, unit and period): bound once per run, ``INSERT … SELECT ?, ?, column1, … FROM
    (VALUES …)``, which saves a third of the binding for a bulk file's figures.
    """
    n = len(frame)
    if not n:
        return
    processors = processors or {}
    columns = [str(c) for c in frame.columns]
    fixed = [c for c in columns if c in repeat]
    varying = [c for c in columns if c not in repeat]
    if not varying:
        fixed, varying = [], columns
    try:
        limit = int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    except AttributeError:  # Python < 3.11
        limit = 999
    per = max(1, min((limit - len(fixed)) // len(varying), 4000))

    def bindable(column: str) -> _Bindable:
        return _Bindable(
            frame[column], processors[column] or _plain if column in processors else None
        )

    fixed_values = [bindable(c) for c in fixed]
    varying_values = [bindable(c) for c in varying]
    starts, lengths = _pieces(fixed_values, n, per)
    width = len(varying)
    head, row, tail = _statement_parts(table_name, fixed, varying)
    statements: dict[int, str] = {}
    cur = raw.cursor()
    # dirty pages stay in memory until the commit: spilling them mid-transaction syncs the
    # rollback journal each time
    spill = cur.execute("PRAGMA cache_spill").fetchone()[0]
    cur.execute("PRAGMA cache_spill=OFF")
    try:
        # pieces in blocks of about _ROWS_AT_ONCE rows: Python values for one block at a time
        block_ends = np.searchsorted(starts, np.arange(_ROWS_AT_ONCE, n, _ROWS_AT_ONCE))
        for lo, hi in zip([0, *block_ends.tolist()], [*block_ends.tolist(), len(starts)],
                          strict=True):  # fmt: skip
            if lo == hi:
                continue
            first = int(starts[lo])
            last = int(starts[hi - 1] + lengths[hi - 1])
            flat: list[Any] = [None] * ((last - first) * width)
            for j, values in enumerate(varying_values):
                flat[j::width] = values.slice(first, last)
            heads = [v.take(starts[lo:hi]) for v in fixed_values]
            for k, (start, length) in enumerate(
                zip(starts[lo:hi].tolist(), lengths[lo:hi].tolist(), strict=True)
            ):
                sql = statements.get(length)
                if sql is None:
                    sql = statements[length] = head + ", ".join([row] * length) + tail
                at = (start - first) * width
                params = flat[at : at + length * width]
                if heads:
                    params = [*(h[k] for h in heads), *params]
                cur.execute(sql, params)
    finally:
        cur.execute(f"PRAGMA cache_spill={int(spill)}")
        cur.close()


def _statement_parts(
    table_name: str, fixed: Sequence[str], varying: Sequence[str]
) -> tuple[str, str, str]:
    """The head, one row's placeholders and the tail of a multi-row INSERT: ``fixed``
    columns bound once before the rows' ``VALUES`` (``INSERT … SELECT ?, column1 …``)."""
    width = len(varying)
    row = "(" + ", ".join("?" * width) + ")"
    head = f"INSERT INTO {table_name} ({', '.join([*fixed, *varying])}) "
    if fixed:
        picks = ", ".join(["?"] * len(fixed) + [f"column{i + 1}" for i in range(width)])
        return head + f"SELECT {picks} FROM (VALUES ", row, ")"
    return head + "VALUES ", row, ""


def _pieces(fixed: Sequence[_Bindable], n: int, per: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and length of each statement's rows, in row order: runs of equal ``fixed``
    values (all rows as one run when there are none) cut into pieces of ``per`` rows and a
    rest. When the rests have many different lengths, each is cut into powers of two, so a
    few prepared statements serve them all (sqlite3 keeps 128)."""
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for values in fixed:
        keys = values.codes if values.codes is not None else values.values
        change[1:] |= keys[1:] != keys[:-1]
    run_starts = np.flatnonzero(change)
    run_lengths = np.diff(np.append(run_starts, n))
    full, rest = run_lengths // per, run_lengths % per
    # the full pieces: run start + per × (the piece's number inside its run)
    number = np.arange(int(full.sum())) - np.repeat(np.cumsum(full) - full, full)
    starts = [np.repeat(run_starts, full) + per * number]
    lengths = [np.full(len(starts[0]), per)]
    offset, rest = (run_starts + full * per)[rest > 0], rest[rest > 0]
    if len(np.unique(rest)) <= 64:
        starts.append(offset)
        lengths.append(rest)
    else:
        for bit in range(int(per).bit_length() - 1, -1, -1):
            has = (rest & (1 << bit)) != 0
            starts.append(offset[has])
            lengths.append(np.full(int(has.sum()), 1 << bit))
            offset = offset + np.where(has, 1 << bit, 0)
    start_all, length_all = np.concatenate(starts), np.concatenate(lengths)
    order = np.argsort(start_all, kind="stable")
    return start_all[order], length_all[order]
