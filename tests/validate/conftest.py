"""Fixtures of the validation tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jzplan.validate.docs_helper import DocsHelper


@pytest.fixture(scope="module")
def helper() -> Iterator[DocsHelper]:
    """A real helper process (``jzplan.validate.docs_helper``), ready: it has imported GE."""
    started = DocsHelper(timeout=120)
    started.start()
    assert started.wait_ready(120), started.last_error
    yield started
    started.close()
