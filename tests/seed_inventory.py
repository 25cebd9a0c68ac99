"""Hand-kept inventory of the seed page (焦作新区 2013 plan), written from the seed, not the YAML.

Quantitative items are (scope, indicator, year, value, unit) with the value in the seed's unit.
Growth targets and growth-only 2012 facts carry the percent with unit "%"; rankings use "位".
Items stated twice in the seed (e.g. 规上工业增加值55亿元) are listed twice.
"""

from __future__ import annotations

Item = tuple[str, str, int, float, str]

# 2013 targets with a figure: level, growth, ceiling, count, ratio, ranking.
TARGETS: list[Item] = [
    # 主要预期目标
    ("JZXQ", "ind_va_above", 2013, 55.0, "亿元"),
    ("JZXQ", "ind_profit_tax_above", 2013, 24.0, "亿元"),
    ("JZXQ", "fai", 2013, 96.2, "亿元"),
    ("JZXQ", "retail_sales", 2013, 11.4, "亿元"),
    ("JZXQ", "exports", 2013, 4200.0, "万美元"),
    ("JZXQ", "external_funds", 2013, 57.0, "亿元"),
    ("JZXQ", "fdi", 2013, 8000.0, "万美元"),
    ("JZXQ", "fiscal_revenue", 2013, 6.5, "亿元"),
    ("JZXQ", "urban_disposable_income", 2013, 15.0, "%"),
    ("JZXQ", "rural_net_income", 2013, 15.0, "%"),
    ("JZXQ", "new_urban_jobs", 2013, 4500.0, "人"),
    ("JZXQ", "natural_growth_rate", 2013, 6.5, "‰"),
    # 十个方面
    ("JZXQ", "rank_cluster_growth", 2013, 10.0, "位"),
    ("JZXQ", "enterprises_above", 2013, 100.0, "家"),
    ("JZXQ", "gdp", 2013, 100.0, "%"),
    ("JZXQ", "rank_new_area_economy", 2013, 5.0, "位"),
    ("JZXQ", "fiscal_revenue", 2013, 100.0, "%"),
    ("JZXQ", "livelihood_spending", 2013, 100.0, "%"),
    ("JZXQ", "urban_disposable_income", 2013, 30.0, "%"),
    ("JZXQ", "rural_net_income", 2013, 30.0, "%"),
    # 十大创新提升计划 二: projects
    ("JZXQ", "projects_planned", 2013, 169.0, "个"),
    ("JZXQ", "projects_planned_investment", 2013, 569.66, "亿元"),
    ("JZXQ", "projects_investment_done", 2013, 127.13, "亿元"),
    ("JZXQ", "projects_continuing", 2013, 57.0, "个"),
    ("JZXQ", "continuing_projects_total_investment", 2013, 266.9, "亿元"),
    ("JZXQ", "projects_new", 2013, 112.0, "个"),
    ("JZXQ", "new_projects_total_investment", 2013, 302.76, "亿元"),
    # 三: 1166 and one 1亿元 project per township
    ("JZXQ", "projects_introduced_1b", 2013, 10.0, "个"),
    ("JZXQ", "projects_introduced_500m", 2013, 10.0, "个"),
    ("JZXQ", "projects_introduced_100m", 2013, 66.0, "个"),
    ("SJZ", "projects_introduced_100m", 2013, 1.0, "个"),
    ("NGZ", "projects_introduced_100m", 2013, 1.0, "个"),
    ("YMZ", "projects_introduced_100m", 2013, 1.0, "个"),
    ("LWJ", "projects_introduced_100m", 2013, 1.0, "个"),
    ("WYJ", "projects_introduced_100m", 2013, 1.0, "个"),
    ("WCJ", "projects_introduced_100m", 2013, 1.0, "个"),
    # 四, 五
    ("JZXQ", "enterprises_above", 2013, 100.0, "家"),
    ("JZXQ", "ind_va_above", 2013, 55.0, "亿元"),
    ("JZXQ", "tertiary_va", 2013, 15.3, "%"),
    # 六
    ("JZXQ", "kindergartens", 2013, 4.0, "所"),
    ("JZXQ", "village_clinics", 2013, 20.0, "个"),
    ("JZXQ", "vaccination_clinics", 2013, 5.0, "个"),
    # 七
    ("JZXQ", "road_investment", 2013, 10.5, "亿元"),
    ("JZXQ", "roads_started", 2013, 20.0, "条"),
    ("JZXQ", "roads_new_km", 2013, 45.0, "公里"),
    ("JZXQ", "garbage_stations", 2013, 2.0, "个"),
    ("JZXQ", "public_toilets", 2013, 3.0, "个"),
    ("JZXQ", "greening_replanted", 2013, 3.6, "万平方米"),
    ("JZXQ", "green_area_new", 2013, 415.0, "亩"),
    # 八
    ("JZXQ", "rural_communities_started", 2013, 6.0, "个"),
    ("JZXQ", "land_transferred_new", 2013, 5000.0, "亩"),
    ("JZXQ", "coop_federations", 2013, 1.0, "家"),
    ("JZXQ", "coops_city_star", 2013, 1.0, "家"),
    ("JZXQ", "coops_city_leading", 2013, 3.0, "家"),
    ("JZXQ", "coops_district_star", 2013, 2.0, "家"),
    ("JZXQ", "coops_district_leading", 2013, 5.0, "家"),
    ("JZXQ", "coops_provincial_demo", 2013, 1.0, "家"),
    # 九
    ("JZXQ", "financing", 2013, 10.0, "亿元"),
    # 市政府工作报告要求
    ("JZXQ", "lingquan_lake_water_area", 2013, 1000.0, "亩"),
    ("JZXQ", "big_projects_started_1b", 2013, 4.0, "个"),
    ("JZXQ", "new_projects_investment_ratio", 2013, 50.0, "%"),
    # 宁郭镇
    ("NGZ", "gdp", 2013, 10.4, "亿元"),
    ("NGZ", "fai", 2013, 5.0, "亿元"),
    ("NGZ", "ind_profit_above", 2013, 1.35, "亿元"),
    ("NGZ", "local_fiscal_revenue", 2013, 552.0, "万元"),
    ("NGZ", "rural_net_income", 2013, 8900.0, "元"),
    # 阳庙镇
    ("YMZ", "ind_output_above", 2013, 33.6, "%"),
    ("YMZ", "profit_tax", 2013, 25.0, "%"),
    ("YMZ", "fai_5m_plus", 2013, 5.0, "亿元"),
    ("YMZ", "retail_sales", 2013, 18.0, "%"),
    ("YMZ", "fiscal_revenue", 2013, 207.0, "万元"),
    ("YMZ", "investment_attracted", 2013, 6.24, "亿元"),
    ("YMZ", "projects_introduced_100m", 2013, 1.0, "个"),
    # 文昌街道
    ("WCJ", "gdp", 2013, 15.0, "%"),
    ("WCJ", "rural_net_income", 2013, 13.0, "%"),
    ("WCJ", "fai", 2013, 15.0, "亿元"),
    ("WCJ", "ind_va_above", 2013, 20.0, "%"),
    ("WCJ", "profit_tax", 2013, 15.0, "%"),
    ("WCJ", "natural_growth_rate", 2013, 6.0, "‰"),
]

# Growths the seed states alongside a 2013 level: (scope, indicator, growth %).
TARGET_GROWTHS: list[tuple[str, str, float]] = [
    ("JZXQ", "ind_va_above", 25.0),
    ("JZXQ", "ind_profit_tax_above", 23.0),
    ("JZXQ", "fai", 50.3),
    ("JZXQ", "retail_sales", 17.5),
    ("JZXQ", "exports", 45.0),
    ("JZXQ", "external_funds", 30.0),
    ("JZXQ", "fdi", 30.0),
    ("JZXQ", "fiscal_revenue", 30.0),
    ("NGZ", "gdp", 12.0),
    ("NGZ", "fai", 28.0),
    ("NGZ", "ind_profit_above", 12.0),
    ("NGZ", "local_fiscal_revenue", 15.0),
    ("YMZ", "fiscal_revenue", 15.0),
]

# 2012 figures. Growth-only facts have the growth as value and unit "%".
BASELINES_2012: list[Item] = [
    ("JZXQ", "ind_output_above", 2012, 195.0, "亿元"),
    ("JZXQ", "ind_va_above", 2012, 44.0, "亿元"),
    ("JZXQ", "ind_revenue_above", 2012, 175.5, "亿元"),
    ("JZXQ", "fai", 2012, 58.62, "亿元"),
    ("JZXQ", "fiscal_revenue", 2012, 5.01, "亿元"),
    ("JZXQ", "projects_planned", 2012, 129.0, "个"),
    ("JZXQ", "projects_planned_investment", 2012, 460.4, "亿元"),
    ("JZXQ", "projects_investment_done", 2012, 58.62, "亿元"),
    ("JZXQ", "projects_completed", 2012, 20.0, "个"),
    ("JZXQ", "signed_projects", 2012, 117.0, "个"),
    ("JZXQ", "signed_contract_value", 2012, 268.9, "亿元"),
    ("JZXQ", "signed_projects_1b", 2012, 10.0, "个"),
    # 苏家作乡
    ("SJZ", "ind_output", 2012, 1.8, "亿元"),
    ("SJZ", "ind_va", 2012, 6780.0, "万元"),
    ("SJZ", "external_funds", 2012, 8000.0, "万元"),
    ("SJZ", "project_input", 2012, 7700.0, "万元"),
    ("SJZ", "rural_net_income", 2012, 11.0, "%"),
    ("SJZ", "natural_growth_rate", 2012, 6.0, "‰"),
    # 宁郭镇 (预计)
    ("NGZ", "gdp", 2012, 10.4, "亿元"),
    ("NGZ", "ind_profit_above", 2012, 1.35, "亿元"),
    ("NGZ", "local_fiscal_revenue", 2012, 492.0, "万元"),
    ("NGZ", "rural_net_income", 2012, 8322.0, "元"),
    # 阳庙镇
    ("YMZ", "project_input", 2012, 2.1, "亿元"),
    ("YMZ", "investment_attracted", 2012, 4.86, "亿元"),
    ("YMZ", "investment_attracted_out_of_province", 2012, 2.8, "亿元"),
    ("YMZ", "ind_va", 2012, 1.61, "亿元"),
    ("YMZ", "operating_revenue", 2012, 4.2, "亿元"),
    ("YMZ", "local_fiscal_revenue", 2012, 106.38, "万元"),
    ("YMZ", "national_tax", 2012, 72.23, "万元"),
    ("YMZ", "local_tax", 2012, 34.15, "万元"),
    ("YMZ", "rural_net_income", 2012, 8820.0, "元"),
    ("YMZ", "natural_growth_rate", 2012, 7.0, "‰"),
    # 文昌街道
    ("WCJ", "ind_output_above", 2012, 16.28, "亿元"),
    ("WCJ", "ind_va_above", 2012, 5.04, "亿元"),
    ("WCJ", "rural_net_income", 2012, 7574.0, "元"),
    ("WCJ", "fai", 2012, 12.0, "亿元"),
    ("WCJ", "profit_tax", 2012, 4.12, "亿元"),
]

# 2012 growths stated with a level: (scope, indicator, growth %).
BASELINE_GROWTHS: list[tuple[str, str, float]] = [
    ("JZXQ", "ind_output_above", 25.4),
    ("JZXQ", "ind_va_above", 22.2),
    ("JZXQ", "ind_revenue_above", 26.9),
    ("JZXQ", "fai", 27.9),
    ("JZXQ", "fiscal_revenue", 40.6),
    ("JZXQ", "projects_investment_done", 27.9),
    ("NGZ", "gdp", 13.0),
    ("NGZ", "ind_profit_above", 12.0),
    ("NGZ", "local_fiscal_revenue", 19.0),
    ("YMZ", "ind_va", 19.0),
    ("YMZ", "operating_revenue", 50.0),
    ("YMZ", "rural_net_income", 9.0),
    ("WCJ", "ind_va_above", 15.0),
    ("WCJ", "fai", 9.0),
    ("WCJ", "profit_tax", 9.0),
]

# Township status figures "目前/截至目前", stored as baselines of the report year.
STATUS_FIGURES: list[Item] = [
    ("SJZ", "projects_planned", 2013, 5.0, "个"),
    ("SJZ", "projects_planned_investment", 2013, 2.1, "亿元"),
    ("SJZ", "projects_investment_done", 2013, 8000.0, "万元"),
    ("SJZ", "intended_projects", 2013, 10.0, "个"),
    ("LWJ", "projects_pipeline", 2013, 40.0, "个"),
    ("WYJ", "enterprises_settled", 2013, 11.0, "家"),
    ("WYJ", "infra_roads", 2013, 6.0, "条"),
    ("WYJ", "signed_projects", 2013, 4.0, "个"),
    ("WYJ", "signed_contract_value", 2013, 19.6, "亿元"),
    ("WYJ", "demolition_agreements_pct", 2013, 90.0, "%"),
]

# Targets without a figure to compare: (id, kind, scope, a phrase of the seed the source must hold).
MILESTONES: list[tuple[str, str, str, str]] = [
    ("P09a", "milestone", "JZXQ", "国家级孵化器"),
    ("P09b", "milestone", "JZXQ", "国家高新区"),
    ("P09c", "milestone", "JZXQ", "国家级新型工业化产业示范基地"),
    ("I05b", "milestone", "JZXQ", "未来"),
    ("I06d", "milestone", "JZXQ", "完成新区整体教育布局"),
    ("I06e", "milestone", "JZXQ", "新农合定点医院"),
    ("I06f", "milestone", "JZXQ", "宁郭古城"),
    ("I06g", "milestone", "JZXQ", "成立新区慈善总会"),
    ("I06h", "milestone", "JZXQ", "老年福利中心"),
    ("I07h", "milestone", "JZXQ", "南海路排水管网"),
    ("I07i", "milestone", "JZXQ", "集中供热"),
    ("I07j", "milestone", "JZXQ", "沁泉园"),
    ("I09a", "milestone", "JZXQ", "组建新区投资集团"),
    ("C02", "milestone", "JZXQ", "编制新区总体发展规划"),
    ("C08", "milestone", "JZXQ", "申报国家级高新区"),
    ("C09", "milestone", "JZXQ", "新型工业化示范基地"),
    ("C11", "milestone", "JZXQ", "大学科技园建成投用"),
    ("C15", "milestone", "JZXQ", "黄河水进入大沙河"),
]

QUALITATIVE: list[tuple[str, str, str, str]] = [
    ("A13", "qualitative", "JZXQ", "节能减排"),
    ("P07", "qualitative", "JZXQ", "新型农村社区建设取得较大进展"),
    ("P08", "qualitative", "JZXQ", "城市主干道路框架初步形成"),
    ("P10", "qualitative", "JZXQ", "管理体制和运行机制"),
    ("I01", "qualitative", "JZXQ", "创新发展理念"),
    ("I03d", "qualitative", "JZXQ", "新区班子成员"),
    ("I03e", "qualitative", "JZXQ", "副县级局办"),
    ("I03f", "qualitative", "JZXQ", "科级局办"),
    ("I06i", "qualitative", "JZXQ", "张庄中学"),
    ("I06j", "qualitative", "JZXQ", "同仁医院"),
    ("I06k", "qualitative", "JZXQ", "龙凤灯"),
    ("I06l", "qualitative", "JZXQ", "应保尽保"),
    ("I07k", "qualitative", "JZXQ", "大沙河治理"),
    ("I09c", "qualitative", "JZXQ", "创新财政管理"),
    ("I10", "qualitative", "JZXQ", "创新党建工作"),
    ("C01", "qualitative", "JZXQ", "中国兵器"),
    ("C03", "qualitative", "JZXQ", "世纪路西延"),
    ("C04", "qualitative", "JZXQ", "新河区域"),
    ("C05", "qualitative", "JZXQ", "（二期）"),
    ("C06", "qualitative", "JZXQ", "中国兵装焦作装备产业园"),
    ("C07", "qualitative", "JZXQ", "卓立烫印热升华成像技术"),
    ("C10", "qualitative", "JZXQ", "走在全省城市新区前列"),
    ("C12", "qualitative", "JZXQ", "大沙河治理工程"),
    ("C13", "qualitative", "JZXQ", "第二人民医院新区医院"),
    ("C14", "qualitative", "JZXQ", "48公里"),
    ("T-SJZ-01", "qualitative", "SJZ", "新型农村社区建设"),
    ("T-SJZ-02", "qualitative", "SJZ", "招商引资"),
    ("T-SJZ-03", "qualitative", "SJZ", "农业产业结构"),
    ("T-SJZ-04", "qualitative", "SJZ", "社会治安"),
    ("T-LWJ-01", "qualitative", "LWJ", "招商引资"),
    ("T-LWJ-02", "qualitative", "LWJ", "堡垒作用"),
    ("T-LWJ-03", "qualitative", "LWJ", "社会矛盾"),
    ("T-LWJ-04", "qualitative", "LWJ", "三农"),
    ("T-LWJ-05", "qualitative", "LWJ", "保障民生"),
    ("T-WYJ-01", "qualitative", "WYJ", "项目建设"),
    ("T-WYJ-02", "qualitative", "WYJ", "招大引强"),
    ("T-WYJ-03", "qualitative", "WYJ", "新型农村社区建设"),
    ("T-WCJ-07", "qualitative", "WCJ", "招商引资"),
    ("T-WCJ-08", "qualitative", "WCJ", "新型农村社区"),
    ("T-WCJ-09", "qualitative", "WCJ", "社会稳定"),
]

RANKINGS: list[tuple[str, str, str, str]] = [
    ("P01", "ranking", "JZXQ", "前十快"),
    ("P03b", "ranking", "JZXQ", "前5名"),
]

# Milestones with a date in the seed.
DEADLINES: dict[str, str] = {"C15": "2013-06-30", "C16": "2013-12-31"}

# Seed figures written in words, not digits: 翻一番 (+100%) and 前十 (10th).
WORDED_FIGURES: set[tuple[str, float]] = {
    ("gdp", 100.0),
    ("fiscal_revenue", 100.0),
    ("livelihood_spending", 100.0),
    ("rank_cluster_growth", 10.0),
}
