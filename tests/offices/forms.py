"""Monthly forms (月报) as other offices write them, not as our template does.

Each ``OfficeCase`` is one township's form for one month of 2013 Q1, written by a generator from
a ``Layout``: title and 表号 rows, a merged two-row header or a one-row one with a 甲 乙 1 2
code row, numbering (一、 (一) 1. ①), group headings, 其中： lines, units per row, per sheet
(单位：万元) or in the name, qualifiers and period words in names, formulas with cached values,
full-width digits, signature and 注： lines, as .xlsx, .xls or a GB18030 / UTF-8 CSV. A case
declares the rows it must hold as questions (its indicator, the finding's code); every other
indicator of the unit's form must load to ``value_of`` in the catalog's canonical unit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.utils import get_column_letter

from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog, convert
from tests.ingest.cellcases import rewrite_sheet_xml
from tests.ingest.corpus import LEVELS, Sheet, Table, write

YEAR = 2013
_FULL = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")
_CHINESE = "一二三四五六七八九十"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_PLACEHOLDER = 987000.125  # + k/1000: a number rewritten as a formula with its cached value
GROUPS = {"gdp": "一、综合", "ind_output": "二、工业", "fai": "三、投资与招商",
          "retail_sales": "四、贸易与财政", "rural_net_income": "五、民生"}  # fmt: skip


def value_of(catalog: Catalog, code: str, month: int) -> tuple[float, float | None]:
    """(累计 or level, 本月 or None) in the canonical unit for ``month`` of 2013: flows grow
    by a third of the quarter's level each month (rounded as written), so months agree."""
    level = LEVELS[code]
    if catalog.indicator(code).measure == "stock":
        return level, None
    each = round(level / 3, 4)  # as an office rounds: 0.7167 亿元 is 7167 万元
    return each * month, each


@dataclass(frozen=True)
class Layout:
    """How one office lays its form out."""

    header: str = "two_row"  # two_row: 本期数 merged over 本月 | 1-N月累计; one_row; codes
    unit_column: bool = True
    sheet_unit: str | None = None  # a 单位：万元 line above the table (no unit column)
    unit_in_name: bool = False  # 地区生产总值（亿元）
    numbering: str = ""  # chinese 一、 | paren (一) | arabic 1. | circled ①
    groups: bool = False  # 一、综合 heading rows without figures
    sub_items: bool = False  # 其中：国税收入 under 地方财政收入
    # indicator → the name the office writes
    names: Mapping[str, str] = field(default_factory=dict)
    # indicator → the unit the office writes it in
    shown: Mapping[str, str] = field(default_factory=dict)
    # indicator → its 累计 cell as text (a bad cell)
    cells: Mapping[str, str] = field(default_factory=dict)
    # indicator → its unit cell as text (a bad unit)
    units: Mapping[str, str] = field(default_factory=dict)
    fullwidth: bool = False  # figures as full-width text with separators: １２，４５０．５
    formulas: bool = False  # 地方财政收入 = 国税 + 地税 as formulas with cached values (xlsx)
    remark: str | None = None  # text in a 备注 column beside 地方财政收入
    duplicate: str | None = None  # an indicator written twice (the second row another value)
    month_first: bool = True  # 本月 left of 累计
    delimiter: str = ","


@dataclass(frozen=True)
class OfficeCase:
    id: str
    what: str
    unit: str
    month: int
    ext: str
    layout: Layout = field(default_factory=Layout)
    held: tuple[tuple[str, str], ...] = ()  # (indicator of the row, finding code)
    encoding: str = "utf-8"

    @property
    def period(self) -> Period:
        return Period(YEAR, self.month)


@dataclass(frozen=True)
class Written:
    """A case on disk and what it must give."""

    path: Path
    loads: dict[str, tuple[float, float | None]]  # indicator → (累计, 本月), canonical unit
    questions: list[tuple[int, str]]  # (sheet row, code)
    held_cells: int  # figure cells of the held rows


def file_name(catalog: Catalog, case: OfficeCase) -> str:
    return f"{catalog.unit(case.unit).name}_{YEAR}年{case.month:02d}月_月报.{case.ext}"


def build(catalog: Catalog, case: OfficeCase, folder: Path) -> Written:
    """Write ``case`` into ``folder``/<YYYY-MM>/ and say what it must give."""
    form = _Form(catalog, case)
    table = form.table()
    path = write(table, folder / str(case.period) / file_name(catalog, case),
                 **_options(case))  # fmt: skip
    if form.formulas:
        rewrite_sheet_xml(path, form.with_formulas)
    held_rows = {form.rows[code][0]: finding for code, finding in case.held}
    questions = sorted(held_rows.items())
    loads = {c: form.values[c] for c in form.values if c not in dict(case.held)}
    held_cells = sum(form.rows[c][1] for c, _ in case.held)
    return Written(path, loads, questions, held_cells)


def _options(case: OfficeCase) -> dict[str, str]:
    if case.ext != "csv":
        return {}
    return {"encoding": case.encoding, "delimiter": case.layout.delimiter}


class _Form:
    """The cells of one case's form, and where each indicator's row went."""

    def __init__(self, catalog: Catalog, case: OfficeCase) -> None:
        self.catalog, self.case, self.layout = catalog, case, case.layout
        self.lines: list[list[object]] = []
        self.merges: list[str] = []
        self.rows: dict[str, tuple[int, int]] = {}  # indicator → (sheet row, figure cells)
        self.values: dict[str, tuple[float, float | None]] = {}
        self.formulas: dict[float, str] = {}  # placeholder → formula
        self.roles = self._roles()

    def _roles(self) -> list[str]:
        lay = self.layout
        figures = ["month", "value"] if lay.month_first else ["value", "month"]
        unit = ["unit"] if lay.unit_column and lay.sheet_unit is None else []
        seq = ["seq"] if lay.header == "two_row" else []
        tail = ["remark"] if lay.remark else []
        return [*seq, "name", *unit, *figures, "last", *tail]

    def col(self, role: str) -> int:
        return self.roles.index(role)

    def letter(self, role: str) -> str:
        return get_column_letter(self.col(role) + 1)

    def table(self) -> Table:
        self._head()
        self._body()
        self._foot()
        return Table([Sheet("月报", self.lines, self.merges)])

    def _line(self, cells: Mapping[int, object]) -> int:
        width = len(self.roles)
        self.lines.append([cells.get(c) for c in range(width)])
        return len(self.lines)

    def _head(self) -> None:
        case, width = self.case, len(self.roles)
        org = self.catalog.unit(case.unit)
        last = get_column_letter(width)
        n = self._line({0: "焦作新区主要经济指标完成情况月报表"})
        self.merges.append(f"A{n}:{last}{n}")
        self._line({0: "表    号：焦新统月01表", width - 1: "制定机关：焦作新区统计局"})
        period = f"{YEAR}年1-{case.month}月" if case.month > 1 else f"{YEAR}年1月"
        self._line({0: f"填报单位（盖章）：{org.name}", width - 1: f"报告期：{period}"})
        if self.layout.sheet_unit:
            self._line({width - 1: f"单位：{self.layout.sheet_unit}"})
        span = f"1-{case.month}月累计" if case.month > 1 else "1月累计"
        if self.layout.header == "two_row":
            top = {self.col("seq"): "序号", self.col("name"): "指标名称",
                   self.col("last"): "去年同期累计"}  # fmt: skip
            if "unit" in self.roles:
                top[self.col("unit")] = "计量单位"
            first = min(self.col("month"), self.col("value"))
            top[first] = "本期数"
            if "remark" in self.roles:
                top[self.col("remark")] = "备注"
            n = self._line(top)
            self._line({self.col("month"): "本月", self.col("value"): span})
            a, b = get_column_letter(first + 1), get_column_letter(first + 2)
            self.merges.append(f"{a}{n}:{b}{n}")
            for role in ("seq", "name", "unit", "last", "remark"):
                if role in self.roles:
                    x = self.letter(role)
                    self.merges.append(f"{x}{n}:{x}{n + 1}")
            return
        labels = {"name": "指标名称", "unit": "计量单位", "month": "本月数", "last": "上年同期",
                  "value": span if self.layout.header == "one_row" else "累计数",
                  "remark": "备注"}  # fmt: skip
        self._line({self.col(r): labels[r] for r in self.roles if r in labels})
        if self.layout.header == "codes":
            codes = ["甲", "乙", "1", "2", "3", "4", "5"]
            self._line({c: codes[c] for c in range(len(self.roles))})

    def _body(self) -> None:
        lay = self.layout
        codes = list(self.catalog.unit(self.case.unit).reports)
        for k, code in enumerate(codes):
            if lay.groups and code in GROUPS:
                self._line({self.col("name"): GROUPS[code]})
            self._indicator(k, code)
            if lay.duplicate == code:
                self._indicator(k, code, again=True)

    def _name(self, k: int, code: str, unit: str) -> str:
        lay, ind = self.layout, self.catalog.indicator(code)
        name = lay.names.get(code, ind.name)
        if lay.sub_items and code in ("national_tax", "local_tax"):
            name = f"其中：{name}"
        elif lay.numbering == "chinese":
            name = f"{_CHINESE[k % 10]}、{name}"
        elif lay.numbering == "paren":
            name = f"（{_CHINESE[k % 10]}）{name}"
        elif lay.numbering == "arabic":
            name = f"{k + 1}.{name}"
        elif lay.numbering == "circled":
            name = f"{_CIRCLED[k]}{name}" if k < len(_CIRCLED) else f"{k + 1}.{name}"
        if lay.unit_in_name or (lay.sheet_unit and not _same(unit, lay.sheet_unit)):
            name = f"{name}（{unit}）"
        return name

    def _indicator(self, k: int, code: str, again: bool = False) -> None:
        lay, ind = self.layout, self.catalog.indicator(code)
        unit = lay.shown.get(code, ind.unit)
        if lay.sheet_unit and _same(ind.unit, lay.sheet_unit):
            unit = lay.sheet_unit
        ytd, month = value_of(self.catalog, code, self.case.month)
        scale = 1.5 if again else 1.0
        cells: dict[int, object] = {self.col("name"): self._name(k, code, unit)}
        if "seq" in self.roles:
            cells[self.col("seq")] = k + 1
        if "unit" in self.roles:
            cells[self.col("unit")] = lay.units.get(code, unit)
        cells[self.col("value")] = self._figure(ytd * scale, ind.unit, unit)
        if month is not None:
            cells[self.col("month")] = self._figure(month * scale, ind.unit, unit)
        cells[self.col("last")] = self._figure(ytd * 0.9, ind.unit, unit)
        if code in lay.cells:
            cells[self.col("value")] = lay.cells[code]
        if lay.remark and code == "local_fiscal_revenue":
            cells[self.col("remark")] = lay.remark
        n = self._line(cells)
        if not again:
            self.rows[code] = (n, 1 + (month is not None))
            self.values[code] = (ytd, month)
        else:
            self.rows[f"{code}#2"] = (n, 1 + (month is not None))
        if lay.formulas and code == "local_fiscal_revenue":
            self._sum_formulas(n, cells)

    def _sum_formulas(self, n: int, cells: dict[int, object]) -> None:
        """地方财政收入 = 国税 + 地税 (the next two rows) as formulas, values cached."""
        for role in ("value", "month"):
            c = self.col(role)
            placeholder = _PLACEHOLDER + len(self.formulas) / 1000
            x = self.letter(role)
            self.formulas[placeholder] = f"{x}{n + 1}+{x}{n + 2}"
            cached = cells[c]
            cells[c] = placeholder
            self.lines[n - 1][c] = placeholder
            self.formulas[placeholder] += f"|{cached}"

    def with_formulas(self, xml: str) -> str:
        for placeholder, spec in self.formulas.items():
            formula, cached = spec.split("|")
            xml = xml.replace(f"<v>{placeholder}</v>", f"<f>{formula}</f><v>{cached}</v>")
        return xml

    def _figure(self, value: float, canonical: str, unit: str) -> object:
        shown = convert(value, canonical, unit)
        shown = round(shown, 8)
        if not self.layout.fullwidth:
            return shown
        text = f"{shown:,.8f}".rstrip("0").rstrip(".")
        return text.translate(_FULL)

    def _foot(self) -> None:
        self._line({})
        last = len(self.roles) - 1
        self._line({0: "单位负责人：李四", 1: "统计负责人：赵六", last - 1: "填表人：张三",
                    last: f"报出日期：{YEAR}年{self.case.month + 1}月3日"})  # fmt: skip
        self._line({0: "联系电话：0391-3567890"})
        n = self._line({0: "注：1.本表流量指标填报1至本月累计数，存量指标填报月末数。"})
        self.merges.append(f"A{n}:{get_column_letter(last + 1)}{n}")
        self._line({0: "2.无数据的指标填“—”，不得空白。"})


def _same(a: str, b: str) -> bool:
    try:
        convert(1.0, a, b)
    except ValueError:
        return False
    return True


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
