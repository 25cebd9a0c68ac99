"""Readers: a submitted file's bytes → sheets of cell values. No interpretation here.

The format is recognised by content, not by the name: offices rename .xlsx files to .xls
(and back) and export "Excel" files that are really delimited text. Text is decoded as
UTF-8 (with or without BOM) or GB18030 (a superset of GBK and GB2312), and a decoding only
counts when the form's own Chinese labels come out of it — so a wrong guess is reported as
an encoding problem, never loaded as mojibake.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from jzplan.core.limits import DEFAULT_LIMITS, MIB, Limits, mib
from jzplan.ingest import xlsx_plain

# Suffixes a submission may have; anything else is refused before reading.
# .parquet: bulk files only (jzplan.ingest.bulk), many units in one file
SUPPORTED_SUFFIXES: tuple[str, ...] = (".xlsx", ".xlsm", ".xls", ".csv", ".parquet")

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A password-protected xlsx is an OLE2 (CFB) container holding these two streams (MS-OFFCRYPTO)
_ENCRYPTED_STREAMS: tuple[str, ...] = ("EncryptionInfo", "EncryptedPackage")
ENCRYPTED_MESSAGE = "文件设置了打开密码（已加密），无法读取：请去掉密码后重新保存并报送"
# Labels every monthly form carries; a decoding that shows none of them is a wrong one.
FORM_LABELS: tuple[str, ...] = ("指标名称", "填报单位", "报告期", "计量单位", "累计", "月报")
# Tried in order after a BOM check; GB18030 decodes GBK and GB2312 files too.
TEXT_ENCODINGS: tuple[str, ...] = ("utf-8", "gb18030")
_DELIMITERS = (",", "\t", ";")


@dataclass(frozen=True, slots=True)
class SheetRows:
    """A sheet as rows of cell values (row 1 first), as a reader returns it."""

    name: str
    rows: list[list[object]]


class ReadError(ValueError):
    """The file cannot be turned into sheets; ``code`` is stable, ``message`` Chinese."""

    code = "unreadable_file"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnsupportedFormatError(ReadError):
    code = "unsupported_format"


class EmptyFileError(ReadError):
    code = "empty_file"


class EncodingError(ReadError):
    code = "bad_encoding"


class MacroError(ReadError):
    """A workbook that carries VBA macros (``vbaProject.bin``): never run here, but not
    taken either: macro workbooks are how malware travels between offices."""

    code = "macro_workbook"


class LimitError(ReadError):
    """The file goes past one of its ``Limits``: ``code`` names the limit, the message says
    the limit and the value; ``sheet`` and ``row`` locate it where known."""

    def __init__(
        self, code: str, message: str, *, sheet: str | None = None, row: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.sheet = sheet
        self.row = row


class EncryptedFileError(ReadError):
    code = "encrypted_file"


@dataclass(frozen=True, slots=True)
class Workbook:
    """What a reader made of a file: its format (xlsx|xls|csv), text encoding, sheets."""

    format: str
    sheets: list[SheetRows]
    encoding: str | None = None


# openpyxl and xlrd are imported where a workbook is read, not with this module: the
# validation helper (jzplan.validate.docs_helper) imports it through the suites' columns
# (jzplan.ingest.bulk) and never reads a workbook; openpyxl was 0.13-0.14 s of the helper's
# start, on the way to a cold run's first validation (2026-12-07).
_LAZY_READERS = ("openpyxl", "xlrd")


def detect_format(data: bytes, suffix: str) -> str:
    """``xlsx``, ``xls``, ``parquet`` or ``csv`` from the bytes (the suffix only decides for
    text)."""
    suffix = suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFormatError(
            f"暂不支持“{suffix or '无扩展名'}”格式，请报送 .xlsx、.xls 或 .csv 文件"
        )
    if not data or data.isspace():  # no stripped copy of a large file
        raise EmptyFileError("文件是空的（0 字节或只有空白）")
    if data.startswith(_ZIP_MAGIC):
        return "xlsx"
    if data.startswith(_OLE2_MAGIC):
        if all(has_cfb_entry(data, name) for name in _ENCRYPTED_STREAMS):
            raise EncryptedFileError(ENCRYPTED_MESSAGE)
        return "xls"
    if data.startswith(b"PAR1"):
        return "parquet"
    return "csv"


def has_cfb_entry(data: bytes, name: str) -> bool:
    """Whether an OLE2 (CFB) file has a directory entry ``name``: entries are 128 bytes,
    aligned on 128 in the file, the name in UTF-16LE followed at byte 64 by its length in bytes
    (with the terminating NUL)."""
    wanted = name.encode("utf-16-le") + b"\0\0"
    size = len(wanted).to_bytes(2, "little")
    at = data.find(wanted)
    while at != -1:
        if at % 128 == 0 and data[at + 64 : at + 66] == size:
            return True
        at = data.find(wanted, at + 1)
    return False


def read_workbook(data: bytes, suffix: str, limits: Limits = DEFAULT_LIMITS) -> Workbook:
    """Every sheet of the file as rows of values; raises ``ReadError`` with a code
    (``LimitError`` past one of ``limits``: checked before or while reading)."""
    fmt = detect_format(data, suffix)
    if len(data) > limits.form_max_bytes:
        raise LimitError(
            "file_too_large",
            f"文件大小 {mib(len(data))}，超过月报上限 {mib(limits.form_max_bytes)}"
            "（JZPLAN_LIMIT_FORM_BYTES）",
        )
    if fmt == "xlsx":
        return Workbook(fmt, _guard(lambda d: read_xlsx(d, limits), data, "Excel（.xlsx）"))
    if fmt == "xls":
        return Workbook(fmt, _guard(lambda d: read_xls(d, limits), data, "Excel 97-2003（.xls）"))
    try:
        text, encoding = decode_text(data)
    except EncodingError:
        if suffix.lower() == ".csv":
            raise
        # an "Excel" file that is neither a workbook nor a text export of the form
        raise ReadError("文件无法打开，可能已损坏或不是 Excel 文件") from None
    return Workbook(fmt, [SheetRows("CSV", read_delimited(text, limits))], encoding)


def _guard(reader: Callable[[bytes], list[SheetRows]], data: bytes, kind: str) -> list[SheetRows]:
    try:
        sheets = reader(data)
    except ReadError:
        raise
    except Exception as exc:  # any parser failure: a damaged or foreign file
        raise ReadError(
            f"文件无法作为 {kind} 打开，可能已损坏或不是该格式（{type(exc).__name__}）"
        ) from exc
    return sheets


@dataclass(frozen=True, slots=True)
class UncachedFormula:
    """A formula cell saved without its value (written by a program, never opened in Excel):
    the figure it stands for is unknown, so it is a finding, not an empty cell."""

    formula: str

    def __str__(self) -> str:
        return self.formula


def _cell(value: object) -> object:
    # NaN and ±inf stay as they are: the parser refuses them where a figure belongs
    if isinstance(value, str) and not value.strip():
        return None
    return value


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[ >/]")


def has_formulas(data: bytes) -> bool:
    """Whether any worksheet of an .xlsx holds a formula element (streamed, stops at the first)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if not name.startswith("xl/worksheets/") or not name.endswith(".xml"):
                continue
            with zf.open(name) as stream:
                tail = b""
                while chunk := stream.read(1 << 16):
                    if _FORMULA_TAG.search(tail + chunk):
                        return True
                    tail = chunk[-16:]
    return False


def check_zip(data: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
    """An .xlsx's members as its zip directory declares them, before anything is inflated
    (zipfile never inflates a member past its declared size): all together within
    ``xlsx_max_uncompressed_bytes``, each member of 1 MiB or more within ``xlsx_max_ratio``."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = zf.infolist()
    if any(m.filename.lower().endswith("vbaproject.bin") for m in members):
        raise MacroError(
            "文件含有宏（VBA），不予接收；请在 Excel 中“另存为”不含宏的 .xlsx 工作簿后重新报送"
        )
    total = sum(m.file_size for m in members)
    if total > limits.xlsx_max_uncompressed_bytes:
        raise LimitError(
            "xlsx_too_large_uncompressed",
            f"Excel 文件解压后共 {mib(total)}，超过上限 {mib(limits.xlsx_max_uncompressed_bytes)}"
            "（JZPLAN_LIMIT_XLSX_UNCOMPRESSED_BYTES），疑似压缩炸弹",
        )
    for m in members:
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size >= MIB and ratio > limits.xlsx_max_ratio:
            raise LimitError(
                "xlsx_compression_ratio",
                f"Excel 文件中的“{m.filename}”压缩比为 {ratio:,.0f}:1"
                f"（解压后 {mib(m.file_size)}），"
                f"超过上限 {limits.xlsx_max_ratio:,.0f}:1（JZPLAN_LIMIT_XLSX_RATIO），疑似压缩炸弹",
            )


def read_xlsx(data: bytes, limits: Limits = DEFAULT_LIMITS) -> list[SheetRows]:
    """An .xlsx workbook (merged cells: value in the top-left cell only); a formula cell with
    no saved value comes out as ``UncachedFormula``. The zip is checked first (``check_zip``)
    and each sheet is read as far as it holds cells, within the form's rows and columns: by
    python-calamine when the workbook is plain (``jzplan.ingest.xlsx_plain``), else openpyxl."""
    check_zip(data, limits)
    if plain := _plain(data, limits):
        return plain
    return openpyxl_sheets(data, limits)


def openpyxl_sheets(data: bytes, limits: Limits = DEFAULT_LIMITS) -> list[SheetRows]:
    """``read_xlsx`` by openpyxl alone, of an .xlsx that passed ``check_zip`` (the reference
    the plain path is checked against: tests/xlsx_crosscheck.py)."""
    sheets = _xlsx_rows(data, limits, data_only=True)
    if not has_formulas(data):
        return sheets
    for sheet, formulas in zip(sheets, _xlsx_rows(data, limits, data_only=False), strict=True):
        # rows are trimmed of trailing empty cells: a formula with no value may lie past them
        sheet.rows.extend([] for _ in range(len(formulas.rows) - len(sheet.rows)))
        for row, written in zip(sheet.rows, formulas.rows, strict=False):
            row.extend(None for _ in range(len(written) - len(row)))
            for c, (value, formula) in enumerate(zip(row, written, strict=False)):
                if value is None and formula is not None and _is_formula(formula):
                    row[c] = UncachedFormula(str(getattr(formula, "text", formula)))
            while row and row[-1] is None:
                row.pop()
    return sheets


def _plain(data: bytes, limits: Limits) -> list[SheetRows] | None:
    """The sheets of a plain workbook, read by python-calamine (``jzplan.ingest.xlsx_plain``);
    None when the workbook is not plain or calamine fails on it (openpyxl then reads it)."""
    try:
        if not xlsx_plain.is_plain(data, limits):
            return None
        sheets = xlsx_plain.plain_sheets(data)
    except BaseException as exc:  # calamine's panics are BaseExceptions (pyo3)
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
            raise
        return None
    if sheets is None:
        return None
    return [SheetRows(name, capped_rows(rows, name, limits)) for name, rows in sheets]


def _is_formula(value: object) -> bool:
    if isinstance(value, str):
        return value.startswith("=")
    return hasattr(value, "text")  # openpyxl's ArrayFormula / DataTableFormula


def _xlsx_rows(data: bytes, limits: Limits, *, data_only: bool) -> list[SheetRows]:
    """Each sheet's rows as the sheet's XML holds them: its ``<dimension>`` is not trusted
    (read-only openpyxl would pad every row and column up to it: A1:XFD1048576 is 17 billion
    cells), so the dimensions are reset and rows are read up to the form's limits."""
    import openpyxl  # here, not at the top: _LAZY_READERS

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    try:
        sheets = []
        for ws in wb.worksheets:
            ws.reset_dimensions()
            rows = capped_rows(ws.iter_rows(values_only=True), ws.title, limits)
            sheets.append(SheetRows(ws.title, rows))
        return sheets
    finally:
        wb.close()


def capped_rows(rows: Iterable[Iterable[object]], sheet: str, limits: Limits) -> list[list[object]]:
    """Rows of cell values, trailing empty cells and rows dropped; ``LimitError`` at the first
    value past ``form_max_rows`` rows or ``form_max_columns`` columns (``too_many_rows``,
    ``too_many_columns``): nothing past the limits is kept."""
    out: list[list[object]] = []
    empty_tail = 0  # empty rows read since the last row with a value
    for number, raw in enumerate(rows, start=1):
        row = [_cell(v) for v in raw]
        while row and row[-1] is None:
            row.pop()
        if not row:
            empty_tail += 1
            continue
        if number > limits.form_max_rows:
            raise LimitError(
                "too_many_rows",
                f"工作表“{sheet}”第 {number:,} 行仍有内容，超过月报上限 {limits.form_max_rows:,} 行"
                "（JZPLAN_LIMIT_FORM_ROWS）",
                sheet=sheet, row=number,
            )  # fmt: skip
        if len(row) > limits.form_max_columns:
            raise LimitError(
                "too_many_columns",
                f"工作表“{sheet}”第 {number:,} 行有 {len(row):,} 列，超过月报上限 "
                f"{limits.form_max_columns:,} 列（JZPLAN_LIMIT_FORM_COLUMNS）",
                sheet=sheet, row=number,
            )  # fmt: skip
        out.extend([] for _ in range(empty_tail))
        empty_tail = 0
        out.append(row)
    return out


def read_xls(data: bytes, limits: Limits = DEFAULT_LIMITS) -> list[SheetRows]:
    """A legacy .xls (BIFF) workbook through xlrd; dates become datetimes, errors #TEXT. A
    sheet past the form's rows or columns (xlrd's ``nrows``/``ncols``) is a ``LimitError``."""
    import xlrd  # here, not at the top: _LAZY_READERS

    book = xlrd.open_workbook(file_contents=data, on_demand=True)
    try:
        sheets: list[SheetRows] = []
        for sheet in book.sheets():
            _check_xls_size(sheet.name, sheet.nrows, sheet.ncols, limits)
            rows: list[list[object]] = []
            for r in range(sheet.nrows):
                row: list[object] = []
                for c in range(sheet.ncols):
                    cell = sheet.cell(r, c)
                    row.append(_xls_value(cell.ctype, cell.value, book.datemode))
                rows.append(row)
            sheets.append(SheetRows(sheet.name, rows))
        return sheets
    finally:
        book.release_resources()


def _check_xls_size(sheet: str, nrows: int, ncols: int, limits: Limits) -> None:
    if nrows > limits.form_max_rows:
        raise LimitError(
            "too_many_rows",
            f"工作表“{sheet}”有 {nrows:,} 行，超过月报上限 {limits.form_max_rows:,} 行"
            "（JZPLAN_LIMIT_FORM_ROWS）",
            sheet=sheet,
        )
    if ncols > limits.form_max_columns:
        raise LimitError(
            "too_many_columns",
            f"工作表“{sheet}”有 {ncols:,} 列，超过月报上限 {limits.form_max_columns:,} 列"
            "（JZPLAN_LIMIT_FORM_COLUMNS）",
            sheet=sheet,
        )


def _xls_value(ctype: int, value: object, datemode: int) -> object:
    import xlrd  # imported by read_xls already: a lookup

    if ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if ctype == xlrd.XL_CELL_DATE:
        assert isinstance(value, float)
        return xlrd.xldate.xldate_as_datetime(value, datemode)
    if ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    if ctype == xlrd.XL_CELL_ERROR:
        assert isinstance(value, int)
        return xlrd.error_text_from_code.get(value, "#ERROR")
    return _cell(value)


def decode_text(data: bytes, labels: tuple[str, ...] = FORM_LABELS) -> tuple[str, str]:
    """Text of a delimited file and the encoding that produced it.

    A BOM decides (UTF-8, UTF-16); otherwise UTF-8 then GB18030 are tried strictly and the
    first whose text carries one of ``labels`` (by default the form's) wins. Raises
    ``EncodingError``.
    """
    boms = (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    )
    candidates = [enc for bom, enc in boms if data.startswith(bom)][:1] or list(TEXT_ENCODINGS)
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if any(label in text for label in labels):
            return text.removeprefix("\ufeff"), encoding
    raise EncodingError(
        "文件编码无法识别：按 "
        + "、".join(e.upper() for e in candidates)
        + " 解码都找不到月报表的标签（指标名称、填报单位、报告期），"
        "请另存为 UTF-8 或 GBK 编码的 CSV，或直接报送 Excel 文件"
    )


def read_delimited(text: str, limits: Limits = DEFAULT_LIMITS) -> list[list[object]]:
    """Rows of a CSV/TSV text; the delimiter is the one that splits lines most often. Read
    within the form's rows, columns and characters per field (``LimitError``)."""
    lines = text[:65536].splitlines()[:50]
    delimiter = max(_DELIMITERS, key=lambda d: sum(line.count(d) for line in lines))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return capped_rows(_checked_fields(reader, limits), "CSV", limits)
    except csv.Error as exc:  # e.g. a field past csv.field_size_limit(), a NUL byte
        raise ReadError(f"CSV 文件第 {reader.line_num} 行无法读取（{exc}）") from None


def _checked_fields(reader: Iterable[list[str]], limits: Limits) -> Iterable[list[str]]:
    cap = limits.form_max_field_chars
    for number, row in enumerate(reader, start=1):
        longest = max(map(len, row), default=0)
        if longest > cap:
            raise LimitError(
                "field_too_long",
                f"CSV 文件第 {number:,} 行有一格 {longest:,} 个字符，超过上限 {cap:,} 个"
                "（JZPLAN_LIMIT_FORM_FIELD_CHARS）",
                sheet="CSV", row=number,
            )  # fmt: skip
        yield row


def as_date(value: object) -> date | None:
    """A cell that holds a date (xlsx/xls date cells), else None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None
