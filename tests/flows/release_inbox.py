"""The release scenario's small inbox: two units' June and July forms, and 阳庙镇's corrected
June form (地区生产总值 +0.05 亿元, filed later) in the July batch."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl

from jzplan.core.periods import Period
from jzplan.ingest.form_writer import save_workbook
from tests.conftest import REPO_ROOT

JUNE, JULY = Period(2013, 6), Period(2013, 7)
UNITS = ("阳庙镇", "宁郭镇")
CORRECTED = "阳庙镇_2013年06月_月报(更正).xlsx"
GDP_WAS, GDP_NOW = 4.2852, 4.3352  # 阳庙镇's 1-6月 地区生产总值, 亿元


def corrected_june(source: Path, target: Path) -> Path:
    """阳庙镇's June form with 地区生产总值 raised by 0.05 亿元, filed ten days later."""
    wb = openpyxl.load_workbook(source)
    ws = wb.active
    assert ws is not None
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == "地区生产总值":
                ws.cell(cell.row, 4).value = 0.8844
                ws.cell(cell.row, 5).value = GDP_NOW
            elif isinstance(cell.value, str) and cell.value.startswith("填报日期："):
                cell.value = "填报日期：2013年7月12日"
    save_workbook(wb, target, creator="阳庙镇")  # fixed timestamps: the same bytes every time
    return target


def release_inbox(folder: Path) -> Path:
    """Two units' June and July forms, and 阳庙镇's corrected June form in the July batch."""
    for period in (JUNE, JULY):
        batch = folder / str(period)
        batch.mkdir(parents=True)
        for unit in UNITS:
            name = f"{unit}_{period.year}年{period.month:02d}月_月报.xlsx"
            shutil.copy(REPO_ROOT / "data" / "inbox" / str(period) / name, batch / name)
    june = REPO_ROOT / "data" / "inbox" / "2013-06" / "阳庙镇_2013年06月_月报.xlsx"
    corrected_june(june, folder / str(JULY) / CORRECTED)
    return folder
