"""The target progress table: where each target of the plan stands at the end of a month."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Table, select

from jzplan.core.periods import Period
from jzplan.store.db import Bind, connect, transaction
from jzplan.store.models import TargetProgressRow
from jzplan.store.rows import (
    frame_records,
    optional_float,
    optional_str,
    period_key,
    upsert_changed,
)

_progress: Table = TargetProgressRow.__table__  # type: ignore[assignment]

PROGRESS_COLUMNS = (
    "target_id", "actual", "expected", "target_value", "unit", "completion_pct", "status",
    "provisional", "note",
)  # fmt: skip
# Optional in a written frame (seasonal pace, forecast, pace still needed: issue 5)
PROGRESS_EXTRA_FLOATS = (
    "expected_seasonal", "forecast", "forecast_low", "forecast_high", "required_monthly",
)  # fmt: skip
_PROGRESS_EXTRA = (*PROGRESS_EXTRA_FLOATS, "pace_model")
_FLOATS = frozenset(
    ("actual", "expected", "target_value", "completion_pct", *PROGRESS_EXTRA_FLOATS)
)


def write_progress(bind: Bind, period: Period, frame: pd.DataFrame) -> dict[str, int]:
    """Replace a period's target progress with ``frame``, touching only rows that changed.

    Returns inserted, updated, deleted and unchanged counts.
    """
    key = period_key(period)
    rows = [
        {
            "target_id": str(r["target_id"]),
            "period": key,
            "actual": optional_float(r["actual"]),
            "expected": optional_float(r["expected"]),
            "target_value": optional_float(r["target_value"]),
            "unit": optional_str(r["unit"]),
            "completion_pct": optional_float(r["completion_pct"]),
            "status": str(r["status"]),
            "provisional": bool(r["provisional"]),
            "note": optional_str(r["note"]),
            **{c: optional_float(r.get(c)) for c in PROGRESS_EXTRA_FLOATS},
            "pace_model": optional_str(r.get("pace_model")),
        }
        for r in frame_records(
            frame, [*PROGRESS_COLUMNS, *(c for c in _PROGRESS_EXTRA if c in frame.columns)]
        )
    ]
    with transaction(bind) as conn:
        return upsert_changed(
            conn,
            _progress,
            ["target_id", "period"],
            rows,
            scope=_progress.c.period == key,
            delete_missing=True,
        )


def read_actuals(bind: Bind, periods: Sequence[Period]) -> list[dict[str, dict[str, Any]]]:
    """Each of ``periods``' stored actuals by target id (``{target_id: {"actual": value}}``,
    the key a month's report reads of its earlier months): one query for them all, not a
    ``read_progress`` frame each (May's report: 0.8 against 9.3 ms for its 4 earlier months)."""
    keys = [period_key(p) for p in periods]
    query = select(_progress.c.period, _progress.c.target_id, _progress.c.actual).where(
        _progress.c.period.in_(keys)
    )
    out: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in keys}
    with connect(bind) as conn:
        for key, target_id, actual in conn.execute(query):
            out[key][str(target_id)] = {"actual": actual}
    return [out[k] for k in keys]


def read_progress(bind: Bind, period: Period) -> pd.DataFrame:
    """target_id, period and the columns of ``write_progress``, ordered by target id."""
    columns = [c for c in (*PROGRESS_COLUMNS, *_PROGRESS_EXTRA) if c != "target_id"]
    query = (
        select(_progress.c.target_id, _progress.c.period, *(_progress.c[c] for c in columns))
        .where(_progress.c.period == period_key(period))
        .order_by(_progress.c.target_id)
    )
    with connect(bind) as conn:
        rows = conn.execute(query).all()
    names = ["target_id", "period", *columns]
    # built a column at a time, floats straight into arrays: 2.1 against 3.5 ms for a month
    # of 137 targets on SQLite (a month's report reads every month of its year)
    values = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    data: dict[str, object] = {}
    for name, column in zip(names, values, strict=True):
        if name in _FLOATS:
            data[name] = np.array([np.nan if v is None else v for v in column], np.float64)
        elif name == "provisional":
            data[name] = np.array(column, bool)
        else:  # text: what pandas infers from the values (object when there are none)
            data[name] = list(column) if rows else np.array([], object)
    return pd.DataFrame(data, columns=names)
