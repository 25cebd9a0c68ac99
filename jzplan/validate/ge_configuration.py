"""Great Expectations' expectation configuration, built once per expectation per validation.

GE's ``Expectation.configuration`` is a property that rebuilds the whole configuration (a
pydantic ``.dict()``, a deep copy of the kwargs, a new ``ExpectationConfiguration``) on every
access, and GE reads it once per kwarg it looks up (``_get_domain_kwargs``,
``_get_success_kwargs``, ``_get_success_kwarg``): 6,877 rebuilds in a six-township month's
run, about 0.8 s of a cProfile'd 5 s. Inside ``configurations_kept()`` (one suite's
validation, ``SuiteCheck.validate``) each expectation's configuration is built on its first
access and the same object is returned after; outside it the property is GE's own.

Within one validation GE builds its expectation objects from the suite's configurations and
does not change them (the whole test suite and the bench's error counts agree with and
without this). Relies on GE internals: GE is pinned to 1.24.x, and
``tests/validate/test_ge_internals.py`` checks the property is still there and still a
rebuild."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_kept: contextvars.ContextVar[dict[int, tuple[Any, Any]] | None] = contextvars.ContextVar(
    "jzplan_kept_configurations", default=None
)
_lock = threading.Lock()
_installed = False


def install() -> None:
    """Wrap ``Expectation.configuration`` (once per process; GE imported)."""
    global _installed
    with _lock:
        if _installed:
            return
        from great_expectations.expectations.expectation import Expectation

        original: property = Expectation.__dict__["configuration"]
        built = original.fget
        assert built is not None

        def configuration(self: Any) -> Any:
            kept = _kept.get()
            if kept is None:
                return built(self)
            found = kept.get(id(self))
            if found is None or found[0] is not self:
                found = kept[id(self)] = (self, built(self))  # self held: its id stays its own
            return found[1]

        Expectation.configuration = property(  # type: ignore[method-assign,assignment]
            configuration, doc=original.__doc__
        )
        _installed = True


@contextmanager
def configurations_kept() -> Iterator[None]:
    """Each expectation's configuration built once while inside (this thread's context)."""
    token = _kept.set({})
    try:
        yield
    finally:
        _kept.reset(token)
