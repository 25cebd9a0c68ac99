"""A run's validator, shared by the threads of the run and passed to its tasks."""

from __future__ import annotations

import logging
import pickle
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar, cast

import pandas as pd

from jzplan.core.files import files_digest
from jzplan.core.submissions import ParsedSubmission
from jzplan.reference.catalog import Catalog
from jzplan.validate.docs_helper import DocsHelper, HelperUnavailable, SuiteCall
from jzplan.validate.history_checks import OutlierSettings
from jzplan.validate.results import ValidationReport
from jzplan.validate.validator import SubmissionValidator

_log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


class FileValidator(Protocol):
    """What validating one parsed file needs: a ``SubmissionValidator`` or a
    ``SharedValidator``."""

    def validate(
        self, parsed: ParsedSubmission, *, history: pd.DataFrame | None = None
    ) -> ValidationReport: ...


class Suites(Protocol):
    """Where suites run: a ``SubmissionValidator`` (here), or a run's ``SharedValidator``
    (here, or in the process's helper)."""

    expectations_dir: Path

    @property
    def outlier(self) -> OutlierSettings: ...

    def call(self, function: Callable[Concatenate[SubmissionValidator, P], R],
             *args: P.args, **kwargs: P.kwargs) -> R: ...  # fmt: skip

    def here(self, function: Callable[Concatenate[SubmissionValidator, P], R],
             *args: P.args, **kwargs: P.kwargs) -> R: ...  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Kept:
    """A process's validator, for the suites' files as they were when it was built and the
    catalog it was built with; ``lock``: held by whoever validates with it."""

    key: tuple[str, str]
    catalog: Catalog
    validator: SubmissionValidator
    lock: threading.Lock


_KEPT: list[_Kept] = []  # at most one: the current suites' and catalog's
_KEPT_LOCK = threading.Lock()


def _suites_key(expectations_dir: Path) -> tuple[str, str]:
    files = sorted(p for p in expectations_dir.rglob("*") if p.is_file())
    return str(expectations_dir.resolve()), files_digest(files)


def kept_validator(expectations_dir: Path, catalog: Catalog) -> _Kept:
    """The process's validator for these suites and this catalog (the one ``load_reference``
    keeps while its files stay the same), built when there is none: a warm process's next
    run does not build GE's context and suites again (~0.1 s a run on the demo month)."""
    key = _suites_key(expectations_dir)
    with _KEPT_LOCK:
        for kept in _KEPT:
            if kept.key == key and kept.catalog is catalog:
                return kept
        kept = _Kept(key, catalog, SubmissionValidator(expectations_dir, catalog), threading.Lock())
        _KEPT[:] = [kept]  # only the current files' are kept
        return kept


class SharedValidator:
    """A run's Great Expectations validator, taken on first use from those the process keeps
    (``kept_validator``), validating one frame at a time: a GE context is not known to be
    thread-safe, and parsing (the larger part) stays parallel. With ``helper`` (the process's
    ``jzplan.validate.docs_helper``), ``call`` sends the suites there while this process has
    no validator of its own. Sent to another process (a Dask worker), it travels as its
    suites' folder and catalog, and takes that process's validator there when it first
    validates."""

    def __init__(
        self, expectations_dir: Path, catalog: Catalog, helper: DocsHelper | None = None
    ) -> None:
        self.expectations_dir = expectations_dir
        self.catalog = catalog
        self.helper = helper
        self._kept: _Kept | None = None
        self._lock = threading.Lock()
        self._catalog_bytes: bytes | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"expectations_dir": self.expectations_dir, "catalog": self.catalog}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["expectations_dir"], state["catalog"])  # type: ignore[misc]

    @property
    def outlier(self) -> OutlierSettings:
        """The outlier settings of the validators the process keeps (their default)."""
        return OutlierSettings()

    def call(self, function: Callable[Concatenate[SubmissionValidator, P], R],
             *args: P.args, **kwargs: P.kwargs) -> R:  # fmt: skip
        """``function(validator, *args)``: in the helper process when this process has no
        validator of its own and a helper runs (``jzplan.validate.docs_helper``: a one-month
        process never imports GE then), otherwise here (``here``). A helper that cannot
        answer, or reports an error, leaves the work to this process: the value, and any real
        error, are its own."""
        helper = self.helper
        if helper is not None and not kwargs and not self._has_own() and self.helped():
            request = self._suite_call(function, args)
            try:
                return cast(R, helper.call(request))
            except HelperUnavailable as exc:  # done here, below: its own error if it fails
                _log.warning("校验辅助进程未能完成，由本进程校验：%s", str(exc)[-2000:])
        return self.here(function, *args, **kwargs)

    def ahead(self, function: Callable[Concatenate[SubmissionValidator, P], R],
              *args: P.args, **kwargs: P.kwargs) -> Ahead[R] | None:  # fmt: skip
        """``function(validator, *args)`` begun in the helper process, for the run to take
        later (``Ahead.take``), while it goes on with other work: the helper's core is idle
        while the run parses and loads. Sent as soon as the helper is ready and idle (a
        one-month process's helper is still importing GE when its run begins). None without
        a running helper, or with keyword arguments (nothing is begun)."""
        helper = self.helper
        if helper is None or kwargs or not self.helped():
            return None
        return Ahead(helper, self._suite_call(function, args))

    def helped(self) -> bool:
        """Whether the run has a helper process running (ready, or still importing GE)."""
        return self.helper is not None and self.helper.starting()

    def _suite_call(self, function: Callable[..., Any], args: tuple[Any, ...]) -> SuiteCall:
        if self._catalog_bytes is None:
            self._catalog_bytes = pickle.dumps(self.catalog, pickle.HIGHEST_PROTOCOL)
        return SuiteCall(self.expectations_dir, self._catalog_bytes, function, args)

    def here(self, function: Callable[Concatenate[SubmissionValidator, P], R],
             *args: P.args, **kwargs: P.kwargs) -> R:  # fmt: skip
        """``function(validator, *args, **kwargs)`` with this process's validator."""
        with self.exclusive() as validator:
            return function(validator, *args, **kwargs)

    def _has_own(self) -> bool:
        """Whether this process keeps a validator of these suites and this catalog (built by
        an earlier run, or this one)."""
        if self._kept is not None:
            return True
        with _KEPT_LOCK:
            return any(k.catalog is self.catalog for k in _KEPT)

    @property
    def built(self) -> bool:
        """Whether this run has needed its Great Expectations validator (seconds of work in a
        new process: a run whose files are all stored already, or refused, never needs it)."""
        return self._kept is not None

    @contextmanager
    def exclusive(self) -> Iterator[SubmissionValidator]:
        """The validator itself, no other thread (of this run or another run of the process)
        validating meanwhile; what GE kept of the frames validated is dropped after."""
        with self._lock:
            if self._kept is None:
                self._kept = kept_validator(self.expectations_dir, self.catalog)
            kept = self._kept
        with kept.lock:
            try:
                yield kept.validator
            finally:
                kept.validator.release()

    def validate(
        self, parsed: ParsedSubmission, *, history: pd.DataFrame | None = None
    ) -> ValidationReport:
        with self.exclusive() as validator:
            return validator.validate(parsed, history=history)


class Ahead(Generic[R]):
    """A ``SuiteCall`` sent to the helper from a thread of its own once the helper is ready
    (``SharedValidator.ahead``). ``take`` is the run's: the value when the helper has
    answered or is at it (waited for: less than doing it again); None when it failed, could
    not be sent, or was not yet sent (then it never is: the run does the work itself)."""

    def __init__(self, helper: DocsHelper, request: SuiteCall) -> None:
        self._helper = helper
        self._request = request
        self._lock = threading.Lock()
        self._sent = False
        self._taken = False
        self._done = threading.Event()
        self._value: R | None = None
        threading.Thread(target=self._run, name="jzplan-suites-ahead", daemon=True).start()

    def _run(self) -> None:
        try:
            if not self._helper.wait_ready(self._helper.timeout):
                return
            with self._lock:
                if self._taken:
                    return
                self._sent = True
            self._value = cast(R, self._helper.call(self._request))
        except HelperUnavailable as exc:  # the run does the work itself
            _log.warning("校验辅助进程未能提前完成，由本进程校验：%s", str(exc)[-2000:])
        finally:
            self._done.set()

    def wait(self, timeout: float) -> bool:
        """Wait until the helper has answered, or the work was not sent (tests); whether so."""
        return self._done.wait(timeout)

    def take(self) -> R | None:
        """The helper's value (waiting while it works on it), or None: the run does it."""
        with self._lock:
            self._taken = True
            sent = self._sent
        if not sent and not self._done.is_set():
            return None
        self._done.wait()
        return self._value
