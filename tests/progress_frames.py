"""A month's progress frame with chosen statuses, for the alert and report tests."""

from __future__ import annotations

import pandas as pd

from jzplan.reference.plan import Plan
from jzplan.track.progress import PROGRESS_COLUMNS


def progress_of(plan: Plan, statuses: dict[str, str]) -> pd.DataFrame:
    rows = [
        {
            "target_id": t.id,
            "actual": None,
            "expected": None,
            "target_value": None,
            "unit": None,
            "completion_pct": None,
            "status": statuses.get(t.id, "pending"),
            "provisional": False,
            "note": None,
        }
        for t in plan.targets
    ]
    return pd.DataFrame(rows, columns=PROGRESS_COLUMNS)
