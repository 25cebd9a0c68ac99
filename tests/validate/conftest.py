"""One Great Expectations validator for the validation tests (building it costs seconds)."""

from __future__ import annotations

import pytest

from jzplan.reference.catalog import Catalog
from jzplan.validate.validator import SubmissionValidator
from tests.validate.cases import EXPECTATIONS


@pytest.fixture(scope="session")
def validator(catalog: Catalog) -> SubmissionValidator:
    return SubmissionValidator(EXPECTATIONS, catalog)
