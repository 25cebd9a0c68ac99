"""Limits on one submitted file (``jzplan.core.limits``), with the hostile files written for real:
an .xlsx whose ``<dimension>`` claims A1:XFD1048576, a zip bomb, 2,000,000-row CSVs of unknown
or repeated indicators, figures of 1e300. Each is refused with its located code, the big ones
parsed in a child process whose peak memory is measured (``resource``)."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from jzplan.core.limits import Limits
from jzplan.core.periods import Period
from jzplan.core.settings import Settings
from jzplan.core.states import FigureOutcome, IssueSeverity
from jzplan.ingest.accounting import account_figures
from jzplan.ingest.bulk import read_bulk
from jzplan.ingest.form_parser import parse_submission
from jzplan.ingest.form_writer import write_form
from jzplan.ingest.readers import read_xlsx
from jzplan.ingest.regular_files import InboxRefusal, read_regular
from jzplan.reference.catalog import Catalog
from jzplan.validate.validator import SubmissionValidator
from tests.ingest.formrows import form_rows

PERIOD = Period(2013, 6)
GIB = 1 << 30
ROOT = Path(__file__).resolve().parents[2]


def _form(catalog: Catalog, path: Path) -> Path:
    write_form(
        path, catalog=catalog, unit_code="NGZ", period=PERIOD, rows=form_rows(catalog, "NGZ"),
        filed_by="张三", filed_on=date(2013, 7, 2),
    )  # fmt: skip
    return path


def _errors(parsed: object) -> list[tuple[str, str | None, int | None]]:
    issues = getattr(parsed, "issues", [])
    return [(i.code, i.sheet, i.row) for i in issues if i.severity == IssueSeverity.ERROR]


def _parse_in_child(path: Path, limits: Limits | None = None) -> dict[str, object]:
    """``parse_submission`` of ``path`` in a fresh interpreter: its issues and peak RSS."""
    fields = {} if limits is None else {k: getattr(limits, k) for k in Limits.__slots__}
    code = f"""
import json, resource, sys
from pathlib import Path
# a regression fails here (MemoryError) instead of taking the machine's memory
resource.setrlimit(resource.RLIMIT_AS, ({4 * GIB}, {4 * GIB}))
from jzplan.core.limits import Limits
from jzplan.core.settings import Settings
from jzplan.ingest.form_parser import parse_submission
from jzplan.reference.catalog import load_catalog
catalog = load_catalog(Settings().catalog_dir)
parsed = parse_submission(Path({str(path)!r}), catalog, limits=Limits(**{fields!r}))
print(json.dumps({{
    "issues": [[i.code, i.sheet, i.row, i.message] for i in parsed.issues
               if i.severity.value == "error"],
    "figures": len(parsed.frame),
    "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=600,  # a guard against a hang, not a timing assertion
    )
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


# --- settings ------------------------------------------------------------------------------


def test_limits_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().limits() == Limits()
    monkeypatch.setenv("JZPLAN_LIMIT_FORM_ROWS", "50")
    monkeypatch.setenv("JZPLAN_LIMIT_ABS_VALUE", "1e9")
    limits = Settings().limits()
    assert (limits.form_max_rows, limits.max_abs_value) == (50, 1e9)
    assert limits.max_bytes_for(".CSV") == limits.bulk_max_bytes
    assert limits.max_bytes_for(".xlsx") == limits.form_max_bytes


# --- xlsx: the sheet as used, the zip as declared -------------------------------------------


def _patched(source: Path, target: Path, patch: dict[str, bytes]) -> Path:
    """``source`` rewritten member by member, ``patch``'s members replaced or added."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zin.infolist():
            if info.filename not in patch:
                zo.writestr(info, zin.read(info.filename))
        for name, data in patch.items():
            zo.writestr(name, data)
    return target


def test_a_lying_dimension_is_read_as_the_sheet_is_used(catalog: Catalog, tmp_path: Path) -> None:
    good = _form(catalog, tmp_path / "good" / "宁郭镇_2013年06月_月报.xlsx")
    sheet = zipfile.ZipFile(good).read("xl/worksheets/sheet1.xml")
    lying = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', sheet)
    # and an empty formatted cell in the sheet's last one, as a sheet formatted whole has
    lying = lying.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" s="1"/></row>'
                          b"</sheetData>")  # fmt: skip
    assert lying.count(b"XFD1048576") == 2
    path = tmp_path / "2013-06" / good.name
    path.parent.mkdir()
    _patched(good, path, {"xl/worksheets/sheet1.xml": lying})
    assert path.stat().st_size < 16_000
    # read-only openpyxl trusting it pads every row to 16,384 columns, and the rows between
    # to 1,048,576: the parser's lists of those went past 6 GB
    result = _parse_in_child(path)
    assert result["issues"] == []
    assert result["figures"] == len(parse_submission(good, catalog).frame) == 20
    assert isinstance(result["peak"], int) and result["peak"] < GIB


def _with_cell(catalog: Catalog, path: Path, row: int, column: int) -> Path:
    _form(catalog, path)
    wb = openpyxl.load_workbook(path)
    wb.active.cell(row=row, column=column, value="多余的内容")  # type: ignore[union-attr]
    wb.save(path)
    return path


def test_cells_past_the_rows_or_columns_limit_refuse_the_file(
    catalog: Catalog, tmp_path: Path
) -> None:
    far_down = _with_cell(catalog, tmp_path / "down.xlsx", 2500, 2)
    assert _errors(parse_submission(far_down, catalog)) == [("too_many_rows", "月报", 2500)]
    wide = _with_cell(catalog, tmp_path / "wide.xlsx", 7, 101)
    parsed = parse_submission(wide, catalog)
    assert _errors(parsed) == [("too_many_columns", "月报", 7)]
    assert "101 列" in parsed.issues[0].message and "100 列" in parsed.issues[0].message
    # the same files under wider limits load
    wider = Limits(form_max_rows=3000, form_max_columns=200)
    assert _errors(parse_submission(far_down, catalog, limits=wider)) == []
    assert _errors(parse_submission(wide, catalog, limits=wider)) == []


def _bomb(good: Path, target: Path, megabytes: int, level: int = 6) -> Path:
    """``good`` with one more member of ``megabytes`` MiB of zeros, written as a stream
    (deflate ``level`` 1: 230:1 and fast, 6: 1,000:1)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zo:
        with zipfile.ZipFile(good) as zin:
            for info in zin.infolist():
                zo.writestr(info, zin.read(info.filename))
        with zo.open("xl/media/image1.bin", "w", force_zip64=True) as out:
            block = bytes(1 << 20)
            for _ in range(megabytes):
                out.write(block)
    return target


def test_a_zip_bomb_is_refused_from_its_directory(catalog: Catalog, tmp_path: Path) -> None:
    good = _form(catalog, tmp_path / "good.xlsx")
    bomb = _bomb(good, tmp_path / "bomb.xlsx", 1024, level=1)  # 1 GiB of zeros
    assert bomb.stat().st_size < 5 * (1 << 20)
    parsed = parse_submission(bomb, catalog)
    assert _errors(parsed) == [("xlsx_too_large_uncompressed", None, None)]
    assert "1,024.0 MiB" in parsed.issues[0].message
    # under the total, one member inflating 1,000 times over
    small = _bomb(good, tmp_path / "small.xlsx", 50)
    parsed = parse_submission(small, catalog)
    assert _errors(parsed) == [("xlsx_compression_ratio", None, None)]
    assert "xl/media/image1.bin" in parsed.issues[0].message
    # a generous ratio lets the same file through (the zeros are no sheet)
    assert _errors(parse_submission(small, catalog, limits=Limits(xlsx_max_ratio=1e6))) == []


def test_a_file_past_its_size_is_refused_unread(catalog: Catalog, tmp_path: Path) -> None:
    form = _form(catalog, tmp_path / "form.xlsx")
    limits = Limits(form_max_bytes=1000)
    with pytest.raises(InboxRefusal) as refused:
        read_regular(form, limits.max_bytes_for(form.suffix))
    assert refused.value.code == "file_too_large"
    parsed = parse_submission(form, catalog, limits=limits)
    assert _errors(parsed) == [("file_too_large", None, None)]


# --- CSV forms: rows, fields, unknown and repeated names ------------------------------------


def _csv_form(catalog: Catalog, path: Path, extra: list[list[str]] | int, repeat: bool) -> Path:
    """The good form as CSV with ``extra`` data rows after its own (an int: that many rows of
    unknown names, or of one repeated indicator), written line by line."""
    rows = read_xlsx(_form(catalog, path.with_suffix(".xlsx")).read_bytes())[0].rows
    head, tail = rows[:25], rows[25:]  # title, identity, header, 20 data rows | footer
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerows(head)
        if isinstance(extra, list):
            writer.writerows(extra)
        else:
            for i in range(extra):
                name = "地区生产总值" if repeat else f"工业总值{i:x}"
                out.write(f"{i},{name},亿元,1,{i}\n")
        writer.writerows(tail)
    return path


@pytest.mark.parametrize("repeat", [False, True], ids=["unknown-names", "repeated-indicator"])
def test_a_two_million_row_csv_form_is_refused(
    catalog: Catalog, tmp_path: Path, repeat: bool
) -> None:
    path = _csv_form(catalog, tmp_path / "宁郭镇_2013年06月_月报.csv", 2_000_000, repeat)
    assert path.stat().st_size > 40 * (1 << 20)
    # as it comes: past the form's 20 MiB
    assert _parse_in_child(path)["issues"][0][:3] == ["file_too_large", None, None]  # type: ignore[index]
    # were the size allowed, the rows stop it at row 2,001 (before: difflib per row past
    # 600 s, or 2,000,000 duplicate_indicator issues past 6 GB)
    result = _parse_in_child(path, Limits(form_max_bytes=GIB))
    issues = result["issues"]
    assert isinstance(issues, list) and [i[:3] for i in issues] == [["too_many_rows", "CSV", 2001]]
    assert "2,000 行" in issues[0][3]
    assert isinstance(result["peak"], int) and result["peak"] < GIB


def test_unknown_names_are_bounded(catalog: Catalog, tmp_path: Path) -> None:
    path = _csv_form(catalog, tmp_path / "宁郭镇_2013年06月_月报.csv", 1500, repeat=False)
    parsed = parse_submission(path, catalog)
    unknown = [i for i in parsed.issues if i.code == "unknown_indicator"]
    assert len(unknown) == Limits().unknown_rows_max == 200
    suggested = [i for i in unknown if "最接近的指标" in i.message]
    assert 0 < len(suggested) <= Limits().unknown_names_suggested
    assert all("最接近的指标" not in i.message for i in unknown[Limits().unknown_names_suggested :])
    summary = [i for i in parsed.issues if i.code == "too_many_unknown_indicators"]
    assert len(summary) == 1 and "1,500 行" in summary[0].message
    # every figure cell of the unknown rows is refused, listed or not
    refused = sum(f.outcome == FigureOutcome.REFUSED for f in parsed.figures)
    assert refused == 1500 * 2 and account_figures(parsed).refused == refused


def test_one_name_repeated_gets_one_suggestion_search(catalog: Catalog, tmp_path: Path) -> None:
    extra = [[str(i), "地区生产总值X", "亿元", "1", "2"] for i in range(50)]
    parsed = parse_submission(_csv_form(catalog, tmp_path / "f.csv", extra, False), catalog)
    unknown = [i for i in parsed.issues if i.code == "unknown_indicator"]
    assert len(unknown) == 50 and len({i.message for i in unknown}) == 1
    assert "地区生产总值" in unknown[0].message


def test_a_long_field_is_refused_with_its_line(catalog: Catalog, tmp_path: Path) -> None:
    extra = [["21", "地区生产总值", "亿元", "1", "2", "x" * 10_001]]
    parsed = parse_submission(_csv_form(catalog, tmp_path / "f.csv", extra, False), catalog)
    assert _errors(parsed) == [("field_too_long", "CSV", 26)]
    assert "10,001" in parsed.issues[0].message and "10,000" in parsed.issues[0].message


def test_too_many_csv_columns(catalog: Catalog, tmp_path: Path) -> None:
    extra = [["21", "地区生产总值", "亿元", "1", "2", *(["x"] * 100)]]
    parsed = parse_submission(_csv_form(catalog, tmp_path / "f.csv", extra, False), catalog)
    assert _errors(parsed) == [("too_many_columns", "CSV", 26)]


# --- figures beyond a plausible bound -------------------------------------------------------


@pytest.mark.parametrize("figure", [1e300, -2e12, "200000000亿"])
def test_a_figure_beyond_the_bound_is_refused(
    catalog: Catalog, tmp_path: Path, figure: float | str
) -> None:
    path = _form(catalog, tmp_path / "宁郭镇_2013年06月_月报.xlsx")
    wb = openpyxl.load_workbook(path)
    wb.active.cell(row=7, column=5, value=figure)  # type: ignore[union-attr]  # 工业总产值 累计
    wb.save(path)
    parsed = parse_submission(path, catalog)
    assert _errors(parsed) == [("number_out_of_range", "月报", 7)]
    assert parsed.issues[0].column == "E" and "1e+12" in parsed.issues[0].message
    assert account_figures(parsed).refused == 2  # 本月 and 累计 of the row
    assert _errors(parse_submission(path, catalog, limits=Limits(max_abs_value=1e301))) == []


# --- bulk files -------------------------------------------------------------------------------

BULK_HEADER = "单位代码,报告期,指标代码,本期累计,本月,计量单位\n"


def _bulk(path: Path, lines: list[str] | str, times: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        out.write(BULK_HEADER)
        for _ in range(times):
            out.write("".join(lines))
    return path


def test_bulk_figures_beyond_the_bound_are_located(catalog: Catalog, tmp_path: Path) -> None:
    figures = (("gdp", "100"), ("gdp_x", "1e300"), ("gdp_y", "-2e12"))
    lines = [f"NGZ,2013-06,{code},{value},1,亿元\n" for code, value in figures]
    path = _bulk(tmp_path / "2013-06" / "p.csv", lines)
    parsed = read_bulk(path, catalog)
    found = [(i.code, i.row, i.column) for i in parsed.issues]
    assert found == [("number_out_of_range", 3, "本期累计"), ("number_out_of_range", 4, "本期累计")]
    assert parsed.frame["value"].isna().tolist() == [False, True, True]
    # past the listed issues, one more counts the rest (and names no row: the file is rejected)
    many = read_bulk(_bulk(tmp_path / "m" / "p.csv", lines[1], 150), catalog)
    assert len(many.issues) == Limits().bulk_max_issues + 1 and many.issues[-1].row is None
    assert "50 行" in many.issues[-1].message
    small = read_bulk(path, catalog, limits=Limits(bulk_max_bytes=100))
    assert [(i.code, i.row) for i in small.issues] == [("file_too_large", None)]


def test_repeated_bulk_rows_are_located_and_capped(
    catalog: Catalog, validator: SubmissionValidator, tmp_path: Path
) -> None:
    path = _bulk(tmp_path / "2013-06" / "p.csv", "NGZ,2013-06,gdp,100,20,亿元\n", 200_000)
    report = validator.validate(read_bulk(path, catalog))
    assert {i.code for i in report.issues} == {"duplicate_indicator"}
    assert len(report.issues) <= 101 and report.issues[0].row == 2
    assert len(report.error_rows) == 200_000
