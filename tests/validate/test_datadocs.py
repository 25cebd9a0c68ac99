"""Data Docs built with templates compiled once per process are the pages GE writes itself."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store.reference import sync_reference
from jzplan.store.submissions import record_submission
from jzplan.validate import datadocs
from jzplan.validate.datadocs import start_data_docs
from jzplan.validate.docs_helper import DocsHelper
from jzplan.validate.store_checks import read_validation_documents, write_validation_documents
from jzplan.validate.validator import SubmissionValidator
from tests.validate.cases import DEFECTS, EXPECTATIONS, PERIOD, UNIT, good_rows, submission

# what differs between two builds of the same results: build times and element ids
_VOLATILE = re.compile(
    r"\d{8}T\d{6}\.\d+Z|\d{4}-\d\d-\d\d[T ][\d:.]+(?:\+00:00|Z)?"
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


def _site(engine: Engine, ids: list[int], folder: Path, **kwargs: Any) -> Path:
    """The site of ``ids`` built in ``folder`` by this process; its ``index.html``."""
    return start_data_docs(engine, ids, folder, EXPECTATIONS, run_name="test", **kwargs).wait()


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
        _site(engine, ids, tmp_path / f"docs-{i}")
        for i in range(2)  # the second with every template already compiled
    ]
    assert datadocs._BYTECODE
    with monkeypatch.context() as m:
        m.setattr(datadocs, "_bytecode_cache", lambda: None)  # GE's own: compiled per build
        plain = _site(engine, ids, tmp_path / "plain")
    expected = _pages(plain.parent)
    assert len(expected) == 1 + 3 + 2 * 2  # index, suites, 2 submissions x 2 suites
    for index in build:
        assert _pages(index.parent) == expected
    # the same documents into a folder they built: left as it is; other ones: built again
    before = {p: p.stat().st_mtime_ns for p in build[0].parent.rglob("*.html")}
    monkeypatch.setattr(datadocs, "_build", lambda *a, **k: pytest.fail("built again"))
    assert _site(engine, ids, tmp_path / "docs-0") == build[0]
    assert {p: p.stat().st_mtime_ns for p in build[0].parent.rglob("*.html")} == before
    monkeypatch.undo()
    one = _site(engine, ids[:1], tmp_path / "docs-0")
    assert len(_pages(one.parent)) == 1 + 3 + 2  # the second submission's pages are gone
    (one.parent / "index.html").unlink()  # a site someone removed a page of: built again
    _site(engine, ids[:1], tmp_path / "docs-0")
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
        _site(engine, [sub_id], site)
    assert len(built) == 1  # the second call found the site built from the same rows
    suites = built[0]
    write_validation_documents(engine, sub_id, [{**first, "suite_name": "later_suite"}])
    _site(engine, [sub_id], site)
    assert built[1] == sorted([*suites, "later_suite"])
    # labels are part of what a site is built from
    _site(engine, [sub_id], site, labels={sub_id: "x"})
    assert len(built) == 3


# --- the helper process (jzplan.validate.docs_helper) ---------------------------------------


def _job(engine: Engine, ids: list[int], folder: Path, helper: DocsHelper | None) -> Any:
    return datadocs.start_data_docs(
        engine, ids, folder, EXPECTATIONS, run_name="test", labels={ids[0]: "NGZ-x"},
        helper=helper,
    )  # fmt: skip


def test_the_helper_builds_the_pages_the_run_would(
    engine: Engine, stored: list[int], tmp_path: Path, helper: DocsHelper
) -> None:
    by_helper = _job(engine, stored, tmp_path / "helper", helper)
    assert by_helper.answer is not None  # sent: the helper was ready and idle
    assert _job(engine, stored, tmp_path / "busy", helper).answer is None  # one at a time
    index = by_helper.wait()
    assert by_helper.built_by_helper and by_helper.helper_error is None
    here = _job(engine, stored, tmp_path / "here", None)
    assert here.wait() == tmp_path / "here" / "index.html" and not here.built_by_helper
    assert len(_pages(index.parent)) == 1 + 3 + 2 * 2
    assert _pages(index.parent) == _pages(tmp_path / "here")
    # its digest written as the run's own: the same call finds the site built
    again = _job(engine, stored, tmp_path / "helper", helper)
    assert again.request is None and again.answer is None
    assert helper.cpu_seconds() > 0


def test_a_helper_that_dies_leaves_the_site_to_the_run(
    engine: Engine, stored: list[int], tmp_path: Path
) -> None:
    doomed = DocsHelper(timeout=60)
    assert _job(engine, stored, tmp_path / "unstarted", doomed).answer is None  # not started
    doomed.start()
    assert doomed.wait_ready(120), doomed.last_error
    pid = doomed.pid
    assert pid is not None
    job = _job(engine, stored, tmp_path / "site", doomed)
    os.kill(pid, signal.SIGKILL)  # in the middle of its build, or before it began
    index = job.wait()
    assert not job.built_by_helper and job.helper_error  # EOF on its pipe
    assert len(_pages(index.parent)) == 1 + 3 + 2 * 2 and (index.parent / ".built-from").is_file()
    assert doomed.pid is None and not doomed.ready()
    assert _job(engine, stored, tmp_path / "later", doomed).answer is None  # until restarted
    doomed.start()  # a later run starts another
    assert doomed.wait_ready(120)
    doomed.close()
    assert doomed.pid is None


def test_the_helper_ends_with_its_parent(tmp_path: Path) -> None:
    """A parent killed outright: the helper sees its stdin close and exits."""
    script = (
        "import sys; from jzplan.validate.docs_helper import DocsHelper\n"
        "h = DocsHelper(); h.start(); assert h.wait_ready(120)\n"
        "print(h.pid, flush=True); sys.stdin.read()\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    pid = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    for _ in range(200):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the helper outlived its parent")
