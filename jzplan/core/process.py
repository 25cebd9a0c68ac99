"""How a process of the pipeline starts and ends: without the cyclic garbage collector's
passes over its whole heap.

Starting: an entry point imports ~3,000 modules (Prefect, pandas, SQLAlchemy, openpyxl, GE),
millions of objects none of which is garbage; the collector ran six full passes over that
growing heap while ``jzplan run`` imported its flows (0.55-0.7 s of 2.5-3.1 s). The entry
point turns the collector off first (``start_without_collecting``) and, once the command's
imports are done (``imports_done``), freezes what they made (``gc.freeze``: never traversed
again, so later passes over the run's own objects are shorter too) and turns it back on.

A worker's flow-run process (``python -m prefect.engine``, the run's id in
``PREFECT__FLOW_RUN_ID``) is started by Prefect, not by an entry point of ours: Prefect is
imported first, then the deployment's entrypoint module. ``flows`` turns the collector off as
soon as it is imported there (``start_flow_run``) and the entrypoint module's last line turns
it back on, freezing what the imports made (``entrypoint_imported``).

Ending: at exit, CPython's finalization runs the collector over all of them several times
while it tears the modules down: 1.2-1.3 s of every ``jzplan run`` (measured: the last exit
handler returned at 7.63 s, the process ended at 8.91 s; with the heap frozen, 0.07 s
later). ``gc.freeze()`` as the last exit handler moves every object out of the collector's
sight first. Nothing is lost that an exit would keep: objects still die by reference count,
files are flushed and closed, exit handlers and ``weakref.finalize`` callbacks have all run;
only cyclic garbage is left to the operating system, as CPython never promises to finalize
it at exit anyway.

Memory: glibc's malloc serves a block of more than its mmap threshold (128 KiB, rising with
the blocks freed to at most 32 MiB) with a fresh mapping and unmaps it when freed, and gives
the top of its heap back above a trim threshold. A bulk month's columns are such blocks
(4 million rows: 32 MB a column, more for a frame's blocks), allocated and freed again by
every step: each new one is faulted in page by page (zeroed by the kernel) although the
process has just freed as much. The same starts raise both thresholds to 1 GiB
(``keep_freed_memory``): freed columns stay in the heap for the next ones. Measured on the
national month in a fresh process (``make bench``'s end to end, 3 runs each, alternated,
2-core machine, 2026-12-06): validation 1.80-2.32 s -> 1.34-1.68 s, the month (median)
10.47 s -> 9.81 s, peak memory 1.86-1.88 -> 1.99 GiB. A process started with glibc's own
``MALLOC_MMAP_THRESHOLD_`` or ``MALLOC_TRIM_THRESHOLD_`` is left as it is; elsewhere than
glibc (``mallopt`` absent) nothing happens."""

from __future__ import annotations

import atexit
import ctypes
import gc
import os
import sys

_registered = False
_starting = False
_entry = False
_flow_run = False


# The collector's thresholds once the imports are done (CPython's: 700, 10, 10). A run makes
# many short-lived containers (Prefect's states and events, GE's results, frames' blocks) that
# die by reference count; with the default a warm process running the six-township month ten
# times collected 1,530 times (young), 138 (middle) and 11 full passes of 40-55 ms each, about
# 1.0 s in all; with these, 28, 1 and 0: 0.47-0.53 s (2026-12-07, three alternated runs).
COLLECT_THRESHOLDS = (20_000, 20, 20)

_M_TRIM_THRESHOLD = -1  # glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_KEPT = 1 << 30
_TUNABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds to 1 GiB (module docstring); whether it did."""
    if not sys.platform.startswith("linux") or any(name in os.environ for name in _TUNABLES):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, _KEPT)) and bool(mallopt(_M_TRIM_THRESHOLD, _KEPT))


def start_without_collecting() -> None:
    """An entry point's first call: no cyclic collection until ``imports_done``; freed
    memory kept for reuse (``keep_freed_memory``)."""
    global _starting, _entry
    gc.disable()
    keep_freed_memory()
    _starting = _entry = True


def imports_done() -> None:
    """The entry point's imports are done: freeze what exists (modules, classes, the
    configuration read) and collect again, less often (``COLLECT_THRESHOLDS``). Does nothing
    unless ``start_without_collecting`` was called, so a caller of ``jzplan.cli.main`` in a
    long process (a test) is unaffected."""
    global _starting
    if _starting:
        gc.freeze()
        gc.set_threshold(*COLLECT_THRESHOLDS)
        gc.enable()
        _starting = False


def start_flow_run() -> None:
    """``start_without_collecting`` in a worker's flow-run process, called where ``flows`` is
    first imported; nothing in a process an entry point started (it already has), nor in one
    without ``PREFECT__FLOW_RUN_ID`` (a test, a script calling a flow)."""
    global _flow_run
    import multiprocessing

    # a process a run's own starts (a local Dask cluster's worker) inherits the variable but
    # never imports an entrypoint's module: it keeps its collector
    if (
        os.environ.get("PREFECT__FLOW_RUN_ID")
        and not _entry
        and multiprocessing.parent_process() is None
    ):
        start_without_collecting()
        _flow_run = True


def importing_flow_run_entrypoint() -> bool:
    """Whether this is a worker's flow-run process still importing its entrypoint (between
    ``start_flow_run`` and ``entrypoint_imported``)."""
    return _flow_run


def entrypoint_imported() -> None:
    """The last line of every prefect.yaml entrypoint's module: ``imports_done`` in a flow-run
    process ``start_flow_run`` started, nothing elsewhere (where ``make demo`` or ``jzplan
    run`` import several of these modules, their own ``imports_done`` comes after all)."""
    global _flow_run
    if _flow_run:
        _flow_run = False
        imports_done()


def imported_later() -> None:
    """A large import made after ``imports_done`` (Great Expectations, when the first file of
    a run is validated): frozen as well, in a process an entry point started, so that the
    run's full collections do not walk its million objects again (~0.25 s each, about one a
    run). Elsewhere (a test process, a worker's flow run) nothing happens."""
    if _entry and not _starting:
        gc.freeze()


def exit_without_collecting() -> None:
    """Freeze the heap when the interpreter exits, after the exit handlers registered later
    (they run first). Idempotent: call it early, from an entry point."""
    global _registered
    if not _registered:
        atexit.register(gc.freeze)
        _registered = True
