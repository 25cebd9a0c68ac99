"""Great Expectations suites over parsed submissions and the store's history."""

from __future__ import annotations

import gc
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Sequence
from types import ModuleType

from jzplan.core.process import imported_later

# Modules GE imports at its own import for expectations and renderers this project never uses
# (KL divergence, KS tests, their altair charts): ~1 s of the 2 s ``import great_expectations``
# costs in a new process. Imported during GE's import, they are lazy modules (the standard
# library's LazyLoader): a module object whose code runs at its first attribute access.
DEFERRED = ("scipy.stats", "altair")

_lock = threading.Lock()
_ready = False


class _Deferring(importlib.abc.MetaPathFinder):
    """Finds ``names`` as the other finders do, with their loaders made lazy."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = frozenset(names)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec: importlib.machinery.ModuleSpec | None = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = importlib.util.LazyLoader(spec.loader)
                return spec
        return None


def import_engine() -> None:
    """Import Great Expectations and the project's expectation types, ``DEFERRED`` modules
    left lazy, and keep expectation configurations per validation
    (``jzplan.validate.ge_configuration``). Where GE can first be used in a process calls
    this first (``SubmissionValidator``, Data Docs; GE's results reach the rest of the
    package only through a validator), so that the first import is this one; a caller with
    idle time to fill (a run waiting for its temporary Prefect server) calls it early. A run
    that validates nothing never does."""
    global _ready
    if _ready:
        return
    with _lock:
        if _ready:
            return
        deferring = _Deferring([n for n in DEFERRED if n not in sys.modules])
        sys.meta_path.insert(0, deferring)
        # no cyclic collection during the import: it makes ~1M objects, none garbage, and
        # the collector's passes over them cost 0.2 s of it (jzplan.core.process)
        collecting = gc.isenabled()
        gc.disable()
        try:
            import great_expectations  # noqa: F401

            import jzplan.validate.custom_expectations  # noqa: F401
            from jzplan.validate.ge_configuration import install

            install()
        finally:
            sys.meta_path.remove(deferring)
            if collecting:
                gc.enable()
        _ready = True
        imported_later()
