"""One Great Expectations validator for the validation tests (building it costs seconds)."""

from __future__ import annotations

import pytest

from jzplan.catalog import Catalog
from jzplan.validation import SubmissionValidator
from tests.validation.cases import EXPECTATIONS


@pytest.fixture(scope="session")
def validator(catalog: Catalog) -> SubmissionValidator:
    return SubmissionValidator(EXPECTATIONS, catalog)
