"""The inbox and the archive: which files arrived with a batch, and their immutable copies.

Every received file is archived by sha256 with a metadata sidecar before it is parsed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from jzplan.core.errors import OperatorError
from jzplan.core.periods import Period
from jzplan.ingest.readers import SUPPORTED_SUFFIXES
from jzplan.ingest.status_files import RANKING_FILE, STATUS_FILE

# Other files a batch folder may hold, read by their own loaders (jzplan.ingest.status_files)
NOT_SUBMISSIONS = frozenset({STATUS_FILE, RANKING_FILE})


def batch_folder(inbox_dir: Path, arrival: Period) -> Path:
    """``<inbox>/<YYYY-MM>``, which must exist: an empty folder means nothing arrived, a
    missing one a broken environment (a wrong JZPLAN_INBOX_DIR, an unmounted share), never
    a month in which no unit reported."""
    folder = inbox_dir / str(arrival)
    if not folder.is_dir():
        raise OperatorError(
            "inbox_missing",
            f"收件箱中没有 {arrival} 的批次文件夹 {folder}：请检查 JZPLAN_INBOX_DIR 或共享目录"
            "是否挂载；本月确实无人报送时，请建立该空文件夹后重新运行",
        )
    return folder


def discover_submissions(inbox_dir: Path, arrival: Period) -> list[Path]:
    """Files that arrived with the batch of ``arrival``: ``<inbox>/<YYYY-MM>/*``, by name.

    Raises OperatorError ``inbox_missing`` when the batch folder does not exist."""
    folder = batch_folder(inbox_dir, arrival)
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix.lower() in SUPPORTED_SUFFIXES
        and not p.name.startswith(("~$", "."))
        and p.name not in NOT_SUBMISSIONS
    )


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def archive_file(path: Path, archive_dir: Path, sha256: str) -> Path:
    """Keep an immutable copy by content hash before anything else happens to the file."""
    target = archive_dir / sha256[:2] / f"{sha256}{path.suffix.lower()}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        # A private temporary name: two runs archiving the same file never share a half copy,
        # and a run killed mid-copy leaves at most a stray *.part, never a truncated target.
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f"{sha256}.", suffix=".part")
        os.close(fd)
        tmp = Path(name)
        shutil.copyfile(path, tmp)
        tmp.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        tmp.replace(target)
    return target


@dataclass(frozen=True, slots=True)
class FileMetadata:
    """What is known of a file the moment it is received, kept next to its archived copy."""

    sha256: str
    size_bytes: int
    original_name: str
    source_path: str  # <arrival folder>/<name>, as found in the inbox
    file_format: str | None  # xlsx|xls|csv from the content; None when unrecognisable
    archived_at: str  # ISO time the copy was first made (UTC)


def source_path_of(path: Path) -> str:
    """``2013-06/李万街道_2013年05月_月报.xlsx``: the file's name within its inbox batch."""
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def write_metadata(archived: Path, meta: FileMetadata) -> Path:
    """``<archive>.json`` beside the archived copy, written once and read-only (the first
    receipt is what counts; a byte-identical file later is a duplicate)."""
    target = archived.with_name(archived.name + ".json")
    if target.exists():
        return target
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f"{meta.sha256}.", suffix=".part")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(asdict(meta), out, ensure_ascii=False, indent=1, sort_keys=True)
    tmp = Path(name)
    tmp.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    tmp.replace(target)
    return target


def read_metadata(archived: Path) -> FileMetadata:
    raw = json.loads(archived.with_name(archived.name + ".json").read_text(encoding="utf-8"))
    return FileMetadata(**raw)
