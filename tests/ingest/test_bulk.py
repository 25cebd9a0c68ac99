"""Reading bulk files: one CSV or Parquet file with many units' figures, into the long frame
a township's form parses into."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jzplan.core.periods import Period
from jzplan.ingest import bulk
from jzplan.ingest.bulk import coded, is_bulk, read_bulk
from jzplan.ingest.inbox import discover_submissions
from jzplan.reference.catalog import Catalog
from tests.ingest.bulkfiles import HEADER, INBOX, MONTH, bulk_csv, june_figures


@pytest.fixture(scope="module")
def month_figures(catalog: Catalog) -> pd.DataFrame:
    return june_figures(catalog)


def test_read_csv_gbk_parquet_and_english_headers(
    month_figures: pd.DataFrame, catalog: Catalog, tmp_path: Path
) -> None:
    utf8 = read_bulk(bulk_csv(month_figures, tmp_path / "a.csv"), catalog)
    gbk = read_bulk(bulk_csv(month_figures, tmp_path / "b.csv", "gb18030"), catalog)
    parquet_path = tmp_path / "c.parquet"
    month_figures[list(HEADER)].to_parquet(parquet_path)  # English headers
    parquet = read_bulk(parquet_path, catalog)
    for parsed in (utf8, gbk, parquet):
        assert parsed.ok and parsed.bulk and parsed.org_unit is None
        assert parsed.period == Period(2013, 6)
        pd.testing.assert_series_equal(
            parsed.frame["value"], month_figures["value"], check_names=False
        )
        assert list(parsed.frame["org_unit"]) == list(month_figures["org_unit"])
    assert list(utf8.frame["row"][:2]) == [2, 3]  # CSV line numbers: line 1 is the header
    assert list(parquet.frame["row"][:2]) == [1, 2]
    assert is_bulk((tmp_path / "a.csv").read_bytes(), ".csv")
    assert is_bulk(parquet_path.read_bytes(), ".parquet")
    township = next(iter(discover_submissions(INBOX, MONTH)))
    assert not is_bulk(township.read_bytes(), township.suffix)


def test_units_are_converted_and_bad_cells_located(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(
        "单位代码,报告期,指标代码,本期累计,本月,计量单位\n"
        "NGZ,2013-06,fai,12000,2000,万元\n"  # fai is kept in 亿元
        "NGZ,2013-06,gdp,abc,,亿元\n"
        "NGZ,2013-06,births,12,2,头\n",
        encoding="utf-8",
    )
    parsed = read_bulk(path, catalog)
    frame = parsed.frame.set_index("indicator")
    assert frame.loc["fai", "value"] == pytest.approx(1.2)
    assert frame.loc["fai", "value_month"] == pytest.approx(0.2)
    assert frame.loc["fai", "unit"] == "亿元"
    assert frame.loc["births", "unit"] == "头"  # not convertible: the unit rule rejects it
    (issue,) = parsed.issues
    assert (issue.code, issue.row, issue.column) == ("not_a_number", 3, "本期累计")
    assert "不是数字" in issue.message


def test_codes_stay_text(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "digits.csv"
    path.write_text("单位代码,报告期,指标代码,本期累计\n0101,2013-06,fai,1\n", encoding="utf-8")
    assert list(read_bulk(path, catalog).frame["org_unit"]) == ["0101"]


def test_code_columns_come_with_their_codes(catalog: Catalog, tmp_path: Path) -> None:
    """The codes read_bulk hands the validation encode the columns it returns (trimmed text,
    empty and missing cells, a Parquet file's numbers and dictionaries, a file of no rows),
    and a column changed since is factorized again."""
    csv = tmp_path / "codes.csv"
    csv.write_text(
        "单位代码,报告期,指标代码,本期累计,本月,计量单位\n"
        "NGZ,2013-06,fai,12000,2000,万元\n"
        " NGZ ,2013-06, fai,1,,亿元\n"  # the same codes once trimmed
        ",,,2,,\n"  # missing
        "  ,2013-6 ,gdp,3,1, 亿元\n"  # blank: empty text
        "YMZ,2013-06,births,12,2,头\n",
        encoding="utf-8",
    )
    clean = tmp_path / "clean.csv"  # every code trimmed, every unit the indicator's own
    clean.write_text(
        "单位代码,报告期,指标代码,本期累计,本月,计量单位\n"
        "NGZ,2013-06,fai,1.5,0.5,亿元\n"
        "YMZ,2013-06,fai,2,1,亿元\n"
        "YMZ,2013-06,births,12,2,人\n",
        encoding="utf-8",
    )
    empty = tmp_path / "empty.csv"
    empty.write_text("单位代码,报告期,指标代码,本期累计\n", encoding="utf-8")
    numbers = tmp_path / "numbers.parquet"
    pd.DataFrame(
        {"unit_code": [101, 102, 101], "period": ["2013-06"] * 3, "indicator": ["fai"] * 3,
         "value": [1.0, 2.0, 3.0]}
    ).to_parquet(numbers)  # fmt: skip
    dictionary = tmp_path / "dictionary.parquet"
    pd.DataFrame(
        {"unit_code": pd.Categorical(["NGZ", None, "NGZ "]), "period": ["2013-06"] * 3,
         "indicator": pd.Categorical(["fai", "gdp", "fai"]), "value": [1.0, 2.0, 3.0],
         "unit": pd.Categorical(["万元", "亿元", None])}
    ).to_parquet(dictionary)  # fmt: skip
    columns = ("org_unit", "period", "indicator", "unit")
    for path in (csv, clean, empty, numbers, dictionary):
        parsed = read_bulk(path, catalog)
        frame = parsed.frame
        for column in columns:
            found = coded(parsed, column)
            assert found is not None, (path.name, column)
            assert found.uniques.dtype == frame[column].dtype
            assert found.uniques.is_unique and not found.uniques.hasnans
            assert len(found.codes) == len(frame) and found.codes.min(initial=-1) >= -1
            text = found.uniques.take(found.codes, allow_fill=True)
            pd.testing.assert_index_equal(text, pd.Index(frame[column]), check_names=False)
    as_written = read_bulk(clean, catalog).frame
    assert as_written["unit"].tolist() == ["亿元", "亿元", "人"] == as_written["raw_unit"].tolist()
    assert as_written["value"].tolist() == [1.5, 2.0, 12.0]
    parsed = read_bulk(csv, catalog)
    frame = parsed.frame
    assert frame["org_unit"].tolist()[:4] == ["NGZ", "NGZ", np.nan, ""]
    frame.loc[0, "org_unit"] = "YMZ"
    assert coded(parsed, "org_unit") is None and coded(parsed, "indicator") is not None


def test_a_parquet_files_own_dictionaries_are_read_as_its_rows_hold_them(
    catalog: Catalog, tmp_path: Path
) -> None:
    """Code columns read as the file's dictionaries: row groups with dictionaries of their
    own are unified, and a dictionary holding values no row has (pyarrow writes an Arrow
    dictionary as it is) yields neither an extra period nor an extra code."""

    def text(values: list[str | None], dictionary: list[str]) -> pa.DictionaryArray:
        index = pa.array([None if v is None else dictionary.index(v) for v in values], pa.int32())
        return pa.DictionaryArray.from_arrays(index, pa.array(dictionary))

    path = tmp_path / "groups.parquet"
    groups = [
        (["NGZ", "YMZ"], ["NGZ", "YMZ", "LWJ"], ["2013-06", "2099-01"]),
        (["LWJ", None], ["LWJ", "NGZ"], ["2013-06"]),
    ]
    schema = None
    tables = []
    for units, unit_dictionary, periods in groups:
        table = pa.table(
            {
                "单位代码": text(units, unit_dictionary),
                "报告期": text(["2013-06"] * len(units), periods),
                "指标代码": text(["fai"] * len(units), ["gdp", "fai"]),
                "本期累计": pa.array([1.0, 2.0]),
            }
        )
        schema = schema or table.schema
        tables.append(table)
    assert schema is not None
    with pq.ParquetWriter(path, schema) as writer:
        for table in tables:
            writer.write_table(table)
    assert pq.ParquetFile(path).metadata.num_row_groups == 2
    parsed = read_bulk(path, catalog)
    assert parsed.period == MONTH
    assert parsed.frame["org_unit"].tolist() == ["NGZ", "YMZ", "LWJ", np.nan]
    for column, expected in (("org_unit", ["NGZ", "YMZ", "LWJ"]), ("period", ["2013-06"]),
                             ("indicator", ["fai"])):  # fmt: skip
        found = coded(parsed, column)
        assert found is not None
        assert sorted(found.uniques) == sorted(expected), column
        text_back = found.uniques.take(found.codes, allow_fill=True)
        pd.testing.assert_index_equal(text_back, pd.Index(parsed.frame[column]), check_names=False)


def test_a_large_files_code_columns_are_coded_alike_in_threads(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past bulk._PARALLEL_ROWS the code columns are encoded in threads: the same frame and
    codes as one after another."""
    n = 30_000
    rng = np.random.default_rng(7)
    units = np.array(["NGZ", " YMZ", "LWJ ", "", "SJZ"])[rng.integers(0, 5, n)]
    figures = pd.DataFrame(
        {"单位代码": units, "报告期": "2013-06",
         "指标代码": np.array(["fai", "gdp"])[rng.integers(0, 2, n)],
         "本期累计": rng.random(n), "本月": rng.random(n),
         "计量单位": np.array(["万元", "亿元"])[rng.integers(0, 2, n)]}
    )  # fmt: skip
    path = tmp_path / "large.csv"
    figures.to_csv(path, index=False)
    monkeypatch.setattr(bulk, "_PARALLEL_ROWS", n + 1)
    serial = read_bulk(path, catalog)
    monkeypatch.setattr(bulk, "_PARALLEL_ROWS", 1_000)
    threaded = read_bulk(path, catalog)
    pd.testing.assert_frame_equal(serial.frame, threaded.frame)
    for column in ("org_unit", "period", "indicator", "unit"):
        a, b = coded(serial, column), coded(threaded, column)
        assert a is not None and b is not None
        assert np.array_equal(a.codes, b.codes) and a.uniques.equals(b.uniques), column
    assert set(serial.frame["org_unit"].dropna()) == {"NGZ", "YMZ", "LWJ", "SJZ"}  # trimmed


def test_missing_column_rejects_the_file(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("单位代码,报告期,指标代码\nNGZ,2013-06,fai\n", encoding="utf-8")
    parsed = read_bulk(path, catalog)
    (issue,) = parsed.issues
    assert issue.code == "bulk_missing_column" and "本期累计" in issue.message
