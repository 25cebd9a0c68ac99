"""Synthetic hierarchies, plans and bulk monthly files for ``make bench`` (issue 8, "Scale").

A tier is an area and the tree of units under it, the reporting units (townships) its leaves:

- ``small``: 焦作新区 and its six townships (codes and names from ``data/catalog``), one month;
- ``province``: one province, 17 cities, 150 counties, 2,500 townships, the twelve months of 2013;
- ``national``: 31 provinces, 330 cities, 2,800 counties, 40,000 townships, one month (2013-06),
  with a few planted errors so that the bench shows rejected units.

What is written, under ``<out>/<tier>-v<GENERATOR_VERSION>[-u<units>][-e<errors>][-s<seed>]/``:

- ``catalog/``: ``indicators.yaml`` (the project's 79 indicators and synthetic ``x01``…
  so that the monthly form has exactly 100 reported indicators), ``org_units.yaml`` (the area,
  the form ``standard``, ``units_file: units.csv``) and ``units.csv``
  (``code,name,kind,parent,form``);
- ``targets/2013.yaml``: level and growth targets of 20 indicators for the area and each unit
  directly under it, with their 2012 baselines (the project's plan format);
- ``inbox/<YYYY-MM>/<area>-<YYYY-MM>.csv`` and ``inbox-parquet/<YYYY-MM>/<area>-<YYYY-MM>.parquet``:
  the month's bulk file, long format, one row per (unit, indicator), columns
  ``单位代码,报告期,指标代码,本期累计,本月,计量单位`` (canonical units; 本月 empty for stocks);
- ``manifest.json``, written last: what was generated (its presence marks a complete cache).

The figures pass the project's suites as they are (``expectations/``, unchanged): values in
``plausible_ranges.yaml``, the form relations of ``relations.yaml`` exactly (sums are computed
from their parts, a part is a share of its whole), 本月 ≤ 本期累计, year-to-date figures that never
decrease, 本月 = 累计 − last month's 累计, month-over-month changes well inside the history
suite's bounds. Everything is computed in integer ticks (1 for counts and people, 10⁻⁴ of the
unit otherwise), so sums and differences are exact. Deterministic for a given seed.

Run: ``.venv/bin/python -m bench.synth --tier province --out var/bench/data``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench.synth_figures import Month, Plant, figure_model, plant_errors, simulate
from bench.synth_files import (
    BULK_COLUMNS,
    bulk_name,
    month_table,
    replace_atomically,
    write_catalog,
    write_csv,
    write_parquet,
)
from bench.synth_indicators import catalog_indicators, indicator_models
from bench.synth_plan import PLAN_INDICATORS, plan_document, write_plan
from bench.synth_tiers import GENERATOR_VERSION, ROOT, TIERS, YEAR, Tier, build_hierarchy


@dataclass(frozen=True, slots=True)
class Generated:
    """Where a tier's files are (paths) and what they hold (the manifest)."""

    root: Path
    manifest: dict[str, Any]

    @property
    def catalog_dir(self) -> Path:
        return self.root / "catalog"

    @property
    def plan_path(self) -> Path:
        return self.root / "targets" / f"{YEAR}.yaml"

    @property
    def periods(self) -> list[str]:
        return list(self.manifest["files"])

    def csv(self, period: str) -> Path:
        return self.root / self.manifest["files"][period]["csv"]

    def parquet(self, period: str) -> Path:
        return self.root / self.manifest["files"][period]["parquet"]

    def rows(self, period: str) -> int:
        return int(self.manifest["files"][period]["rows"])

    def planted(self, period: str) -> list[dict[str, str]]:
        return list(self.manifest["planted"].get(period, []))


def generate(tier: Tier, out: Path, *, force: bool = False) -> Generated:
    """Write the tier under ``out/<tier.key>`` (reused when its manifest is there)."""
    root = out / tier.key
    manifest_path = root / "manifest.json"
    if manifest_path.exists() and not force:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("generator_version") == GENERATOR_VERSION:
            return Generated(root, manifest)
    if root.exists():
        shutil.rmtree(root)
    started = time.perf_counter()
    rng = np.random.default_rng(tier.seed)
    hierarchy = build_hierarchy(tier, rng)
    entries, form = catalog_indicators()
    models = indicator_models(entries, form)
    write_catalog(root / "catalog", hierarchy, entries, form)
    fm = figure_model(models, len(hierarchy.leaf_codes), rng)
    plant_rng = np.random.default_rng([tier.seed, 1])
    files: dict[str, dict[str, Any]] = {}
    planted: dict[str, list[dict[str, str]]] = {}
    december: Month | None = None
    for month in simulate(fm, rng):
        if month.month == 12:
            december = month
        if month.month not in tier.months:
            continue
        period = f"{YEAR}-{month.month:02d}"
        plants = plant_errors(tier.plant_errors, hierarchy.leaf_codes, models, plant_rng)
        table = month_table(period, month, hierarchy.leaf_codes, models, plants)
        csv_rel = Path("inbox") / period / bulk_name(hierarchy.area[0], period, "csv")
        pq_rel = Path("inbox-parquet") / period / bulk_name(hierarchy.area[0], period, "parquet")
        write_csv(table, root / csv_rel)
        write_parquet(table, root / pq_rel)
        files[period] = {
            "csv": str(csv_rel),
            "parquet": str(pq_rel),
            "rows": table.num_rows,
            "csv_bytes": (root / csv_rel).stat().st_size,
            "parquet_bytes": (root / pq_rel).stat().st_size,
        }
        if plants:
            planted[period] = [
                Plant(hierarchy.leaf_codes[u], models[c].code, k).as_dict() for u, c, k in plants
            ]
    assert december is not None
    write_plan(
        root / "targets" / f"{YEAR}.yaml",
        plan_document(hierarchy, entries, models, december, np.random.default_rng([tier.seed, 2])),
    )
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "tier": tier.name,
        "seed": tier.seed,
        "scaled_to": tier.scaled_to,
        "area": list(hierarchy.area),
        "levels": [[kind, count] for kind, count in tier.levels],
        "depth": hierarchy.depth,
        "units": len(hierarchy.units),
        "reporting_units": len(hierarchy.leaf_codes),
        "indicators": len(entries),
        "form_size": len(form),
        "plan_targets": len(hierarchy.top_codes) * len(PLAN_INDICATORS) + len(PLAN_INDICATORS),
        "files": files,
        "planted": planted,
        "seconds": round(time.perf_counter() - started, 2),
    }
    replace_atomically(
        manifest_path,
        lambda p: p.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8"),
    )
    return Generated(root, manifest)


def corrected_copy(generated: Generated, period: str, units: int = 10) -> tuple[Path, list[str]]:
    """A corrected bulk file of ``period`` (CSV): ``x01`` of ``units`` clean units raised by 1
    (year-to-date and month alike), every other row as sent. Returns the path and the units."""
    path = (
        generated.root
        / "corrected"
        / period
        / bulk_name(generated.manifest["area"][0], period, "csv")
    )
    table = pq.read_table(generated.parquet(period))
    codes = table.column(BULK_COLUMNS[0])
    bad = {p["unit"] for p in generated.planted(period)}
    clean = [c for c in pc.unique(codes).to_pylist() if c not in bad]
    rng = np.random.default_rng([generated.manifest["seed"], 3])
    chosen = sorted(str(c) for c in rng.choice(clean, size=min(units, len(clean)), replace=False))
    in_units = pc.is_in(codes, value_set=pa.array(chosen))
    on_x01 = pc.equal(table.column(BULK_COLUMNS[2]), "x01")
    hit = pc.and_(in_units, on_x01).to_numpy(zero_copy_only=False)
    value = table.column(BULK_COLUMNS[3]).to_numpy() + np.where(hit, 1.0, 0.0)
    month = table.column(BULK_COLUMNS[4]).to_numpy(zero_copy_only=False) + np.where(hit, 1.0, 0.0)
    table = table.set_column(3, BULK_COLUMNS[3], pa.array(value))
    table = table.set_column(4, BULK_COLUMNS[4], pa.array(month, mask=np.isnan(month)))
    if not path.exists():
        write_csv(table, path)
    return path, chosen


def tier_for(
    name: str, *, units: int | None = None, plant: int | None = None, seed: int | None = None
) -> Tier:
    tier = TIERS[name]
    if units is not None:
        tier = tier.scaled(units)
    if plant is not None:
        tier = replace(tier, plant_errors=plant)
    if seed is not None:
        tier = replace(tier, seed=seed)
    return tier


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", choices=sorted(TIERS), action="append")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "data")
    parser.add_argument("--units", type=int, help="reporting units (scales the levels above)")
    parser.add_argument("--plant-errors", type=int, help="bad rows per month, each in its own unit")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--force", action="store_true", help="regenerate even if cached")
    args = parser.parse_args(argv)
    for name in args.tier or list(TIERS):
        tier = tier_for(name, units=args.units, plant=args.plant_errors, seed=args.seed)
        started = time.perf_counter()
        g = generate(tier, args.out, force=args.force)
        m = g.manifest
        rows = sum(f["rows"] for f in m["files"].values())
        planted = sum(len(v) for v in m["planted"].values())
        print(
            f"{name}: {m['units']} units ({m['reporting_units']} reporting, {m['depth']} levels), "
            f"{m['form_size']} indicators, {len(m['files'])} month(s), {rows:,} rows, "
            f"{planted} planted errors, {time.perf_counter() - started:.1f} s -> {g.root}"
        )


if __name__ == "__main__":
    main()
