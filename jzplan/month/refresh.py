"""Recomputing a month from the current submissions: totals at every level, target
progress, and the alerts both raise (missing, rejected, validation warnings, target status)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from jzplan.alert.explanations import sync_validation_alerts
from jzplan.alert.lifecycle import sync_alerts
from jzplan.alert.rules import as_records, in_period, target_alerts, unit_month_alerts
from jzplan.core.periods import Period
from jzplan.core.states import AlertKind, UnitMonthStatus
from jzplan.core.submissions import Coded, ParsedSubmission
from jzplan.ingest.bulk import coded
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store.aggregates import write_aggregates
from jzplan.store.db import Bind
from jzplan.store.observations import bulk_file_units, period_values
from jzplan.store.progress import write_progress
from jzplan.store.submissions import held_submissions
from jzplan.store.unit_months import UnitMonth, unit_statuses, units_in
from jzplan.track.aggregate import aggregate_period
from jzplan.track.history import load_history
from jzplan.track.progress import History, Thresholds, evaluate_targets


@dataclass(slots=True)
class PeriodOutcome:
    period: Period
    aggregates: dict[str, int]
    progress: dict[str, int] = field(default_factory=dict)
    alerts: dict[str, int] = field(default_factory=dict)
    missing_units: list[str] = field(default_factory=list)  # 未报 only: nothing came
    # every reporting unit's 已报 / 有待确认 / 退回待改 / 未报, in the catalog's order
    unit_months: dict[str, UnitMonth] = field(default_factory=dict)
    held_units: list[str] = field(default_factory=list)  # files held: the month 有待确认
    progress_frame: pd.DataFrame | None = None
    # what the evaluation read (the plan's units): the month's report reads the same
    history: History | None = None


@dataclass(frozen=True, slots=True)
class LoadedBulk:
    """A bulk file just loaded (its ``bulk_file`` id) and its parsed frame, still in memory:
    the figures it brought need not be read back from the store. ``codes``: the codes
    ``read_bulk`` made of the frame's org_unit, period and indicator columns, where the frame
    still holds them (``LoadedBulk.of``): which rows are current and where each figure goes
    in the totals are then looked up once per distinct code, not once per row."""

    bulk_file_id: int
    frame: pd.DataFrame
    codes: Mapping[str, Coded] = field(default_factory=dict)

    @classmethod
    def of(cls, bulk_file_id: int, parsed: ParsedSubmission) -> LoadedBulk:
        found = {c: coded(parsed, c) for c in ("org_unit", "period", "indicator")}
        return cls(bulk_file_id, parsed.frame, {c: k for c, k in found.items() if k is not None})

    def rows_in(self, column: str, values: Collection[str]) -> np.ndarray:
        """Whether each row's ``column`` is one of ``values`` (bool array)."""
        codes = self.codes.get(column)
        if codes is None:
            return self.frame[column].isin(list(values)).to_numpy(bool)
        hit: np.ndarray = np.append(codes.uniques.isin(list(values)), False)  # -1: missing
        return np.asarray(hit[codes.codes], dtype=bool)

    def categorical(self, column: str) -> pd.Categorical | None:
        """The column as categories over its codes (no text copied), if it has codes."""
        codes = self.codes.get(column)
        if codes is None:
            return None
        return pd.Categorical.from_codes(codes.codes, categories=codes.uniques, validate=False)


def period_figures(
    engine: Bind, period: Period, bulks: Sequence[LoadedBulk] = (), *, masked: bool = False
) -> pd.DataFrame:
    """The period's current figures (org_unit, indicator, value). With ``bulks``: the
    figures of the units whose current submission is one of those files' (the store says
    which) from the file's frame, the rest from the store, read only for submissions of
    other files (a national month's first load reads nothing back).

    ``masked``: a file's rows that are not current figures (a rejected unit's, another
    period's) are kept without a value (NaN) instead of removed, for ``aggregate_period``,
    which skips figures without a value: the same totals without copying the file's
    millions of rows of text (0.4-0.6 s on a national month with 4 units rejected). When one
    file holds all of them, its org_unit and indicator come as categories over the file's
    codes (``LoadedBulk.categorical``), which ``aggregate_period`` places by code."""
    if not bulks:
        return period_values(engine, period)
    rest = period_values(engine, period, except_bulk_files=[b.bulk_file_id for b in bulks])
    alone = masked and rest.empty and len(bulks) == 1
    parts = []
    for bulk in bulks:
        units = bulk_file_units(engine, bulk.bulk_file_id, period)
        mine = bulk.rows_in("period", [str(period)]) & bulk.rows_in("org_unit", units)
        own = bulk.frame[["org_unit", "indicator", "value"]]
        if not mine.all():  # a whole month loaded (the usual case): no copy of its rows
            if masked:
                values = pd.to_numeric(own["value"], errors="coerce").to_numpy(np.float64)
                own = own.assign(value=np.where(mine, values, np.nan))
            else:
                own = own.loc[mine]
        own = own.astype({"org_unit": "str", "indicator": "str", "value": "float64"})
        if alone:
            by_code = {c: bulk.categorical(c) for c in ("org_unit", "indicator")}
            own = own.assign(**{c: k for c, k in by_code.items() if k is not None})
        parts.append(own)
    return pd.concat([p for p in (rest, *parts) if not p.empty] or [rest], ignore_index=True)


def refresh_aggregates(
    engine: Bind, *, catalog: Catalog, period: Period, bulks: Sequence[LoadedBulk] = ()
) -> dict[str, int]:
    """The period's totals at every level of the hierarchy, from its current figures
    (``period_figures``); returns the rewrite's inserted, updated, deleted and unchanged
    counts."""
    figures = period_figures(engine, period, bulks, masked=True)
    return write_aggregates(engine, period, aggregate_period(figures, catalog, period))


def evaluate_period(
    engine: Bind, *, catalog: Catalog, plan: Plan, period: Period, thresholds: Thresholds
) -> tuple[dict[str, int], pd.DataFrame]:
    """Every target of the plan at ``period``, stored; the write's counts and the frame."""
    counts, progress, _ = evaluate_and_store(engine, catalog, plan, period, thresholds)
    return counts, progress


def evaluate_and_store(
    engine: Bind, catalog: Catalog, plan: Plan, period: Period, thresholds: Thresholds
) -> tuple[dict[str, int], pd.DataFrame, History]:
    """``evaluate_period`` with the history the evaluation read."""
    history = load_history(engine, period, units={t.scope for t in plan.targets}, catalog=catalog)
    progress = evaluate_targets(plan, catalog, period, history, thresholds)
    return write_progress(engine, period, progress), progress, history


def refresh_tracking(
    engine: Bind, *, catalog: Catalog, plan: Plan, period: Period, thresholds: Thresholds
) -> dict[str, int]:
    """``evaluate_period`` without the frame: what the benchmark times as "evaluate"."""
    counts, _ = evaluate_period(
        engine, catalog=catalog, plan=plan, period=period, thresholds=thresholds
    )
    return counts


def sync_submission_alerts(
    engine: Bind, *, catalog: Catalog, period: Period, as_of: Period
) -> tuple[dict[str, UnitMonth], dict[str, int]]:
    """Each reporting unit's standing in the period (已报 / 有待确认 / 退回待改 / 未报), its alert
    (未报 and 退回待改 critical, 有待确认 a warning) and the validation warnings, kept up to
    date at ``as_of``; the standings by unit and the alert counts."""
    reporting = [u.code for u in catalog.reporting_units_in(period)]
    standings = unit_statuses(engine, reporting, period)
    counts = sync_alerts(
        engine,
        as_of,
        as_records(unit_month_alerts(period, standings.values(), catalog)),
        scope_kinds={
            AlertKind.MISSING_SUBMISSION,
            AlertKind.REJECTED_SUBMISSION,
            AlertKind.HELD_SUBMISSION,
        },
        in_scope=in_period(period),
    )
    warned = sync_validation_alerts(engine, catalog=catalog, period=period, as_of=as_of)
    return standings, {k: counts[k] + warned[k] for k in counts}


def sync_target_alerts(
    engine: Bind,
    *,
    catalog: Catalog,
    plan: Plan,
    period: Period,
    thresholds: Thresholds,
    progress: pd.DataFrame,
) -> dict[str, int]:
    """The targets' status alerts of ``period`` (none before ``alert_from_month``)."""
    assessed = period.month >= thresholds.alert_from_month
    return sync_alerts(
        engine,
        period,
        as_records(target_alerts(progress, plan, catalog) if assessed else []),
        scope_kinds={AlertKind.TARGET_STATUS, AlertKind.MILESTONE_OVERDUE},
    )


def refresh_period(
    engine: Bind,
    *,
    catalog: Catalog,
    plan: Plan | None,
    period: Period,
    thresholds: Thresholds,
    as_of: Period | None = None,
    bulks: Sequence[LoadedBulk] = (),
) -> PeriodOutcome:
    """Recompute a period from the current submissions: totals, target progress, alerts.

    ``as_of`` is the batch being processed: a missing or rejected submission of ``period``
    that a later batch brings is resolved at that batch, not at ``period``. ``bulks``: the
    batch's bulk files, whose figures the totals take from memory (``period_figures``).
    """
    totals = refresh_aggregates(engine, catalog=catalog, period=period, bulks=bulks)
    outcome = PeriodOutcome(period, totals)
    outcome.unit_months, counts = sync_submission_alerts(
        engine, catalog=catalog, period=period, as_of=max(as_of or period, period)
    )
    outcome.missing_units = units_in(outcome.unit_months.values(), UnitMonthStatus.MISSING)
    outcome.held_units = sorted(held_submissions(engine, period))
    if plan is not None and period.year == plan.year:
        outcome.progress, progress, outcome.history = evaluate_and_store(
            engine, catalog, plan, period, thresholds
        )
        outcome.progress_frame = progress
        status_counts = sync_target_alerts(
            engine,
            catalog=catalog,
            plan=plan,
            period=period,
            thresholds=thresholds,
            progress=progress,
        )
        counts = {k: counts[k] + status_counts[k] for k in counts}
    outcome.alerts = counts
    return outcome
