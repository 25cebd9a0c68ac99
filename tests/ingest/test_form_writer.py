"""Writing the monthly form: the same inputs give the same bytes."""

from __future__ import annotations

from datetime import date

from jzplan.core.periods import Period
from jzplan.ingest.form_writer import write_form
from tests.ingest.formrows import form_rows


def test_same_inputs_same_bytes(tmp_path, catalog):
    kwargs = dict(
        catalog=catalog,
        unit_code="NGZ",
        period=Period(2013, 5),
        rows=form_rows(catalog, "NGZ"),
        filed_by="李四",
        filed_on=date(2013, 6, 4),
    )
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_form(a, **kwargs)
    write_form(b, **kwargs)
    assert a.read_bytes() == b.read_bytes()
