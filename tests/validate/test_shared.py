"""A run's shared validator: built on first use, once; pickled without its GE context."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

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


def test_runs_of_a_process_share_its_validator_which_keeps_no_frame(
    catalog: Catalog, tmp_path: Path
) -> None:
    """A warm process's runs take the validator it keeps for the same suites and catalog;
    after each use GE holds none of the frames validated; changed suites, a new one."""
    first_run, second_run = (
        SharedValidator(EXPECTATIONS, catalog),
        SharedValidator(EXPECTATIONS, catalog),
    )
    assert first_run.validate(submission(good_rows(catalog))).ok
    with first_run.exclusive() as first:
        engine = first.context.data_sources.get("submissions").get_execution_engine()
        kept = list(engine.batch_manager.batch_data_cache.values())
    with second_run.exclusive() as second:  # (one at a time: they share its lock)
        pass
    assert first is second
    assert not kept and not engine.batch_manager.batch_data_cache
    assert engine._records_of is None and not engine._records  # the domain records

    changed = tmp_path / "expectations"
    shutil.copytree(EXPECTATIONS, changed)
    with SharedValidator(changed, catalog).exclusive() as other:
        assert other is not first
    suite = changed / "township_monthly.json"
    suite.write_text(suite.read_text("utf-8") + "\n", "utf-8")
    with SharedValidator(changed, catalog).exclusive() as edited:
        assert edited is not other
