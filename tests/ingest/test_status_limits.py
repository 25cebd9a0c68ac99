"""Limits of 重点工作进展.csv and 排名.csv, checked before the database sees a value: 位次 and
参评总数 within 1..RANK_LIMIT, free text within the store's column lengths. A bad row is a
located issue and is left out; the other rows are read."""

from __future__ import annotations

from pathlib import Path

import pytest

from jzplan.core.periods import Period
from jzplan.ingest.status_files import (
    RANK_LIMIT,
    RANKING_HEADER,
    STATUS_HEADER,
    parse_ranking_file,
    parse_status_file,
)
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store.models import RankingRow, StatusReportRow, text_lengths
from jzplan.store.tracking import ranking_lengths, status_report_lengths

PERIOD = Period(2013, 6)
GOOD_RANKING = ["焦作新区", "全省产业集聚区发展速度位次", "9", "180", "省联席办", "2013-07-02"]
GOOD_STATUS = ["C15", "已完成", "通水", "规划建设局", "2013-07-03"]
LONG = ("河南省产业集聚区发展联席会议办公室" * 5)[:80]  # 80 characters, past String(64)


def _csv(path: Path, header: tuple[str, ...], rows: list[list[str]]) -> Path:
    lines = [",".join(header), *(",".join(r) for r in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_lengths_are_the_store_columns() -> None:
    # read from the models, not restated: reported_by and published_by are String(64)
    column = StatusReportRow.__table__.c.reported_by  # type: ignore[attr-defined]
    assert status_report_lengths()["reported_by"] == column.type.length == 64
    assert "evidence" not in status_report_lengths()  # Text: no limit
    assert ranking_lengths() == text_lengths(RankingRow)
    assert ranking_lengths()["published_by"] == 64


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("位次", "3000000000", "rank_out_of_range"),
        ("位次", "100000000000000000000", "rank_out_of_range"),  # 1e20: overflowed before
        ("位次", "9" * 5000, "rank_out_of_range"),  # past int()'s digit limit
        ("位次", "1e20", "not_an_integer"),
        ("位次", "0", "rank_out_of_range"),
        ("位次", "-3", "not_an_integer"),
        ("位次", "3.5", "not_an_integer"),
        ("位次", "", "missing_value"),
        ("位次", "181", "rank_past_total"),  # beyond 参评总数 180
        ("参评总数", str(RANK_LIMIT + 1), "rank_out_of_range"),
        ("参评总数", "0", "rank_out_of_range"),
        ("发布单位", LONG, "text_too_long"),
        ("发布日期", "2013-07-32", "bad_date"),
        ("单位", "不存在区", "unknown_unit"),
    ],
)
def test_a_bad_ranking_row_is_located_and_left_out(
    column: str, value: str, code: str, catalog: Catalog, tmp_path: Path
) -> None:
    bad = GOOD_RANKING.copy()
    bad[0] = "宁郭镇"  # not a duplicate of the first row's (unit, indicator)
    bad[RANKING_HEADER.index(column)] = value
    second = GOOD_RANKING.copy()
    second[1] = "全省城市新区经济总量位次"
    path = _csv(tmp_path / "排名.csv", RANKING_HEADER, [GOOD_RANKING, bad, second])
    parsed = parse_ranking_file(path, PERIOD, catalog, lengths=ranking_lengths())
    assert [(i.file, i.row, i.column, i.code) for i in parsed.issues] == [
        ("排名.csv", 3, column, code)
    ]
    assert [(r.indicator, r.rank) for r in parsed.rankings] == [
        ("rank_cluster_growth", 9),
        ("rank_new_area_economy", 9),
    ]


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("报送单位", LONG, "text_too_long"),
        ("报送单位", "党" * 65, "text_too_long"),
        ("目标编号", "ZZZ", "unknown_target"),
        ("进展状态", "差不多", "unknown_status"),
    ],
)
def test_a_bad_status_row_is_located_and_left_out(
    column: str, value: str, code: str, plan: Plan, tmp_path: Path
) -> None:
    bad = GOOD_STATUS.copy()
    bad[0] = "C08"
    bad[STATUS_HEADER.index(column)] = value
    path = _csv(tmp_path / "重点工作进展.csv", STATUS_HEADER, [GOOD_STATUS, bad])
    parsed = parse_status_file(path, PERIOD, plan, lengths=status_report_lengths())
    assert [(i.row, i.column, i.code) for i in parsed.issues] == [(3, column, code)]
    assert [r.target_id for r in parsed.reports] == ["C15"]
    assert "重点工作进展.csv" in parsed.errors[0] and "第 3 行" in parsed.errors[0]


@pytest.mark.parametrize(
    ("rank", "out_of", "kept"),
    [("1", "180", 1), ("180", "180", 180), (str(RANK_LIMIT), "", RANK_LIMIT), ("７", "", 7)],
)
def test_ranks_within_the_limit_are_kept(
    rank: str, out_of: str, kept: int, catalog: Catalog, tmp_path: Path
) -> None:
    row = GOOD_RANKING.copy()
    row[2], row[3] = rank, out_of
    path = _csv(tmp_path / "排名.csv", RANKING_HEADER, [row])
    parsed = parse_ranking_file(path, PERIOD, catalog, lengths=ranking_lengths())
    assert parsed.issues == [] and [r.rank for r in parsed.rankings] == [kept]


def test_text_at_the_limit_is_kept_whole(plan: Plan, tmp_path: Path) -> None:
    row = GOOD_STATUS.copy()
    row[3] = "党" * 64
    path = _csv(tmp_path / "重点工作进展.csv", STATUS_HEADER, [row])
    parsed = parse_status_file(path, PERIOD, plan, lengths=status_report_lengths())
    assert parsed.issues == [] and parsed.reports[0].reported_by == "党" * 64
