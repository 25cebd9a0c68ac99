"""Bulk files: one CSV or Parquet file with many units' figures, through the same
prepare → validate → load → aggregate path as a township's form, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, select

from jzplan.core.periods import Period
from jzplan.ingest.bulk import coded, is_bulk, read_bulk
from jzplan.ingest.form_parser import parse_submission
from jzplan.ingest.inbox import discover_submissions
from jzplan.month.pipeline import IngestOutcome, load_prepared, prepare_file, refresh_aggregates
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store import repo
from jzplan.store.models import BulkFileRow, SubmissionRow
from jzplan.validate.validator import SubmissionValidator

ROOT = Path(__file__).resolve().parents[2]
INBOX = ROOT / "data" / "inbox"
MONTH = Period(2013, 6)
HEADER = {"org_unit": "单位代码", "period": "报告期", "indicator": "指标代码",
          "value": "本期累计", "value_month": "本月", "unit": "计量单位"}  # fmt: skip


@pytest.fixture(scope="module")
def month_figures(catalog: Catalog) -> pd.DataFrame:
    """The six townships' and DIR's June forms, parsed: what a bulk file of them holds."""
    frames = [parse_submission(p, catalog).frame for p in discover_submissions(INBOX, MONTH)]
    frame = pd.concat(frames, ignore_index=True)
    frame = frame[frame["period"] == str(MONTH)].reset_index(drop=True)  # not the late May form
    assert frame["org_unit"].nunique() == 7
    return frame


def bulk_csv(figures: pd.DataFrame, path: Path, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figures[list(HEADER)].rename(columns=HEADER).to_csv(path, index=False, encoding=encoding)
    return path


@pytest.fixture(scope="module")
def validator(catalog: Catalog) -> SubmissionValidator:
    return SubmissionValidator(ROOT / "expectations", catalog)


def ingest(
    path: Path, engine: Engine, catalog: Catalog, validator: SubmissionValidator, tmp: Path
) -> IngestOutcome:
    prepared = prepare_file(
        path, catalog=catalog, validator=validator, archive_dir=tmp / "archive", arrival=MONTH
    )
    # with the validator, as the monthly flow loads: the history suite runs against the store
    return load_prepared(
        prepared,
        bind=engine,
        arrival=MONTH,
        received_at=datetime(2013, 7, 5, tzinfo=UTC),
        validator=validator,
    )


@pytest.fixture
def store(engine: Engine, catalog: Catalog, plan: Plan) -> Engine:
    repo.sync_reference(engine, catalog, plan)
    return engine


def figures_of(engine: Engine) -> pd.DataFrame:
    current = repo.current_observations(engine, [str(MONTH)])
    return current.drop(columns="submission_id").sort_values(["org_unit", "indicator"])


# --- reading ----------------------------------------------------------------------------------


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
    for path in (csv, empty, numbers, dictionary):
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
    parsed = read_bulk(csv, catalog)
    frame = parsed.frame
    assert frame["org_unit"].tolist()[:4] == ["NGZ", "NGZ", np.nan, ""]
    frame.loc[0, "org_unit"] = "YMZ"
    assert coded(parsed, "org_unit") is None and coded(parsed, "indicator") is not None


def test_missing_column_rejects_the_file(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("单位代码,报告期,指标代码\nNGZ,2013-06,fai\n", encoding="utf-8")
    parsed = read_bulk(path, catalog)
    (issue,) = parsed.issues
    assert issue.code == "bulk_missing_column" and "本期累计" in issue.message


# --- loading ----------------------------------------------------------------------------------


def test_bulk_loads_like_the_forms(
    store: Engine,
    month_figures: pd.DataFrame,
    catalog: Catalog,
    validator: SubmissionValidator,
    tmp_path: Path,
) -> None:
    path = bulk_csv(month_figures, tmp_path / "inbox" / "2013-06" / "province.csv")
    outcome = ingest(path, store, catalog, validator, tmp_path)
    assert (outcome.status, outcome.units, outcome.units_rejected) == ("accepted", 7, 0)
    assert outcome.inserted == len(month_figures) and outcome.errors == 0
    stored = figures_of(store)
    expected = month_figures[["org_unit", "period", "indicator", "value", "value_month"]]
    pd.testing.assert_frame_equal(
        stored.reset_index(drop=True).astype(object),
        expected.sort_values(["org_unit", "indicator"]).reset_index(drop=True).astype(object),
    )
    assert repo.submitted_units(store, "2013-06") == {u.code for u in catalog.reporting_units}
    refresh_aggregates(store, catalog=catalog, period=MONTH)
    total = repo.read_aggregates(store, ["2013-06"]).set_index(["org_unit", "indicator"])
    fai = month_figures[month_figures["indicator"] == "fai"]["value"].sum()
    assert total.loc[("JZXQ", "fai"), "value"] == pytest.approx(fai)
    assert not total.loc[("JZXQ", "fai"), "provisional"]

    # the same file again: a duplicate, nothing changes
    before = repo.dump_tables(store)
    assert ingest(path, store, catalog, validator, tmp_path).status == "duplicate"
    assert repo.dump_tables(store) == before

    # the same figures in another file (rows reordered): every unit unchanged, no figure written
    again = bulk_csv(month_figures.iloc[::-1], tmp_path / "inbox" / "2013-06" / "again.csv")
    outcome = ingest(again, store, catalog, validator, tmp_path)
    assert (outcome.status, outcome.units_unchanged, outcome.inserted) == ("accepted", 7, 0)
    after = repo.dump_tables(store)
    assert {k: v for k, v in after.items() if k != "bulk_file"} == {
        k: v for k, v in before.items() if k != "bulk_file"
    }

    # a correction of one unit: only that unit gets a new version
    fixed = month_figures.copy()
    hit = (fixed["org_unit"] == "NGZ") & (fixed["indicator"] == "fai")
    fixed.loc[hit, "value"] = fixed.loc[hit, "value"] + 1
    outcome = ingest(bulk_csv(fixed, tmp_path / "inbox/2013-06/fix.csv"), store, catalog,
                     validator, tmp_path)  # fmt: skip
    assert (outcome.units_unchanged, outcome.superseded) == (6, 1)
    assert outcome.inserted == int((fixed["org_unit"] == "NGZ").sum())
    with store.connect() as conn:
        ngz = conn.execute(
            select(SubmissionRow.status, SubmissionRow.version)
            .where(SubmissionRow.org_unit_code == "NGZ")
            .order_by(SubmissionRow.id)
        ).all()
    assert [tuple(r) for r in ngz] == [("superseded", 1), ("accepted", 2)]
    now = figures_of(store).set_index(["org_unit", "indicator"])
    assert now.loc[("NGZ", "fai"), "value"] == pytest.approx(fixed.loc[hit, "value"].iloc[0])


def test_a_bad_row_rejects_only_its_unit(
    store: Engine,
    month_figures: pd.DataFrame,
    catalog: Catalog,
    validator: SubmissionValidator,
    tmp_path: Path,
) -> None:
    bad = month_figures.copy()
    hit = (bad["org_unit"] == "YMZ") & (bad["indicator"] == "fai")
    bad.loc[hit, "value"] = -5.0
    line = int(bad.index[hit][0]) + 2
    outcome = ingest(bulk_csv(bad, tmp_path / "2013-06" / "p.csv"), store, catalog, validator,
                     tmp_path)  # fmt: skip
    assert (outcome.status, outcome.units_rejected) == ("accepted", 1)
    assert "YMZ" not in set(figures_of(store)["org_unit"])
    with store.connect() as conn:
        status, message = conn.execute(
            select(SubmissionRow.status, SubmissionRow.message).where(
                SubmissionRow.org_unit_code == "YMZ"
            )
        ).one()
        bulk = conn.execute(select(BulkFileRow.status, BulkFileRow.units_rejected)).one()
    assert status == "rejected"
    assert f"第 {line} 行" in message and "negative_value" in message
    assert tuple(bulk) == ("partial", 1)
    assert repo.submitted_units(store, "2013-06") == {
        u.code for u in catalog.reporting_units if u.code != "YMZ"
    }


def test_a_file_level_error_rejects_every_unit(
    store: Engine, catalog: Catalog, validator: SubmissionValidator, tmp_path: Path
) -> None:
    path = tmp_path / "2013-06" / "cut.csv"
    path.parent.mkdir(parents=True)
    path.write_text("单位代码,报告期,指标代码\nNGZ,2013-06,fai\n", encoding="utf-8")
    outcome = ingest(path, store, catalog, validator, tmp_path)
    assert outcome.status == "rejected" and outcome.errors == 1
    with store.connect() as conn:
        assert conn.execute(select(BulkFileRow.status)).scalar_one() == "rejected"
    assert figures_of(store).empty
    assert (tmp_path / "archive").is_dir()  # the raw file is kept


def test_store_reads_keep_text_columns_text(engine: Engine) -> None:
    """COPY's CSV is read by pyarrow: a code of digits must not come back as a number."""
    from sqlalchemy import Float, String, literal

    from jzplan.store.bulk_load import read_frame

    query = select(literal("0101", String).label("code"), literal(1.5, Float).label("v"))
    with engine.connect() as conn:
        frame = read_frame(conn, query, ["code", "v"])
    assert frame["code"].tolist() == ["0101"] and frame["v"].tolist() == [1.5]


def test_period_values_reads_the_current_figures(
    store: Engine,
    month_figures: pd.DataFrame,
    catalog: Catalog,
    validator: SubmissionValidator,
    tmp_path: Path,
) -> None:
    """What the aggregation reads (packed on PostgreSQL) equals the current figures."""
    ingest(bulk_csv(month_figures, tmp_path / "2013-06" / "p.csv"), store, catalog, validator,
           tmp_path)  # fmt: skip
    lean = repo.period_values(store, "2013-06").sort_values(["org_unit", "indicator"])
    full = figures_of(store)
    assert lean["org_unit"].tolist() == full["org_unit"].tolist()
    assert lean["indicator"].tolist() == full["indicator"].tolist()
    assert lean["value"].tolist() == full["value"].tolist()
    assert repo.period_values(store, "2013-07").empty
