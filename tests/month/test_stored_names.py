"""A file's names are checked against the store's columns before the database sees them: a
name too long rejects the file with a located reason, never a database error, never a name
cut short without one (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from jzplan.core.periods import Period
from jzplan.month.ingesting import ingest_file
from jzplan.month.prepare import fitted, name_issues, row_lengths
from jzplan.reference.catalog import Catalog
from jzplan.store.models import SubmissionRow
from jzplan.validate.validator import SubmissionValidator
from tests.ingest import corpus
from tests.ingest.corpus import PERIOD, standard, write
from tests.month.ingesting import submissions

FILE = Path("/inbox/2013-05/宁郭镇_2013年05月_月报.xlsx")
ARCHIVED = Path("/archive/ab/" + "a" * 64 + ".xlsx")


@pytest.mark.parametrize(
    ("lengths", "columns"),
    [
        ({"file_name": 255, "source_path": 512, "archive_path": 512}, []),
        ({"file_name": 20}, []),  # exactly the name's 20 characters
        ({"file_name": 19}, ["文件名"]),
        ({"source_path": 20}, ["收件路径"]),
        ({"archive_path": 30, "file_name": 3}, ["文件名", "存档路径"]),
    ],
)
def test_name_issues(lengths: dict[str, int], columns: list[str]) -> None:
    issues = name_issues(FILE, ARCHIVED, lengths)
    assert [(i.code, i.file, i.column) for i in issues] == [
        ("text_too_long", FILE.name, c) for c in columns
    ]


@pytest.mark.parametrize(
    ("value", "limit", "kept"),
    [("abcdef", None, "abcdef"), ("abcdef", 6, "abcdef"), ("abcdef", 4, "abc…")],
)
def test_fitted(value: str, limit: int | None, kept: str) -> None:
    assert fitted(value, limit) == kept


def test_lengths_are_the_store_columns() -> None:
    lengths = row_lengths(bulk=False)
    assert lengths["file_name"] == SubmissionRow.__table__.c.file_name.type.length  # type: ignore[attr-defined]
    assert {"file_name", "source_path", "archive_path"} <= set(row_lengths(bulk=True))


def test_an_archive_path_past_its_column_rejects_the_file_with_its_reason(
    store: Engine, catalog: Catalog, validator: SubmissionValidator, tmp_path: Path
) -> None:
    form = write(
        standard(catalog), tmp_path / "inbox" / str(PERIOD) / corpus.file_name(catalog, "NGZ")
    )
    deep = tmp_path.joinpath(*["档案库" * 20] * 8)  # archive_path past 512 characters
    outcome = ingest_file(
        form, engine=store, catalog=catalog, validator=validator, archive_dir=deep,
        arrival=Period.parse(form.parent.name), received_at=datetime(2013, 6, 4, tzinfo=UTC),
    )  # fmt: skip
    assert outcome.status == "rejected"
    assert outcome.messages[0].startswith(f"[text_too_long] 文件 {form.name}，存档路径 列")
    row = submissions(store)[form.name]
    assert row.status == "rejected" and "text_too_long" in (row.message or "")
    assert len(row.archive_path) == 512 and row.archive_path.endswith("…")
