"""Each reporting unit's part of an area target's total: the contributions the reports chart
and the briefing states."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.track.aggregate import Fact, FactKey

CONTRIBUTION_COLUMNS = ["target_id", "org_unit", "value", "share_pct"]


def contributions(plan: Plan, catalog: Catalog, now: Mapping[FactKey, Fact]) -> pd.DataFrame:
    """Each reporting unit's part of an area target's total (summed indicators only)."""
    rows: list[dict[str, object]] = []
    for t in plan.targets:
        if t.scope != catalog.area.code or t.indicator is None or t.kind == "ranking":
            continue
        ind = catalog.indicator(t.indicator)
        total = now.get((t.scope, ind.code))
        if ind.aggregation != "sum" or total is None:
            continue
        for u in catalog.reporters_of(ind.code):
            part = now.get((u.code, ind.code))
            if part is None:
                continue
            share = part.value / total.value * 100 if total.value else None
            rows.append(
                {"target_id": t.id, "org_unit": u.code, "value": part.value, "share_pct": share}
            )
    frame = pd.DataFrame(rows, columns=CONTRIBUTION_COLUMNS)
    return frame.astype({"value": "float64", "share_pct": "float64"})
