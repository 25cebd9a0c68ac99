"""Preparing a batch: which files' history suites may run together."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from jzplan.core.periods import Period
from jzplan.core.submissions import ParsedSubmission
from jzplan.month.prepare import PreparedFile, history_groups
from tests.validate.cases import PERIOD


def _prepared(name: str, unit: str | None, *, bulk: bool = False) -> PreparedFile:
    frame = pd.DataFrame({"org_unit": [unit], "period": [PERIOD]})
    parsed = ParsedSubmission(
        Path(name), "0" * 64, unit, Period.parse(PERIOD), frame=frame, bulk=bulk
    )
    return PreparedFile(Path(name), name, parsed=parsed)


@pytest.mark.parametrize(
    ("files", "groups"),
    [
        ([("a", "NGZ"), ("b", "WC"), ("c", "LW")], [["a", "b", "c"]]),
        # a unit's second file waits for its first to be loaded
        ([("a", "LW"), ("b", "NGZ"), ("c", "LW"), ("d", "WC")], [["a", "b"], ["c", "d"]]),
        # a bulk file alone
        ([("a", "NGZ"), ("b", "*"), ("c", "WC")], [["a"], ["b"], ["c"]]),
        ([("a", None), ("b", None)], [["a", "b"]]),
    ],
)
def test_history_groups(files: list[tuple[str, str | None]], groups: list[list[str]]) -> None:
    prepared = [_prepared(n, u, bulk=u == "*") for n, u in files]
    assert [[p.sha256 for p in g] for g in history_groups(prepared)] == groups
