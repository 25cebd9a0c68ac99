"""The reference tables: org units, indicators and targets, upserted from the catalog and plan."""

from __future__ import annotations

from sqlalchemy import Table

from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store.db import Bind, transaction
from jzplan.store.models import IndicatorRow, OrgUnitRow, TargetRow
from jzplan.store.rows import optional_float, upsert_changed

_org_unit: Table = OrgUnitRow.__table__  # type: ignore[assignment]
_indicator: Table = IndicatorRow.__table__  # type: ignore[assignment]
_target: Table = TargetRow.__table__  # type: ignore[assignment]


def sync_reference(bind: Bind, catalog: Catalog, plan: Plan) -> dict[str, int]:
    """Upsert org units, indicators and targets. Rows no longer in the files are kept.

    Returns totals (``inserted``, ``updated``, ``unchanged``) and per table
    (``org_unit_inserted`` …).
    """
    org_units = [
        {"code": u.code, "name": u.name, "kind": u.kind, "parent_code": u.parent}
        for u in (catalog.area, *catalog.units)  # the area first: units refer to it
    ]
    indicators = [
        {
            "code": i.code,
            "name": i.name,
            "unit": i.unit,
            "measure": i.measure,
            "direction": i.direction,
            "aggregation": i.aggregation,
            "weight_code": i.weight,
            "formula": i.formula,
            "group_name": i.group,
        }
        for i in catalog.indicators.values()
    ]
    targets = [
        {
            "id": t.id,
            "year": t.year,
            "group_name": t.group,
            "scope_code": t.scope,
            "indicator_code": t.indicator,
            "kind": t.kind,
            "label": t.label,
            "value": optional_float(t.value),
            "unit": t.unit,
            "comparison": t.comparison,
            "baseline": optional_float(t.baseline),
            "growth_pct": optional_float(t.growth_pct),
            "deadline": t.deadline,
            "source": t.source,
        }
        for t in plan.targets
    ]
    counts: dict[str, int] = {"inserted": 0, "updated": 0, "unchanged": 0}
    with transaction(bind) as conn:
        for table, key, rows in (
            (_org_unit, "code", org_units),
            (_indicator, "code", indicators),
            (_target, "id", targets),
        ):
            result = upsert_changed(conn, table, [key], rows)
            for name in ("inserted", "updated", "unchanged"):
                counts[f"{table.name}_{name}"] = result[name]
                counts[name] += result[name]
    return counts
