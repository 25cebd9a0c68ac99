"""The fast writers (binary COPY, multi-row INSERT) store exactly what the ORM's insert does."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
)

from jzplan.store import fastwrite
from jzplan.store.fastwrite import append_rows, encode_binary_copy

_meta = MetaData()
_kinds = Table(
    "fastwrite_kinds",
    _meta,
    Column("i4", Integer),
    Column("i8", BigInteger),
    Column("f8", Float),
    Column("b", Boolean),
    Column("code", String(16)),
    Column("note", Text),
)
_stamped = Table("fastwrite_stamped", _meta, Column("code", String(16)), Column("at", DateTime))


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    codes = np.array(["110101003", "A01", "地区生产总值", "", "x", "T-NGZ-04"], dtype=object)
    notes = pd.array(rng.choice(["甲", "longer text, with a comma", 'q"uote'], n), dtype="str")
    frame = pd.DataFrame(
        {
            "i4": pd.array(rng.integers(-(2**31), 2**31 - 1, n), dtype="Int64"),
            "i8": rng.integers(-(2**62), 2**62, n),
            "f8": rng.normal(0, 1e6, n),
            "b": pd.array(rng.integers(0, 2, n).astype(bool), dtype="boolean"),
            "code": pd.Categorical(codes[rng.integers(0, len(codes), n)]),
            "note": notes,
        }
    )
    frame.loc[::5, "f8"] = np.nan
    frame.loc[::7, "i4"] = pd.NA
    frame.loc[::11, "b"] = pd.NA
    frame.loc[::13, "note"] = None
    frame.loc[0, "f8"] = 0.1 + 0.2  # not exactly representable in a short decimal
    frame.loc[n - 1, "f8"] = 1e-300
    return frame


def _stored(engine: Engine, table: Table) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return sorted(
            (tuple(r) for r in conn.execute(select(table))),
            key=lambda r: tuple((v is None, repr(v)) for v in r),
        )


def _orm_stored(engine: Engine, frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """The rows the ORM's insert stores for ``frame``, after emptying the table."""
    with engine.begin() as conn:
        conn.execute(_kinds.delete())
        records = [
            {k: (None if pd.isna(v) else v) for k, v in row.items()}
            for row in frame.astype(object).to_dict("records")
        ]
        conn.execute(insert(_kinds), records)
    return _stored(engine, _kinds)


@pytest.mark.parametrize("n", [1, 999, 70_001])  # one row; under a statement; over a block
def test_append_rows_stores_what_the_orm_stores(
    engine: Engine, n: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fastwrite, "_ROWS_AT_ONCE", 25_000)  # SQLite: several slices of rows
    _meta.create_all(engine)
    frame = _frame(n)
    with engine.begin() as conn:
        assert append_rows(conn, _kinds, frame) == n
    fast = _stored(engine, _kinds)
    assert fast == _orm_stored(engine, frame)
    assert len(fast) == n


def test_a_type_it_does_not_encode_falls_back(engine: Engine) -> None:
    """A DateTime column: no binary encoding (None), the CSV COPY / plain values instead."""
    _meta.create_all(engine)
    frame = pd.DataFrame(
        {"code": ["a", "b"], "at": pd.to_datetime(["2013-06-05 17:00", "2013-07-01 09:30"])}
    )
    assert encode_binary_copy(_stamped, frame) is None
    with engine.begin() as conn:
        append_rows(conn, _stamped, frame)
    stored = _stored(engine, _stamped)
    assert [r[0] for r in stored] == ["a", "b"]
    assert [r[1].strftime("%Y-%m-%d %H:%M") for r in stored] == [
        "2013-06-05 17:00",
        "2013-07-01 09:30",
    ]


def test_an_int4_out_of_range_is_not_encoded() -> None:
    frame = pd.DataFrame({"i4": [2**31]})
    assert encode_binary_copy(_kinds, frame) is None


def test_binary_copy_layout_of_one_row() -> None:
    """The PGCOPY bytes of one row, spelled out: count, then length and big-endian data."""
    frame = pd.DataFrame(
        {"i4": [1], "i8": [2], "f8": [np.nan], "b": [True], "code": ["ab"], "note": [None]}
    )
    pieces = encode_binary_copy(_kinds, frame)
    assert pieces is not None
    data = b"".join(pieces)
    assert data[:19] == b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8
    body = (
        b"\x00\x06"
        + b"\x00\x00\x00\x04" + b"\x00\x00\x00\x01"
        + b"\x00\x00\x00\x08" + b"\x00" * 7 + b"\x02"
        + b"\xff\xff\xff\xff"
        + b"\x00\x00\x00\x01" + b"\x01"
        + b"\x00\x00\x00\x02" + b"ab"
        + b"\xff\xff\xff\xff"
    )  # fmt: skip
    assert data[19:] == body + b"\xff\xff"


@pytest.mark.parametrize("distinct_lengths", [3, 200])  # exact lengths; powers of two
def test_repeated_columns_bound_once_per_run(
    engine: Engine, distinct_lengths: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs of equal (i4, code) rows — a long one cut into full statements, many lengths cut
    into powers of two — store the same rows as the ORM, in any slicing of the rows."""
    monkeypatch.setattr(fastwrite, "_ROWS_AT_ONCE", 5_000)
    _meta.create_all(engine)
    rng = np.random.default_rng(distinct_lengths)
    lengths = [9_001, *rng.integers(1, distinct_lengths + 1, 300).tolist()]
    frame = _frame(sum(lengths))
    run = np.repeat(np.arange(len(lengths)), lengths)
    frame["i4"] = pd.array(run, dtype="Int64")
    frame["code"] = pd.Categorical(np.array([f"U{r % 37:03d}" for r in range(len(lengths))])[run])
    if engine.dialect.name == "sqlite":
        starts, sizes = fastwrite._pieces(
            [fastwrite._Bindable(frame["i4"]), fastwrite._Bindable(frame["code"])],
            len(frame),
            4000,
        )
        assert sizes.sum() == len(frame)
        assert (starts[1:] == starts[:-1] + sizes[:-1]).all()  # contiguous, in row order
        assert len(np.unique(sizes)) <= 64 + 1
    with engine.begin() as conn:
        append_rows(conn, _kinds, frame, repeat=("i4", "code"))
    fast = _stored(engine, _kinds)
    assert fast == _orm_stored(engine, frame)
