"""The status and ranking submissions of 2013 (重点工作进展.csv, 排名.csv)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from jzplan.core.periods import Period
from jzplan.demo.story import YEARS
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan, Target

# Milestones and qualitative targets: (from month, status label, evidence). Each month's file
# carries the latest entry at or before that month. Targets not listed follow the default
# story (milestones: 未启动, then 正常推进, done in the autumn; qualitative: 正常推进, 已完成
# in December).
STATUS_STORY: dict[str, tuple[tuple[int, str, str], ...]] = {
    "C15": (
        (1, "正常推进", "引黄入沙工程渠首及输水管线施工"),
        (4, "正常推进", "输水管线全线贯通，进行试通水准备"),
        (6, "已完成", "6月28日黄河水经引黄入沙工程进入大沙河"),
    ),
    "C08": (
        (1, "正常推进", "编制升级国家级高新区申报材料"),
        (8, "已完成", "申报材料已由省政府报送国务院"),
    ),
    "P09b": (
        (1, "正常推进", "按国家级高新区标准完善园区规划和统计体系"),
        (8, "进度偏慢", "申报已报国务院，批复时间不确定"),
        (11, "滞后", "国务院尚未批复，年内建成国家高新区难以实现"),
    ),
    "I06h": (
        (1, "未启动", "选址论证"),
        (3, "正常推进", "完成选址和方案设计"),
        (7, "进度偏慢", "土地报批滞后，开工时间推迟"),
        (9, "正常推进", "土地报批完成，施工招标结束"),
        (10, "已完成", "10月18日新区老年福利中心开工建设"),
    ),
    "A13": (
        (1, "正常推进", "分解节能减排任务到重点企业"),
        (7, "进度偏慢", "上半年单位工业增加值能耗下降幅度低于序时要求"),
        (10, "正常推进", "重点企业完成节能技术改造"),
        (12, "已完成", "完成市下达的年度节能减排目标任务"),
    ),
    "C13": (
        (1, "正常推进", "完成项目可研和初步设计"),
        (9, "进度偏慢", "主体结构施工进度落后于计划"),
        (10, "滞后", "资金到位不足，主体工程停工两个月"),
    ),
    "T-LWJ-01": (
        (1, "正常推进", "走访在谈项目，落实项目协调服务"),
        (5, "进度偏慢", "在谈项目签约推迟"),
        (8, "正常推进", "签约项目2个，开工1个"),
        (12, "已完成", "全年完成招商引资任务"),
    ),
}
REPORTED_BY_GROUP = {
    "主要预期目标": "新区经济发展局",
    "十个方面": "新区党政办公室",
    "十大创新提升计划": "新区党政办公室",
    "市政府工作报告要求": "新区规划建设局",
}
# Published positions on the ranking indicators, by quarter-end month: (rank, out of)
RANKINGS: dict[str, dict[int, tuple[int, int]]] = {
    # 全省产业集聚区发展速度: 14th in Q1, into the top ten by the autumn (recovers)
    "rank_cluster_growth": {3: (14, 180), 6: (11, 180), 9: (9, 180), 12: (8, 180)},
    # 全省城市新区经济总量: never reaches the top five (ends missed)
    "rank_new_area_economy": {3: (7, 20), 6: (7, 20), 9: (8, 20), 12: (7, 20)},
}
RANKING_PUBLISHERS = {
    "rank_cluster_growth": "河南省产业集聚区发展联席会议办公室",
    "rank_new_area_economy": "河南省发展和改革委员会",
}


def _status_story(target: Target, index: int) -> tuple[tuple[int, str, str], ...]:
    if target.id in STATUS_STORY:
        return STATUS_STORY[target.id]
    if target.kind == "milestone":
        done = 9 + index % 4
        return (
            (1, "未启动", "前期调研"),
            (3, "正常推进", "完成方案编制，按计划推进"),
            (done, "已完成", f"{done}月完成：{target.label}"),
        )
    return (
        (1, "正常推进", "按年度工作方案推进"),
        (12, "已完成", "完成年度目标任务"),
    )


def status_rows(plan: Plan, catalog: Catalog, period: Period) -> list[tuple[str, ...]]:
    """The rows of one month's 重点工作进展.csv (2013 only)."""
    rows: list[tuple[str, ...]] = []
    reported_on = period.next()
    targets = [t for t in plan.targets if t.kind in ("milestone", "qualitative")]
    for index, t in enumerate(targets):
        story = [s for s in _status_story(t, index) if s[0] <= period.month]
        if not story:
            continue
        _, label, evidence = story[-1]
        office = (
            catalog.unit(t.scope).name
            if t.scope != catalog.area.code
            else REPORTED_BY_GROUP.get(t.group, "新区党政办公室")
        )
        day = date(reported_on.year, reported_on.month, 3).isoformat()
        rows.append((t.id, label, evidence, office, day))
    return rows


def ranking_rows(catalog: Catalog, period: Period) -> list[tuple[str, ...]]:
    """The rows of a quarter-end month's 排名.csv (empty in other months)."""
    published = period.next()
    rows: list[tuple[str, ...]] = []
    for code, by_month in RANKINGS.items():
        if period.month not in by_month:
            continue
        rank, out_of = by_month[period.month]
        day = date(published.year, published.month, 2).isoformat()
        rows.append(
            (catalog.area.name, catalog.indicator(code).name, str(rank), str(out_of),
             RANKING_PUBLISHERS[code], day)
        )  # fmt: skip
    return rows


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    # UTF-8 with BOM: what Excel writes and reads for Chinese CSV
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))


def write_status_files(
    out: Path, catalog: Catalog, plan: Plan, *, folders: Iterable[str] | None = None
) -> list[Path]:
    """Every 2013 month's 重点工作进展.csv and each quarter's 排名.csv."""
    from jzplan.ingest.status_files import RANKING_FILE, RANKING_HEADER, STATUS_FILE, STATUS_HEADER

    wanted = set(folders) if folders is not None else None
    written: list[Path] = []
    for month in range(1, 13):
        period = Period(YEARS[-1], month)
        if wanted is not None and str(period) not in wanted:
            continue
        path = out / str(period) / STATUS_FILE
        write_csv(path, STATUS_HEADER, status_rows(plan, catalog, period))
        written.append(path)
        rankings = ranking_rows(catalog, period)
        if rankings:
            path = out / str(period) / RANKING_FILE
            write_csv(path, RANKING_HEADER, rankings)
            written.append(path)
    return written
