"""The ``submissions-<period>`` artifact's rows: every word an operator reads is Chinese."""

from __future__ import annotations

from jzplan.core.states import IngestStatus
from jzplan.month.loading import IngestOutcome
from jzplan.month.runs import submission_table
from jzplan.reference.catalog import Catalog


def test_the_batch_table_names_units_and_results_in_chinese(catalog: Catalog) -> None:
    outcomes = [
        IngestOutcome("宁郭镇.xlsx", "a" * 64, 1, IngestStatus.ACCEPTED, "NGZ", "2013-06",
                      inserted=20),
        IngestOutcome("文昌街道.xlsx", "b" * 64, 2, IngestStatus.REJECTED, "WCJ", "2013-06",
                      errors=1, messages=("[period_mismatch] 表内报告期…",)),
        IngestOutcome("x.bin", "", 0, IngestStatus.REFUSED, None, None),
    ]  # fmt: skip
    rows = submission_table(outcomes, catalog)
    assert [(r["单位"], r["结果"]) for r in rows] == [
        ("宁郭镇", "已接收"),
        ("文昌街道", "已退回"),
        ("—", "已拒收"),
    ]
    assert rows[1]["说明"] == "[period_mismatch] 表内报告期…" and rows[0]["新增/变更"] == "20/0"
    english = {s.value for s in IngestStatus}
    assert not any(str(v) in english for r in rows for v in r.values())
