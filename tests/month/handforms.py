"""A monthly form written by hand with openpyxl, in another layout than the project's writer:
其他表头用语 (项目 / 计量单位 / 本月数 / 1-N月累计), 填报单位 and 报告期 in cells of their
own, and the filing date as 报出日期 at the bottom beside 填报人."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl

from jzplan.core.periods import Period
from jzplan.ingest.form_writer import FormRow
from jzplan.reference.catalog import Catalog


def write_hand_form(
    path: Path,
    *,
    catalog: Catalog,
    unit_code: str,
    period: Period,
    rows: list[FormRow],
    filed_on: date | None,
) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Sheet1"
    unit = catalog.unit(code=unit_code)
    ws.append(["焦作新区经济运行主要指标月报表"])
    label = f"{period.year}年{period.month}月"
    ws.append(["填报单位", f"{unit.name}人民政府", None, "报告期", label])
    ws.append([])
    ws.append(["项目", "计量单位", "本月数", f"1-{period.month}月累计"])
    for r in rows:
        ind = catalog.indicator(r.indicator)
        ws.append([ind.name, ind.unit, r.month, r.ytd])
    ws.append([])
    on = "" if filed_on is None else f"{filed_on.year}年{filed_on.month}月{filed_on.day}日"
    ws.append(["单位负责人：李四", "填报人：张三", None, f"报出日期：{on}"])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
