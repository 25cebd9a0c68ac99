"""A run's shared validator: built on first use, once; pickled without its GE context."""

from __future__ import annotations

import pickle

from jzplan.reference.catalog import Catalog
from jzplan.validate.shared import SharedValidator
from tests.validate.cases import EXPECTATIONS, good_rows, submission


def test_built_once_on_first_use_and_sent_without_it(catalog: Catalog) -> None:
    shared = SharedValidator(EXPECTATIONS, catalog)
    copy = pickle.loads(pickle.dumps(shared))  # before first use: nothing built to send
    with shared.exclusive() as first:
        pass
    with shared.exclusive() as again:
        pass
    assert first is again
    assert shared.validate(submission(good_rows(catalog))).ok
    sent = pickle.loads(pickle.dumps(shared))
    assert sent.expectations_dir == EXPECTATIONS and sent.catalog == catalog
    with sent.exclusive() as built:
        assert built is not first  # a worker builds its own context
    assert copy.catalog == catalog
