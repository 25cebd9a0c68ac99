"""The office corpus: 15 forms of 2013 Q1 as six townships' offices write them
(``tests/offices/forms.py`` writes them; each declares the rows it must hold)."""

from __future__ import annotations

from tests.offices.forms import Layout, OfficeCase

CASES: tuple[OfficeCase, ...] = (
    OfficeCase(
        "title_merged_header_formulas",
        "title and 表号 rows, 本期数 merged over 本月 and 1-3月累计, "
        "地方财政收入 as =国税+地税 with cached values, 招商引资（实际到位资金）, "
        "signatures and notes",
        "SJZ",
        3,
        "xlsx",
        Layout(formulas=True, names={"investment_attracted": "招商引资（实际到位资金）"}),
    ),
    OfficeCase(
        "gb18030_csv_fullwidth",
        "GB18030 CSV, full-width digits with separators (１２，４５０．５), "
        "1. numbering, 亿元 indicators written in 万元 per row",
        "NGZ",
        3,
        "csv",
        Layout(fullwidth=True, numbering="arabic", shown={"gdp": "万元", "fai": "万元"}),
        encoding="gb18030",
    ),
    OfficeCase(
        "xls_code_row_sub_items",
        "Excel 97-2003, one header row with a 甲 乙 1 2 code row, "
        "累计数 after 本月数, 其中：国税收入 / 地税收入, units per row (万元 for 亿元)",
        "YMZ",
        3,
        "xls",
        Layout(
            header="codes",
            sub_items=True,
            shown={"retail_sales": "万元", "external_funds": "万元", "ind_output_above": "万元"},
        ),
    ),
    OfficeCase(
        "sheet_unit_line",
        "a 单位：万元 line above the table and no unit column; counts carry "
        "their unit in the name (出生人口（人）)",
        "LWJ",
        3,
        "xlsx",
        Layout(sheet_unit="万元"),
    ),
    OfficeCase(
        "units_in_names",
        "no unit column, every name with its unit in brackets, (一) numbering",
        "WYJ",
        3,
        "xlsx",
        Layout(unit_column=False, unit_in_name=True, numbering="paren"),
    ),
    OfficeCase(
        "group_headings",
        "一、综合 / 二、工业 heading rows without figures, ① numbering, 1-3月累计 before 本月",
        "WCJ",
        3,
        "xlsx",
        Layout(groups=True, numbering="circled", month_first=False),
    ),
    OfficeCase(
        "period_words_in_names",
        "period words and qualifiers in names: 1-2月招商引资到位资金, "
        "社会消费品零售总额（本年累计）, 国税收入累计, 地区生产总值【快报】, 固定资产投资（亿元）",
        "SJZ",
        2,
        "xlsx",
        Layout(
            names={
                "investment_attracted": "1-2月招商引资到位资金",
                "retail_sales": "社会消费品零售总额（本年累计）",
                "national_tax": "国税收入累计",
                "gdp": "地区生产总值【快报】",
                "fai": "固定资产投资（亿元）",
            }
        ),
    ),
    OfficeCase(
        "typo_name",
        "a typo in one name (社会消费品零售总頟): the row is held, the rest loads",
        "NGZ",
        2,
        "xlsx",
        Layout(names={"retail_sales": "社会消费品零售总頟"}),
        held=(("retail_sales", "unknown_indicator"),),
    ),
    OfficeCase(
        "xls_unreadable_cell",
        "Excel 97-2003 with 约150 in one 累计 cell: that row held",
        "YMZ",
        2,
        "xls",
        Layout(cells={"births": "约150"}),
        held=(("births", "not_a_number"),),
    ),
    OfficeCase(
        "another_statistic",
        "names of other statistics: 招商引资（省外） (not 招商引资到位资金) "
        "and 农民人均现金收入 (not 农民人均纯收入): held, never mapped",
        "YMZ",
        1,
        "xlsx",
        Layout(
            names={
                "investment_attracted_out_of_province": "招商引资（省外）",
                "rural_net_income": "农民人均现金收入",
            }
        ),
        held=(
            ("investment_attracted_out_of_province", "unknown_indicator"),
            ("rural_net_income", "unknown_indicator"),
        ),
    ),
    OfficeCase(
        "utf8_tab_csv_one_row",
        "UTF-8 CSV with tabs (WPS), one header row 指标名称 计量单位 1-2月累计 本月数, no 序号",
        "LWJ",
        2,
        "csv",
        Layout(header="one_row", month_first=False, delimiter="\t"),
    ),
    OfficeCase(
        "duplicate_row",
        "国税收入 written twice, the second with another figure: the second "
        "row held, the first loads",
        "WYJ",
        2,
        "xlsx",
        Layout(duplicate="national_tax"),
        held=(("national_tax#2", "duplicate_indicator"),),
    ),
    OfficeCase(
        "bad_unit_cell",
        "公斤 in 全社会固定资产投资's unit cell: that row held",
        "WCJ",
        2,
        "xlsx",
        Layout(units={"fai": "公斤"}),
        held=(("fai", "bad_unit"),),
    ),
    OfficeCase(
        "remark_column",
        "a 备注 column with text beside 地方财政收入 (a note), 其中： lines",
        "SJZ",
        1,
        "xlsx",
        Layout(remark="含划转税收", sub_items=True),
    ),
    OfficeCase(
        "old_period_in_name",
        "社会消费品零售总额（1-12月）, a name copied from December's form into January's: "
        "another month's figure, held, not folded",
        "WCJ",
        1,
        "xlsx",
        Layout(names={"retail_sales": "社会消费品零售总额（1-12月）"}),
        held=(("retail_sales", "unknown_indicator"),),
    ),
)
