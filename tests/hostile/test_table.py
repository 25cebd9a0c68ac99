"""docs/ingest.md holds the hostile month's table as the cases define it."""

from __future__ import annotations

from tests.conftest import REPO_ROOT
from tests.hostile.cases import CASES
from tests.hostile.table import BEGIN, END, markdown_table


def test_the_docs_table_is_the_cases() -> None:
    text = (REPO_ROOT / "docs" / "ingest.md").read_text("utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    assert text[start:end] == markdown_table(), "run: python -m tests.hostile.table"


def test_the_corpus_has_the_issue_cases_and_ten_more() -> None:
    assert sum(c.origin == "issue" for c in CASES) >= 36
    assert sum(c.origin == "own" for c in CASES) >= 10
    assert len({c.id for c in CASES}) == len(CASES)
    assert all(c.expect for c in CASES)
