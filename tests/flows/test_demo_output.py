"""What `make demo` prints: units by name, status counts in one order, alerts as 告警 (预警
is a status's name)."""

from __future__ import annotations

import pandas as pd

from flows.demo import alert_count_line, monthly_line, unit_names
from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog

SUMMARY = {
    "files": 6, "accepted": 6, "rejected": 0, "duplicates": 0, "recomputed": ["2013-05"],
    "missing_units": ["LWJ"], "unit_months": {"LWJ": "missing", "NGZ": "returned"},
    # as value_counts ordered a month: by count
    "status_counts": {"on_track": 99, "behind": 26, "at_risk": 10, "no_data": 1, "achieved": 1},
}  # fmt: skip


def test_monthly_line_names_units_and_orders_statuses(catalog: Catalog) -> None:
    line = monthly_line(catalog, Period(2013, 5), SUMMARY)
    assert line == (
        "monthly-2013-05：文件 6，接收 6，退回 0，重复 0，重算 2013-05；未报 李万街道；"
        "退回待改 宁郭镇；已完成 1，正常 99，预警 10，滞后 26，无数据 1"
    )
    assert "LWJ" not in line


def test_unit_names(catalog: Catalog) -> None:
    assert unit_names(catalog, ["SJZ", "LWJ"]) == "苏家作乡、李万街道"
    assert unit_names(catalog, []) == "无"


def test_alert_count_is_not_a_status_word() -> None:
    alerts = pd.DataFrame({"resolved": ["2013-04", None, None]})
    assert alert_count_line(137, alerts) == "共 137 项目标；告警 3 条（未解除 2 条）"
