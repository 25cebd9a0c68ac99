"""Output files are written whole or not at all: on a real full disk (a tiny tmpfs) and when
the writer fails midway, the previous file stays byte-identical and no temporary is left."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import openpyxl
import pytest

from jzplan.core.files import REPORT_FILE_MODE, write_atomic
from jzplan.ingest.form_writer import save_workbook
from jzplan.ingest.inbox import archive_file
from tests.tinyfs import tiny_filesystem

OLD = "# 旧月报\n\n| 编号 | 状态 |\n|---|---|\n| A01 | 正常 |\n"


def _big_workbook() -> openpyxl.Workbook:
    """A workbook whose xlsx (~200 KB, random-looking text) is past the tiny disk."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for _ in range(2000):
        ws.append([os.urandom(24).hex() for _col in range(4)])
    return wb


def test_a_new_file_replaces_the_old_whole(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "progress-2013-06.md"
    write_atomic(target, OLD)
    write_atomic(target, "新的月报")
    assert target.read_text(encoding="utf-8") == "新的月报"
    assert os.listdir(target.parent) == [target.name]
    assert target.stat().st_mode & 0o777 == REPORT_FILE_MODE


def test_a_full_disk_leaves_the_old_report(tmp_path: Path) -> None:
    with tiny_filesystem(tmp_path) as disk:
        md, book = disk / "progress-2013-06.md", disk / "progress-2013-06.xlsx"
        write_atomic(md, OLD)
        book.write_bytes(b"old workbook")
        with pytest.raises(OSError) as caught:
            write_atomic(md, OLD * 3000)  # ~150 KB on a 64 KiB disk
        assert caught.value.errno == errno.ENOSPC
        with pytest.raises(OSError) as caught:
            save_workbook(_big_workbook(), book, creator="焦作新区")
        assert caught.value.errno == errno.ENOSPC
        assert md.read_text(encoding="utf-8") == OLD
        assert book.read_bytes() == b"old workbook"
        assert sorted(os.listdir(disk)) == sorted([book.name, md.name])


def test_a_writer_failing_midway_leaves_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Interrupted between the temporary and the rename (a KeyboardInterrupt in the fsync)."""
    target = tmp_path / "progress-2013-06.html"
    target.write_text(OLD, encoding="utf-8")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "<html>新的</html>")
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == OLD
    assert os.listdir(tmp_path) == [target.name]


def test_a_full_archive_disk_leaves_no_part_file(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox" / "2013-06"
    inbox.mkdir(parents=True)
    form = inbox / "李万街道_2013年05月_月报.xlsx"
    form.write_bytes(os.urandom(100_000))
    with tiny_filesystem(tmp_path) as disk:
        with pytest.raises(OSError) as caught:
            archive_file(form, disk / "archive", "ab" * 32)
        assert caught.value.errno == errno.ENOSPC
        left = [p.name for p in disk.rglob("*") if p.is_file()]
        assert left == []


def test_chunks_are_written_one_after_another(tmp_path: Path) -> None:
    target = tmp_path / "progress-2013-06.html"
    write_atomic(target, (b"<html>", "月报".encode(), b"</html>"))
    assert target.read_text(encoding="utf-8") == "<html>月报</html>"
    write_atomic(target, b"bytes")
    assert target.read_bytes() == b"bytes"
