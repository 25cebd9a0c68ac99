"""Everything a run needs, built once at the start of a run from the settings."""

from __future__ import annotations

import functools
import hashlib
import threading
from dataclasses import dataclass

from sqlalchemy import Engine

from jzplan.core.settings import Settings
from jzplan.reference.catalog import Catalog, load_catalog
from jzplan.reference.plan import Plan, load_plan
from jzplan.store.db import current_heads, make_engine, migrate, script_heads
from jzplan.store.locks import locked_transaction
from jzplan.store.reference import sync_reference
from jzplan.track.progress import Thresholds


@dataclass
class Resources:
    settings: Settings
    engine: Engine
    catalog: Catalog
    plan: Plan

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(
            at_risk_ratio=self.settings.at_risk_ratio,
            growth_at_risk_points=self.settings.growth_at_risk_points,
            pace_model=self.settings.pace_model,
            ranking_at_risk_places=self.settings.ranking_at_risk_places,
            forecast_band=self.settings.forecast_band,
            hysteresis=self.settings.status_hysteresis,
            alert_from_month=self.settings.alert_from_month,
        )

    def close(self) -> None:
        self.engine.dispose()


def open_resources(settings: Settings) -> Resources:
    """Connect, migrate the store to the current schema and sync the catalog and plan into it."""
    catalog, plan = load_reference(settings)
    engine = make_engine(settings.database_url)
    # Under the store lock, so two first runs on an empty store do not both create the schema.
    with locked_transaction(engine, timeout=settings.lock_timeout_seconds) as conn:
        if current_heads(conn) != _script_heads():  # at head, an upgrade reads every script
            migrate(conn)
        sync_reference(conn, catalog, plan)
    return Resources(settings=settings, engine=engine, catalog=catalog, plan=plan)


_REFERENCE: dict[tuple[str, str], tuple[Catalog, Plan]] = {}
_REFERENCE_LOCK = threading.Lock()


def load_reference(settings: Settings) -> tuple[Catalog, Plan]:
    """The catalog and the plan, read once per process while their files stay the same (a
    warm process's next run need not read and cross-check them again)."""
    files = sorted(p for p in settings.catalog_dir.rglob("*") if p.is_file())
    plan_file = settings.plan_file()
    digest = hashlib.sha256()
    for path in (*files, plan_file):
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    key = (f"{settings.catalog_dir}|{plan_file}", digest.hexdigest())
    with _REFERENCE_LOCK:
        found = _REFERENCE.get(key)
    if found is None:
        catalog = load_catalog(settings.catalog_dir)
        found = (catalog, load_plan(plan_file, catalog))
        with _REFERENCE_LOCK:
            _REFERENCE.clear()  # only the current files' are kept
            _REFERENCE[key] = found
    return found


@functools.cache
def _script_heads() -> frozenset[str]:
    return frozenset(script_heads())
