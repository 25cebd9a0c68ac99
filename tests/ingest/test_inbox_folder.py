"""A batch folder that does not exist is the operator's error (``inbox_missing``); an empty
one means nothing arrived."""

from __future__ import annotations

from pathlib import Path

import pytest

from jzplan.core.errors import OperatorError
from jzplan.core.periods import Period
from jzplan.ingest.inbox import batch_folder, discover_submissions

MAY = Period(2013, 5)


@pytest.mark.parametrize(
    ("make", "found"),
    [
        (None, None),  # no batch folder: an error
        ("folder", []),  # an empty batch folder: nothing arrived
        ("file", None),  # a file where the folder should be: an error
        ("form", ["x.xlsx"]),
    ],
)
def test_batch_folder(make: str | None, found: list[str] | None, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    if make == "file":
        (inbox / "2013-05").write_text("", encoding="utf-8")
    elif make is not None:
        (inbox / "2013-05").mkdir()
        if make == "form":
            (inbox / "2013-05" / "x.xlsx").write_bytes(b"")
    if found is None:
        with pytest.raises(OperatorError) as caught:
            discover_submissions(inbox, MAY)
        assert caught.value.code == "inbox_missing"
        assert str(inbox / "2013-05") in caught.value.message and "\n" not in str(caught.value)
    else:
        assert batch_folder(inbox, MAY) == inbox / "2013-05"
        assert [p.name for p in discover_submissions(inbox, MAY)] == found


def test_an_absent_inbox_is_the_same_error(tmp_path: Path) -> None:
    with pytest.raises(OperatorError, match="inbox_missing"):
        batch_folder(tmp_path / "no-such-inbox", MAY)
