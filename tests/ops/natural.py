"""The store's content on natural keys: what must be equal after a kill and a rerun.

Two stores are equal when every table has the same rows once the parts that legitimately
differ are taken out: surrogate integer ids (PostgreSQL sequences are not rolled back by a
killed transaction), references through them (replaced by the referenced row), wall-clock
timestamps (``received_at``), the archive folder (only the file name, the sha256, counts)
and, inside JSON documents, the run metadata Great Expectations stamps on every validation
(its run time, load time and generated ids), which differ between any two runs.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, Integer, Table, select

from jzplan.store.db import connect
from jzplan.store.models import Base

Row = tuple[Any, ...]

# Keys of JSON documents that carry when and under which generated id something ran
VOLATILE_JSON_KEYS = frozenset(
    {"id", "validation_id", "run_time", "validation_time", "ge_load_time", "run_name"}
)


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE_JSON_KEYS}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


# References without a foreign key: the observation fact table keeps none (0006_fact_tables)
IMPLICIT_REFERENCES: dict[str, dict[str, str]] = {"observation": {"submission_id": "submission"}}


def _surrogate(table: Table) -> str | None:
    pk = list(table.primary_key.columns)
    if len(pk) == 1 and isinstance(pk[0].type, Integer):
        return pk[0].name
    return None


def natural_dump(engine: Engine) -> dict[str, list[Row]]:
    """Every table's rows without surrogate ids or timestamps, references resolved, sorted."""
    natural: dict[str, dict[Any, Row]] = {}  # table → surrogate id → natural row
    out: dict[str, list[Row]] = {}
    with connect(engine) as conn:
        tables = sorted(  # referenced tables first, those referenced implicitly too
            Base.metadata.sorted_tables, key=lambda t: t.name in IMPLICIT_REFERENCES
        )
        for table in tables:
            surrogate = _surrogate(table)
            refs = {
                fk.parent.name: fk.column.table.name
                for fk in table.foreign_keys
                if _surrogate(fk.column.table) == fk.column.name
            } | IMPLICIT_REFERENCES.get(table.name, {})
            rows = []
            by_id: dict[Any, Row] = {}
            for r in conn.execute(select(table)).mappings():
                values: list[Any] = []
                for column in table.columns:
                    name = column.name
                    if name == surrogate or isinstance(column.type, DateTime):
                        continue
                    value = r[name]
                    if name in refs and value is not None:
                        value = natural[refs[name]][value]
                    elif name == "archive_path" and value is not None:
                        value = PurePath(str(value)).name
                    elif isinstance(column.type, JSON):
                        value = repr(_stable(value))
                    values.append((name, value))
                row = tuple(values)
                rows.append(row)
                if surrogate is not None:
                    by_id[r[surrogate]] = row
            natural[table.name] = by_id
            out[table.name] = sorted(rows, key=repr)
    return out


def differences(a: dict[str, list[Row]], b: dict[str, list[Row]]) -> dict[str, Any]:
    """Per table: rows only in ``a`` and rows only in ``b`` (empty when the stores are equal)."""
    diff: dict[str, Any] = {}
    for name in sorted(set(a) | set(b)):
        left, right = a.get(name, []), b.get(name, [])
        only_a = [r for r in left if r not in right]
        only_b = [r for r in right if r not in left]
        if only_a or only_b or len(left) != len(right):
            diff[name] = {"only_clean": only_a[:3], "only_rerun": only_b[:3]}
    return diff
