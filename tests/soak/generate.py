"""The soak's inbox: month by month, with the noise offices really make, and a record of what
the store should end up holding (the oracle's input).

A plan year Y feeds its history year Y-1 then Y, through the corpus the project already
writes: ``jzplan.demo`` (every unit's form, the late LWJ 2013-05 file, NGZ's 2013-08 file
with an unreadable cell and its later correction, the status and ranking files). On top of
it, per fed month and seeded (``random.Random(seed)``, so the same seed writes the same
bytes):

- **late**: a unit's form moves to the next month's folder (未报 until that batch);
- **duplicate**: a form of the previous folder sent again, byte-identical;
- **correction**: a unit sends last month's form again, filed later, with two year-to-date
  figures lowered by 1% (kept between the neighbouring months' figures);
- **rejected, then fixed**: a unit's form whose 报告期 cell says the month before while its
  name says this month (``period_mismatch``: rejected, counts for this batch, 退回待改); the
  good form comes in the next folder, filed later.

``Intent`` is what the generator knows it wrote: the figures of every unit-month's current
accepted file (the later 填报日期 wins, docs/ingest.md "Which file is current"), where each
form arrived, and the counts. Years after the demo's continue it (tests/soak/later.py); from the
change year on, the catalog changes (tests/soak/changes.py): merged and split townships, a
renamed indicator whose old name some forms still carry, a new indicator. Later years get the
demo's status and ranking files told again under their own target ids (later.py).
"""

from __future__ import annotations

import random
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import pandas as pd
import yaml

from jzplan.core.periods import Period
from jzplan.demo.annual import round_figure
from jzplan.demo.files import DemoFile, file_name, form_rows, plan_files
from jzplan.demo.monthly import DemoSeries, build_series
from jzplan.demo.status import write_status_files
from jzplan.demo.story import FILE_UNITS, FILED_BY, SEED
from jzplan.ingest.form_writer import FormRow, build_form, save_workbook
from jzplan.reference.catalog import Catalog, load_catalog
from jzplan.reference.plan import Plan, load_plan
from jzplan.validate.rules import load_rules
from tests.reference.changed_catalog import ENDED
from tests.soak import changes
from tests.soak.later import extend_series, write_later_status_files, year_files

REPO = Path(__file__).resolve().parents[2]
CATALOG_DIR = REPO / "data" / "catalog"
DEMO_YEAR = 2013  # the demo's plan year; later years continue from it (tests/soak/later.py)
SUPPORTED_YEARS = tuple(range(2013, 2018))
WINDOW = 3  # JZPLAN_CORRECTION_WINDOW_MONTHS' default

FIGURE_COLUMNS = ["unit", "indicator", "period", "value"]
ARRIVAL_COLUMNS = ["unit", "period", "folder", "outcome", "name"]


def plan_path(year: int) -> Path:
    return REPO / "data" / "targets" / f"{year}.yaml"


@dataclass(frozen=True, slots=True)
class Written:
    """One file the generator put in a folder."""

    folder: str
    name: str
    unit: str
    period: Period
    filed_on: date
    kind: str  # form | late | duplicate | correction | rejected | fix
    rows: tuple[FormRow, ...] = ()
    written_period: Period | None = None  # the 报告期 written in the cell, when not ``period``
    copied_from: str | None = None  # a duplicate: the folder of the file it repeats


@dataclass
class Intent:
    """What the store should hold after every fed folder has run (one plan year)."""

    years: list[int]  # the plan years, consecutive, fed after the first one's history year
    folders: list[str]  # fed, in order
    figures: pd.DataFrame  # FIGURE_COLUMNS: the current accepted file's figures
    arrivals: pd.DataFrame  # ARRIVAL_COLUMNS: every form, accepted | rejected | duplicate
    counts: dict[str, int] = field(default_factory=dict)
    by_year: dict[int, dict[str, int]] = field(default_factory=dict)  # counts by folder year
    change_year: int | None = None  # the catalog changes from its January (changes.py)


@dataclass(frozen=True, slots=True)
class _YearSource:
    catalog: Catalog
    plan: Plan
    series: DemoSeries
    files: list[DemoFile]
    changed: Catalog | None = None  # the catalog from ``change_year`` on
    change_year: int | None = None

    def catalog_for(self, period: Period) -> Catalog:
        """The catalog the office had when it wrote ``period``'s forms."""
        later = self.change_year is not None and period.year >= self.change_year
        return self.changed if later and self.changed is not None else self.catalog


def _year_source(year: int, change_year: int | None) -> _YearSource:
    """The demo's series and files, continued year by year up to ``year``, the catalog changed
    from ``change_year`` on; the plan is the demo year's (its status files go into the demo
    year's folders)."""
    if year not in SUPPORTED_YEARS:
        raise ValueError(f"no corpus for {year} in the soak yet (have {SUPPORTED_YEARS})")
    catalog = load_catalog(CATALOG_DIR)
    plan = load_plan(plan_path(DEMO_YEAR), catalog)
    series = build_series(catalog, plan, SEED)
    files = plan_files(catalog, series, SEED)
    rng = random.Random(SEED + year)
    rules = load_rules(REPO / "expectations", catalog)
    changed = None
    if change_year is not None and change_year <= year:
        if change_year <= DEMO_YEAR:
            raise ValueError(f"the catalog can change after {DEMO_YEAR} only, not {change_year}")
        with tempfile.TemporaryDirectory() as folder:
            changed = load_catalog(changes.write_catalog(Path(folder), change_year))
        changed_rules = load_rules(REPO / "expectations", changed)
    for later in range(DEMO_YEAR + 1, year + 1):
        if changed is None or later < change_year:  # type: ignore[operator]
            series = extend_series(catalog, series, later, rng, rules)
            files += year_files(catalog, series, later, rng)
            continue
        if later == change_year:  # the units as they were, then cut to the changed ones
            series = extend_series(catalog, series, later, rng, rules)
            series = changes.change_series(changed, series, later, changed_rules)
        else:
            series = extend_series(changed, series, later, rng, changed_rules)
        files += year_files(changed, series, later, rng)
    return _YearSource(catalog, plan, series, files, changed, change_year if changed else None)


def fed_periods(
    years: Sequence[int], months: Sequence[int], history: Sequence[int] | None = None
) -> list[Period]:
    """The folders consecutive plan years feed, in order: the history year's months (default:
    the same ones and December, so the seasonal profile and last December exist), then each
    plan year's."""
    before = sorted({*months, 12} if history is None else set(history))
    first = min(years)
    return [Period(first - 1, m) for m in before] + [
        Period(y, m) for y in sorted(years) for m in sorted(months)
    ]


def _months_apart(a: Period, b: Period) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def _fixed_by_relations() -> frozenset[str]:
    """Indicators a correction leaves alone: an identity's whole and parts (地方财政收入 = 国税
    + 地税) and a bound's whole (lowering a part keeps part <= whole)."""
    rel = yaml.safe_load((REPO / "expectations" / "relations.yaml").read_text(encoding="utf-8"))
    out = {s["whole"] for s in rel["sums"]} | {p for s in rel["sums"] for p in s["parts"]}
    return frozenset(out | {b["whole"] for b in rel["bounds"]})


def _corrected_rows(
    catalog: Catalog, series: DemoSeries, unit: str, period: Period, rng: random.Random
) -> tuple[tuple[FormRow, ...], dict[str, float]] | None:
    """The unit's form for ``period`` with two flow figures lowered 1%, or None if no figure
    can move without passing a neighbouring month's."""
    reports = catalog.unit(unit).reports
    movable = []
    fixed = _fixed_by_relations()
    for code in reports:
        ind = catalog.indicator(code)
        if not ind.accumulates or ind.aggregation != "sum" or code in fixed:
            continue
        now = series.get(unit, code, period)
        new = round_figure(now * 0.99, ind)
        before = series.get(unit, code, period.previous()) if period.month > 1 else 0.0
        after = series.get(unit, code, period.next()) if period.month < 12 else now
        if new != now and before < new < after and new > 0:
            movable.append((code, new))
    if len(movable) < 2:
        return None
    changed = dict(rng.sample(movable, 2))
    values = dict(series.values)
    for code, new in changed.items():
        values[(unit, code, period)] = new
    rows = tuple(form_rows(catalog, DemoSeries(values), catalog.unit(unit), period))
    return rows, changed


def _rebuilt(catalog: Catalog, series: DemoSeries, w: Written) -> Written:
    """``w`` written again from ``series`` (an unreadable cell stays unreadable)."""
    raw = {r.indicator: r.raw for r in w.rows if r.raw is not None}
    rows = form_rows(catalog, series, catalog.unit(w.unit), w.period)
    return replace(w, rows=tuple(replace(r, raw=raw.get(r.indicator)) for r in rows))


def _noise(src: _YearSource, folders: list[str], rng: random.Random) -> list[Written]:
    """The demo's files of the fed folders, plus the seeded noise."""
    fed = set(folders)
    base = [
        Written(f.folder, f.name, f.unit, f.period, f.filed_on, "form", f.rows)
        for f in src.files
        if f.folder in fed
    ]
    # the demo's own odd unit-months stay as they are
    odd = {(f.unit, f.period) for f in src.files if f.folder != str(f.period) or "更正" in f.name}
    out: list[Written] = []
    values = dict(src.series.values)  # the running series: a correction changes what follows
    stale: set[tuple[str, Period]] = set()  # unit-months whose 本月 follows a correction
    by_folder: dict[str, list[Written]] = {}
    for b in base:
        by_folder.setdefault(b.folder, []).append(b)
    for i, folder in enumerate(folders):
        period = Period.parse(folder)
        nxt = folders[i + 1] if i + 1 < len(folders) else str(period.next())
        # a form more than JZPLAN_CORRECTION_WINDOW_MONTHS (3) before its batch is held as a
        # pending correction, not applied: the noise stays inside the window
        near = _months_apart(period, Period.parse(nxt)) <= WINDOW
        plain = [w for w in by_folder.get(folder, []) if (w.unit, w.period) not in odd]
        touched: set[str] = set()

        def pick(candidates: list[Written], touched: set[str] = touched) -> Written | None:
            free = [w for w in candidates if w.unit not in touched]
            if not free:
                return None
            chosen = rng.choice(free)
            touched.add(chosen.unit)
            return chosen

        moved: set[tuple[str, Period]] = set()
        if i > 0 and near and rng.random() < 0.3 and (w := pick(plain)) is not None:
            late_on = date(Period.parse(nxt).next().year, Period.parse(nxt).next().month, 1)
            out.append(replace(w, folder=nxt, filed_on=late_on, kind="late"))
            moved.add((w.unit, w.period))
        if i > 0 and near and rng.random() < 0.3 and (w := pick(plain)) is not None:
            # its 报告期 cell says last month: rejected in this batch; the good form comes next
            wrong = period.previous()
            cat = src.catalog_for(w.period)
            rows = w.rows  # a unit new this month: its own figures under the wrong 报告期
            if all((w.unit, r.indicator, wrong) in src.series.values for r in w.rows):
                rows = tuple(form_rows(cat, src.series, cat.unit(w.unit), wrong))
            out.append(replace(w, kind="rejected", rows=rows, written_period=wrong))
            fixed_on = date(Period.parse(nxt).next().year, Period.parse(nxt).next().month, 1)
            out.append(replace(w, folder=nxt, filed_on=fixed_on, kind="fix"))
            moved.add((w.unit, w.period))
        out += [
            _rebuilt(src.catalog_for(w.period), DemoSeries(values), w)
            if (w.unit, w.period) in stale
            else w
            for w in by_folder.get(folder, [])
            if (w.unit, w.period) not in moved
        ]
        if i == 0:
            continue
        prev = folders[i - 1]
        earlier = [w for w in out if w.folder == prev and w.kind in ("form", "fix")]
        if rng.random() < 0.5 and earlier:
            w = rng.choice(earlier)
            out.append(replace(w, folder=folder, kind="duplicate", copied_from=prev))
        last = Period.parse(prev)
        candidates = [w for w in out if w.folder == prev and w.kind == "form" and w.period == last]
        close = _months_apart(last, period) <= WINDOW
        if close and rng.random() < 0.5 and candidates and (w := pick(candidates)) is not None:
            got = _corrected_rows(src.catalog_for(last), DemoSeries(values), w.unit, last, rng)
            if got is not None:
                rows, changed = got
                filed = date(period.next().year, period.next().month, 5)
                name = file_name(src.catalog_for(last).unit(w.unit), last, "(更正)")
                out.append(Written(folder, name, w.unit, last, filed, "correction", rows))
                # what follows is written against the corrected month: next month's 本月 is
                # its year-to-date less the corrected figure (month_not_ytd_difference)
                values.update({(w.unit, code, last): new for code, new in changed.items()})
                after = (w.unit, last.next())
                stale.add(after)
                for k, x in enumerate(out):
                    if (x.unit, x.period) == after and x.kind in ("form", "late", "fix"):
                        out[k] = _rebuilt(src.catalog_for(x.period), DemoSeries(values), x)
    return out


def _write(out_dir: Path, src: _YearSource, files: list[Written]) -> None:
    written: dict[tuple[str, str], Path] = {}
    for w in files:
        path = out_dir / w.folder / w.name
        if w.kind == "duplicate":
            assert w.copied_from is not None
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(written[(w.copied_from, w.name)], path)
            continue
        catalog = src.catalog_for(w.period)
        wb = build_form(
            catalog=catalog,
            unit_code=w.unit,
            period=w.written_period or w.period,
            rows=w.rows,
            filed_by=FILED_BY.get(w.unit) or changes.FILED_BY[w.unit],
            filed_on=w.filed_on,
            units={ind: unit for (u, ind), unit in FILE_UNITS.items() if u == w.unit},
        )
        if changes.old_name(w.unit, w.period, src.change_year):  # last year's template
            new = catalog.indicator(changes.RENAMED_CODE).name
            for row in wb.active.iter_rows():
                for cell in row:
                    if cell.value == new:
                        cell.value = changes.OLD_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        save_workbook(wb, path, creator=catalog.unit(w.unit).name)
        written[(w.folder, w.name)] = path


def generate(
    out_dir: Path,
    years: Sequence[int],
    months: Sequence[int],
    seed: int,
    history: Sequence[int] | None = None,
    change_year: int | None = changes.CHANGE_YEAR,
) -> Intent:
    """Write the fed folders of the plan ``years`` under ``out_dir``; what they should give.
    The catalog changes from ``change_year`` on when the years reach it (None: never)."""
    src = _year_source(max(years), change_year)
    folders = [str(p) for p in fed_periods(years, months, history)]
    files = _noise(src, folders, random.Random(seed))
    fed = set(folders)
    files = [w for w in files if w.folder in fed]  # a late file of the last month: not sent
    _write(out_dir, src, files)
    write_status_files(out_dir, src.catalog, src.plan, folders=[f for f in folders])
    successors = {}
    if src.changed is not None:
        successors = {
            src.catalog.unit(old).name: src.changed.unit(new).name for old, new in ENDED.items()
        }
    write_later_status_files(out_dir, src.catalog, src.plan, folders, successors, src.change_year)
    for folder in folders:  # an empty month still has its folder (nothing arrived ≠ no inbox)
        (out_dir / folder).mkdir(parents=True, exist_ok=True)

    arrivals = []
    current: dict[tuple[str, Period], Written] = {}
    for w in files:
        outcome = {"rejected": "rejected", "duplicate": "duplicate"}.get(w.kind, "accepted")
        arrivals.append((w.unit, str(w.period), w.folder, outcome, w.name))
        if outcome != "accepted":
            continue
        key = (w.unit, w.period)
        if key not in current or (w.filed_on, w.folder) > (
            current[key].filed_on,
            current[key].folder,
        ):
            current[key] = w
    figures = []
    for (unit, period), w in current.items():
        for row in w.rows:
            if row.raw is not None or row.ytd is None:
                continue
            figures.append((unit, row.indicator, str(period), float(row.ytd)))
    return Intent(
        sorted(years),
        folders,
        pd.DataFrame(figures, columns=FIGURE_COLUMNS),
        pd.DataFrame(arrivals, columns=ARRIVAL_COLUMNS),
        _counts(files),
        {
            y: _counts([w for w in files if w.folder.startswith(f"{y}-")])
            for y in sorted({int(f[:4]) for f in folders})
        },
        src.change_year,
    )


def _counts(files: Sequence[Written]) -> dict[str, int]:
    """What the generator wrote, by kind (the folders' files, in arrival terms)."""
    outcome = {"rejected": "rejected", "duplicate": "duplicate"}
    kinds = [outcome.get(w.kind, "accepted") for w in files]
    return {
        "files": len(files),
        "accepted": kinds.count("accepted"),
        "rejected": kinds.count("rejected"),
        "duplicates": kinds.count("duplicate"),
        "corrections": sum(1 for w in files if w.kind == "correction" or "更正" in w.name),
        "late": sum(
            1 for w in files if w.kind in ("late", "fix", "form") and w.folder != str(w.period)
        ),
    }
