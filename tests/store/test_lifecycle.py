"""Corrections through the pipeline: superseded, audited figure by figure, totals moved by
the difference; on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from jzplan.month.refresh import refresh_period
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store.dump import dump_tables
from jzplan.store.lifecycle import FigureChange, diff_figures, read_changes
from jzplan.store.progress import read_progress
from jzplan.track.progress import Thresholds
from jzplan.validate.validator import SubmissionValidator
from tests.ingest import corpus
from tests.ingest.corpus import PERIOD, figures, row_of, standard, write
from tests.month.ingesting import JUNE, area, ingest, submissions


def test_correction_supersedes_is_audited_and_moves_totals_by_the_difference(
    store: Engine, catalog: Catalog, plan: Plan, validator: SubmissionValidator, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    may = inbox / str(PERIOD)
    write(standard(catalog), may / corpus.file_name(catalog, "NGZ"))
    write(standard(catalog, unit="SJZ"), may / corpus.file_name(catalog, "SJZ"))
    first = [ingest(p, store, catalog, validator, tmp_path) for p in sorted(may.iterdir())]
    assert [o.status for o in first] == ["accepted", "accepted"]
    ngz_first = next(o for o in first if o.org_unit == "NGZ")
    thresholds = Thresholds()
    refresh_period(store, catalog=catalog, plan=plan, period=PERIOD, thresholds=thresholds)
    before = area(store)
    progress_before = read_progress(store, PERIOD).set_index("target_id")

    # NGZ's corrected May form arrives with the June batch: two figures differ
    old = figures(catalog)
    new = {"fai": 5.125, "retail_sales": 2.0}
    month = {"fai": 1.5}
    fixes = [
        lambda t: t.main.set(f"E{row_of(catalog, 'fai')}", new["fai"]),
        lambda t: t.main.set(f"D{row_of(catalog, 'fai')}", month["fai"]),
        lambda t: t.main.set(f"E{row_of(catalog, 'retail_sales')}", new["retail_sales"]),
    ]
    corrected = write(
        standard(catalog).edited(*fixes), inbox / str(JUNE) / "宁郭镇_2013年05月_月报(更正).xlsx"
    )
    outcome = ingest(corrected, store, catalog, validator, tmp_path)
    assert (outcome.status, outcome.period, outcome.supersedes, outcome.changes) == (
        "accepted",
        "2013-05",
        ngz_first.submission_id,
        2,
    )

    changes = read_changes(store)
    assert changes.to_dict("records") == [
        {
            "org_unit": "NGZ", "period": "2013-05",
            "old_submission_id": ngz_first.submission_id,
            "new_submission_id": outcome.submission_id, "indicator": "fai",
            "old_value": old["fai"][0], "new_value": new["fai"],
            "old_value_month": old["fai"][1], "new_value_month": month["fai"],
        },
        {
            "org_unit": "NGZ", "period": "2013-05",
            "old_submission_id": ngz_first.submission_id,
            "new_submission_id": outcome.submission_id, "indicator": "retail_sales",
            "old_value": old["retail_sales"][0], "new_value": new["retail_sales"],
            "old_value_month": old["retail_sales"][1],
            "new_value_month": old["retail_sales"][1],
        },
    ]  # fmt: skip

    # both files kept: the first superseded, the correction current as version 2
    subs = submissions(store)
    first_row = subs[corpus.file_name(catalog, "NGZ")]
    second_row = subs[corrected.name]
    assert (first_row.status, first_row.version) == ("superseded", 1)
    assert (second_row.status, second_row.version) == ("accepted", 2)
    assert second_row.arrival_period == "2013-06" and second_row.source_path == (
        f"2013-06/{corrected.name}"
    )

    refresh_period(
        store, catalog=catalog, plan=plan, period=PERIOD, thresholds=thresholds, as_of=JUNE
    )
    after = area(store)
    assert set(after) == set(before)
    for code in new:
        assert after[code] - before[code] == pytest.approx(new[code] - old[code][0], rel=1e-12)
    # every other total is bit-for-bit the same (NaN where no unit reports it yet)
    unchanged = [c for c in before if c not in new]
    assert pd.Series(after)[unchanged].equals(pd.Series(before)[unchanged])
    progress_after = read_progress(store, PERIOD).set_index("target_id")
    a03 = progress_after.loc["A03", "actual"] - progress_before.loc["A03", "actual"]
    assert a03 == pytest.approx(new["fai"] - old["fai"][0], rel=1e-12)

    # the same correction again is a duplicate and changes nothing
    dump = dump_tables(store)
    again = ingest(corrected, store, catalog, validator, tmp_path)
    assert again.status == "duplicate" and dump_tables(store) == dump


def test_diff_figures_reports_changed_added_and_removed() -> None:
    old = {"a": (1.0, None), "b": (2.0, 0.5), "c": (3.0, None)}
    new = {"a": (1.0, float("nan")), "b": (2.5, 0.5), "d": (4.0, 1.0)}
    assert diff_figures(old, new) == [
        FigureChange("b", 2.0, 2.5, 0.5, 0.5),
        FigureChange("c", 3.0, None, None, None),
        FigureChange("d", None, 4.0, None, 1.0),
    ]
