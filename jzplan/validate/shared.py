"""A run's validator, shared by the threads of the run and passed to its tasks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from jzplan.core.submissions import ParsedSubmission
from jzplan.reference.catalog import Catalog
from jzplan.validate.results import ValidationReport
from jzplan.validate.validator import SubmissionValidator


class FileValidator(Protocol):
    """What validating one parsed file needs: a ``SubmissionValidator`` or a
    ``SharedValidator``."""

    def validate(
        self, parsed: ParsedSubmission, *, history: pd.DataFrame | None = None
    ) -> ValidationReport: ...


class SharedValidator:
    """One Great Expectations context for a run, built on first use, validating one frame at
    a time: a GE context is not known to be thread-safe, and parsing (the larger part) stays
    parallel. Sent to another process (a Dask worker), it travels as its suites' folder and
    catalog, and builds its own context there when it first validates."""

    def __init__(self, expectations_dir: Path, catalog: Catalog) -> None:
        self.expectations_dir = expectations_dir
        self.catalog = catalog
        self._validator: SubmissionValidator | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"expectations_dir": self.expectations_dir, "catalog": self.catalog}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.expectations_dir = state["expectations_dir"]
        self.catalog = state["catalog"]
        self._validator = None
        self._lock = threading.Lock()

    @property
    def built(self) -> bool:
        """Whether this run has built its Great Expectations context (seconds of work: a run
        whose files are all stored already, or refused, never needs it)."""
        return self._validator is not None

    @contextmanager
    def exclusive(self) -> Iterator[SubmissionValidator]:
        """The validator itself, no other thread validating meanwhile."""
        with self._lock:
            if self._validator is None:
                self._validator = SubmissionValidator(self.expectations_dir, self.catalog)
            yield self._validator

    def validate(
        self, parsed: ParsedSubmission, *, history: pd.DataFrame | None = None
    ) -> ValidationReport:
        with self.exclusive() as validator:
            return validator.validate(parsed, history=history)
