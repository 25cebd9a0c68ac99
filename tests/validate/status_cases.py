"""Status and ranking files written by hand the way offices send them, each with the located
faults (line, column, code) and the outcome it must get: tests/validate/test_status_suites.py
(the suites and the parser) and tests/track/test_history.py (loaded on both databases)."""

from __future__ import annotations

from jzplan.ingest.status_files import RANKING_HEADER, STATUS_HEADER

HEAD = ",".join(STATUS_HEADER)
RHEAD = ",".join(RANKING_HEADER)

# (name, text, encoding, [(line, column, code)], outcome); lines count the header as 1
STATUS_CASES = [
    ("good", f"{HEAD}\nC15,已完成,通水,规划建设局,2013-07-03\n", "utf-8", [], "accepted"),
    (
        "extra_columns_other_order",  # 宁郭镇's template: 序号 first, 备注 last, dates first
        "序号,报送日期,目标编号,进展状态,报送单位,进展情况,备注\n"
        "1,2013/07/03,C15,已完成,规划建设局,通水,\n"
        "2,2013/07/03,C08,正常推进,党政办,推进中,见附件\n",
        "utf-8",
        [],
        "accepted",
    ),
    (
        "notes_row_at_the_bottom",
        f"{HEAD}\nC15,已完成,通水,规划建设局,2013-07-03\n注：本表由党政办汇总,,,,\n",
        "utf-8",
        [(3, "目标编号", "unknown_target"), (3, "进展状态", "unknown_status")],
        "partial",
    ),
    (
        "gbk_with_crlf",  # Excel's 另存为 CSV on a Chinese Windows
        f"{HEAD}\r\nC15,已完成,通水,规划建设局,2013-07-03\r\n",
        "gbk",
        [],
        "accepted",
    ),
    (
        "duplicate_target",
        f"{HEAD}\nC15,已完成,通水,规划建设局,2013-07-03\nC08,滞后,,党政办,\n"
        "C15,进度偏慢,未通水,规划建设局,2013-07-03\n",
        "utf-8",
        [(2, "目标编号", "duplicate_target"), (4, "目标编号", "duplicate_target")],
        "partial",
    ),
    (
        "duplicate_of_a_bad_row",  # the bad row conflicts with none: the good C15 loads
        f"{HEAD}\nC15,已完成,通水,规划建设局,2013-07-03\nC15,基本完成,,规划建设局,\n",
        "utf-8",
        [(3, "进展状态", "unknown_status")],
        "partial",
    ),
    (
        "status_not_in_the_set",
        f"{HEAD}\nC15,基本完成,通水,规划建设局,2013-07-03\nC08,滞后,,党政办,\n",
        "utf-8",
        [(2, "进展状态", "unknown_status")],
        "partial",
    ),
    (
        "bad_date_and_long_unit",
        f"{HEAD}\nC15,已完成,通水,{'规划建设局' * 13},2013-06-31\nC08,滞后,,党政办,\n",
        "utf-8",
        [(2, "报送日期", "bad_date"), (2, "报送单位", "text_too_long")],
        "partial",
    ),
    ("empty_file", "", "utf-8", [(1, None, "missing_columns")], "rejected"),
    ("header_only", f"{HEAD}\n", "utf-8", [(1, None, "empty_status_file")], "rejected"),
    (
        "a_column_missing",
        "目标编号,进展状态,报送单位\nC15,已完成,规划建设局\n",
        "utf-8",
        [(1, None, "missing_columns")],
        "rejected",
    ),
    (
        "every_row_bad",
        f"{HEAD}\nZZ1,已完成,,,\nZZ2,已完成,,,\n",
        "utf-8",
        [(2, "目标编号", "unknown_target"), (3, "目标编号", "unknown_target")],
        "rejected",
    ),
]

GOOD = "焦作新区,全省产业集聚区发展速度位次,9,180,省联席办,2013-07-02"
OTHER = "焦作新区,全省城市新区经济总量位次,7,36,省发改委,2013-07-05"
RANKING_CASES = [
    ("good", f"{RHEAD}\n{GOOD}\n{OTHER}\n", "utf-8", [], "accepted"),
    (
        "extra_columns_other_order",
        "发布日期,发布单位,单位,排名指标,参评总数,位次,说明\n"
        "2013-07-02,省联席办,焦作新区,全省产业集聚区发展速度位次,180,9,较上月前进2位\n",
        "utf-8",
        [],
        "accepted",
    ),
    ("gbk", f"{RHEAD}\r\n{GOOD}\r\n", "gbk", [], "accepted"),
    (
        "rank_past_the_total",
        f"{RHEAD}\n{GOOD}\n焦作新区,全省城市新区经济总量位次,37,36,省发改委,2013-07-05\n",
        "utf-8",
        [(3, "位次", "rank_past_total")],
        "partial",
    ),
    (
        "rank_past_the_limit_named_once",  # not rank_past_total as well
        f"{RHEAD}\n{GOOD}\n焦作新区,全省城市新区经济总量位次,3000000000,36,省发改委,\n",
        "utf-8",
        [(3, "位次", "rank_out_of_range")],
        "partial",
    ),
    (
        "total_zero_and_full_width_rank",
        f"{RHEAD}\n{GOOD}\n焦作新区,全省城市新区经济总量位次,７,0,省发改委,\n",
        "utf-8",
        [(3, "参评总数", "rank_out_of_range")],
        "partial",
    ),
    (
        "not_integers",
        f"{RHEAD}\n{GOOD}\n焦作新区,全省城市新区经济总量位次,第7位,36.0,省发改委,\n",
        "utf-8",
        [(3, "位次", "not_an_integer"), (3, "参评总数", "not_an_integer")],
        "partial",
    ),
    (
        "duplicate_of_a_bad_rank",  # a typo beside the row it repeats: that row loads
        f"{RHEAD}\n{GOOD}\n焦作新区,全省产业集聚区发展速度位次,3000000000,180,省联席办,\n",
        "utf-8",
        [(3, "位次", "rank_out_of_range")],
        "partial",
    ),
    (
        "notes_row_at_the_bottom",
        f"{RHEAD}\n{GOOD}\n备注：排名来源为省统计局通报,,,,,\n",
        "utf-8",
        [
            (3, "单位", "unknown_unit"),
            (3, "排名指标", "unknown_indicator"),
            (3, "位次", "missing_value"),
        ],
        "partial",
    ),
    (
        "duplicate_ranking",
        f"{RHEAD}\n{GOOD}\n{OTHER}\n焦作新区,全省产业集聚区发展速度位次,11,180,省联席办,2013-07-20\n",
        "utf-8",
        [(2, "排名指标", "duplicate_ranking"), (4, "排名指标", "duplicate_ranking")],
        "partial",
    ),
    ("empty_file", "\r\n", "utf-8", [(1, None, "missing_columns")], "rejected"),
    ("header_only", f"{RHEAD}\n,,,,,\n", "utf-8", [(1, None, "empty_status_file")], "rejected"),
]
