"""The hostile month (``tests/hostile``): every bad file beside the month's good forms, run
by the monthly flow in a process of its own on SQLite and on PostgreSQL.

Every good file is loaded, every bad one gets its located reason, nothing outside the inbox
is read, the run's peak memory stays under 1 GiB, and for every form in the batch the
figures read, held and refused add up to the figure cells in the file (the accounting)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from prefect.settings import PREFECT_API_URL
from sqlalchemy import select

from jzplan.ingest.accounting import account_figures
from jzplan.ingest.form_parser import parse_submission
from jzplan.ingest.regular_files import escape_name
from jzplan.reference.catalog import Catalog
from jzplan.store.db import make_engine
from jzplan.store.models import ObservationRow, SubmissionRow
from tests.conftest import REPO_ROOT
from tests.hostile.kinds import MONTH
from tests.hostile.month import build_month, expectations
from tests.ingest.figurecount import figure_cells

pytestmark = pytest.mark.flow

MEMORY_LIMIT_MIB = 1024
ROW = re.compile(r"^\[(\w+)\] 文件 ([^，：]+)，第 (\d+) 行")


@pytest.fixture(scope="module")
def hostile_inbox(tmp_path_factory: pytest.TempPathFactory, catalog: Catalog) -> Path:
    """The batch, written once for both backends (about 200 MB: two 2M-row CSVs)."""
    root = tmp_path_factory.mktemp("hostile")
    build_month(root / "inbox" / str(MONTH), root / "outside", catalog)
    return root / "inbox"


def _run(inbox: Path, database_url: str, folder: Path) -> dict[str, Any]:
    env = {
        **os.environ,
        "JZPLAN_DATABASE_URL": database_url,
        "JZPLAN_ARCHIVE_DIR": str(folder / "archive"),
        "JZPLAN_REPORT_DIR": str(folder / "reports"),
        "JZPLAN_DATA_DOCS_DIR": str(folder / "data_docs"),
        # its 2012 forms test hostile content, not the correction window: all of them load
        "JZPLAN_CORRECTION_WINDOW_MONTHS": "0",
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT_HOME": str(folder / "prefect-home"),
        "PREFECT_LOGGING_TO_API_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "DO_NOT_TRACK": "1",
    }
    log = folder / "child.log"
    with log.open("w") as err:
        done = subprocess.run(
            [sys.executable, "-m", "tests.hostile.child", str(inbox)],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            timeout=900,
        )
    assert done.returncode == 0, log.read_text()[-4000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _seen(summary: dict[str, Any]) -> dict[str, tuple[str, set[str]]]:
    """Every entry's status and codes: files from the outcomes (a refused entry by its name
    within the batch folder), status-file rows from the located issues."""
    seen: dict[str, tuple[str, set[str]]] = {}
    for o in summary["outcomes"]:
        name = o["file"].split("/", 1)[1] if o["file"].startswith(f"{MONTH}/") else o["file"]
        seen[name] = (o["status"], set(o["codes"]))
    for issue in summary["status_issues"]:
        m = ROW.match(issue)
        assert m, issue
        seen[f"{m[2]}:{m[3]}"] = ("row_left_out", {m[1]})
    return seen


def test_the_hostile_month(
    hostile_inbox: Path, database_url: str, flow_env: Path, catalog: Catalog
) -> None:
    result = _run(hostile_inbox, database_url, flow_env)
    summary = result["summary"]
    seen = _seen(summary)
    wrong = []
    for entry, e in expectations().items():
        if e.status == "read":
            continue  # a status file read whole: checked by its rows below
        got = seen.get(escape_name(entry)) or seen.get(entry)
        if got is None or got[0] != e.status or (e.code is not None and e.code not in got[1]):
            wrong.append(f"{entry!r}: expected {e.status} {e.code}, got {got}")
    assert not wrong, "\n".join(wrong)
    # nothing silently dropped: every entry of the batch folder has an outcome
    names = {escape_name(p.name) for p in (hostile_inbox / str(MONTH)).iterdir()}
    status_files = {"重点工作进展.csv", "排名.csv"}
    assert names - status_files <= set(seen), names - status_files - set(seen)
    # the GBK progress file read whole, the ranking's one good row loaded
    assert summary["status_rows"] == {"progress": 58, "ranking": 1}
    assert result["peak_mib"] < MEMORY_LIMIT_MIB, result
    _nothing_from_outside(database_url, flow_env)


def _nothing_from_outside(database_url: str, folder: Path) -> None:
    """No byte of /etc/passwd, the environment or the outside form reached the archive or the
    store: the archive holds only files of the batch; the outside form's figure is nowhere."""
    archived = b"".join(p.read_bytes() for p in (folder / "archive").rglob("*") if p.is_file())
    assert b"root:x:0:0" not in archived
    assert b"JZPLAN_DATABASE_URL" not in archived
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            values = set(conn.scalars(select(ObservationRow.value)))
            files = set(conn.scalars(select(SubmissionRow.file_name)))
    finally:
        engine.dispose()
    assert 99.125 * 1e4 not in values and 99.125 not in values
    assert not any("(外部)" in f or f.startswith("李万街道_2013年07月_月报(2)") for f in files)


def test_every_form_cell_is_accounted_for(hostile_inbox: Path, catalog: Catalog) -> None:
    """For every form of the batch that the parser reads: read + held + refused = the figure
    cells counted from the raw cells."""
    batch = hostile_inbox / str(MONTH)
    checked = 0
    for path in sorted(batch.iterdir()):
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 5_000_000:
            continue  # refused unread, or a limit's case (refused before parsing)
        if path.suffix.lower() not in (".xlsx", ".xls", ".csv", ".xlsm"):
            continue
        if path.name in ("重点工作进展.csv", "排名.csv"):
            continue
        parsed = parse_submission(path, catalog, arrival=MONTH)
        account = account_figures(parsed)
        in_file = figure_cells(path)
        if account.seen == 0 and in_file:
            # refused whole before any cell was read (a limit, macros): every cell refused
            assert any(i.row is None and i.severity == "error" for i in parsed.issues), path.name
            checked += 1
            continue
        assert account.read + account.held + account.refused == len(in_file), (path.name, account)
        assert sorted((c.row, c.column) for c in parsed.figures) == sorted(in_file), path.name
        checked += 1
    assert checked >= 20
