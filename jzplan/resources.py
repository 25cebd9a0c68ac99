"""Everything a run needs, built once at the start of a run from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from jzplan.catalog import Catalog, load_catalog
from jzplan.locks import locked_transaction
from jzplan.plan import Plan, load_plan
from jzplan.progress import Thresholds
from jzplan.settings import Settings
from jzplan.store import repo
from jzplan.store.db import make_engine, migrate


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
    catalog = load_catalog(settings.catalog_dir)
    plan = load_plan(settings.plan_file(), catalog)
    engine = make_engine(settings.database_url)
    # Under the store lock, so two first runs on an empty store do not both create the schema.
    with locked_transaction(engine, timeout=settings.lock_timeout_seconds) as conn:
        migrate(conn)
        repo.sync_reference(conn, catalog, plan)
    return Resources(settings=settings, engine=engine, catalog=catalog, plan=plan)
