"""The comparer: the store, read by plain SQL, against the oracle's ``Expected``; one row per
difference (none is the pass)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Engine, text

from tests.soak.oracle import PROGRESS_COMPARED, Expected

DIFF_COLUMNS = ["table", "key", "column", "store", "oracle"]


def read_store(engine: Engine, years: Sequence[int]) -> dict[str, pd.DataFrame]:
    """The store's current figures, totals, progress and alerts, by plain SQL."""
    with engine.connect() as conn:

        def q(sql: str) -> pd.DataFrame:
            return pd.DataFrame(conn.execute(text(sql)).mappings().all())

        return {
            "figures": q(
                "SELECT o.org_unit_code AS unit, o.indicator_code AS indicator, o.period, "
                "o.value FROM observation o JOIN submission s ON s.id = o.submission_id "
                "WHERE s.status = 'accepted'"
            ),
            "totals": q(
                "SELECT org_unit_code AS unit, indicator_code AS indicator, period, value, "
                "n_reported, n_expected FROM aggregate"
            ),
            "progress": q(
                "SELECT target_id, period, "
                + ", ".join(PROGRESS_COMPARED)
                + " FROM target_progress WHERE "
                + " OR ".join(f"period LIKE '{int(y)}-%'" for y in years)
            ),
            "alerts": q("SELECT dedup_key, kind, first_seen, last_seen, resolved FROM alert"),
        }


def _same(a: Any, b: Any) -> bool:
    na = a is None or (isinstance(a, float) and math.isnan(a))
    nb = b is None or (isinstance(b, float) and math.isnan(b))
    if na or nb:
        return na and nb
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return bool(a == b)


def _diff_frames(table: str, store: pd.DataFrame, oracle: pd.DataFrame, keys: list[str],
                 columns: list[str]) -> list[tuple[Any, ...]]:  # fmt: skip
    out: list[tuple[Any, ...]] = []
    s = {tuple(r[k] for k in keys): r for r in store.to_dict("records")} if len(store) else {}
    o = {tuple(r[k] for k in keys): r for r in oracle.to_dict("records")} if len(oracle) else {}
    for key in sorted(s.keys() | o.keys(), key=str):
        name = "/".join(map(str, key))
        if key not in o:
            out.append((table, name, "*", "row", None))
        elif key not in s:
            out.append((table, name, "*", None, "row"))
        else:
            for c in columns:
                if not _same(s[key][c], o[key][c]):
                    out.append((table, name, c, s[key][c], o[key][c]))
    return out


def compare(engine: Engine, expected: Expected, years: int | Sequence[int]) -> pd.DataFrame:
    """Store vs oracle over the plan ``years``: one row per difference (none is the pass)."""
    got = read_store(engine, [years] if isinstance(years, int) else years)
    periods = set(expected.totals["period"])
    diffs = _diff_frames("observation", got["figures"], expected.figures,
                         ["unit", "indicator", "period"], ["value"])  # fmt: skip
    totals = got["totals"]
    totals = totals[totals["period"].isin(periods)] if len(totals) else totals
    diffs += _diff_frames("aggregate", totals, expected.totals, ["unit", "indicator", "period"],
                          ["value", "n_reported", "n_expected"])  # fmt: skip
    progress = got["progress"]
    if len(progress):
        progress = progress.assign(provisional=progress["provisional"].astype(bool))
    diffs += _diff_frames("target_progress", progress, expected.progress,
                          ["target_id", "period"], PROGRESS_COMPARED)  # fmt: skip
    alerts = got["alerts"]
    kinds = ("target_status", "milestone_overdue", "missing_submission", "rejected_submission",
             "held_submission")  # fmt: skip
    alerts = alerts[alerts["kind"].isin(kinds)] if len(alerts) else alerts
    # target alerts: only the open ones (a resolved one's row is history, not state)
    if len(alerts):
        is_target = alerts["dedup_key"].str.startswith("target:")
        alerts = alerts[~is_target | alerts["resolved"].isna()]
    ours = expected.alerts
    for targets in (True, False):
        mine = alerts
        if len(alerts):
            mine = alerts[alerts["dedup_key"].str.startswith("target:") == targets]
        theirs = ours[ours["dedup_key"].str.startswith("target:") == targets]
        # an open target alert's first month depends on its status history: not compared
        columns = ["last_seen", "resolved"] if targets else ["first_seen", "last_seen", "resolved"]
        diffs += _diff_frames("alert", mine, theirs, ["dedup_key"], columns)
    return pd.DataFrame(diffs, columns=DIFF_COLUMNS)
