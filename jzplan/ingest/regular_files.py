"""Reading a file of the inbox as a regular file only, and showing its name safely.

A sender controls what sits in the inbox: a symlink, a FIFO or a name with a newline in it are
refused here, before anything is read, and the name is shown escaped wherever it is logged.
"""

from __future__ import annotations

import errno
import os
import stat
import unicodedata
from pathlib import Path

from jzplan.core.limits import mib
from jzplan.core.submissions import SubmissionIssue

# Characters never accepted in a file name: controls (a newline forges a log line), format
# characters (bidi overrides reorder what a reader sees), line/paragraph separators and
# surrogates (bytes that are not UTF-8, kept by the file system's surrogateescape)
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})

# os.open flags: no symlink in the last part, no blocking on a FIFO swapped in, no tty
READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


class InboxRefusal(Exception):
    """An inbox entry that is not read: ``code`` is stable English, ``message`` Chinese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message

    def issue(self, file: str) -> SubmissionIssue:
        """The refusal as a located issue of ``file`` (an escaped name)."""
        return SubmissionIssue(self.code, self.message, file, rule="inbox_boundary")


def escape_name(name: str) -> str:
    """``name`` printable on one line: a backslash doubled, every unsafe character as
    ``\\xNN`` (a byte that is not UTF-8 as that byte) or ``\\uNNNN``."""
    out: list[str] = []
    for ch in name:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif unicodedata.category(ch) not in UNSAFE_CATEGORIES:
            out.append(ch)
        elif 0xDC80 <= code <= 0xDCFF:  # surrogateescape of a byte >= 0x80
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out)


def unsafe_name_reason(name: str) -> str | None:
    """Why ``name`` is not accepted as a file name of the inbox (Chinese), or None."""
    if name in ("", ".", "..") or "/" in name or "\\" in name:
        return "文件名含路径分隔符（/ 或 \\）或为 . / ..，不予读取"
    if any(unicodedata.category(ch) in UNSAFE_CATEGORIES for ch in name):
        return "文件名含控制字符、格式字符或非 UTF-8 字节，不予读取"
    return None


def kind_of(mode: int) -> str:
    """What a non-regular entry is, in Chinese."""
    if stat.S_ISLNK(mode):
        return "符号链接"
    if stat.S_ISDIR(mode):
        return "文件夹"
    if stat.S_ISFIFO(mode):
        return "命名管道（FIFO）"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备文件"
    if stat.S_ISSOCK(mode):
        return "套接字"
    return "特殊文件"


def not_regular(mode: int) -> InboxRefusal:
    """The refusal of an entry of ``mode`` (from ``lstat`` or ``fstat``)."""
    if stat.S_ISLNK(mode):
        return InboxRefusal("symlink_refused", "是符号链接，不读取其指向的内容")
    return InboxRefusal(
        "not_a_regular_file", f"是{kind_of(mode)}，只接收直接放在批次文件夹中的普通文件"
    )


def read_regular(path: Path, max_bytes: int | None = None) -> bytes:
    """The bytes of ``path``, read from one descriptor opened without following a symlink and
    checked to be a regular file (a file swapped for a symlink or a FIFO after it was listed is
    refused, never read). A file of more than ``max_bytes`` is refused unread
    (``file_too_large``). Raises ``InboxRefusal``; other I/O errors propagate (retried)."""
    try:
        fd = os.open(path, READ_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InboxRefusal("symlink_refused", "是符号链接，不读取其指向的内容") from None
        if exc.errno == errno.ENOENT:
            raise InboxRefusal("file_vanished", "列出后、读取前被移走或删除") from None
        if exc.errno in (errno.ENXIO, errno.EISDIR):
            raise InboxRefusal("not_a_regular_file", "不是普通文件") from None
        raise
    try:
        info = os.fstat(fd)
    except BaseException:
        os.close(fd)
        raise
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise not_regular(info.st_mode)
    with os.fdopen(fd, "rb") as handle:
        if max_bytes is None:
            return handle.read()
        # the size as stat gives it, then as read (the file may grow after fstat)
        data = b"" if info.st_size > max_bytes else handle.read(max_bytes + 1)
    if max(info.st_size, len(data)) > max_bytes:
        raise InboxRefusal(
            "file_too_large",
            f"文件大小 {mib(max(info.st_size, len(data)))}，超过上限 {mib(max_bytes)}"
            "（JZPLAN_LIMIT_FORM_BYTES / JZPLAN_LIMIT_BULK_BYTES），不予读取",
        )
    return data
