"""Figures for a unit's monthly form, as the form tests write them."""

from __future__ import annotations

from jzplan.ingest.form_writer import FormRow
from jzplan.reference.catalog import Catalog


def form_rows(catalog: Catalog, unit_code: str, seed: float = 1.0) -> list[FormRow]:
    rows = []
    for i, code in enumerate(catalog.unit(code=unit_code).reports):
        ind = catalog.indicator(code)
        ytd = round(seed * (100 + 7.25 * i), 4)
        rows.append(
            FormRow(
                indicator=code,
                ytd=ytd,
                month=round(ytd / 5, 4) if ind.accumulates else None,
                last_year_ytd=round(ytd * 0.9, 4),
            )
        )
    return rows
