"""Preparing a batch: which files are stored already, which files' history suites may run
together."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd
import pytest

from jzplan.core.periods import Period
from jzplan.core.submissions import ParsedSubmission
from jzplan.month import prepare
from jzplan.month.prepare import PreparedFile, history_groups, stored_already
from tests.validate.cases import PERIOD


def _prepared(name: str, unit: str | None, *, bulk: bool = False) -> PreparedFile:
    frame = pd.DataFrame({"org_unit": [unit], "period": [PERIOD]})
    parsed = ParsedSubmission(
        Path(name), "0" * 64, unit, Period.parse(PERIOD), frame=frame, bulk=bulk
    )
    return PreparedFile(Path(name), name, parsed=parsed)


@pytest.mark.parametrize(
    ("files", "groups"),
    [
        ([("a", "NGZ"), ("b", "WC"), ("c", "LW")], [["a", "b", "c"]]),
        # a unit's second file waits for its first to be loaded
        ([("a", "LW"), ("b", "NGZ"), ("c", "LW"), ("d", "WC")], [["a", "b"], ["c", "d"]]),
        # a bulk file alone
        ([("a", "NGZ"), ("b", "*"), ("c", "WC")], [["a"], ["b"], ["c"]]),
        ([("a", None), ("b", None)], [["a", "b"]]),
    ],
)
def test_history_groups(files: list[tuple[str, str | None]], groups: list[list[str]]) -> None:
    prepared = [_prepared(n, u, bulk=u == "*") for n, u in files]
    assert [[p.sha256 for p in g] for g in history_groups(prepared)] == groups


def test_stored_already_finds_a_stored_form_before_any_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A form whose bytes the store has is found by its sha256; a changed copy, a symlink,
    a folder, a vanished name and a file past the size hashed first are left to their task."""
    stored, changed, big = (tmp_path / n for n in ("a.xlsx", "b.xlsx", "c.csv"))
    stored.write_bytes(b"form bytes")
    changed.write_bytes(b"form bytes, corrected")
    big.write_bytes(b"x" * 64)
    (tmp_path / "link.xlsx").symlink_to(stored)
    (tmp_path / "dir.xlsx").mkdir()
    known = {hashlib.sha256(b"form bytes").hexdigest(), hashlib.sha256(b"x" * 64).hexdigest()}
    monkeypatch.setattr(prepare, "HASHED_FIRST_BYTES", 32)  # c.csv is "large"
    paths = [stored, changed, big, tmp_path / "link.xlsx", tmp_path / "dir.xlsx",
             tmp_path / "gone.xlsx"]  # fmt: skip
    found = stored_already(paths, known)
    assert list(found) == [stored]
    assert found[stored].sha256 == hashlib.sha256(b"form bytes").hexdigest()
    # as prepare_file returns a stored file: nothing read beyond its hash, nothing archived
    assert (found[stored].parsed, found[stored].archive_path) == (None, None)
    assert stored_already(paths, set()) == {}  # an empty store: nothing read
    os.chmod(stored, 0)  # unreadable here: its task says why (or reads it, as root)
    if not os.access(stored, os.R_OK):
        assert stored_already([stored], known) == {}
