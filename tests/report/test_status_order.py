"""Status counts in one order (``TargetStatus``'s) whatever the month's counts (issue 20)."""

from __future__ import annotations

import pandas as pd
import pytest

from jzplan.core.states import TargetStatus, count_statuses
from jzplan.report.data import SUMMARY_BUCKETS, summarise
from jzplan.report.markdown import status_counts

# Two months whose counts rank the statuses differently: value_counts would list them in
# two orders
MAY = ["on_track"] * 3 + ["behind"] * 2 + ["achieved"]
NOVEMBER = ["achieved"] * 3 + ["on_track"] * 2 + ["behind"] + ["at_risk"]


@pytest.mark.parametrize("statuses", [MAY, NOVEMBER])
def test_status_counts_in_one_order(statuses: list[str]) -> None:
    counts = count_statuses(statuses)
    assert list(counts) == [s for s in TargetStatus if s in set(statuses)]
    frame = pd.DataFrame({"status": statuses})
    labels = list(status_counts(frame))
    assert labels == [s.label for s in TargetStatus if s in set(statuses)]
    assert list(summarise(frame)) == list(SUMMARY_BUCKETS)
