"""重点工作进展.csv and 排名.csv as offices save them: UTF-8 with or without a BOM, GBK /
GB18030 (Excel's default CSV on a Chinese Windows), and the files no decoding or CSV reading
can make sense of — refused with a located issue, never an exception that stops the month."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from jzplan.core.periods import Period
from jzplan.ingest.status_files import (
    RANKING_HEADER,
    STATUS_HEADER,
    parse_ranking_file,
    parse_status_file,
)
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store.tracking import ranking_lengths, status_report_lengths

PERIOD = Period(2013, 6)
STATUS_ROW = ["C15", "已完成", "通水", "规划建设局", "2013-07-03"]
RANKING_ROW = ["焦作新区", "全省产业集聚区发展速度位次", "9", "180", "省联席办", "2013-07-02"]


def _text(header: tuple[str, ...], row: list[str]) -> str:
    return "\r\n".join([",".join(header), ",".join(row)]) + "\r\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_both_files_read_in_every_encoding_offices_use(
    encoding: str, plan: Plan, catalog: Catalog, tmp_path: Path
) -> None:
    status = tmp_path / "重点工作进展.csv"
    status.write_bytes(_text(STATUS_HEADER, STATUS_ROW).encode(encoding))
    ranking = tmp_path / "排名.csv"
    ranking.write_bytes(_text(RANKING_HEADER, RANKING_ROW).encode(encoding))

    read = parse_status_file(status, PERIOD, plan, lengths=status_report_lengths())
    assert read.issues == []
    assert [(r.target_id, r.evidence, r.reported_by) for r in read.reports] == [
        ("C15", "通水", "规划建设局")
    ]
    ranked = parse_ranking_file(ranking, PERIOD, catalog, lengths=ranking_lengths())
    assert ranked.issues == []
    assert [(r.rank, r.out_of, r.published_by) for r in ranked.rankings] == [(9, 180, "省联席办")]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        # neither UTF-8 nor GB18030 shows the header (Big5 of the same text)
        (_text(STATUS_HEADER, STATUS_ROW).encode("big5", errors="replace"), "bad_encoding"),
        (b"\xff\xfe\x00garbage\x00\x01", "bad_encoding"),
        # a field far past the csv module's limit (131,072 characters)
        (
            _text(
                STATUS_HEADER, ["C15", "已完成", "证" * 200_000, "规划建设局", "2013-07-03"]
            ).encode("utf-8"),
            "unreadable_file",
        ),
    ],
)
def test_an_unreadable_status_file_is_one_located_issue(
    content: bytes, code: str, plan: Plan, tmp_path: Path
) -> None:
    path = tmp_path / "重点工作进展.csv"
    path.write_bytes(content)
    read = parse_status_file(path, PERIOD, plan, lengths=status_report_lengths())
    assert read.reports == []
    assert [(i.code, i.file, i.row is not None) for i in read.issues] == [
        (code, "重点工作进展.csv", True)
    ]
    assert read.issues[0].message  # Chinese, for the office


def test_the_field_limit_is_the_csv_modules_own() -> None:
    # the case above relies on it: a larger limit would read the 200,000-character field
    assert csv.field_size_limit() < 200_000
