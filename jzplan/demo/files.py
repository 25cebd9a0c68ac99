"""The inbox's form files: every unit's monthly form (月报), its folder and its filing date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from jzplan.core.periods import Period, period_range
from jzplan.demo.annual import round_figure
from jzplan.demo.monthly import DemoSeries
from jzplan.demo.story import DEFECT, DEFECT_FILED, FILE_NAME_OF, LATE, SEED, YEARS
from jzplan.ingest.form_writer import FormRow
from jzplan.reference.catalog import Catalog, OrgUnit


@dataclass(frozen=True, slots=True)
class DemoFile:
    folder: str  # YYYY-MM
    name: str
    unit: str
    period: Period
    filed_on: date
    rows: tuple[FormRow, ...]


def file_name(unit: OrgUnit, period: Period, suffix: str = "") -> str:
    short = FILE_NAME_OF.get(unit.code, unit.name)
    return f"{short}_{period.year}年{period.month:02d}月_月报{suffix}.xlsx"


def form_rows(catalog: Catalog, series: DemoSeries, unit: OrgUnit, period: Period) -> list[FormRow]:
    """The unit's form of ``period``: the indicators valid in it; 上年同期 blank where the unit
    has no figure of last year (a new unit or indicator)."""
    rows: list[FormRow] = []
    for code in unit.reports:
        ind = catalog.indicator(code)
        if not ind.validity.covers(period):
            continue
        ytd = series.get(unit.code, code, period)
        last = series.values.get((unit.code, code, period.same_month_last_year()))
        month: float | None = None
        if ind.accumulates:
            prev = series.get(unit.code, code, period.previous()) if period.month > 1 else 0.0
            month = round_figure(ytd - prev, ind)
        rows.append(FormRow(code, ytd, month, last))
    return rows


def plan_files(catalog: Catalog, series: DemoSeries, seed: int = SEED) -> list[DemoFile]:
    """Every file of the inbox, with its folder and filing date."""
    rng = np.random.default_rng(seed + 1)
    files: list[DemoFile] = []
    late_unit, late_period, late_filed = LATE
    defect_unit, defect_period, defect_indicator, defect_text = DEFECT
    for period in period_range(Period(YEARS[0], 1), Period(YEARS[-1], 12)):
        nxt = period.next()
        for unit in catalog.units:
            if not unit.reports:
                continue
            rows = tuple(form_rows(catalog, series, unit, period))
            filed_on = date(nxt.year, nxt.month, int(rng.integers(2, 5)))
            folder = str(period)
            if (unit.code, period) == (late_unit, late_period):
                folder, filed_on = str(nxt), late_filed
            name = file_name(unit, period)
            if (unit.code, period) == (defect_unit, defect_period):
                bad = tuple(
                    FormRow(r.indicator, r.ytd, r.month, r.last_year_ytd, raw=defect_text)
                    if r.indicator == defect_indicator
                    else r
                    for r in rows
                )
                files.append(DemoFile(folder, name, unit.code, period, DEFECT_FILED[0], bad))
                name, filed_on = file_name(unit, period, "(更正)"), DEFECT_FILED[1]
            files.append(DemoFile(folder, name, unit.code, period, filed_on, rows))
    return files
