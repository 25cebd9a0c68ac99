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
from jzplan.report.plan_notes import PlanNote, plan_notes
from jzplan.store.db import (
    check_reachable,
    check_schema,
    check_store_exists,
    make_engine,
    migrate,
    script_heads,
    script_revisions,
)
from jzplan.store.locks import locked_transaction
from jzplan.store.reference import sync_reference
from jzplan.track.progress import Thresholds
from jzplan.validate.rules import Rules, load_rules


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

    @functools.cached_property
    def rules(self) -> Rules:
        """The relations and ranges of ``expectations/`` (the plan check's, the reports')."""
        return load_rules(self.settings.expectations_dir, self.catalog)

    @functools.cached_property
    def plan_notes(self) -> dict[str, PlanNote]:
        """Target id → the note of the plan's contradictions touching it (every report's)."""
        return plan_notes(self.plan, self.catalog, self.rules)

    def close(self) -> None:
        self.engine.dispose()


def open_resources(settings: Settings) -> Resources:
    """Connect to a store ``jzplan init`` created, upgrade an older schema to the current one
    and sync the catalog and plan into it.

    A SQLite file that does not exist, or a store without this program's migration history,
    raises OperatorError (``store_missing``, ``store_not_initialised``): never an empty new
    store in a mistyped place."""
    catalog, plan = load_reference(settings)
    check_store_exists(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        check_reachable(engine)
        # Under the store lock, so two runs do not both upgrade the schema.
        with locked_transaction(engine, timeout=settings.lock_timeout_seconds) as conn:
            # at head, an upgrade would read every script: compare first
            if check_schema(conn, _script_heads(), _script_revisions()):
                migrate(conn)
            sync_reference(conn, catalog, plan)
    except BaseException:
        engine.dispose()
        raise
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


@functools.cache
def _script_revisions() -> frozenset[str]:
    return frozenset(script_revisions())
