"""Plan years after the demo's: their figures, forms and the plan the office writes in January.

The demo (``jzplan.demo``) writes 2012 and 2013. A later year Y is written the way the area's
units would report it, continuing from the year before:

- **flows** (year to date) and per-capita figures: last year's same month times the unit's
  growth factor for the year (seeded, 1.06–1.18; people-counted flows 1.00–1.02), so the
  seasonal shape, identities (地方财政收入 = 国税 + 地税, re-added after rounding) and bounds
  (增加值 ≤ 总产值) carry over;
- **stocks** (levels): continue from last December by last year's monthly change, so January
  does not jump (a percentage stays ≤ 100; a part never exceeds its whole);
- **rates** on a form: last year's same month.

The plan of Y is written as the office does (docs/years.md): ``jzplan plan-new --year Y``
drafts it from the store's December Y-1 once the history months have run, then
:func:`office_fills` writes every value — levels and counts as the baseline grown by the
year's rate (12%; counts rounded up to whole units), growth targets as that rate, ceilings,
ratios, rankings and milestones as last year's — and one mid-year revision (调整目标): the
first level target of the area lowered by 10% from July, by a numbered document.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from jzplan.core.periods import Period
from jzplan.demo.annual import round_figure
from jzplan.demo.files import DemoFile, file_name, form_rows
from jzplan.demo.monthly import DemoSeries
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.validate.rules import Rules

GROWTH = 0.12  # the rate the office writes into every growth-stated target of a later year
REVISED_FROM_MONTH = 7
REVISION_FACTOR = 0.9
PEOPLE_UNITS = ("人", "万人")


def extend_series(
    catalog: Catalog, series: DemoSeries, year: int, rng: random.Random, rules: Rules
) -> DemoSeries:
    """``series`` with every reporting unit's figures of ``year`` added (see the module);
    ``rules``' form relations are kept."""
    values = dict(series.values)
    for unit in catalog.reporting_units_in(Period(year, 1)):
        money = rng.uniform(1.06, 1.18)
        people = rng.uniform(1.00, 1.02)
        for code in unit.reports:
            ind = catalog.indicator(code)
            dec = values[(unit.code, code, Period(year - 1, 12))]
            dec_before = values.get((unit.code, code, Period(year - 2, 12)), dec)
            for month in range(1, 13):
                last = values[(unit.code, code, Period(year - 1, month))]
                if ind.accumulates:
                    value = last * (people if ind.unit in PEOPLE_UNITS else money)
                elif ind.measure == "stock":
                    value = dec + max(dec - dec_before, 0.0) * month / 12
                    if ind.unit == "%":
                        value = min(value, 100.0)
                else:
                    value = last
                values[(unit.code, code, Period(year, month))] = round_figure(value, ind)
        for month in range(1, 13):
            keep_relations(
                values, catalog, unit.code, set(unit.reports), Period(year, month), rules
            )
    return DemoSeries(values)


def keep_relations(
    values: dict[tuple[str, str, Period], float],
    catalog: Catalog,
    unit: str,
    reports: set[str],
    period: Period,
    rules: Rules,
) -> None:
    for s in rules.sums_for("forms"):
        if {s.whole, *s.parts} <= reports:
            total = sum(values[(unit, p, period)] for p in s.parts)
            values[(unit, s.whole, period)] = round_figure(total, catalog.indicator(s.whole))
    for b in rules.bounds_for("forms"):
        if {b.part, b.whole} <= reports:
            part, whole = (unit, b.part, period), (unit, b.whole, period)
            values[part] = min(values[part], values[whole])


def year_files(
    catalog: Catalog, series: DemoSeries, year: int, rng: random.Random
) -> list[DemoFile]:
    """Every unit's form of every month of ``year``, in its own folder, filed on the 2nd–4th
    of the next month."""
    files: list[DemoFile] = []
    for month in range(1, 13):
        period = Period(year, month)
        nxt = period.next()
        for unit in catalog.reporting_units_in(period):
            rows = tuple(form_rows(catalog, series, unit, period))
            filed_on = date(nxt.year, nxt.month, rng.randint(2, 4))
            files.append(DemoFile(str(period), file_name(unit, period), unit.code, period,
                                  filed_on, rows))  # fmt: skip
    return files


def _filled(entry: dict[str, Any], last: dict[str, Any] | None) -> dict[str, Any] | None:
    """One drafted target with its value written, or None when the office drops it. A level
    or count without a baseline (December was not complete in the store when plan-new ran:
    a late form) grows last year's target instead; with neither, it is dropped."""
    kind = entry["kind"]
    baseline = entry.get("baseline")
    out = dict(entry)
    if kind == "growth":
        out["value"] = GROWTH * 100
    elif kind in ("level", "count"):
        if baseline is None:
            baseline = last.get("value") if last is not None else None
        if baseline is None:
            return None
        grown = float(baseline) * (1 + GROWTH)
        out["value"] = float(math.ceil(grown)) if kind == "count" else round(grown, 2)
        out["growth_pct"] = GROWTH * 100
    elif "value" in entry:
        if last is None or last.get("value") is None:
            return None
        out["value"] = last["value"]
    out["source"] = f"焦作新区{entry['id'][:4]}年工作报告：{entry['label']}"
    return out


def office_fills(path: Path, last_plan: Path, added: Sequence[dict[str, Any]] = ()) -> None:
    """Write every value of the drafted plan at ``path`` (and one mid-year revision), as the
    office does from the year's work report; ``last_plan`` is last year's plan file; ``added``:
    the year's new targets (tests/soak/changes.py)."""
    head = "".join(line for line in path.read_text(encoding="utf-8").splitlines(True)
                   if line.startswith("#"))  # fmt: skip
    draft = yaml.safe_load(path.read_text(encoding="utf-8"))
    year = int(draft["year"])
    last = {t["id"]: t for t in yaml.safe_load(last_plan.read_text(encoding="utf-8"))["targets"]}
    targets = []
    for entry in draft["targets"]:
        base_id = entry["id"].removeprefix(f"{year}-")
        was = last.get(base_id) or last.get(f"{year - 1}-{base_id}")
        filled = _filled(entry, was)
        if filled is not None:
            if "deadline" in filled:
                filled["deadline"] = date(year, 12, 31)
            targets.append(filled)
    targets += [dict(t) for t in added]
    revised = next(t for t in targets if t["kind"] == "level" and t["scope"] == "JZXQ")
    revised["revisions"] = [
        {
            "value": round(revised["value"] * REVISION_FACTOR, 2),
            "revised_on": date(year, REVISED_FROM_MONTH, 1),
            "source": f"新区管委会〔{year}〕45号文件",
        }
    ]
    body = yaml.safe_dump({**draft, "targets": targets}, allow_unicode=True, sort_keys=False,
                          default_flow_style=False, width=1000)  # fmt: skip
    path.write_text(head + body, encoding="utf-8")


def write_later_status_files(
    out: Path,
    src_catalog: Catalog,
    plan: Plan,
    folders: Sequence[str],
    successors: Mapping[str, str],
    change_year: int | None,
) -> None:
    """重点工作进展.csv and 排名.csv of every fed folder after the demo year: the demo's story
    of each milestone and qualitative target told again under the year's id (``2015-C15`` for
    ``C15``, as plan-new names it), reported by the unit that holds the target that year
    (from ``change_year`` on, a merged unit's successor: ``successors``, the old unit's name →
    its successor's), and the quarter's rankings."""
    from jzplan.demo.status import ranking_rows, status_rows, write_csv
    from jzplan.ingest.status_files import RANKING_FILE, RANKING_HEADER, STATUS_FILE, STATUS_HEADER

    for folder in folders:
        period = Period.parse(folder)
        if period.year <= plan.year:
            continue
        reported = period.next()
        day = date(reported.year, reported.month, 3).isoformat()
        moved = change_year is not None and period.year >= change_year
        rows = [
            (f"{period.year}-{target_id}", label, evidence,
             successors.get(office, office) if moved else office, day)
            for target_id, label, evidence, office, _ in status_rows(
                plan, src_catalog, Period(plan.year, period.month)
            )
        ]  # fmt: skip
        write_csv(out / folder / STATUS_FILE, STATUS_HEADER, rows)
        rankings = ranking_rows(src_catalog, period)
        if rankings:
            write_csv(out / folder / RANKING_FILE, RANKING_HEADER, rankings)
