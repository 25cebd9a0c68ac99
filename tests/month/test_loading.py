"""Archive and statuses, through the pipeline on SQLite and PostgreSQL (corrections:
tests/store/test_lifecycle.py)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import Engine

from jzplan.core.states import LifecycleError, check_transition
from jzplan.ingest.inbox import discover_submissions, read_metadata
from jzplan.reference.catalog import Catalog
from jzplan.validate.validator import SubmissionValidator
from tests.ingest import corpus
from tests.ingest.corpus import PERIOD, standard, write
from tests.month.ingesting import ingest, submissions


def test_every_file_archived_with_metadata_and_a_bad_folder_still_loads_the_good(
    store: Engine, catalog: Catalog, validator: SubmissionValidator, tmp_path: Path
) -> None:
    may = tmp_path / "inbox" / str(PERIOD)
    good_xls = write(standard(catalog), may / corpus.file_name(catalog, "NGZ", ext="xls"))
    good_csv = write(
        standard(catalog, unit="SJZ"), may / corpus.file_name(catalog, "SJZ", ext="csv"),
        encoding="gbk",
    )  # fmt: skip
    bad = write(
        # a whole-file defect (its head's period); one bad figure cell would only hold its row
        standard(catalog, unit="YMZ").edited(lambda t: t.main.set("F2", "报告期：2013年13月")),
        may / corpus.file_name(catalog, "YMZ"),
    )
    (may / "重点工作进展.csv").write_text("目标编号,进展状态\n", encoding="utf-8")  # not a 月报
    (may / "~$宁郭镇_2013年05月_月报.xlsx").write_bytes(b"lock file")

    files = discover_submissions(tmp_path / "inbox", PERIOD)
    assert [p.name for p in files] == sorted(p.name for p in (good_xls, good_csv, bad))
    outcomes = {o.file: o for o in (ingest(p, store, catalog, validator, tmp_path) for p in files)}
    assert {f: o.status for f, o in outcomes.items()} == {
        good_xls.name: "accepted", good_csv.name: "accepted", bad.name: "rejected",
    }  # fmt: skip
    assert (
        outcomes[bad.name]
        .messages[0]
        .startswith(f"[bad_period] 文件 {bad.name}，工作表 月报，第 2 行，F 列")
    )

    subs = submissions(store)
    for path in files:
        row = subs[path.name]
        archived = Path(row.archive_path)
        assert archived.read_bytes() == path.read_bytes()
        assert not archived.stat().st_mode & stat.S_IWUSR  # read-only copy
        meta = read_metadata(archived)
        assert (meta.sha256, meta.size_bytes, meta.original_name) == (
            row.sha256, path.stat().st_size, path.name,
        )  # fmt: skip
        assert (row.size_bytes, row.source_path, row.file_format) == (
            path.stat().st_size,
            f"2013-05/{path.name}",
            {".xls": "xls", ".csv": "csv", ".xlsx": "xlsx"}[path.suffix],
        )
        assert json.loads(archived.with_name(archived.name + ".json").read_text("utf-8"))
    assert subs[bad.name].status == "rejected" and "bad_period" in (subs[bad.name].message or "")

    # a rejected file cannot be accepted later, nor an accepted one rejected
    with pytest.raises(LifecycleError):
        check_transition("rejected", "accepted")
    with pytest.raises(LifecycleError):
        check_transition("accepted", "rejected")
    check_transition("received", "accepted")
    check_transition("accepted", "accepted")  # a rerun repeats the decision
