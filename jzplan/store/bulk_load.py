"""Loading a bulk file: many units' submissions at COPY speed, with the normal guarantees.

One transaction per file (the caller's, when ``bind`` is a Connection in one):

- a byte-identical file (same sha256) is a duplicate and changes nothing;
- each (unit, period) of the file is one ``submission`` row pointing at the ``bulk_file`` row;
  a unit with a row that failed an error rule is rejected (its submission row carries the
  located messages), the others are loaded — one office's typo does not hold up 40,000 units;
- a unit whose figures equal its current ones is *unchanged*: nothing is written for it, so
  loading the same month again (in a new file) touches no row;
- a unit with new or changed figures gets a new accepted submission (version n + 1), its
  previous one becomes superseded, and its figures are written with PostgreSQL binary
  ``COPY`` or SQLite multi-row ``INSERT`` (``jzplan.store.fastwrite``) — never row by row
  through the ORM;
- any failure rolls the whole file back: nothing already loaded is damaged.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg.abc import Buffer
from psycopg.adapt import Loader
from sqlalchemy import Connection, Select, String, Table, func, insert, select, text, update

from jzplan.core.submissions import SubmissionIssue
from jzplan.store.db import Bind, transaction
from jzplan.store.fastwrite import append_rows
from jzplan.store.models import (
    BulkFileRow,
    ObservationRow,
    OrgUnitRow,
    SubmissionRow,
    ValidationResultRow,
)

_bulk: Table = BulkFileRow.__table__  # type: ignore[assignment]
_submission: Table = SubmissionRow.__table__  # type: ignore[assignment]
_observation: Table = ObservationRow.__table__  # type: ignore[assignment]
_result: Table = ValidationResultRow.__table__  # type: ignore[assignment]
_org_unit: Table = OrgUnitRow.__table__  # type: ignore[assignment]

# The observation columns a load writes (the table's own, without any key it generates)
OBSERVATION_COPY_COLUMNS: tuple[str, ...] = (
    "submission_id",
    "org_unit_code",
    "period",
    "indicator_code",
    "value",
    "value_month",
    "source_row",
)
_KEYS = ["org_unit", "period"]
_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_MAX_MESSAGES = 20  # per rejected unit, in its submission row's message
_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class BulkLoad:
    """What loading one bulk file did."""

    bulk_file_id: int
    status: str  # accepted | partial | rejected | duplicate
    rows: int = 0
    units: int = 0  # (unit, period) pairs in the file
    loaded: int = 0  # new or changed: a new accepted submission each
    unchanged: int = 0
    rejected: int = 0
    inserted: int = 0  # figures written
    superseded: int = 0  # earlier submissions no longer current
    periods: tuple[str, ...] = ()


def unit_sha(file_sha: str, org_unit: str, period: str) -> str:
    """The sha256 key of one unit's submission inside a bulk file."""
    return hashlib.sha256(f"{file_sha}:{org_unit}:{period}".encode()).hexdigest()


def find_bulk_file(bind: Bind, sha256: str) -> int | None:
    with transaction(bind) as conn:
        found = conn.scalar(select(_bulk.c.id).where(_bulk.c.sha256 == sha256))
    return None if found is None else int(found)


# --- fast reads and writes --------------------------------------------------------------------


def read_frame(conn: Connection, query: Select[Any], columns: Sequence[str]) -> pd.DataFrame:
    """A query's rows as a frame: PostgreSQL ``COPY (...) TO STDOUT`` read by pyarrow, SQLite
    ``fetchall``: millions of rows in seconds where Row objects would take tens of seconds."""
    if conn.dialect.name == "postgresql":
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        buf = io.BytesIO()
        raw: Any = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as cp:
            while data := cp.read():
                buf.write(data)
        if not buf.tell():
            return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
        buf.seek(0)
        # text columns stay text (a unit code 110101003 is not a number), by the query's types
        text = {
            name: pa.string()
            for name, col in zip(columns, query.selected_columns, strict=True)
            if isinstance(col.type, String)
        }
        table = pacsv.read_csv(
            buf,
            read_options=pacsv.ReadOptions(column_names=list(columns)),
            convert_options=pacsv.ConvertOptions(column_types=text, strings_can_be_null=True),
        )
        out: pd.DataFrame = table.to_pandas()
        return out
    # the DBAPI cursor's plain tuples: SQLAlchemy Row objects cost ~10 µs each
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    raw_conn: Any = conn.connection.driver_connection
    cursor = raw_conn.cursor()
    try:
        rows = cursor.execute(sql).fetchall()
    finally:
        cursor.close()
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    return pd.DataFrame(dict(zip(columns, map(list, zip(*rows, strict=True)), strict=True)))


class _Float8ArrayLoader(Loader):
    """PostgreSQL's binary float8[] (no NULLs) straight into numpy: 4 million values without
    4 million Python floats."""

    format = psycopg.pq.Format.BINARY

    def load(self, data: Buffer) -> np.ndarray:
        view = memoryview(data)
        if int.from_bytes(view[0:4], "big") == 0:  # no dimension: an empty array
            return np.zeros(0)
        if int.from_bytes(view[4:8], "big"):
            raise ValueError("float8[] with NULLs")
        n = int.from_bytes(view[12:16], "big")
        record = np.dtype([("length", ">i4"), ("value", ">f8")])
        return np.frombuffer(view[20:], dtype=record, count=n)["value"].astype(np.float64)


_FLOAT8_ARRAY_OID = 1022
_SEP = "\x1f"  # joins codes on the server; never part of a catalog code


def read_values(conn: Connection, query: Select[Any]) -> pd.DataFrame:
    """``query``'s rows (two text columns, then one non-null float) as a frame with columns
    org_unit, indicator, value.

    On PostgreSQL the server packs them into two joined strings and one binary float array
    (a single row): 4 million figures arrive in seconds, where reading them row by row (COPY
    or a cursor) costs several microseconds of Python each. Elsewhere: ``read_frame``.
    The three aggregates read their rows in one pass, in the same order.
    """
    columns = ["org_unit", "indicator", "value"]
    if conn.dialect.name != "postgresql":
        return read_frame(conn, query, columns)
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    a, b, c = (f"q.{col.name}" for col in query.selected_columns)
    packed = (
        f"SELECT string_agg({a}, chr(31)), string_agg({b}, chr(31)), array_agg({c}) "
        f"FROM ({sql}) AS q"
    )
    raw: Any = conn.connection.driver_connection
    with raw.cursor(binary=True) as cur:
        cur.adapters.register_loader(_FLOAT8_ARRAY_OID, _Float8ArrayLoader)
        cur.execute(packed)
        units, indicators, values = cur.fetchone()
    if units is None:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in columns[:2]} | {"value": []})
    str_type = {pa.string(): pd.StringDtype("pyarrow", na_value=np.nan)}.get
    return pd.DataFrame(
        {
            "org_unit": pa.array(units.split(_SEP)).to_pandas(types_mapper=str_type),
            "indicator": pa.array(indicators.split(_SEP)).to_pandas(types_mapper=str_type),
            "value": values,
        }
    )


def copy_rows(
    conn: Connection, table: Table, frame: pd.DataFrame, *, repeat: Sequence[str] = ()
) -> int:
    """Append ``frame`` (columns named as the table's) in the connection's transaction:
    PostgreSQL binary ``COPY FROM STDIN``, SQLite multi-row ``INSERT`` (``fastwrite``);
    ``repeat``: columns constant over runs of rows, bound once per run in SQLite."""
    return append_rows(conn, table, frame, repeat=repeat)


# --- the load ---------------------------------------------------------------------------------


def same_floats(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise equality as stored: floats compare exactly, NaN (NULL) equals NaN."""
    return np.asarray((a == b) | (np.isnan(a) & np.isnan(b)), dtype=bool)


def _changed_pairs(new: pd.DataFrame, old: pd.DataFrame) -> pd.Series:
    """Per (org_unit, period) of ``new``: True when its figures differ from ``old``'s (an
    indicator added or dropped, a value or monthly value changed; NaN equals NaN)."""
    keys = [*_KEYS, "indicator"]
    merged = new[[*keys, "value", "value_month"]].merge(
        old[[*keys, "value", "value_month"]], on=keys, how="outer", suffixes=("", "_old"),
        indicator=True,
    )  # fmt: skip
    differs = (merged["_merge"] != "both").to_numpy().copy()
    for col in ("value", "value_month"):
        a = merged[col].to_numpy(np.float64)
        b = merged[f"{col}_old"].to_numpy(np.float64)
        differs |= ~same_floats(a, b)
    merged["differs"] = differs
    flags = merged.groupby(_KEYS, sort=False)["differs"].any()
    pairs = pd.MultiIndex.from_frame(new[_KEYS].drop_duplicates())
    return flags.reindex(pairs, fill_value=True)


def _issue_text(issues: Sequence[SubmissionIssue], failed_rows: int) -> str:
    lines = [str(i) for i in issues[:_MAX_MESSAGES]]
    if failed_rows > len(lines):
        lines.append(f"本单位共有 {failed_rows} 行未通过校验（以上列出前 {len(lines)} 条）")
    return "\n".join(lines)


def load_bulk(
    bind: Bind,
    *,
    sha256: str,
    file_name: str,
    archive_path: str,
    arrival_period: str,
    received_at: datetime,
    frame: pd.DataFrame,
    error_rows: np.ndarray,
    issues: Sequence[SubmissionIssue] = (),
    file_rejected: bool = False,
    results: Sequence[Mapping[str, Any]] = (),
    size_bytes: int | None = None,
    source_path: str | None = None,
    file_format: str | None = None,
) -> BulkLoad:
    """Record and load one bulk file (see the module docstring).

    ``frame`` is the parsed file (``OBSERVATION_COLUMNS``, one row per figure, positions as
    ``error_rows`` index them); ``error_rows``: positions of rows that failed an error rule —
    their units are rejected; ``issues``: located messages (capped per rule by the
    validator); ``file_rejected``: an error without a row (unreadable, a column missing, an
    empty file) rejects every unit; ``results``: the file's rule results, kept on the
    ``bulk_file`` row.
    """
    frame = frame.reset_index(drop=True)
    with transaction(bind) as conn:
        found = conn.scalar(select(_bulk.c.id).where(_bulk.c.sha256 == sha256))
        if found is not None:
            return BulkLoad(int(found), "duplicate")
        keys = _Pairs.of(frame)
        periods = tuple(sorted(str(p) for p in keys.period_uniques if isinstance(p, str)))
        bulk_id = int(
            conn.scalar(
                insert(_bulk)
                .values(
                    sha256=sha256,
                    file_name=file_name,
                    archive_path=archive_path,
                    arrival_period=arrival_period,
                    received_at=received_at,
                    period=periods[0] if len(periods) == 1 else None,
                    size_bytes=size_bytes,
                    source_path=source_path,
                    file_format=file_format,
                    status="received",
                    rows=len(frame),
                    units=len(keys),
                    units_loaded=0,
                    units_unchanged=0,
                    units_rejected=0,
                    error_count=0,
                    details=[dict(r) for r in results],
                )
                .returning(_bulk.c.id)
            )
        )
        errors = [i for i in issues if i.severity == "error"]

        # which (unit, period) pairs are rejected: a row failed a rule, or the unit or the
        # period is not one the store knows
        bad = np.zeros(len(frame), dtype=bool)
        bad[np.asarray(error_rows, dtype=np.int64)] = True
        codes = _org_unit_codes(conn)
        unit_known = np.array([isinstance(u, str) and u in codes for u in keys.unit_uniques]
                              + [False])  # fmt: skip
        period_ok = np.array(
            [isinstance(p, str) and _PERIOD.fullmatch(p) is not None for p in keys.period_uniques]
            + [False]
        )
        bad |= ~unit_known[keys.unit_codes] | ~period_ok[keys.period_codes]
        bad_pair = np.zeros(len(keys), dtype=bool)
        if file_rejected:
            bad_pair[:] = True
        else:
            bad_pair[keys.pair_codes[bad]] = True
        pair_units, pair_periods = keys.pair_units(), keys.pair_periods()
        status_rows = [
            (u, p) for u, p, rejected in zip(pair_units, pair_periods, bad_pair, strict=True)
            if rejected and u in codes and isinstance(p, str) and len(p) == 7
        ]  # fmt: skip

        # the accepted pairs: compare with the current figures of their units
        good_pair = ~bad_pair
        good_units = {u for u, ok in zip(pair_units, good_pair, strict=True) if ok}
        current = _current(conn, periods, good_units)
        if not good_pair.any():
            changed = np.zeros(len(keys), dtype=bool)
        elif current.empty:  # nothing current yet (a first load): every unit is new
            changed = good_pair.copy()
        else:
            good = frame[good_pair[keys.pair_codes]]
            flags = _changed_pairs(good, current)
            index = pd.MultiIndex.from_arrays([pair_units, pair_periods])
            changed = flags.reindex(index, fill_value=False).to_numpy(bool) & good_pair
        loading = np.flatnonzero(changed)
        to_load = [(pair_units[i], pair_periods[i]) for i in loading]
        unchanged = int(good_pair.sum()) - len(to_load)

        # supersede the current submissions of the changed pairs, then record the new ones
        old_ids = (
            current.set_index(_KEYS)["submission_id"].groupby(level=[0, 1]).first()
            if not current.empty
            else pd.Series(dtype="int64")
        )
        superseded = (
            [int(old_ids.loc[k]) for k in to_load if k in old_ids.index] if len(old_ids) else []
        )
        for start in range(0, len(superseded), _CHUNK):
            conn.execute(
                update(_submission)
                .where(_submission.c.id.in_(superseded[start : start + _CHUNK]))
                .values(status="superseded")
            )
        versions = _versions(conn, periods)
        by_pair = _issues_by_pair(frame, keys, errors, status_rows)
        failed = np.bincount(keys.pair_codes[bad], minlength=len(keys)) if status_rows else None
        failed_rows = (
            {(pair_units[i], pair_periods[i]): int(failed[i]) for i in np.flatnonzero(failed)}
            if failed is not None
            else {}
        )
        pairs_in_order = to_load + status_rows
        n_loaded = len(to_load)
        counts = [failed_rows.get(k, 0) for k in status_rows]
        new_rows = pd.DataFrame(
            {
                "sha256": [unit_sha(sha256, u, p) for u, p in pairs_in_order],
                "file_name": file_name,
                "archive_path": archive_path,
                "org_unit_code": [u for u, _ in pairs_in_order],
                "period": [p for _, p in pairs_in_order],
                "arrival_period": arrival_period,
                "filed_on": None,
                "received_at": received_at,
                "status": ["accepted"] * n_loaded + ["rejected"] * len(status_rows),
                "version": [versions.get(k, 0) + 1 for k in to_load] + [1] * len(status_rows),
                "error_count": [0] * n_loaded + counts,
                "message": [None] * n_loaded
                + [
                    _issue_text(by_pair.get(k, []), n)
                    for k, n in zip(status_rows, counts, strict=True)
                ],
                "size_bytes": None,
                "source_path": source_path,
                "file_format": file_format,
                "bulk_file_id": bulk_id,
            },
            index=pd.RangeIndex(len(pairs_in_order)),
        )
        ids = _insert_returning(conn, new_rows)

        # the figures of the loaded pairs, text columns as codes into their distinct values
        inserted = 0
        if to_load:
            pair_sid = np.zeros(len(keys), dtype=np.int64)
            pair_sid[loading] = ids[: len(to_load)]
            row_sid = pair_sid[keys.pair_codes]
            rows = np.flatnonzero(row_sid)
            if np.count_nonzero(np.diff(row_sid[rows])) + 1 > len(loading):
                # a unit's rows apart in the file: together, one run per submission
                rows = rows[np.argsort(row_sid[rows], kind="stable")]
            indicator_codes, indicator_uniques = pd.factorize(frame["indicator"])
            out = pd.DataFrame(
                {
                    "submission_id": row_sid[rows],
                    "org_unit_code": keys.categorical("unit", rows),
                    "period": keys.categorical("period", rows),
                    "indicator_code": pd.Categorical.from_codes(
                        indicator_codes[rows], categories=pd.Index(indicator_uniques)
                    ),
                    "value": frame["value"].to_numpy(np.float64)[rows],
                    "value_month": frame["value_month"].to_numpy(np.float64)[rows],
                    "source_row": frame["row"].to_numpy(np.int64)[rows],
                }
            )
            inserted = copy_rows(
                conn,
                _observation,
                out[list(OBSERVATION_COPY_COLUMNS)],
                repeat=("submission_id", "org_unit_code", "period"),
            )

        # each rejected unit's failed rules, as a rejected township form has them
        result_rows: list[dict[str, Any]] = []
        for sid, (u, p) in zip(ids[len(to_load) :], status_rows, strict=True):
            by_rule: dict[str, list[SubmissionIssue]] = {}
            for issue in by_pair.get((u, p), []):
                by_rule.setdefault(issue.rule or issue.code, []).append(issue)
            for rule, group in by_rule.items():
                result_rows.append(
                    {"submission_id": sid, "rule": rule, "severity": "error", "success": False,
                     "checked": len(group), "failed": len(group),
                     "details": [{"file": i.file, "sheet": i.sheet, "row": i.row,
                                  "column": i.column, "message": i.message} for i in group]}
                )  # fmt: skip
        if result_rows:
            conn.execute(insert(_result), result_rows)

        n_rejected = int(bad_pair.sum())
        status = (
            "rejected" if not to_load and not unchanged
            else "partial" if n_rejected else "accepted"
        )  # fmt: skip
        summary = [str(i) for i in errors[:_MAX_MESSAGES]]
        if n_rejected:
            summary.insert(0, f"{n_rejected} 个单位的数据未通过校验，已退回；其余单位已入库")
        conn.execute(
            update(_bulk)
            .where(_bulk.c.id == bulk_id)
            .values(
                status=status,
                units_loaded=len(to_load),
                units_unchanged=unchanged,
                units_rejected=n_rejected,
                error_count=int(bad.sum()) or len(errors),
                message="\n".join(summary) or None,
            )
        )
        return BulkLoad(
            bulk_id, status, len(frame), len(keys), len(to_load), unchanged, n_rejected,
            inserted, len(superseded), periods,
        )  # fmt: skip


def _current(conn: Connection, periods: Sequence[str], units: set[str]) -> pd.DataFrame:
    """The current (accepted) figures of ``periods``, restricted to ``units``."""
    columns = [*_KEYS, "indicator", "value", "value_month", "submission_id"]
    if not periods or not units:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    query = (
        select(
            _observation.c.org_unit_code, _observation.c.period, _observation.c.indicator_code,
            _observation.c.value, _observation.c.value_month, _observation.c.submission_id,
        )
        .join(_submission, _submission.c.id == _observation.c.submission_id)
        .where(_submission.c.status == "accepted", _observation.c.period.in_(list(periods)))
    )  # fmt: skip
    frame = read_frame(conn, query, columns)
    frame = frame[frame["org_unit"].isin(units)]
    return frame.astype({"value": "float64", "value_month": "float64"})


def _versions(conn: Connection, periods: Sequence[str]) -> dict[tuple[str, str], int]:
    """Accepted and superseded submissions so far per (unit, period)."""
    if not periods:
        return {}
    query = (
        select(_submission.c.org_unit_code, _submission.c.period, func.count())
        .where(
            _submission.c.period.in_(list(periods)),
            _submission.c.status.in_(("accepted", "superseded")),
        )
        .group_by(_submission.c.org_unit_code, _submission.c.period)
    )
    return {(str(u), str(p)): int(n) for u, p, n in conn.execute(query)}


def _insert_returning(conn: Connection, rows: pd.DataFrame) -> list[int]:
    """Insert submission rows, their new ids in the order given.

    The ids are a block after the largest id (the table locked by this transaction; on
    PostgreSQL the sequence is then moved past the block) and go in with the rows: RETURNING
    through insertmanyvalues cost 22 s for 40,000 rows, nextval per row 5 s."""
    if rows.empty:
        return []
    if conn.dialect.name == "postgresql":
        # a block of ids after the largest, the table locked against other writers until the
        # transaction ends; the sequence is moved past it
        conn.execute(text("LOCK TABLE submission IN SHARE ROW EXCLUSIVE MODE"))
    start = int(conn.scalar(select(func.coalesce(func.max(_submission.c.id), 0))) or 0)
    ids = list(range(start + 1, start + 1 + len(rows)))
    # 40,000 rows: binary COPY / multi-row INSERT in ~0.5 s, where the ORM's insert took 3–7 s
    append_rows(conn, _submission, rows.assign(id=ids))
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT setval(pg_get_serial_sequence('submission', 'id'), :last)"),
            {"last": ids[-1]},
        )
    return ids


def _org_unit_codes(conn: Connection) -> set[str]:
    """Every unit code the store knows (through the DBAPI cursor: 43,000 SQLAlchemy rows
    cost 0.4 s)."""
    raw: Any = conn.connection.driver_connection
    cur = raw.cursor()
    try:
        cur.execute("SELECT code FROM org_unit")
        return {str(code) for (code,) in cur.fetchall()}
    finally:
        cur.close()


def _issues_by_pair(
    frame: pd.DataFrame,
    keys: _Pairs,
    issues: Sequence[SubmissionIssue],
    pairs: Sequence[tuple[str, str]],
) -> dict[tuple[str, str], list[SubmissionIssue]]:
    """Located issues by the (unit, period) of the row they name (rows are file lines)."""
    located = [i for i in issues if i.row is not None]
    if not located or not pairs:
        return {}
    lines = pd.Index(frame["row"].to_numpy(np.int64))
    positions = lines.get_indexer([int(i.row) for i in located if i.row is not None])
    units, periods = keys.pair_units(), keys.pair_periods()
    out: dict[tuple[str, str], list[SubmissionIssue]] = {}
    for issue, pos in zip(located, positions, strict=True):
        if pos < 0:
            continue
        pair = int(keys.pair_codes[pos])
        out.setdefault((str(units[pair]), str(periods[pair])), []).append(issue)
    return out


@dataclass(frozen=True, slots=True)
class _Pairs:
    """The file's (unit, period) pairs, in order of first appearance, and each row's pair:
    factorized once, so the load never compares or copies 4 million strings."""

    unit_codes: np.ndarray  # per row, -1 for a missing unit
    unit_uniques: list[Any]
    period_codes: np.ndarray
    period_uniques: list[Any]
    pair_codes: np.ndarray  # per row
    pair_keys: np.ndarray  # per pair: (unit code + 1) * (periods + 1) + period code + 1

    @classmethod
    def of(cls, frame: pd.DataFrame) -> _Pairs:
        unit_codes, unit_uniques = pd.factorize(frame["org_unit"])
        period_codes, period_uniques = pd.factorize(frame["period"])
        key = (unit_codes.astype(np.int64) + 1) * (len(period_uniques) + 1) + period_codes + 1
        pair_codes, pair_keys = pd.factorize(key)
        return cls(
            unit_codes, list(unit_uniques), period_codes, list(period_uniques),
            pair_codes, np.asarray(pair_keys, dtype=np.int64),
        )  # fmt: skip

    def __len__(self) -> int:
        return len(self.pair_keys)

    def pair_units(self) -> list[Any]:
        lookup = [*self.unit_uniques, None]  # code -1 (missing) → None
        return [lookup[int(k)] for k in self.pair_keys // (len(self.period_uniques) + 1) - 1]

    def pair_periods(self) -> list[Any]:
        lookup = [*self.period_uniques, None]
        return [lookup[int(k)] for k in self.pair_keys % (len(self.period_uniques) + 1) - 1]

    def categorical(self, column: str, rows: np.ndarray) -> pd.Categorical:
        """The unit or period of ``rows`` as a categorical (no string copied)."""
        codes, uniques = (
            (self.unit_codes, self.unit_uniques)
            if column == "unit"
            else (self.period_codes, self.period_uniques)
        )
        return pd.Categorical.from_codes(codes[rows], categories=pd.Index(uniques))
