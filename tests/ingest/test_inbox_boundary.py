"""The inbox is a boundary: real symlinks, folders, a FIFO and unsafe names beside a good form
in a batch folder on tmp_path. Only the good form is read, every other entry is refused with
its code, and the archive holds the good form's bytes only, readable by its owner only."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from jzplan.core.states import IngestStatus
from jzplan.ingest.inbox import ARCHIVE_DIR_MODE, ARCHIVE_FILE_MODE, archive_file, scan_batch
from jzplan.ingest.regular_files import InboxRefusal, escape_name, read_regular
from jzplan.ingest.status_files import STATUS_FILE, discover_status_files
from jzplan.month.ingesting import ingest_batch
from jzplan.month.prepare import prepare_file
from jzplan.reference.catalog import Catalog
from jzplan.validate.validator import SubmissionValidator
from tests.ingest.corpus import PERIOD, file_name, standard, write
from tests.month.ingesting import submissions


@dataclass(frozen=True)
class Place:
    """Where a case puts its entry: the batch folder, a folder outside the inbox holding a
    good form of 李万街道, and the good form in the batch."""

    batch: Path
    outside: Path
    foreign_form: Path
    good: Path


# name in the batch folder (bytes: not UTF-8), how the entry is made, the code it gets
CASES: list[tuple[str | bytes, Callable[[Path, Place], None], str]] = [
    ("passwd.csv", lambda p, w: p.symlink_to("/etc/passwd"), "symlink_refused"),
    ("environ.csv", lambda p, w: p.symlink_to("/proc/self/environ"), "symlink_refused"),
    ("李万街道_2013年05月_月报.xlsx", lambda p, w: p.symlink_to(w.foreign_form), "symlink_refused"),
    ("副本_宁郭镇_2013年05月_月报.xlsx", lambda p, w: p.symlink_to(w.good), "symlink_refused"),
    ("outside.xlsx", lambda p, w: p.symlink_to(w.outside, target_is_directory=True),
     "symlink_refused"),
    ("dangling.xlsx", lambda p, w: p.symlink_to(w.outside / "missing.xlsx"), "symlink_refused"),
    (STATUS_FILE, lambda p, w: p.symlink_to("/etc/passwd"), "symlink_refused"),
    ("子文件夹", lambda p, w: write_form_in(p / "阳庙镇_2013年05月_月报.xlsx", w),
     "not_a_regular_file"),
    ("fifo.csv", lambda p, w: os.mkfifo(p), "not_a_regular_file"),
    ("..\\x.xlsx", lambda p, w: p.write_bytes(w.foreign_form.read_bytes()), "unsafe_name"),
    ("阳庙镇_2013年05月_月报\n[INFO] 全部接收.xlsx",
     lambda p, w: p.write_bytes(w.foreign_form.read_bytes()), "unsafe_name"),
    ("阳庙镇_\u202exslx.csv", lambda p, w: p.write_bytes(b"a,b\n"), "unsafe_name"),
    (b"\xff\xfe.xlsx", lambda p, w: p.write_bytes(b"not utf-8 name"), "unsafe_name"),
]  # fmt: skip


def write_form_in(path: Path, where: Place) -> None:
    path.parent.mkdir()
    path.write_bytes(where.foreign_form.read_bytes())


def shown(name: str | bytes) -> str:
    text = os.fsdecode(name) if isinstance(name, bytes) else name
    return f"{PERIOD}/{escape_name(text)}"


@pytest.fixture
def place(tmp_path: Path, catalog: Catalog) -> Place:
    batch = tmp_path / "inbox" / str(PERIOD)
    outside = tmp_path / "outside"
    foreign = write(standard(catalog, unit="LWJ"), outside / file_name(catalog, "LWJ"))
    good = write(standard(catalog), batch / file_name(catalog, "NGZ"))
    return Place(batch, outside, foreign, good)


def make_cases(place: Place) -> dict[str, str]:
    """Every case's entry made beside the good form: {shown name: expected code}."""
    for name, make, _ in CASES:
        path = Path(os.fsdecode(os.path.join(os.fsencode(place.batch), os.fsencode(name))))
        make(path, place)
    return {shown(name): code for name, _, code in CASES}


def test_every_entry_but_the_good_form_is_refused_with_its_code(place: Place) -> None:
    expected = make_cases(place)
    batch = scan_batch(place.batch.parent, PERIOD)
    assert batch.files == (place.good,)
    assert {i.file: i.code for i in batch.refused} == expected
    for issue in batch.refused:
        assert str(issue).isprintable(), str(issue)  # no forged log line, no reordered text
    forged = shown("阳庙镇_2013年05月_月报\n[INFO] 全部接收.xlsx")
    assert forged.endswith("月报\\x0a[INFO] 全部接收.xlsx")
    assert shown(b"\xff\xfe.xlsx") == f"{PERIOD}/\\xff\\xfe.xlsx"
    assert shown("..\\x.xlsx") == f"{PERIOD}/..\\\\x.xlsx"
    # the status loader never follows its symlinked file either
    assert discover_status_files(place.batch.parent, PERIOD) == (None, None)


def test_a_symlinked_batch_folder_is_refused_whole(tmp_path: Path, place: Place) -> None:
    inbox = tmp_path / "other-inbox"
    inbox.mkdir()
    (inbox / str(PERIOD)).symlink_to(place.batch, target_is_directory=True)
    batch = scan_batch(inbox, PERIOD)
    assert batch.files == ()
    assert [(i.file, i.code) for i in batch.refused] == [(f"{PERIOD}/", "symlink_refused")]


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda p, w: p.symlink_to("/etc/passwd"), "symlink_refused"),
        (lambda p, w: p.symlink_to(w.foreign_form), "symlink_refused"),
        (lambda p, w: os.mkfifo(p), "not_a_regular_file"),
        (lambda p, w: p.mkdir(), "not_a_regular_file"),
    ],
    ids=["symlink-passwd", "symlink-form", "fifo", "folder"],
)
def test_a_form_swapped_after_listing_is_refused_unread(
    place: Place,
    catalog: Catalog,
    validator: SubmissionValidator,
    tmp_path: Path,
    make: Callable[[Path, Place], None],
    code: str,
) -> None:
    listed = scan_batch(place.batch.parent, PERIOD).files
    assert listed == (place.good,)
    place.good.unlink()
    make(place.good, place)  # the listed name is now something else
    with pytest.raises(InboxRefusal) as refused:
        read_regular(place.good)
    assert refused.value.code == code
    prepared = prepare_file(
        place.good, catalog=catalog, validator=validator, archive_dir=tmp_path / "archive"
    )
    assert prepared.refused is not None and prepared.refused.code == code
    assert (prepared.parsed, prepared.archive_path) == (None, None)
    assert not (tmp_path / "archive").exists()


def test_the_month_loads_the_good_form_and_lists_each_refusal(
    place: Place,
    store: Engine,
    catalog: Catalog,
    validator: SubmissionValidator,
    tmp_path: Path,
) -> None:
    """Through ``jzplan.month.ingesting.ingest_batch`` on each backend (the ``store`` fixture)."""
    expected = make_cases(place)
    archive = tmp_path / "archive"
    outcomes = ingest_batch(
        place.batch.parent,
        PERIOD,
        engine=store,
        catalog=catalog,
        validator=validator,
        archive_dir=archive,
        received_at=datetime(2013, 6, 4, 9, tzinfo=UTC),
    )
    by_status = {o.file: (o.status, o.messages) for o in outcomes}
    assert by_status.pop(place.good.name)[0] == IngestStatus.ACCEPTED
    assert {f: s for f, (s, _) in by_status.items()} == dict.fromkeys(expected, "refused")
    for name, (_, messages) in by_status.items():
        assert messages[0].startswith(f"[{expected[name]}] 文件 {name}：")
    assert IngestStatus.REFUSED.label == "已拒收"
    # the store knows the good form only: nothing outside the inbox became a submission
    assert list(submissions(store)) == [place.good.name]
    # the archive: the good form's bytes and its sidecar, nothing else, owner-only
    kept = {p.relative_to(archive): p for p in archive.rglob("*")}
    files = [p for p in kept.values() if p.is_file()]
    assert sorted(p.suffix for p in files) == [".json", ".xlsx"]
    assert next(p for p in files if p.suffix == ".xlsx").read_bytes() == place.good.read_bytes()
    assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {ARCHIVE_FILE_MODE}
    folders = [archive, *(p for p in kept.values() if p.is_dir())]
    assert {stat.S_IMODE(p.stat().st_mode) for p in folders} == {ARCHIVE_DIR_MODE}


FILL_ARCHIVE = """
import resource, signal, sys
from pathlib import Path
from jzplan.ingest.inbox import archive_file
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
try:
    archive_file(Path(sys.argv[1]), Path(sys.argv[2]), "ab" * 32)
except OSError as exc:
    print(type(exc).__name__)
"""


def test_a_failed_archive_copy_leaves_no_part_file(place: Place, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    # the form is larger than the file size limit: the copy fails part way (as on a full disk)
    assert place.good.stat().st_size > 1000
    ran = subprocess.run(
        [sys.executable, "-c", FILL_ARCHIVE, str(place.good), str(archive)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert ran.stdout.strip() == "OSError"
    assert [p.name for p in archive.rglob("*") if p.is_file()] == []
    assert stat.S_IMODE((archive / "ab").stat().st_mode) == ARCHIVE_DIR_MODE


def test_a_copy_archived_before_the_archive_was_private_is_tightened(
    place: Place, tmp_path: Path
) -> None:
    archive, sha = tmp_path / "archive", "cd" * 32
    first = archive_file(place.good, archive, sha)
    first.chmod(0o444)  # as copies were archived before
    archive.chmod(0o755)
    again = archive_file(place.good, archive, sha)
    assert again == first and again.read_bytes() == place.good.read_bytes()
    assert stat.S_IMODE(again.stat().st_mode) == ARCHIVE_FILE_MODE
    assert stat.S_IMODE(archive.stat().st_mode) == ARCHIVE_DIR_MODE
