"""The project's stages as the bench calls them: read, the prepared file, notes on outcomes,
the validation floors."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench import floors
from bench.measure import Unavailable

ROOT = Path(__file__).resolve().parents[1]
EXPECTATIONS = ROOT / "expectations"


@dataclass(slots=True)
class Read:
    path: Path
    sha256: str
    size: int
    parsed: Any


def read_file(path: Path, catalog: Any) -> Read:
    try:
        from jzplan.ingest.bulk import read_bulk
    except ImportError as exc:
        raise Unavailable(f"jzplan.ingest.bulk.read_bulk: {exc}") from None
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    parsed = read_bulk(path, catalog, data=data)
    parsed.sha256 = sha
    return Read(path, sha, len(data), parsed)


def prepared_file(read: Read, report: Any) -> Any:
    """What ``prepare_file`` hands to the load, from the separately timed read and validation
    (no archive copy: the file itself stands for its archived copy)."""
    from jzplan.month.prepare import PreparedFile

    issues = tuple(read.parsed.issues) + tuple(report.issues)
    kwargs: dict[str, Any] = {
        "path": read.path,
        "sha256": read.sha256,
        "archive_path": read.path,
        "parsed": read.parsed,
        "issues": issues,
        "results": tuple(r.as_row() for r in report.results),
        "size_bytes": read.size,
        "file_format": read.path.suffix.lstrip("."),
        "documents": (),
    }
    names = {f.name for f in dataclasses.fields(PreparedFile)}
    if "error_rows" in names:
        kwargs["error_rows"] = np.asarray(getattr(report, "error_rows", ()), dtype=np.int64)
    return PreparedFile(**kwargs)


def outcome_note(outcome: Any) -> str:
    keys = ("status", "inserted", "updated", "unchanged", "superseded", "units", "units_rejected")
    parts = [f"{k} {getattr(outcome, k)}" for k in keys if getattr(outcome, k, None) is not None]
    return ", ".join(parts)


def counts_note(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items() if v)


def rejected_units(read: Read, report: Any) -> list[str]:
    rows = np.asarray(getattr(report, "error_rows", ()), dtype=np.int64)
    if not len(rows):
        return []
    return sorted(set(read.parsed.frame["org_unit"].iloc[rows].astype(str)))


def validation_floors(frame: Any, catalog: Any, rules: Any) -> list[floors.Floor]:
    try:
        from bench.validation_floor import duckdb_checks, pandas_checks
    except ImportError:
        return []
    out = []
    for name, fn in (("pandas checks", pandas_checks), ("duckdb checks", duckdb_checks)):
        floor, _ = floors.timed(name, len(frame), lambda fn=fn: fn(frame, catalog, rules))  # type: ignore[misc]
        out.append(floor)
    return out
