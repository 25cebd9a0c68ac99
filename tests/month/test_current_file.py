"""Which file of a unit's month is current, through ``ingest_batch`` on SQLite and PostgreSQL:
what the office says (填报日期 / 报出日期, then the receipt) decides, not the file names nor the
order the files load in. Forms written by the project's writer and by hand in another layout."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from jzplan.core.periods import Period
from jzplan.core.states import IngestStatus
from jzplan.ingest.form_writer import FormRow, write_form
from jzplan.month.ingesting import ingest_batch
from jzplan.month.loading import IngestOutcome
from jzplan.month.refresh import refresh_period
from jzplan.reference.catalog import Catalog
from jzplan.report.data import timeliness
from jzplan.store.alerts import read_alerts
from jzplan.store.lifecycle import read_changes
from jzplan.store.observations import current_observations
from jzplan.store.unit_months import unit_months
from jzplan.track.progress import Thresholds
from jzplan.validate.validator import SubmissionValidator
from tests.ingest.corpus import figures
from tests.month.handforms import write_hand_form
from tests.month.ingesting import submissions

JULY = Period(2013, 7)
R1 = datetime(2013, 8, 5, 9, tzinfo=UTC)
R2 = datetime(2013, 9, 5, 9, tzinfo=UTC)
PLAIN = "宁郭镇_2013年07月_月报.xlsx"
FINAL = "宁郭镇_2013年07月_月报 (终稿).xlsx"
GDP = {seed: round(4.35 * seed, 6) for seed in (1.0, 1.1)}


def form_rows(catalog: Catalog, unit: str, seed: float) -> list[FormRow]:
    """Plausible figures (the corpus's); GDP times ``seed``, so versions differ in one figure."""
    return [
        FormRow(code, ytd * seed if code == "gdp" else ytd, month, None)
        for code, (ytd, month) in figures(catalog, unit).items()
    ]


def writer_form(folder: Path, name: str, catalog: Catalog, seed: float, filed: date) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = form_rows(catalog, "NGZ", seed)
    write_form(
        path, catalog=catalog, unit_code="NGZ", period=JULY, rows=rows, filed_by="王五",
        filed_on=filed,
    )  # fmt: skip
    return path


def hand_form(folder: Path, name: str, catalog: Catalog, seed: float, filed: date | None) -> Path:
    rows = form_rows(catalog, "NGZ", seed)
    return write_hand_form(
        folder / name, catalog=catalog, unit_code="NGZ", period=JULY, rows=rows, filed_on=filed
    )


def run(
    files: list[Path],
    store: Engine,
    catalog: Catalog,
    validator: SubmissionValidator,
    when: datetime,
) -> list[IngestOutcome]:
    folder = files[0].parent
    return ingest_batch(
        folder.parent, Period.parse(folder.name), engine=store, catalog=catalog,
        validator=validator, archive_dir=folder.parent.parent / "archive", received_at=when,
        files=files,
    )  # fmt: skip


def current_gdp(store: Engine) -> float:
    obs = current_observations(store, [JULY], "NGZ")
    return round(float(obs.loc[obs["indicator"] == "gdp", "value"].iloc[0]), 6)


def state(store: Engine) -> dict[str, Any]:
    """What the store says, by file name (ids depend on nothing here but are left out)."""
    subs = submissions(store)
    names = {r.id: n for n, r in subs.items()}
    changes = read_changes(store)
    return {
        "files": {n: (r.status, r.version) for n, r in sorted(subs.items())},
        "gdp": current_gdp(store),
        "changes": sorted(
            (names[int(o)], names[int(n)], i)
            for o, n, i in changes[
                ["old_submission_id", "new_submission_id", "indicator"]
            ].itertuples(index=False)
        ),
    }


@pytest.mark.parametrize("draft_name", [PLAIN, FINAL], ids=["draft-plain", "draft-named-final"])
@pytest.mark.parametrize("reverse", [False, True], ids=["name-order", "reversed"])
def test_the_later_filed_final_is_current_whatever_the_names_and_load_order(
    store: Engine, catalog: Catalog, validator: SubmissionValidator, tmp_path: Path,
    draft_name: str, reverse: bool,
) -> None:  # fmt: skip
    folder = tmp_path / "inbox" / "2013-08"
    final_name = FINAL if draft_name == PLAIN else PLAIN
    draft = writer_form(folder, draft_name, catalog, 1.0, date(2013, 8, 2))
    final = hand_form(folder, final_name, catalog, 1.1, date(2013, 8, 4))  # 报出日期 at the bottom
    files = sorted([draft, final], reverse=reverse)
    outcomes = {o.file: o for o in run(files, store, catalog, validator, R1)}
    assert outcomes[final_name].status == IngestStatus.ACCEPTED
    assert outcomes[draft_name].status == IngestStatus.STALE
    (warning,) = [m for m in outcomes[draft_name].messages if "stale_submission" in m]
    assert final_name in warning and "填报日期早于" in warning
    # the same store in every order: the final current (version 2), the draft superseded
    assert state(store) == {
        "files": {draft_name: ("superseded", 1), final_name: ("accepted", 2)},
        "gdp": GDP[1.1],
        "changes": [(draft_name, final_name, "gdp")],
    }
    assert final_name in str(submissions(store)[final_name].file_name)
    assert "stale_submission" in str(submissions(store)[draft_name].message)


@pytest.mark.parametrize("reverse", [False, True], ids=["name-order", "reversed"])
def test_equal_dates_different_figures_hold_both_and_keep_the_previous(
    store: Engine, catalog: Catalog, validator: SubmissionValidator, tmp_path: Path, reverse: bool
) -> None:
    inbox = tmp_path / "inbox"
    first = writer_form(inbox / "2013-08", PLAIN, catalog, 1.0, date(2013, 8, 2))
    assert run([first], store, catalog, validator, R1)[0].status == IngestStatus.ACCEPTED
    x = writer_form(
        inbox / "2013-09", "宁郭镇_2013年07月_月报(更正).xlsx", catalog, 1.2, date(2013, 8, 20)
    )
    y = hand_form(
        inbox / "2013-09", "宁郭镇_2013年7月月报-修改.xlsx", catalog, 1.3, date(2013, 8, 20)
    )
    outcomes = {
        o.file: o for o in run(sorted([x, y], reverse=reverse), store, catalog, validator, R2)
    }
    assert {o.status for o in outcomes.values()} == {IngestStatus.HELD}
    for me, other in ((x.name, y.name), (y.name, x.name)):
        (warning,) = [m for m in outcomes[me].messages if "conflicting_submissions" in m]
        assert other in warning and PLAIN in warning and "有待确认" in warning
    assert state(store) == {
        "files": {PLAIN: ("accepted", 1), x.name: ("held", 1), y.name: ("held", 1)},
        "gdp": GDP[1.0],  # the previous file's figures, untouched
        "changes": [],
    }


def test_a_held_month_is_shown_有待确认_and_alerted(
    store: Engine, catalog: Catalog, validator: SubmissionValidator, tmp_path: Path
) -> None:
    folder = tmp_path / "inbox" / "2013-08"
    x = writer_form(folder, PLAIN, catalog, 1.0, date(2013, 8, 4))
    y = hand_form(folder, FINAL, catalog, 1.1, date(2013, 8, 4))
    assert {o.status for o in run([x, y], store, catalog, validator, R1)} == {IngestStatus.HELD}
    assert current_observations(store, [JULY], "NGZ").empty
    outcome = refresh_period(
        store, catalog=catalog, plan=None, period=JULY, thresholds=Thresholds()
    )
    assert outcome.held_units == ["NGZ"] and "NGZ" not in outcome.missing_units
    alerts = read_alerts(store)
    mine = alerts[alerts["org_unit"] == "NGZ"]
    assert list(mine["kind"]) == ["held_submission"]
    assert "有待确认" in mine["message"].iloc[0] and PLAIN in mine["message"].iloc[0]
    grid = timeliness(unit_months(store, ["NGZ"], [JULY]))
    assert grid["state"].tolist() == ["questions"]
    assert FINAL in grid["detail"].iloc[0]


def test_unknown_dates_in_two_batches_the_later_batch_wins(
    store: Engine, catalog: Catalog, validator: SubmissionValidator, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    a = hand_form(inbox / "2013-08", PLAIN, catalog, 1.0, None)
    b = hand_form(inbox / "2013-09", FINAL, catalog, 1.1, None)
    assert run([a], store, catalog, validator, R1)[0].status == IngestStatus.ACCEPTED
    later = run([b], store, catalog, validator, R2)[0]
    assert (later.status, later.supersedes) == (IngestStatus.ACCEPTED, later.supersedes)
    assert later.supersedes is not None
    assert state(store)["files"] == {PLAIN: ("superseded", 1), FINAL: ("accepted", 2)}
    assert current_gdp(store) == GDP[1.1]


def test_identical_figures_in_one_batch_are_no_question(
    store: Engine, catalog: Catalog, validator: SubmissionValidator, tmp_path: Path
) -> None:
    folder = tmp_path / "inbox" / "2013-08"
    a = writer_form(folder, PLAIN, catalog, 1.0, date(2013, 8, 4))
    b = hand_form(folder, FINAL, catalog, 1.0, date(2013, 8, 4))  # another layout, same figures
    outcomes = run([b, a], store, catalog, validator, R1)
    assert [o.status for o in outcomes] == [IngestStatus.ACCEPTED, IngestStatus.ACCEPTED]
    assert not any("conflicting" in m or "stale" in m for o in outcomes for m in o.messages)
    files = state(store)["files"]
    assert sorted(s for s, _ in files.values()) == ["accepted", "superseded"]
    assert state(store)["changes"] == [] and current_gdp(store) == GDP[1.0]


def test_a_stale_draft_after_the_final_changes_nothing(
    store: Engine, catalog: Catalog, validator: SubmissionValidator, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    final = hand_form(inbox / "2013-08", FINAL, catalog, 1.1, date(2013, 8, 4))
    draft = writer_form(inbox / "2013-09", PLAIN, catalog, 1.0, date(2013, 8, 2))
    run([final], store, catalog, validator, R1)
    before = state(store)
    (late,) = run([draft], store, catalog, validator, R2)
    assert late.status == IngestStatus.STALE and late.supersedes is None
    assert any(FINAL in m and "stale_submission" in m for m in late.messages)
    after = state(store)
    assert after["gdp"] == before["gdp"] == GDP[1.1] and after["changes"] == []
    assert after["files"] == {FINAL: ("accepted", 1), PLAIN: ("superseded", 1)}
