"""The hostile 2013-07 batch on disk (``build_month``) and every entry's expected outcome
(``expectations``), from the cases of ``tests/hostile/cases.py``."""

from __future__ import annotations

from pathlib import Path

from jzplan.reference.catalog import Catalog
from tests.hostile import builders as b
from tests.hostile.cases import CASES
from tests.hostile.kinds import (
    GOOD_RANK,
    GOOD_UNITS,
    PROGRESS,
    RANKING,
    Expect,
    Place,
    form_name,
    good_forms,
)

A = "accepted"


def build_month(batch: Path, outside: Path, catalog: Catalog) -> Place:
    """The hostile 2013-07 batch in ``batch`` (files outside the inbox in ``outside``)."""
    batch.mkdir(parents=True)
    outside.mkdir(parents=True, exist_ok=True)
    place = Place(batch, outside, catalog)
    good_forms(place)
    for case in CASES:
        case.build(place)
    _status_files(place)
    return place


def _status_files(place: Place) -> None:
    """重点工作进展.csv as GBK with the cases' rows; 排名.csv with a good row and the cases'."""
    text = (b.DEMO_MONTH / PROGRESS).read_text("utf-8-sig").rstrip("\n").split("\n")
    for line, *row in sorted(place.progress_extra, key=lambda r: int(r[0])):
        assert int(line) == len(text) + 1, "progress rows must follow the demo rows"
        text.append(",".join(row))
    place.path(PROGRESS).write_bytes(("\r\n".join(text) + "\r\n").encode("gbk"))
    header = "单位,排名指标,位次,参评总数,发布单位,发布日期"
    rows = {1: header.split(","), 2: list(GOOD_RANK), **place.ranking}
    assert sorted(rows) == list(range(1, len(rows) + 1)), "ranking lines must be consecutive"
    body = "\r\n".join(",".join(rows[n]) for n in sorted(rows)) + "\r\n"
    place.path(RANKING).write_bytes(body.encode("utf-8-sig"))


def expectations() -> dict[str, Expect]:
    """Every expected entry by its name (a file, or ``status file:line``)."""
    out: dict[str, Expect] = {}
    for case in CASES:
        for e in case.expect:
            if e.entry in out and out[e.entry] != e:
                raise AssertionError(f"{e.entry}: two cases expect different outcomes")
            out[e.entry] = e
    for unit in GOOD_UNITS:
        out.setdefault(form_name(unit), Expect(form_name(unit), A))
    return out
