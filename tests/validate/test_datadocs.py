"""Data Docs built with templates compiled once per process are the pages GE writes itself."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store.reference import sync_reference
from jzplan.store.submissions import record_submission
from jzplan.validate import datadocs
from jzplan.validate.datadocs import build_data_docs
from jzplan.validate.store_checks import read_validation_documents, write_validation_documents
from jzplan.validate.validator import SubmissionValidator
from tests.validate.cases import DEFECTS, EXPECTATIONS, PERIOD, UNIT, good_rows, submission

# what differs between two builds of the same results: build times and element ids
_VOLATILE = re.compile(
    r"\d{8}T\d{6}\.\d+Z|\d{4}-\d\d-\d\d[T ][\d:.]+(?:\+00:00|Z)?"
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


def _pages(folder: Path) -> dict[str, str]:
    return {
        _VOLATILE.sub("~", str(p.relative_to(folder))): _VOLATILE.sub(
            "~", p.read_text(encoding="utf-8")
        )
        for p in sorted(folder.rglob("*.html"))
    }


@pytest.fixture
def stored(
    engine: Engine, catalog: Catalog, plan: Plan, validator: SubmissionValidator
) -> list[int]:
    """Two submissions of the store (one good, one with a unit mismatch) and their GE
    documents; their ids."""
    sync_reference(engine, catalog, plan)
    ids = []
    for k, rows in enumerate([good_rows(catalog), DEFECTS["unit_mismatch"][0](good_rows(catalog))]):
        parsed = submission(rows)
        sub_id = record_submission(
            engine,
            sha256=f"{k:064d}",
            file_name=f"file-{k}.xlsx",
            archive_path="-",
            arrival_period=PERIOD,
            received_at=datetime(2013, 4, 3, tzinfo=UTC),
            org_unit=UNIT,
            period=PERIOD,
            filed_on=None,
        )
        write_validation_documents(engine, sub_id, validator.validate(parsed).documents)
        ids.append(sub_id)
    return ids


def test_pages_equal_uncompiled_ones(
    engine: Engine, stored: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = stored
    build = [
        build_data_docs(engine, ids, tmp_path / f"docs-{i}", EXPECTATIONS, run_name="test")
        for i in range(2)  # the second with every template already compiled
    ]
    assert datadocs._BYTECODE
    with monkeypatch.context() as m:
        m.setattr(datadocs, "_bytecode_cache", lambda: None)  # GE's own: compiled per build
        plain = build_data_docs(engine, ids, tmp_path / "plain", EXPECTATIONS, run_name="test")
    expected = _pages(plain.parent)
    assert len(expected) == 1 + 3 + 2 * 2  # index, suites, 2 submissions x 2 suites
    for index in build:
        assert _pages(index.parent) == expected
    # the same documents into a folder they built: left as it is; other ones: built again
    before = {p: p.stat().st_mtime_ns for p in build[0].parent.rglob("*.html")}
    monkeypatch.setattr(datadocs, "_build", lambda *a, **k: pytest.fail("built again"))
    assert (
        build_data_docs(engine, ids, tmp_path / "docs-0", EXPECTATIONS, run_name="test")
        == (build[0])
    )
    assert {p: p.stat().st_mtime_ns for p in build[0].parent.rglob("*.html")} == before
    monkeypatch.undo()
    one = build_data_docs(engine, ids[:1], tmp_path / "docs-0", EXPECTATIONS, run_name="test")
    assert len(_pages(one.parent)) == 1 + 3 + 2  # the second submission's pages are gone
    (one.parent / "index.html").unlink()  # a site someone removed a page of: built again
    build_data_docs(engine, ids[:1], tmp_path / "docs-0", EXPECTATIONS, run_name="test")
    assert _pages(one.parent) and (one.parent / "index.html").is_file()


def test_a_document_written_since_builds_the_site_again(
    engine: Engine, stored: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The site's digest is taken from the stored documents' rows, not their JSON: a
    document stored since (another suite's, for a submission of the site) is a new row."""
    sub_id = stored[0]
    first = read_validation_documents(engine, [sub_id])[0]["document"]
    built: list[list[str]] = []

    def record(documents: list[dict[str, object]], folder: Path, *a: object, **k: object) -> None:
        built.append([str(d["suite"]) for d in documents])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "index.html").write_text("site", "utf-8")

    monkeypatch.setattr(datadocs, "_build", record)
    site = tmp_path / "docs"
    for _ in range(2):
        build_data_docs(engine, [sub_id], site, EXPECTATIONS, run_name="test")
    assert len(built) == 1  # the second call found the site built from the same rows
    suites = built[0]
    write_validation_documents(engine, sub_id, [{**first, "suite_name": "later_suite"}])
    build_data_docs(engine, [sub_id], site, EXPECTATIONS, run_name="test")
    assert built[1] == sorted([*suites, "later_suite"])
    # labels are part of what a site is built from
    build_data_docs(engine, [sub_id], site, EXPECTATIONS, run_name="test", labels={sub_id: "x"})
    assert len(built) == 3
