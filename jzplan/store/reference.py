"""The reference tables: org units, indicators and targets, upserted from the catalog and plan."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, Table, select

from jzplan.core.errors import OperatorError
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store.db import Bind, connect, transaction
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
        _check_target_years(conn, plan)
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


def _check_target_years(conn: Connection, plan: Plan) -> None:
    """A target id the store holds for another year stops the sync (``target_id_reused``):
    targets are keyed by id, so one id per target across years (the 2014 plan of
    ``jzplan plan-new`` writes 2014-A01 for 2013's A01)."""
    ids = [t.id for t in plan.targets]
    taken: dict[str, int] = {}
    for start in range(0, len(ids), 500):
        query = select(_target.c.id, _target.c.year).where(
            _target.c.id.in_(ids[start : start + 500]), _target.c.year != plan.year
        )
        taken |= {str(i): int(y) for i, y in conn.execute(query)}
    if taken:
        first = next(t for t in plan.targets if t.id in taken)
        raise OperatorError(
            "target_id_reused",
            f"{plan.year} 年计划第 {first.line} 行：目标编号 {first.id} 已是 {taken[first.id]} 年"
            f"计划的目标（库中共 {len(taken)} 个编号重复）；每年的目标须用各自的编号，"
            f"如 {plan.year}-{first.id}",
        )


@dataclass(frozen=True, slots=True)
class TargetMeasure:
    """How a stored target is measured: kind, direction, the plan's value and unit, and its
    indicator's canonical unit (None for milestones and qualitative targets)."""

    id: str
    scope: str  # org unit code
    label: str  # short Chinese label, as tables and messages show it
    kind: str
    comparison: str
    value: float | None
    unit: str | None
    indicator_unit: str | None


def read_target_measures(bind: Bind, ids: Iterable[str]) -> dict[str, TargetMeasure]:
    """The stored targets of ``ids`` (those not stored are left out)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    query = (
        select(_target, _indicator.c.unit.label("indicator_unit"))
        .outerjoin(_indicator, _indicator.c.code == _target.c.indicator_code)
        .where(_target.c.id.in_(wanted))
    )
    with connect(bind) as conn:
        return {
            str(r["id"]): TargetMeasure(
                str(r["id"]),
                str(r["scope_code"]),
                str(r["label"]),
                str(r["kind"]),
                str(r["comparison"]),
                optional_float(r["value"]),
                r["unit"],
                r["indicator_unit"],
            )
            for r in conn.execute(query).mappings()
        }


def read_unit_names(bind: Bind, codes: Iterable[str]) -> dict[str, str]:
    """Org units' Chinese names by code (codes not stored are left out)."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    query = select(_org_unit.c.code, _org_unit.c.name).where(_org_unit.c.code.in_(wanted))
    with connect(bind) as conn:
        return {str(code): str(name) for code, name in conn.execute(query)}
