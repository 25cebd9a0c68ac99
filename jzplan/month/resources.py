"""Everything a run needs, built once at the start of a run from the settings."""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from jzplan.core.errors import OperatorError
from jzplan.core.files import files_digest
from jzplan.core.settings import Settings
from jzplan.reference.catalog import Catalog, load_catalog
from jzplan.reference.plan import Plan, PlanError, load_plan
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
    plan: Plan  # the plan of settings.plan_year
    # every year's plan in data/targets (``plan`` among them), by year
    plans: dict[int, Plan] = field(default_factory=dict)
    _notes: dict[int, dict[str, PlanNote]] = field(default_factory=dict, repr=False)

    def plan_for(self, year: int) -> Plan | None:
        """The plan of ``year``: None for a year before the first plan (history only, as
        2012 is for 2013); a later year without its plan file stops the run (``plan_missing``)."""
        plans = {self.plan.year: self.plan, **self.plans}
        if year in plans:
            return plans[year]
        if year < min(plans):
            return None
        raise plan_missing(self.settings, year)

    def plan_of(self, year: int) -> Plan:
        """``plan_for(year)``, else (a history year) the plan of settings.plan_year."""
        return self.plan_for(year) or self.plan

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

    def plan_notes_of(self, year: int) -> dict[str, PlanNote]:
        """Target id → the note of the contradictions of ``plan_of(year)`` touching it (every
        report's), computed once per plan."""
        plan = self.plan_of(year)
        if plan.year not in self._notes:
            self._notes[plan.year] = plan_notes(plan, self.catalog, self.rules)
        return self._notes[plan.year]

    def close(self) -> None:
        self.engine.dispose()


def open_resources(settings: Settings) -> Resources:
    """Connect to a store ``jzplan init`` created, upgrade an older schema to the current one
    and sync the catalog and plan into it.

    A SQLite file that does not exist, or a store without this program's migration history,
    raises OperatorError (``store_missing``, ``store_not_initialised``): never an empty new
    store in a mistyped place."""
    catalog, plan = load_reference(settings)
    plans = load_plans(settings, catalog, plan)
    check_store_exists(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        check_reachable(engine)
        # Under the store lock, so two runs do not both upgrade the schema.
        with locked_transaction(engine, timeout=settings.lock_timeout_seconds) as conn:
            # at head, an upgrade would read every script: compare first
            if check_schema(conn, _script_heads(), _script_revisions()):
                migrate(conn)
            for year_plan in sorted(plans.values(), key=lambda p: p.year):
                sync_reference(conn, catalog, year_plan)
    except BaseException:
        engine.dispose()
        raise
    return Resources(settings=settings, engine=engine, catalog=catalog, plan=plan, plans=plans)


_REFERENCE: dict[tuple[str, str], tuple[Catalog, Plan]] = {}
_REFERENCE_LOCK = threading.Lock()


def load_reference(settings: Settings) -> tuple[Catalog, Plan]:
    """The catalog and the plan, read once per process while their files stay the same (a
    warm process's next run need not read and cross-check them again)."""
    files = sorted(p for p in settings.catalog_dir.rglob("*") if p.is_file())
    plan_file = settings.plan_file()
    key = (f"{settings.catalog_dir}|{plan_file}", files_digest((*files, plan_file)))
    with _REFERENCE_LOCK:
        found = _REFERENCE.get(key)
    if found is None:
        catalog = load_catalog(settings.catalog_dir)
        found = (catalog, load_plan(plan_file, catalog))
        with _REFERENCE_LOCK:
            _REFERENCE.clear()  # only the current files' are kept
            _REFERENCE[key] = found
    return found


def plan_missing(settings: Settings, year: int) -> OperatorError:
    """The error of a month whose year has no plan file (located: the file looked for)."""
    return OperatorError(
        "plan_missing",
        f"{settings.plan_file(year)}：没有 {year} 年的目标计划文件。请先起草并填写：jzplan "
        f"plan-new --year {year}，再运行 jzplan check-plan --year {year}（见 docs/years.md）",
    )


def check_plan_years(settings: Settings, years: Iterable[int]) -> None:
    """Each year after the first plan's has its plan file (``plan_missing`` otherwise);
    checked before a run starts, as ``Resources.plan_for`` checks within it."""
    have = plan_files(settings)
    first = min(have, default=settings.plan_year)
    for year in sorted(set(years)):
        if year >= first and year not in have:
            raise plan_missing(settings, year)


_PLAN_NAME = re.compile(r"^(\d{4})\.yaml$")
# by path: the file's digest, the catalog it was checked against, and its plan
_PLANS: dict[str, tuple[str, Catalog, Plan]] = {}


def plan_files(settings: Settings) -> dict[int, Path]:
    """``data/targets/<year>.yaml`` by year."""
    folder = settings.plan_file().parent
    found = (_PLAN_NAME.match(p.name) for p in folder.iterdir()) if folder.is_dir() else ()
    return {int(m.group(1)): folder / m.group(0) for m in found if m}


def load_plans(
    settings: Settings, catalog: Catalog, default: Plan | None = None
) -> dict[int, Plan]:
    """Every year's plan, each read once per process while its file stays the same
    (``default``: the plan of settings.plan_year as ``load_reference`` just read it). A file
    whose ``year`` is not its name's, or a target id another year's plan uses, is a
    ``PlanError`` naming the file and line (the store keys targets by id)."""
    plans: dict[int, Plan] = {}
    owner: dict[str, Plan] = {}
    for year, path in sorted(plan_files(settings).items()):
        if default is not None and year == settings.plan_year:
            plan = default
        else:
            plan = _cached_plan(path, catalog)
        if plan.year != year:
            raise PlanError(f"{path}:1: 'year' ({plan.year}) is not the file's year {year}")
        for t in plan.targets:
            other = owner.setdefault(t.id, plan)
            if other is not plan:
                raise PlanError(
                    f"{path}:{t.line}: target {t.id}: id already used by the {other.year} plan "
                    f"(line {other.target(t.id).line}); each year's targets need their own ids, "
                    f"e.g. {year}-{t.id}"
                )
        plans[year] = plan
    return plans


def _cached_plan(path: Path, catalog: Catalog) -> Plan:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with _REFERENCE_LOCK:
        cached = _PLANS.get(str(path))
    if cached is not None and cached[0] == digest and cached[1] is catalog:
        return cached[2]
    plan = load_plan(path, catalog)
    with _REFERENCE_LOCK:
        _PLANS[str(path)] = (digest, catalog, plan)
    return plan


@functools.cache
def _script_heads() -> frozenset[str]:
    return frozenset(script_heads())


@functools.cache
def _script_revisions() -> frozenset[str]:
    return frozenset(script_revisions())
