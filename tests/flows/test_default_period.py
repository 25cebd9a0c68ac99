"""The month a run without a period parameter does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (datetime(2013, 4, 6, 1, 0, tzinfo=UTC), "2013-03"),  # 09:00 on the 6th in Shanghai
        (datetime(2013, 3, 31, 17, 0, tzinfo=UTC), "2013-03"),  # already 1 April in Shanghai
        (datetime(2013, 1, 6, 1, 0, tzinfo=UTC), "2012-12"),
    ],
)
def test_default_period_is_last_month_in_shanghai(utc: datetime, expected: str) -> None:
    from flows.monthly import default_period

    assert str(default_period(utc)) == expected
