"""The backoff of a failing channel, worked by hand: 15 min, doubling, capped at 6 h."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jzplan.alert.backoff import Backoff, delivery_backoff
from jzplan.core.settings import Settings
from jzplan.store.channel_states import ChannelState

M = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("failures", "wait"),
    [(0, 0 * M), (1, 15 * M), (2, 30 * M), (3, 60 * M), (4, 120 * M), (5, 240 * M),
     (6, 360 * M), (7, 360 * M), (500, 360 * M)],
)  # fmt: skip
def test_the_wait_doubles_up_to_the_cap(failures: int, wait: timedelta) -> None:
    assert Backoff().delay(failures) == wait


def test_settings_set_the_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JZPLAN_DELIVERY_BACKOFF_FIRST_MINUTES", "5")
    monkeypatch.setenv("JZPLAN_DELIVERY_BACKOFF_CAP_MINUTES", "60")
    backoff = delivery_backoff(Settings(_env_file=None))  # type: ignore[call-arg]
    assert [backoff.delay(n) for n in (1, 2, 3, 4, 5)] == [5 * M, 10 * M, 20 * M, 40 * M, 60 * M]


def test_a_channel_is_due_once_its_backoff_is_over() -> None:
    t = datetime(2013, 7, 6, 1, 0, tzinfo=UTC)
    assert ChannelState("hook").due(t)
    waiting = ChannelState("hook", 1, t, t + 15 * M, "HTTP 500")
    assert not waiting.due(t + 14 * M) and waiting.due(t + 15 * M)
