"""A form's period as offices write it."""

from __future__ import annotations

import unicodedata

import pytest

from jzplan.ingest.form_identity import period_from_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2013年3月", ("2013-03", True)),
        ("2013年1-3月", ("2013-03", True)),
        ("2013年1～3月份", ("2013-03", True)),
        ("2013.03", ("2013-03", True)),
        ("2013/3", ("2013-03", True)),
        ("2013年2-3月", (None, True)),
        ("2013年13月", (None, True)),
        ("三月", (None, False)),
    ],
)
def test_period_from_text(text, expected):
    period, recognised = period_from_text(unicodedata.normalize("NFKC", text))
    assert (None if period is None else str(period), recognised) == expected
