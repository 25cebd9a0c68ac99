"""Reading a YAML configuration file; writing an output file whole or not at all."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

# libyaml's parser (PyYAML's wheels carry it): the same documents, 5-10× faster than the
# pure-Python one, which cost a monthly run ~0.1 s for the few configuration files it reads
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """The YAML document in ``path`` (UTF-8), as ``yaml.safe_load`` reads it."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)


def files_digest(paths: Iterable[Path]) -> str:
    """sha256 of these files, in the order given: each one's path and bytes (a file renamed,
    changed, added or removed changes it)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


# A report is read by whoever serves the report folder; the process's umask is not read
# (os.umask sets it to read it, which is not safe beside threads)
REPORT_FILE_MODE = 0o644


def write_atomic(
    target: Path, data: bytes | str | tuple[bytes, ...], *, mode: int = REPORT_FILE_MODE
) -> Path:
    """``data`` (text as UTF-8; a tuple of byte strings, one after another) to ``target``
    through a temporary name in the same folder, renamed over ``target`` only once it is
    complete and flushed to disk: a failure (a full disk, an exception) removes the temporary
    file and leaves the previous ``target`` as it was; a reader never sees a half-written
    file."""
    chunks = (data.encode("utf-8"),) if isinstance(data, str) else data
    if isinstance(chunks, bytes):
        chunks = (chunks,)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        tmp.chmod(mode)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
