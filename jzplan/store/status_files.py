"""The status-file table: each received 重点工作进展.csv and 排名.csv of a batch, once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, insert, select, update

from jzplan.core.periods import Period
from jzplan.ingest.status_files import ParsedStatusFile
from jzplan.store.db import Bind, connect, transaction
from jzplan.store.models import StatusFileRow
from jzplan.store.rows import json_value, period_key, same_value

_status_file: Table = StatusFileRow.__table__  # type: ignore[assignment]

KEY = ("arrival_period", "kind", "sha256")


@dataclass(frozen=True, slots=True)
class StatusFileRecord:
    """A status file as the table holds it."""

    id: int
    kind: str
    arrival_period: str
    sha256: str
    file_name: str
    archive_path: str
    status: str
    rows: int
    rows_loaded: int
    error_count: int
    details: Any


def record_status_file(
    bind: Bind,
    parsed: ParsedStatusFile,
    *,
    arrival: Period,
    archive_path: Path,
    source_path: str,
    received_at: datetime,
) -> tuple[int, bool]:
    """The file's row (id, whether it is new): inserted on first receipt; a rerun with the
    same bytes in the same batch updates only what changed (its outcome, if the plan or the
    rules did) and keeps the first ``received_at``."""
    values: dict[str, Any] = {
        "arrival_period": period_key(arrival),
        "kind": str(parsed.kind),
        "sha256": parsed.sha256,
        "file_name": parsed.path.name,
        "archive_path": str(archive_path),
        "source_path": source_path,
        "size_bytes": parsed.size,
        "status": str(parsed.outcome),
        "rows": parsed.rows,
        "rows_loaded": parsed.loaded,
        "error_count": len(parsed.issues),
        "message": "\n".join(str(i) for i in parsed.issues) or None,
        "details": json_value(list(parsed.results)),
        "checked_with": parsed.checked_with,
    }
    where = [_status_file.c[k] == values[k] for k in KEY]
    with transaction(bind) as conn:
        old = conn.execute(select(_status_file).where(*where)).mappings().first()
        if old is None:
            new_id = conn.scalar(
                insert(_status_file)
                .values(values | {"received_at": received_at})
                .returning(_status_file.c.id)
            )
            assert new_id is not None
            return int(new_id), True
        changed = {k: v for k, v in values.items() if not _same(old[k], v)}
        if changed:
            conn.execute(update(_status_file).where(_status_file.c.id == old["id"]).values(changed))
        return int(old["id"]), False


def clean_check_results(bind: Bind, checked_with: str) -> tuple[dict[str, Any], ...] | None:
    """The suite's rule results of a status file checked under ``checked_with``
    (``jzplan.validate.status_checks.check_digest``) when every rule passed, else None."""
    query = select(_status_file.c.details).where(_status_file.c.checked_with == checked_with)
    with connect(bind) as conn:
        for details in conn.scalars(query):
            if isinstance(details, list) and details and all(r.get("success") for r in details):
                return tuple(details)
    return None


def _same(old: Any, new: Any) -> bool:
    if isinstance(new, (dict, list)):
        return bool(json_value(old) == new)
    return same_value(old, new)


def read_status_files(bind: Bind, arrival: Period | None = None) -> list[StatusFileRecord]:
    """Every recorded status file (of one batch), in the order received."""
    query = select(_status_file).order_by(_status_file.c.id)
    if arrival is not None:
        query = query.where(_status_file.c.arrival_period == period_key(arrival))
    with connect(bind) as conn:
        return [
            StatusFileRecord(
                int(r["id"]), r["kind"], r["arrival_period"], r["sha256"], r["file_name"],
                r["archive_path"], r["status"], int(r["rows"]), int(r["rows_loaded"]),
                int(r["error_count"]), r["details"],
            )
            for r in conn.execute(query).mappings()
        ]  # fmt: skip
