"""Bulk submissions: one CSV or Parquet file holding many units' monthly figures.

A provincial statistics bureau sends one file a month for all its units, in long format, one
row per (unit, indicator)::

    单位代码,报告期,指标代码,本期累计,本月,计量单位
    P01C01K01T0001,2013-06,ind_output,1234.5,210.3,万元

(English headers ``unit_code, period, indicator, value, value_month, unit`` are accepted too;
本月 and 计量单位 are optional.) Files are read with pyarrow (UTF-8 or GBK/GB18030 CSV, or
Parquet) into the same long frame a township's Excel form parses into
(``jzplan.core.submissions.OBSERVATION_COLUMNS``), so the same suites validate it and the same store
loads it. A figure in another unit of the same dimension (元 for 万元) is converted to the
indicator's canonical unit; an unconvertible unit is kept as written and rejected by the
suite's unit rule. Each row keeps its line number, so every error names file, row and column.
"""

from __future__ import annotations

import codecs
import io
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from jzplan.core.limits import DEFAULT_LIMITS, Limits, mib
from jzplan.core.periods import Period
from jzplan.core.submissions import (
    OBSERVATION_COLUMNS,
    Coded,
    ParsedSubmission,
    SubmissionIssue,
)
from jzplan.ingest.readers import TEXT_ENCODINGS
from jzplan.reference.catalog import Catalog, UnitError, convert

PARQUET_MAGIC = b"PAR1"
BULK_SUFFIXES: tuple[str, ...] = (".csv", ".parquet")

# column -> accepted headers (normalised: stripped, lower case)
HEADERS: dict[str, tuple[str, ...]] = {
    "org_unit": ("单位代码", "unit_code", "org_unit"),
    "period": ("报告期", "period"),
    "indicator": ("指标代码", "indicator", "indicator_code"),
    "value": ("本期累计", "累计", "数值", "value"),
    "value_month": ("本月", "value_month"),
    "raw_unit": ("计量单位", "unit"),
}
REQUIRED: tuple[str, ...] = ("org_unit", "period", "indicator", "value")
# every spelling of the text columns' headers, as written (the CSV reader matches them exactly)
_TEXT_HEADERS: tuple[str, ...] = tuple(
    spelling
    for column in ("org_unit", "period", "indicator", "raw_unit")
    for name in HEADERS[column]
    for spelling in (name, name.upper(), name.title())
)
_TEXT_KEYS = frozenset(
    n for c in ("org_unit", "period", "indicator", "raw_unit") for n in HEADERS[c]
)
LABELS: dict[str, str] = {
    "org_unit": "单位代码",
    "period": "报告期",
    "indicator": "指标代码",
    "value": "本期累计",
    "value_month": "本月",
    "raw_unit": "计量单位",
}


class BulkFormatError(ValueError):
    """The file as a whole cannot be read as a bulk submission (code + Chinese message)."""

    def __init__(self, code: str, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.column = column


def _header_key(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip().lower()


def _first_line(data: bytes) -> str | None:
    head = data[:4096].split(b"\n", 1)[0]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return head.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def is_bulk(data: bytes, suffix: str) -> bool:
    """A Parquet file, or a CSV whose header names the unit-code and indicator-code columns."""
    if data.startswith(PARQUET_MAGIC) or suffix.lower() == ".parquet":
        return True
    if suffix.lower() != ".csv":
        return False
    line = _first_line(data)
    if line is None:
        return False
    names = {_header_key(h) for h in line.strip().split(",")}
    return bool(names & set(HEADERS["org_unit"])) and bool(names & set(HEADERS["indicator"]))


def _columns(names: list[str]) -> dict[str, str]:
    """Our column -> the file's header, for the headers recognised."""
    found: dict[str, str] = {}
    for name in names:
        key = _header_key(name)
        for column, accepted in HEADERS.items():
            if key in accepted and column not in found:
                found[column] = name
    missing = [LABELS[c] for c in REQUIRED if c not in found]
    if missing:
        raise BulkFormatError(
            "bulk_missing_column",
            f"缺少必需的列：{'、'.join(missing)}（表头应为 单位代码,报告期,指标代码,本期累计）",
        )
    return found


def _read_table(data: bytes, suffix: str) -> pa.Table:
    if data.startswith(PARQUET_MAGIC):
        # imported for a Parquet file only: with pyarrow.fs and its S3 module, 40-80 ms of
        # every run's start and of its validation helper's, for a month of spreadsheets
        import pyarrow.parquet as pq

        try:
            schema = pq.read_schema(io.BytesIO(data))
            text = [
                name
                for name, kind in zip(schema.names, schema.types, strict=True)
                if _header_key(name) in _TEXT_KEYS and pa.types.is_string(kind)
            ]
            # the code columns as the file's dictionaries: their text is decoded once per
            # distinct value, not per row
            return pq.read_table(io.BytesIO(data), read_dictionary=text)
        except (pa.ArrowException, OSError) as exc:
            raise BulkFormatError("unreadable_file", f"Parquet 文件无法读取：{exc}") from None
    if suffix.lower() == ".parquet":
        raise BulkFormatError("unreadable_file", "文件扩展名是 .parquet，但内容不是 Parquet 格式")
    last: Exception | None = None
    for encoding in TEXT_ENCODINGS:
        # pyarrow decodes "utf8" natively; any other name goes through Python's codecs
        encoding = "utf8" if codecs.lookup(encoding).name == "utf-8" else encoding
        try:
            # every column as text: numbers are parsed below, so a bad cell is located, not
            # a reason to give up on the file
            table = pacsv.read_csv(
                io.BytesIO(data),
                read_options=pacsv.ReadOptions(encoding=encoding, block_size=1 << 22),
                convert_options=pacsv.ConvertOptions(
                    # codes stay text: 010203 is not the number 10203
                    column_types={h: pa.string() for h in _TEXT_HEADERS},
                    strings_can_be_null=True,
                    auto_dict_encode=False,
                ),
                parse_options=pacsv.ParseOptions(newlines_in_values=False),
            )
            table.column_names  # noqa: B018  (header bytes are only decoded here)
            return table
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            last = exc
    raise BulkFormatError("unreadable_file", f"CSV 文件无法读取（UTF-8 或 GBK）：{last}")


_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' "str" dtype


def coded(parsed: ParsedSubmission, column: str) -> Coded | None:
    """The codes ``read_bulk`` made of this text column of the parsed frame (the org_unit,
    period, indicator and unit columns) while reading the file, if the column still holds
    what was read; else None (then ``pd.factorize`` it): the validation need not factorize
    each of them again (bench/RESULTS.md has the cost on a national month)."""
    found = parsed.coded.get(column)
    series = parsed.frame[column]
    if found is None or not (
        isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow"
    ):
        return None
    # Arrow arrays are immutable: a column changed since holds other Arrow data
    data = series.array.__arrow_array__()  # the column's own Arrow array, not a copy
    return found[1] if found[0] is data else None


def _remember(parsed: ParsedSubmission, column: str, codes: Coded) -> None:
    parsed.coded[column] = (parsed.frame[column].array.__arrow_array__(), codes)


def _as_str(array: pa.Array | pa.ChunkedArray) -> pd.Series:
    """An Arrow string array as a pandas "str" Series, without a per-value copy."""
    return pd.Series(array.to_pandas(types_mapper={pa.string(): _STR}.get))


def _coded(column: pa.ChunkedArray) -> tuple[pd.Series, Coded]:
    """A code column as trimmed text, and its codes: the distinct values are trimmed and
    factorized (tens of thousands at most), each row takes its value's code. Written
    without stray spaces (the usual case), the column itself is the text, not a copy.
    A Parquet file's text column comes dictionary-encoded as the file stores it."""
    chunks, positions = _dictionary_of(column, as_read=True)
    if chunks is None or positions is None:
        column = column.cast(pa.string())  # a Parquet file's column, of whatever type
        chunks, positions = _dictionary_of(pa.compute.dictionary_encode(column), as_read=False)
        assert chunks is not None and positions is not None
    dictionary = chunks[0].dictionary if chunks else pa.array([], pa.string())
    trimmed = pa.compute.utf8_trim_whitespace(dictionary)
    codes, uniques = pd.factorize(_as_str(trimmed))
    if len(uniques) == len(dictionary) and trimmed.equals(dictionary):
        # distinct and trimmed as written: the codes are the dictionary's own indices
        rows = positions.astype(np.int32, copy=False)
        if pa.types.is_dictionary(column.type):
            column = pa.chunked_array(chunks, type=column.type).cast(pa.string())
        return _as_str(column), Coded(rows, pd.Index(uniques, dtype=_STR))
    # a row's dictionary index -> its code; a missing index (-1) takes the last slot: -1
    remap = np.append(codes, -1).astype(np.int32)
    rows = remap[positions]
    text = pa.DictionaryArray.from_arrays(
        pa.array(rows, type=pa.int32(), mask=rows < 0), pa.array(uniques, type=pa.string())
    ).cast(pa.string())
    return _as_str(text), Coded(rows, pd.Index(uniques, dtype=_STR))


def _dictionary_of(
    column: pa.ChunkedArray, *, as_read: bool
) -> tuple[list[pa.DictionaryArray], np.ndarray] | tuple[None, None]:
    """A dictionary-encoded text column's chunks, sharing one dictionary of the values its
    rows hold, and each row's index into it (-1: missing); (None, None) when ``column`` is
    not dictionary-encoded text, or (``as_read``: the file's own dictionary) its dictionary
    holds a value no row has (a Parquet writer's choice: the column is encoded afresh)."""
    kind = column.type
    if not (
        pa.types.is_dictionary(kind)
        and kind.value_type == pa.string()
        and pa.types.is_signed_integer(kind.index_type)
    ):
        return None, None
    chunks = column.chunks
    if any(not c.dictionary.equals(chunks[0].dictionary) for c in chunks[1:]):
        # Arrow's dictionary_encode gives every chunk the whole column's dictionary; a
        # Parquet file's row groups have their own (unify: 0.03 s for nothing when equal)
        chunks = column.unify_dictionaries().chunks
    indices = pa.chunked_array([c.indices for c in chunks], type=kind.index_type)
    if kind.index_type != pa.int32():
        indices = indices.cast(pa.int32())
    positions = pa.compute.fill_null(indices, -1).to_numpy(zero_copy_only=False)
    size = len(chunks[0].dictionary) if chunks else 0
    if as_read and size and np.bincount(positions + 1, minlength=size + 1)[1:].min() == 0:
        return None, None
    return chunks, positions


_PARALLEL_ROWS = 100_000


def _coded_columns(columns: list[pa.ChunkedArray]) -> list[tuple[pd.Series, Coded]]:
    """``_coded`` of each column; of a large file's, in threads (Arrow's hashing releases
    the GIL: a national month's four code columns take 0.14 s on two cores, not 0.25 s)."""
    if not columns or len(columns[0]) < _PARALLEL_ROWS or (os.cpu_count() or 1) < 2:
        return [_coded(column) for column in columns]
    with ThreadPoolExecutor(max_workers=min(len(columns), os.cpu_count() or 1)) as pool:
        return list(pool.map(_coded, columns))


def _constant(text: str, n: int) -> pd.Series:
    return _as_str(pa.repeat(pa.scalar(text, pa.string()), n))


def _numbers(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Values as float64 and a mask of cells that hold text that is not a number."""
    if pa.types.is_floating(column.type) or pa.types.is_integer(column.type):
        values = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
        return values, np.zeros(len(values), dtype=bool)
    text = pa.compute.utf8_trim_whitespace(column.cast(pa.string()))
    try:
        values = text.cast(pa.float64()).to_numpy(zero_copy_only=False)
        return values, np.zeros(len(values), dtype=bool)
    except pa.ArrowInvalid:
        pass
    series = pd.Series(text.to_pandas(types_mapper=pd.ArrowDtype)).astype("str")
    cleaned = series.str.replace(",", "", regex=False).str.replace("，", "", regex=False)
    numbers = pd.to_numeric(cleaned, errors="coerce").to_numpy(np.float64)
    bad = np.isnan(numbers) & series.notna().to_numpy() & (series.str.len() > 0).to_numpy()
    return numbers, bad


def read_bulk(
    path: Path,
    catalog: Catalog,
    *,
    data: bytes | None = None,
    arrival: Period | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ParsedSubmission:
    """Read a bulk CSV or Parquet file into a multi-unit ``ParsedSubmission`` (``bulk=True``,
    ``org_unit`` None, ``period`` the file's period when it has one). File-level problems
    (unreadable, a required column missing) are issues that reject the file; cells that are
    not numbers, or beyond ``limits.max_abs_value``, are located issues on their rows (the
    suites see NaN there); a file past ``limits.bulk_max_bytes`` is not parsed."""
    data = path.read_bytes() if data is None else data
    parsed = ParsedSubmission(path=path, sha256="", org_unit=None, period=None, bulk=True)
    try:
        if len(data) > limits.bulk_max_bytes:
            raise BulkFormatError(
                "file_too_large",
                f"文件大小 {mib(len(data))}，超过批量文件上限 {mib(limits.bulk_max_bytes)}"
                "（JZPLAN_LIMIT_BULK_BYTES）",
            )
        table = _read_table(data, path.suffix)
        found = _columns(table.column_names)
    except BulkFormatError as exc:
        parsed.issues.append(
            SubmissionIssue(code=exc.code, message=exc.message, file=path.name, rule=exc.code)
        )
        return parsed
    n = table.num_rows
    first_row = 1 if data.startswith(PARQUET_MAGIC) else 2  # a CSV's line 1 is its header
    codes: dict[str, Coded] = {}
    # the frame's columns, made into a frame once at the end (a column set on a frame of 4M
    # rows at a time costs 0.04 s more)
    frame: dict[str, pd.Series] = {}
    text: list[str] = [c for c in ("org_unit", "period", "indicator", "raw_unit") if c in found]
    for column, (series, column_codes) in zip(
        text, _coded_columns([table[found[c]] for c in text]), strict=True
    ):
        frame[column] = series
        codes[column] = column_codes
    for column in ("value", "value_month"):
        if column not in found:
            frame[column] = pd.Series(np.full(n, np.nan), copy=False)
            continue
        values, bad = _numbers(table[found[column]])
        header = found[column]
        _row_issues(parsed, bad, "not_a_number", f"“{header}”不是数字", header, first_row, limits)
        with np.errstate(invalid="ignore"):
            huge = np.abs(values) > limits.max_abs_value
        if huge.any():  # NaN: the row fails the suites' value rules too
            values = np.where(huge, np.nan, values)
        _row_issues(
            parsed, huge, "number_out_of_range",
            f"“{header}”绝对值超过上限 {limits.max_abs_value:.6g}（JZPLAN_LIMIT_ABS_VALUE）",
            header, first_row, limits,
        )  # fmt: skip
        frame[column] = pd.Series(values, copy=False)
    if "raw_unit" in found:
        raw_unit = codes.pop("raw_unit")
    else:
        frame["raw_unit"] = _as_str(pa.nulls(n, pa.string()))
        raw_unit = Coded(np.full(n, -1, dtype=np.int32), pd.Index([], dtype=_STR))
    codes["unit"] = _to_canonical(frame, catalog, codes["indicator"], raw_unit)
    frame["sheet"] = pd.Series(np.full(n, None, dtype=object), dtype=object, copy=False)
    frame["row"] = pd.Series(np.arange(first_row, first_row + n, dtype=np.int64), copy=False)
    frame["column"] = _constant(found["value"], n)
    parsed.frame = pd.DataFrame({c: frame[c] for c in OBSERVATION_COLUMNS}, copy=False)
    for column, found_codes in codes.items():
        _remember(parsed, column, found_codes)
    periods = codes["period"].uniques  # the column's distinct values, missing ones aside
    if len(periods) == 1:
        parsed.period = _period_or_none(str(periods[0]))
    elif len(periods) == 0 and arrival is not None:
        parsed.period = arrival
    return parsed


def _row_issues(
    parsed: ParsedSubmission,
    mask: np.ndarray,
    code: str,
    message: str,
    column: str,
    first_row: int,
    limits: Limits,
) -> None:
    """One located issue per row of ``mask`` for the first ``limits.bulk_max_issues``, the
    rest counted in one more issue (which names no row: it rejects the whole file)."""
    rows = np.flatnonzero(mask)
    cap = limits.bulk_max_issues
    for row in rows[:cap]:
        parsed.issues.append(
            SubmissionIssue(code=code, message=message, file=parsed.path.name,
                            row=int(row) + first_row, column=column, rule=code)
        )  # fmt: skip
    if len(rows) > cap:
        parsed.issues.append(
            SubmissionIssue(code=code, message=f"另有 {len(rows) - cap:,} 行：{message}",
                            file=parsed.path.name, column=column, rule=code)
        )  # fmt: skip


def _period_or_none(text: str) -> Period | None:
    """The file's one period; None when it is not a month (its rows fail the period rule)."""
    try:
        return Period.parse(text)
    except ValueError:
        return None


def _to_canonical(
    frame: dict[str, pd.Series], catalog: Catalog, indicator: Coded, raw_unit: Coded
) -> Coded:
    """Set ``unit`` (canonical where the written unit converts, else as written) and convert
    ``value`` and ``value_month``: one conversion per distinct (indicator, unit) pair, then
    applied to every row by position — no per-row Python, no per-pair scan of the frame.
    ``indicator`` and ``raw_unit``: those columns' codes; returns the codes of ``unit``."""
    inds = catalog.indicators
    ind_codes, ind_uniques = indicator.codes, indicator.uniques
    unit_codes, unit_uniques = raw_unit.codes, raw_unit.uniques  # -1: no unit written
    n_ind, n_unit = len(ind_uniques), len(unit_uniques)
    factor = np.ones((n_ind + 1, n_unit + 1))
    unit = np.full((n_ind + 1, n_unit + 1), None, dtype=object)
    for i, code in enumerate(ind_uniques):
        ind = inds.get(str(code))
        unit[i, 0] = ind.unit if ind else None
        for j, written in enumerate(unit_uniques, start=1):
            text = str(written)
            unit[i, j] = text
            if ind is None or not text:
                continue
            try:
                factor[i, j] = convert(1.0, text, ind.unit)
            except UnitError:
                continue  # kept as written: the suite's unit_mismatch rule rejects the rows
            unit[i, j] = ind.unit
    # each row's cell of the (indicator, unit) tables; a missing indicator (-1) takes the
    # spare last row, a missing unit (-1) the first column
    pair = np.where(ind_codes < 0, n_ind, ind_codes) * (n_unit + 1) + (unit_codes + 1)
    used = np.bincount(pair, minlength=factor.size).astype(bool)  # the cells rows take
    written = np.asarray([None, *(str(u) for u in unit_uniques)], dtype=object)
    as_written = (unit == written[np.newaxis, :]).ravel()
    as_written[:: n_unit + 1] = False  # no unit written
    if used.any() and as_written[used].all():
        # every row's unit as written (so none converted, none missing): that column
        frame["unit"] = frame["raw_unit"]
        return raw_unit
    # the rows' units as codes into the distinct units of the (indicator, unit) table
    pair_codes, units = pd.factorize(unit.ravel())
    codes = pair_codes.astype(np.int32)[pair]
    flat = pa.DictionaryArray.from_arrays(
        pa.array(codes, type=pa.int32(), mask=codes < 0), pa.array(units, type=pa.string())
    ).cast(pa.string())
    frame["unit"] = _as_str(flat)
    if (factor.ravel()[used] != 1.0).any():
        scale = factor.ravel()[pair]
        frame["value"] = pd.Series(frame["value"].to_numpy() * scale, copy=False)
        frame["value_month"] = pd.Series(frame["value_month"].to_numpy() * scale, copy=False)
    return Coded(codes, pd.Index(units, dtype=_STR))
