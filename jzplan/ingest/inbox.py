"""The inbox and the archive: which files arrived with a batch, and their immutable copies.

The inbox is a boundary: only regular files directly in the batch folder are read; every other
entry (a symlink, a sub-folder, a FIFO or device, a name with a path separator or a control
character) is refused with a located reason. Every received file is archived by sha256 with a
metadata sidecar, readable by the service user only, before it is parsed.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from jzplan.core.errors import OperatorError
from jzplan.core.periods import Period
from jzplan.core.submissions import SubmissionIssue
from jzplan.ingest.readers import SUPPORTED_SUFFIXES
from jzplan.ingest.regular_files import (
    InboxRefusal,
    escape_name,
    not_regular,
    read_regular,
    unsafe_name_reason,
)
from jzplan.ingest.status_files import RANKING_FILE, STATUS_FILE

# Other files a batch folder may hold, read by their own loaders (jzplan.ingest.status_files)
NOT_SUBMISSIONS = frozenset({STATUS_FILE, RANKING_FILE})

# The archive: copies and sidecars readable by the service user only, folders its own
ARCHIVE_FILE_MODE = 0o400
ARCHIVE_DIR_MODE = 0o700


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


@dataclass(frozen=True, slots=True)
class Batch:
    """A batch folder's entries, classified: ``files`` are the submissions to read (by name),
    ``refused`` one located issue per entry that is not read (a file of a type no form comes
    in, such as 说明.pdf, included: the office learns it was not taken), ``ignored`` the
    escaped names of Office lock files (~$…) and hidden files, which no one sent."""

    folder: Path
    files: tuple[Path, ...] = ()
    refused: tuple[SubmissionIssue, ...] = ()
    ignored: tuple[str, ...] = ()


def scan_batch(inbox_dir: Path, arrival: Period) -> Batch:
    """The batch of ``arrival``: ``<inbox>/<YYYY-MM>/``, its entries by name, none followed."""
    folder = inbox_dir / str(arrival)
    try:
        mode = folder.lstat().st_mode
    except FileNotFoundError:
        batch_folder(inbox_dir, arrival)  # raises inbox_missing
        raise
    if stat.S_ISLNK(mode):
        return Batch(folder, refused=(not_regular(mode).issue(f"{arrival}/"),))
    if not stat.S_ISDIR(mode):
        batch_folder(inbox_dir, arrival)  # raises inbox_missing
        return Batch(folder)
    files: list[Path] = []
    refused: list[SubmissionIssue] = []
    ignored: list[str] = []
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            shown = f"{arrival}/{escape_name(entry.name)}"
            mode = entry.stat(follow_symlinks=False).st_mode
            reason = unsafe_name_reason(entry.name)
            if not stat.S_ISREG(mode):
                refused.append(not_regular(mode).issue(shown))
            elif reason is not None:
                refused.append(InboxRefusal("unsafe_name", reason).issue(shown))
            elif is_submission_name(entry.name):
                files.append(folder / entry.name)
            elif entry.name.startswith(("~$", ".")):
                ignored.append(shown)
            elif entry.name not in NOT_SUBMISSIONS:
                suffix = Path(entry.name).suffix or "无扩展名"
                why = f"不是可接收的报表文件类型（{suffix}），未读取；月报请用 .xlsx、.xls 或 .csv"
                refused.append(InboxRefusal("unsupported_format", why).issue(shown))
    return Batch(folder, tuple(files), tuple(refused), tuple(ignored))


def is_submission_name(name: str) -> bool:
    """A form or bulk file by its name: a supported type, not a lock, hidden or status file."""
    return (
        Path(name).suffix.lower() in SUPPORTED_SUFFIXES
        and not name.startswith(("~$", "."))
        and name not in NOT_SUBMISSIONS
    )


def discover_submissions(inbox_dir: Path, arrival: Period) -> list[Path]:
    """The submissions of ``arrival``'s batch, by name (``scan_batch``'s ``files``)."""
    return list(scan_batch(inbox_dir, arrival).files)


def sha256_of(path: Path, max_bytes: int | None = None) -> str:
    """The sha256 of a regular file of at most ``max_bytes`` (``read_regular``)."""
    return hashlib.sha256(read_regular(path, max_bytes)).hexdigest()


def private_dir(folder: Path) -> Path:
    """``folder`` created if need be and made ``ARCHIVE_DIR_MODE``."""
    folder.mkdir(mode=ARCHIVE_DIR_MODE, parents=True, exist_ok=True)
    if stat.S_IMODE(folder.stat().st_mode) != ARCHIVE_DIR_MODE:
        folder.chmod(ARCHIVE_DIR_MODE)
    return folder


def write_private(target: Path, data: bytes, prefix: str) -> None:
    """``data`` to ``target``, once, through a private temporary name and an atomic rename:
    two runs never share a half copy, and a failed or killed write leaves no truncated target
    (a failed one no ``*.part`` either)."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f"{prefix}.", suffix=".part")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        tmp.chmod(ARCHIVE_FILE_MODE)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def archive_file(path: Path, archive_dir: Path, sha256: str, data: bytes | None = None) -> Path:
    """Keep an immutable copy by content hash before anything else happens to the file:
    ``data`` (the bytes hashed), else the file read as a regular file (``read_regular``)."""
    private_dir(archive_dir)
    target = private_dir(archive_dir / sha256[:2]) / f"{sha256}{path.suffix.lower()}"
    if not target.exists():
        write_private(target, read_regular(path) if data is None else data, sha256)
    elif stat.S_IMODE(target.stat().st_mode) != ARCHIVE_FILE_MODE:
        target.chmod(ARCHIVE_FILE_MODE)  # a copy from before the archive was private
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
    if not target.exists():
        text = json.dumps(asdict(meta), ensure_ascii=False, indent=1, sort_keys=True)
        write_private(target, text.encode("utf-8"), meta.sha256)
    elif stat.S_IMODE(target.stat().st_mode) != ARCHIVE_FILE_MODE:
        target.chmod(ARCHIVE_FILE_MODE)
    return target


def read_metadata(archived: Path) -> FileMetadata:
    raw = json.loads(archived.with_name(archived.name + ".json").read_text(encoding="utf-8"))
    return FileMetadata(**raw)


def archive_received(
    path: Path, data: bytes, archive_dir: Path, file_format: str | None, sha: str | None = None
) -> tuple[str, Path]:
    """``data`` (the bytes of ``path`` as read) archived by sha256 (``sha`` when the caller
    has it) with its metadata sidecar: (sha256, the archived copy). The first receipt's
    sidecar stays."""
    sha = sha or hashlib.sha256(data).hexdigest()
    archived = archive_file(path, archive_dir, sha, data)
    meta = FileMetadata(
        sha256=sha,
        size_bytes=len(data),
        original_name=path.name,
        source_path=source_path_of(path),
        file_format=file_format,
        archived_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    write_metadata(archived, meta)
    return sha, archived
