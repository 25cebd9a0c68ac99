"""A township form whose rows the parser held as questions (待确认), for the tests of
answering: NGZ's May form without its fai and ind_va rows, and four held rows."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import Engine

from jzplan.core.submissions import HeldRow
from jzplan.month.loading import IngestOutcome, load_prepared
from jzplan.month.prepare import PreparedFile, prepare_file
from jzplan.reference.catalog import Catalog
from jzplan.validate.validator import SubmissionValidator
from tests.ingest import corpus
from tests.ingest.corpus import PERIOD, row_of, standard, write
from tests.month.ingesting import RECEIVED

REMOVED = ("fai", "ind_va")  # rows the office wrote under names the catalog does not know


def held(catalog: Catalog, code: str, name: str, value: str, month: str | None) -> HeldRow:
    return HeldRow(
        sheet="月报", row=row_of(catalog, code), column="B", code="unknown_indicator",
        message=f"指标“{name}”不在指标目录中", name=name, unit="万元", value=value,
        month=month, hints=(catalog.indicator(code).name,),
    )  # fmt: skip


def questions(catalog: Catalog) -> list[HeldRow]:
    return [
        held(catalog, "fai", "2.固定资产投资（全口径）", "21,500", "4300"),
        held(catalog, "ind_va", "工业增加值（全部）", "99999", None),  # above 工业总产值
        replace(held(catalog, "gdp", "合计", "—", None), row=20),
        replace(held(catalog, "gdp", "社零总额", "1.2亿", None), row=21, code="not_a_number"),
    ]


def prepare_form(catalog: Catalog, validator: SubmissionValidator, tmp: Path) -> PreparedFile:
    """NGZ's May form without its fai and ind_va rows, held as questions instead."""
    drop = sorted((row_of(catalog, c) - 1 for c in REMOVED), reverse=True)
    table = standard(catalog).edited(lambda t: [t.main.rows.pop(i) for i in drop])
    path = write(table, tmp / "inbox" / str(PERIOD) / corpus.file_name(catalog, "NGZ"))
    prepared = prepare_file(path, catalog=catalog, validator=validator, archive_dir=tmp / "archive")
    assert prepared.parsed is not None
    prepared.parsed.questions = questions(catalog)  # what the parser will hold (issue 17)
    return prepared


def load(store: Engine, prepared: PreparedFile, validator: SubmissionValidator) -> IngestOutcome:
    return load_prepared(
        prepared, bind=store, arrival=PERIOD, received_at=RECEIVED, validator=validator
    )
