"""Writing the demo inbox: the forms, the status files and the README."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from jzplan.demo.files import plan_files
from jzplan.demo.monthly import build_series
from jzplan.demo.readme import readme
from jzplan.demo.status import write_status_files
from jzplan.demo.story import FILE_UNITS, FILED_BY, SEED
from jzplan.ingest.form_writer import write_form
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan


def write_inbox(
    out: Path,
    catalog: Catalog,
    plan: Plan,
    *,
    folders: Iterable[str] | None = None,
    seed: int = SEED,
) -> list[Path]:
    """Write the demo inbox (optionally only some ``YYYY-MM`` folders) and its README."""
    series = build_series(catalog, plan, seed)
    wanted = set(folders) if folders is not None else None
    written: list[Path] = []
    for f in plan_files(catalog, series, seed):
        if wanted is not None and f.folder not in wanted:
            continue
        path = out / f.folder / f.name
        write_form(
            path,
            catalog=catalog,
            unit_code=f.unit,
            period=f.period,
            rows=f.rows,
            filed_by=FILED_BY[f.unit],
            filed_on=f.filed_on,
            units={ind: unit for (u, ind), unit in FILE_UNITS.items() if u == f.unit},
        )
        written.append(path)
    written += write_status_files(out, catalog, plan, folders=folders)
    if wanted is None:
        (out / "README.md").write_text(readme(catalog, plan), encoding="utf-8")
    return written
