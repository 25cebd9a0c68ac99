"""The domain's vocabulary: enums stored as their values, alert keys as values, transitions."""

from __future__ import annotations

import pytest

from jzplan.core.periods import Period
from jzplan.core.states import (
    ALERTING,
    AlertKey,
    AlertSeverity,
    IngestStatus,
    LifecycleError,
    SubmissionStatus,
    TargetStatus,
    Timeliness,
    check_transition,
)

MARCH = Period(2013, 3)


@pytest.mark.parametrize(
    ("key", "text"),
    [
        (AlertKey.for_target("T-01", TargetStatus.BEHIND), "target:T-01:behind"),
        (AlertKey.missing("NGZ", MARCH), "missing:NGZ:2013-03"),
        (AlertKey.rejected("LWJ", MARCH), "rejected:LWJ:2013-03"),
        (
            AlertKey.validation(MARCH, "NGZ", "mom_jump", "gdp"),
            "validation:2013-03:NGZ:mom_jump:gdp",
        ),
    ],
)
def test_an_alert_key_is_stored_as_the_text_it_always_was_and_read_back_whole(
    key: AlertKey, text: str
) -> None:
    assert str(key) == text
    assert AlertKey.parse(text) == key


def test_only_a_target_key_names_a_status() -> None:
    assert AlertKey.parse("target:T-01:at_risk").target_status is TargetStatus.AT_RISK
    assert AlertKey.missing("NGZ", MARCH).target_status is None


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        ("received", "accepted", True),
        ("received", "rejected", True),
        ("accepted", "superseded", True),
        ("accepted", "accepted", True),  # a rerun repeats the decision
        ("rejected", "accepted", False),
        ("accepted", "rejected", False),
        # current again when the file that replaced it is held with a batch-mate (one run)
        ("superseded", "accepted", True),
        ("received", "held", True),
        ("received", "superseded", True),  # a stale draft, or identical to the current file
        ("accepted", "held", True),
        ("held", "superseded", True),  # a later batch answers the question
        ("held", "accepted", False),
        ("rejected", "held", False),
        ("received", "archived", False),  # not a status at all
    ],
)
def test_submission_transitions(old: str, new: str, allowed: bool) -> None:
    if allowed:
        check_transition(old, new)
    else:
        with pytest.raises(LifecycleError):
            check_transition(old, new)


def test_enums_equal_the_values_the_store_holds_and_carry_chinese_labels() -> None:
    assert SubmissionStatus.ACCEPTED == "accepted"
    assert IngestStatus("duplicate").label == "重复文件，已忽略"
    assert TargetStatus("behind").label == "滞后"
    assert Timeliness.LATE.label == "迟报"
    assert ALERTING[TargetStatus.AT_RISK] is AlertSeverity.WARNING
    assert AlertSeverity.CRITICAL.label == "严重"
    assert all(s.label for s in TargetStatus)
