"""Bulk files: one CSV or Parquet file with many units' figures, through the same
prepare → validate → load → aggregate path as a township's form, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, select

from jzplan.core.periods import Period
from jzplan.month.loading import IngestOutcome, load_prepared
from jzplan.month.prepare import prepare_file
from jzplan.month.refresh import LoadedBulk, period_figures, refresh_aggregates
from jzplan.reference.catalog import Catalog
from jzplan.store.aggregates import read_aggregates
from jzplan.store.dump import dump_tables
from jzplan.store.models import BulkFileRow, SubmissionRow
from jzplan.store.observations import current_observations, period_values
from jzplan.store.submissions import submitted_units
from jzplan.track.aggregate import aggregate_period
from jzplan.validate.validator import SubmissionValidator
from tests.ingest.bulkfiles import MONTH, bulk_csv, june_figures


@pytest.fixture(scope="module")
def month_figures(catalog: Catalog) -> pd.DataFrame:
    return june_figures(catalog)


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


def figures_of(engine: Engine) -> pd.DataFrame:
    current = current_observations(engine, [MONTH])
    return current.drop(columns="submission_id").sort_values(["org_unit", "indicator"])


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
    assert submitted_units(store, Period(2013, 6)) == {u.code for u in catalog.reporting_units}
    refresh_aggregates(store, catalog=catalog, period=MONTH)
    total = read_aggregates(store, [Period(2013, 6)]).set_index(["org_unit", "indicator"])
    fai = month_figures[month_figures["indicator"] == "fai"]["value"].sum()
    assert total.loc[("JZXQ", "fai"), "value"] == pytest.approx(fai)
    assert not total.loc[("JZXQ", "fai"), "provisional"]

    # the same file again: a duplicate, nothing changes
    before = dump_tables(store)
    assert ingest(path, store, catalog, validator, tmp_path).status == "duplicate"
    assert dump_tables(store) == before

    # the same figures in another file (rows reordered): every unit unchanged, no figure written
    again = bulk_csv(month_figures.iloc[::-1], tmp_path / "inbox" / "2013-06" / "again.csv")
    outcome = ingest(again, store, catalog, validator, tmp_path)
    assert (outcome.status, outcome.units_unchanged, outcome.inserted) == ("accepted", 7, 0)
    after = dump_tables(store)
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
    assert submitted_units(store, Period(2013, 6)) == {
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

    from jzplan.store.fastread import read_frame

    query = select(literal("0101", String).label("code"), literal(1.5, Float).label("v"))
    with engine.connect() as conn:
        frame = read_frame(conn, query, ["code", "v"])
    assert frame["code"].tolist() == ["0101"] and frame["v"].tolist() == [1.5]


def test_store_reads_frame_text_columns_as_pandas_would(bare_engine: Engine) -> None:
    """Every value of every row read, text columns in pandas' "str" dtype with a missing one
    kept missing, numbers as numbers; a text-typed column holding numbers (SQLite keeps what
    it is given) keeps them."""
    from sqlalchemy import (
        Float,
        Integer,
        String,
        literal,
        literal_column,
        null,
        type_coerce,
        union_all,
    )

    from jzplan.store.fastread import read_frame

    def row(n: int, code: str | None, value: float | None) -> Any:
        return select(
            literal(n, Integer).label("n"),
            (literal(code, String) if code is not None else null()).label("code"),
            (literal(value, Float) if value is not None else null()).label("v"),
        )

    query = union_all(row(1, "0101", 1.5), row(2, None, 2.0), row(3, "a b", None)).subquery()
    ordered = select(type_coerce(query.c.code, String), query.c.v).order_by(query.c.n)
    with bare_engine.connect() as conn:
        frame = read_frame(conn, ordered, ["code", "v"])
    assert frame["code"].dtype == pd.StringDtype("pyarrow", na_value=np.nan)
    assert frame["code"][0] == "0101" and pd.isna(frame["code"][1]) and frame["code"][2] == "a b"
    assert frame["v"].tolist()[:2] == [1.5, 2.0] and pd.isna(frame["v"][2])
    if bare_engine.dialect.name == "sqlite":
        numbers = select(literal_column("5", String).label("code"))
        with bare_engine.connect() as conn:
            assert read_frame(conn, numbers, ["code"])["code"].tolist() == [5]


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
    lean = period_values(store, Period(2013, 6)).sort_values(["org_unit", "indicator"])
    full = figures_of(store)
    assert lean["org_unit"].tolist() == full["org_unit"].tolist()
    assert lean["indicator"].tolist() == full["indicator"].tolist()
    assert lean["value"].tolist() == full["value"].tolist()
    assert period_values(store, Period(2013, 7)).empty


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[["org_unit", "indicator", "value"]].astype(
        {"org_unit": "str", "indicator": "str", "value": "float64"}
    )
    return out.sort_values(["org_unit", "indicator"], ignore_index=True)


def test_the_month_just_loaded_is_aggregated_from_memory_as_from_the_store(
    store: Engine,
    month_figures: pd.DataFrame,
    catalog: Catalog,
    validator: SubmissionValidator,
    tmp_path: Path,
) -> None:
    """``period_figures`` with the file just loaded (its units' figures from its frame, the
    rest from the store) equals the store's current figures, whatever the file did: a first
    load with a unit rejected and one absent, every unit with most unchanged, a correction of
    one unit, the first figures again under a new name."""
    first = month_figures[month_figures["org_unit"] != "DIR"].copy()
    hit = (first["org_unit"] == "YMZ") & (first["indicator"] == "fai")
    first.loc[hit, "value"] = -5.0  # YMZ rejected
    fixed = month_figures.copy()
    ngz = (fixed["org_unit"] == "NGZ") & (fixed["indicator"] == "fai")
    fixed.loc[ngz, "value"] = fixed.loc[ngz, "value"] + 1
    files = {
        "first.csv": first,  # DIR not in it, YMZ rejected
        "all.csv": month_figures,  # DIR and YMZ new, the rest unchanged
        "fix.csv": fixed,  # NGZ corrected
        "first-again.csv": first,  # the same figures as first.csv, in a new file
    }
    for name, figures in files.items():
        path = bulk_csv(figures, tmp_path / "inbox" / "2013-06" / name)
        prepared = prepare_file(
            path, catalog=catalog, validator=validator, archive_dir=tmp_path / "archive",
            arrival=MONTH,
        )  # fmt: skip
        outcome = load_prepared(
            prepared, bind=store, arrival=MONTH, received_at=datetime(2013, 7, 5, tzinfo=UTC)
        )
        assert prepared.parsed is not None and outcome.bulk_file_id
        bulk = LoadedBulk(outcome.bulk_file_id, prepared.parsed.frame)
        from_memory = _sorted(period_figures(store, MONTH, [bulk]))
        from_store = _sorted(period_values(store, MONTH))
        pd.testing.assert_frame_equal(from_memory, from_store, check_exact=True)
        # masked (what refresh_aggregates reads): the rows not current kept without a value,
        # the same totals
        masked = period_figures(store, MONTH, [bulk], masked=True)
        assert len(masked) >= len(from_store)
        pd.testing.assert_frame_equal(
            aggregate_period(masked, catalog, MONTH),
            aggregate_period(from_store, catalog, MONTH),
            check_exact=True,
        )
        # with the file's codes (what the monthly run hands over): rows looked up by code,
        # and, when the file holds every current figure, org_unit and indicator as categories
        by_code = LoadedBulk.of(outcome.bulk_file_id, prepared.parsed)
        assert set(by_code.codes) == {"org_unit", "period", "indicator"}
        pd.testing.assert_frame_equal(
            _sorted(period_figures(store, MONTH, [by_code])), from_store, check_exact=True
        )
        coded = period_figures(store, MONTH, [by_code], masked=True)
        alone = period_values(store, MONTH, except_bulk_files=[outcome.bulk_file_id]).empty
        assert isinstance(coded["org_unit"].dtype, pd.CategoricalDtype) == alone
        pd.testing.assert_frame_equal(
            aggregate_period(coded, catalog, MONTH),
            aggregate_period(from_store, catalog, MONTH),
            check_exact=True,
        )
        assert from_store["org_unit"].nunique() >= 5  # YMZ and DIR only from all.csv on
    counts = refresh_aggregates(store, catalog=catalog, period=MONTH, bulks=[by_code])
    assert counts["inserted"] > 0
    again = refresh_aggregates(store, catalog=catalog, period=MONTH)
    assert again["inserted"] == again["updated"] == again["deleted"] == 0  # the same totals
