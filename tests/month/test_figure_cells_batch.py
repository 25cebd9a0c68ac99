"""A batch with forms whose figure cells cannot be read beside good ones, through the month's
ingest path (``jzplan.month.ingesting.ingest_file``, no Prefect) on SQLite and PostgreSQL: each
bad form accepted with the unreadable cell's row held out (a located warning, a question), a
form with a remark loaded whole, the good ones loaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from jzplan.core.settings import Settings
from jzplan.core.states import IngestStatus
from jzplan.ingest.cell_policy import load_policy
from jzplan.ingest.inbox import discover_submissions
from jzplan.month.prepare import prepare_file
from jzplan.reference.catalog import Catalog
from jzplan.store.models import ObservationRow
from jzplan.validate.validator import SubmissionValidator
from tests.ingest import cellcases, corpus
from tests.ingest.corpus import PERIOD, row_of, standard, write
from tests.month.ingesting import ingest, submissions


def _observations(engine: Engine) -> dict[int, int]:
    with Session(engine) as session:
        rows = session.execute(
            select(ObservationRow.submission_id, func.count()).group_by(
                ObservationRow.submission_id
            )
        ).all()
    return {int(sid): int(n) for sid, n in rows}


def test_unreadable_figure_cells_hold_their_row_and_the_batch_loads(
    store: Engine, catalog: Catalog, validator: SubmissionValidator, tmp_path: Path
) -> None:
    may = tmp_path / "inbox" / str(PERIOD)
    formula = next(c for c in cellcases.CASES if c.id == "formula_without_value").build(
        catalog, may
    )
    good = write(
        standard(catalog, unit="SJZ"), may / corpus.file_name(catalog, "SJZ", ext="csv"),
        encoding="gbk",
    )  # fmt: skip
    fiscal = row_of(catalog, "local_fiscal_revenue", "YMZ")
    remark = write(
        standard(catalog, unit="YMZ").edited(lambda t: t.main.set(f"H{fiscal}", cellcases.REMARK)),
        may / corpus.file_name(catalog, "YMZ"),
    )
    gdp = row_of(catalog, "gdp", "LWJ")
    infinite = write(
        standard(catalog, unit="LWJ").edited(
            lambda t: t.main.set(f"E{gdp}", cellcases.PLACEHOLDER)
        ),
        may / corpus.file_name(catalog, "LWJ"),
    )
    cellcases.rewrite_sheet_xml(
        infinite, lambda xml: xml.replace(f"<v>{cellcases.PLACEHOLDER}</v>", "<v>1E999</v>")
    )

    files = discover_submissions(tmp_path / "inbox", PERIOD)
    outcomes = {o.file: o for o in (ingest(p, store, catalog, validator, tmp_path) for p in files)}

    assert {f: o.status for f, o in outcomes.items()} == {
        formula.name: IngestStatus.ACCEPTED, infinite.name: IngestStatus.ACCEPTED,
        good.name: IngestStatus.ACCEPTED, remark.name: IngestStatus.ACCEPTED,
    }  # fmt: skip
    assert (
        outcomes[formula.name]
        .messages[0]
        .startswith(f"[formula_without_value] 文件 {formula.name}，工作表 月报，第 8 行，E 列")
    )
    assert (
        outcomes[infinite.name]
        .messages[0]
        .startswith(f"[non_finite_number] 文件 {infinite.name}，工作表 月报，第 {gdp} 行，E 列")
    )
    assert any(
        m.startswith(f"[remark_beside_row] 文件 {remark.name}，工作表 月报，第 {fiscal} 行，H 列")
        for m in outcomes[remark.name].messages
    )
    stored = submissions(store)
    counts = _observations(store)
    # every figure but the held row's loaded
    assert counts[stored[formula.name].id] == len(catalog.unit("NGZ").reports) - 1
    assert counts[stored[infinite.name].id] == len(catalog.unit("LWJ").reports) - 1
    # every figure of the good forms loaded, the remarked row's included
    assert counts[stored[good.name].id] == len(catalog.unit("SJZ").reports)
    assert counts[stored[remark.name].id] == len(catalog.unit("YMZ").reports)


def test_the_run_reads_its_findings_policy_from_the_settings(
    catalog: Catalog,
    validator: SubmissionValidator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """JZPLAN_FINDINGS_FILE names the policy a run parses with (flows/monthly.py loads it
    once and hands it to every prepare task): an office that rejects files for a formula."""
    strict = tmp_path / "findings.yaml"
    strict.write_text("findings:\n  formula_without_value: reject_file\n", encoding="utf-8")
    monkeypatch.setenv("JZPLAN_FINDINGS_FILE", str(strict))
    settings = Settings()
    assert settings.findings_file == strict
    may = tmp_path / "inbox" / str(PERIOD)
    formula = next(c for c in cellcases.CASES if c.id == "formula_without_value").build(
        catalog, may
    )
    default = prepare_file(formula, catalog=catalog, validator=validator,
                           archive_dir=tmp_path / "a1", defer=True)  # fmt: skip
    assert default.parsed is not None and default.parsed.ok and default.pending
    assert [q.code for q in default.parsed.questions] == ["formula_without_value"]
    refused = prepare_file(formula, catalog=catalog, validator=validator,
                           archive_dir=tmp_path / "a2", defer=True,
                           policy=dict(load_policy(settings.findings_file)))  # fmt: skip
    assert refused.parsed is not None and not refused.parsed.ok and not refused.pending
    assert [i.code for i in refused.parsed.errors] == ["formula_without_value"]
    assert refused.parsed.questions == []
