"""A year of catalog changes in the soak, made the way docs/catalog-changes.md tells the office:

- **merges**: 李万街道 and 文苑街道 merge into 李万文苑街道 (LWY); 苏家作乡 becomes 苏家作街道
  (SJJ, a merge of one);
- **a split**: 丰收街道 (FXJ) is carved out of 阳庙镇, taking 40% of its GDP and 30% of
  everything else (``base_share``); 阳庙镇 keeps the rest;
- **a rename**: 项目投入 becomes 重点项目投入 (the old name stays an alias); two offices keep
  last year's form template all year, so their files still say 项目投入;
- **a new indicator**: 数字经济增加值 (digital_va) on the direct reporting unit's form.

The catalog is the one the catalog-history tests read (tests/reference/changed_catalog.py), in
the soak's change year. Figures of the change year: the units as they were continue as any
year does (tests/soak/later.py); the new units' figures are then cut from them — a merged unit
reports its predecessors' sum (a per-head figure their rural-population-weighted mean), the
unit split off the parent's share (per-head figures: the parent's) and the parent the rest.
The year's plan (drafted by plan-new, which carries the merged units' targets to LWY and SJJ)
gets growth targets for the changed units, judged on the comparable base, and a level target
for the new indicator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jzplan.core.periods import Period
from jzplan.demo.annual import round_figure
from jzplan.demo.monthly import DemoSeries
from jzplan.reference.catalog import Catalog, convert
from jzplan.validate.rules import Rules
from tests.reference.changed_catalog import ENDED, NEW_INDICATOR, changed_catalog
from tests.soak.later import GROWTH, keep_relations

CHANGE_YEAR = 2015  # the soak's default: 2013 and 2014 run on the catalog as bundled
SPLIT = ("FXJ", "YMZ")  # child, parent (its shares: the changed catalog's base_share)
OLD_NAME = "项目投入"
RENAMED_CODE = "project_input"
OLD_NAME_UNITS = ("LWY", "NGZ")  # still on last year's form template in the change year
DIGITAL_SHARE = 0.18  # 数字经济增加值 as a part of the direct unit's 规上工业增加值
FILED_BY = {"LWY": "赵国强", "SJJ": "王秀兰", "FXJ": "孙明"}  # the new units' 填报人


def write_catalog(folder: Path, year: int) -> Path:
    """The office's edit of ``data/catalog`` before the change year's first batch."""
    return changed_catalog(folder, year)


def old_name(unit: str, period: Period, change_year: int | None) -> bool:
    """Whether the unit's form of ``period`` still says 项目投入 (last year's template)."""
    return change_year is not None and period.year == change_year and unit in OLD_NAME_UNITS


def change_series(changed: Catalog, series: DemoSeries, year: int, rules: Rules) -> DemoSeries:
    """``series``, holding ``year``'s figures of the units as they were, with the units of the
    changed catalog instead: merged units summed, the split unit cut from its parent, the new
    indicator added (see the module)."""
    values = dict(series.values)
    months = [Period(year, m) for m in range(1, 13)]
    successors: dict[str, list[str]] = {}
    for old, new in ENDED.items():
        successors.setdefault(new, []).append(old)
    for new, olds in successors.items():
        for code in changed.unit(new).reports:
            ind = changed.indicator(code)
            for p in months:
                found = [(o, values[(o, code, p)]) for o in olds if (o, code, p) in values]
                if ind.aggregation == "weighted_mean" and ind.weight is not None:
                    w = {o: values[(o, ind.weight, p)] for o, _ in found}
                    value = sum(v * w[o] for o, v in found) / sum(w.values())
                else:
                    value = sum(v for _, v in found)
                values[(new, code, p)] = round_figure(value, ind)
    child, parent = SPLIT
    lineage = changed.unit(child).lineage
    assert lineage is not None
    for code in changed.unit(parent).reports:
        ind = changed.indicator(code)
        share = lineage.share(code) if ind.aggregation == "sum" else None
        for p in months:
            whole = values[(parent, code, p)]
            if code in changed.unit(child).reports:
                part = whole * share if share is not None else whole
                values[(child, code, p)] = round_figure(part, ind)
            if share is not None:
                values[(parent, code, p)] = round_figure(whole * (1 - share), ind)
    for old in ENDED:
        for key in [k for k in values if k[0] == old and k[2].year == year]:
            del values[key]
    digital = changed.indicator(NEW_INDICATOR["code"])
    for p in months:
        va = values[("DIR", "ind_va_above", p)]
        va = convert(va, changed.indicator("ind_va_above").unit, digital.unit)
        values[("DIR", digital.code, p)] = round_figure(va * DIGITAL_SHARE, digital)
    for unit in (*successors, child, parent):
        reports = set(changed.unit(unit).reports)
        for p in months:
            keep_relations(values, changed, unit, reports, p, rules)
    return DemoSeries(values)


def new_targets(year: int) -> list[dict[str, Any]]:
    """What the office adds to the change year's plan: growth targets of the changed units
    (judged against last year's figures on the comparable base) and the new indicator's."""
    pct = GROWTH * 100
    wanted = [
        ("FXJ", "gdp", "地区生产总值"), ("FXJ", "retail_sales", "社会消费品零售总额"),
        ("FXJ", "rural_net_income", "农民人均纯收入"), ("YMZ", "gdp", "地区生产总值"),
        ("LWY", "gdp", "地区生产总值"), ("LWY", "local_fiscal_revenue", "地方财政收入"),
        ("LWY", "rural_net_income", "农民人均纯收入"), ("SJJ", "gdp", "地区生产总值"),
    ]  # fmt: skip
    out: list[dict[str, Any]] = []
    for k, (unit, code, name) in enumerate(wanted, 1):
        out.append({
            "id": f"{year}-T-{unit}-G{k}", "group": "乡镇街道目标", "scope": unit,
            "kind": "growth", "indicator": code, "value": pct, "unit": "%",
            "label": f"{name}增长{pct:g}%（可比口径）",
            "source": f"焦作新区{year}年工作报告：{name}按可比口径增长{pct:g}%",
        })  # fmt: skip
    out.append({
        "id": f"{year}-N01", "group": "主要预期目标", "scope": "JZXQ", "kind": "level",
        "indicator": NEW_INDICATOR["code"], "value": 6.0, "unit": "亿元",
        "label": "数字经济增加值6亿元",
        "source": f"焦作新区{year}年工作报告：数字经济增加值达到6亿元",
    })  # fmt: skip
    return out
