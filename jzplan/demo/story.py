"""The demo's story: how each 2013 target ends, and the inbox's odd files (late, defective,
written in another unit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from jzplan.core.periods import Period


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where a target ends in December 2013: result / target level, and the path there."""

    ratio: float  # ceilings: result / ceiling
    shape: str = "steady"  # steady | slow_start (slow first half, recovers) | late (year-end)


# One driver per (scope, indicator); other targets on the same figure follow from it
# (e.g. 公共财政预算收入 meets 6.5亿 but not 翻一番).
SCENARIO: dict[str, Outcome] = {
    # 主要预期目标
    "A01": Outcome(1.02),  # 规上工业增加值55亿: met
    "A02": Outcome(1.01, "slow_start"),  # 规上工业利税24亿: slow H1, recovers, met
    "A03": Outcome(0.86, "late"),  # 全社会固定资产投资96.2亿: behind
    "A04": Outcome(1.01),  # 社零11.4亿: met
    "A05": Outcome(0.78),  # 出口4200万美元: behind
    "A06": Outcome(1.03, "slow_start"),  # 市外资金57亿: recovers, met
    "A07": Outcome(0.92),  # 外商直接投资8000万美元: behind
    "A08": Outcome(1.03),  # 公共财政预算收入6.5亿: met (翻一番 P04 behind)
    "A09": Outcome(1.005),  # 城镇居民收入增长15%: met (提高30% P06a behind)
    "A10": Outcome(1.003),  # 农民人均纯收入增长15%: met (提高30% P06b behind)
    "A11": Outcome(1.04),  # 城镇新增就业4500人: met
    "A12": Outcome(0.85),  # 人口自然增长率6.5‰以内: under the ceiling
    # 十个方面 / 十大创新提升计划
    "P02": Outcome(1.02, "late"),  # 规上企业突破100家: reached in the last months
    "P03a": Outcome(0.6),  # 经济总量翻一番: behind
    "P05": Outcome(1.02, "late"),  # 民生支出翻一番: met with a year-end push
    "I02a": Outcome(1.0),  # 计划实施项目169个
    "I02b": Outcome(1.0),  # 计划总投资569.66亿
    "I02c": Outcome(0.65, "late"),  # 计划完成投资127.13亿: behind, like fixed assets
    "I02d": Outcome(1.0),  # 续建项目57个
    "I02e": Outcome(1.0),  # 续建项目总投资266.9亿
    "I02f": Outcome(1.0),  # 新开工项目112个
    "I02g": Outcome(1.0),  # 新开工项目总投资302.76亿
    "I03a": Outcome(0.8),  # 引进10亿元以上项目10个: behind
    "I03b": Outcome(1.1),  # 引进5亿元以上项目10个: met
    "I03c": Outcome(1.05),  # 引进1亿元以上项目66个: met
    "I05a": Outcome(1.01),  # 三产增加值增长15.3%: met
    "I06a": Outcome(1.0, "late"),  # 幼儿园4所: met in the autumn
    "I06b": Outcome(1.0),  # 村卫生室20个
    "I06c": Outcome(0.8),  # 预防接种示范门诊5个: 4, behind
    "I07a": Outcome(0.9),  # 道路投资10.5亿: behind
    "I07b": Outcome(1.0),  # 开工道路20条
    "I07c": Outcome(0.93),  # 新增道路45公里: behind
    "I07d": Outcome(1.0),
    "I07e": Outcome(1.0),
    "I07f": Outcome(1.05),
    "I07g": Outcome(1.02),
    "I08a": Outcome(1.0, "late"),  # 新型农村社区6个
    "I08b": Outcome(1.08),  # 流转土地5000亩
    "I08c": Outcome(1.0),
    "I08d": Outcome(1.0),
    "I08e": Outcome(1.0),
    "I08f": Outcome(1.0),
    "I08g": Outcome(1.0),
    "I08h": Outcome(1.0),
    "I09b": Outcome(1.2),  # 融资10亿: met
    "C16": Outcome(1.05),  # 灵泉湖水面1000亩: water from June, met
    "C17": Outcome(1.0, "late"),  # 开工4个10亿元以上项目
    "C18": Outcome(1.04),  # 新开工项目完成投资50%: met
    # 乡镇街道目标
    "T-NGZ-01": Outcome(1.1),
    "T-NGZ-02": Outcome(0.9),  # 宁郭镇固投5亿: behind
    "T-NGZ-03": Outcome(1.05),
    "T-NGZ-04": Outcome(1.02, "slow_start"),  # 宁郭镇财政收入552万: recovers
    "T-NGZ-05": Outcome(0.985),  # 宁郭镇农民人均纯收入8900元: missed
    "T-YMZ-01": Outcome(1.005),
    "T-YMZ-02": Outcome(1.01),
    "T-YMZ-03": Outcome(1.04),
    "T-YMZ-04": Outcome(1.01),
    "T-YMZ-05": Outcome(1.03),
    "T-YMZ-06": Outcome(0.93),  # 阳庙镇招商引资6.24亿: behind
    "T-YMZ-07": Outcome(1.0),
    "T-WCJ-01": Outcome(1.01),
    "T-WCJ-02": Outcome(1.005),
    "T-WCJ-03": Outcome(1.02, "slow_start"),  # 文昌街道固投15亿: recovers
    "T-WCJ-04": Outcome(1.01),
    "T-WCJ-05": Outcome(0.97),  # 文昌街道利税增长15%: behind
    "T-WCJ-06": Outcome(0.9),
    "I03-SJZ": Outcome(1.0),
    "I03-NGZ": Outcome(1.0),
    "I03-YMZ": Outcome(1.0),
    "I03-LWJ": Outcome(0.0),  # 李万街道: no 1亿元 project this year
    "I03-WYJ": Outcome(2.0),
    "I03-WCJ": Outcome(1.0),
}

SEED = 20130603
YEARS = (2012, 2013)
FILE_NAME_OF = {"DIR": "新区直报"}
FILED_BY = {
    "SJZ": "王秀兰",
    "NGZ": "李建军",
    "YMZ": "张丽娟",
    "LWJ": "赵国强",
    "WYJ": "刘芳",
    "WCJ": "陈志刚",
    "DIR": "杨晓燕",
}
# Units that write a figure in the seed's own unit rather than the canonical one
FILE_UNITS: dict[tuple[str, str], str] = {
    ("SJZ", "ind_output"): "亿元",
    ("SJZ", "external_funds"): "万元",
    ("YMZ", "ind_va"): "亿元",
    ("YMZ", "investment_attracted"): "亿元",
    ("WCJ", "profit_tax"): "亿元",
}
LATE = ("LWJ", Period(2013, 5), date(2013, 6, 12))  # lands in the next month's folder
DEFECT = ("NGZ", Period(2013, 8), "project_input", "约1300")
DEFECT_FILED = (date(2013, 9, 3), date(2013, 9, 6))  # defective, then the correction
AREA = "JZXQ"  # the area's code in data/catalog
