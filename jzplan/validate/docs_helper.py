"""A run's Data Docs built in a helper process, on the machine's other core, while the run
writes its reports; and, in a process that runs one month, the run's suites too.

A first run of a month builds a Data Docs site of about 30 pages (GE's site builder and its
Jinja views, ``jzplan.validate.datadocs``): 0.3-0.4 s of pure Python on the 2-core machine,
on the run's critical path, since the reports that follow hold the same interpreter lock.
The site depends only on the stored validation documents, so it can be built anywhere: a
helper process (``python -m jzplan.validate.docs_helper``) imports GE once and then builds
every site it is sent, while the run goes on with its reports; the run waits for it at the
end of its validation task.

- Started by ``jzplan run`` first thing (``jzplan.entry``), before the command imports the
  pipeline (2.4-2.7 s, CPU-bound, in the run's own process): the helper imports GE (about
  2.4 s with what it needs) and builds the settings' validator on the other core meanwhile,
  and the run sends it every suite (``SuiteCall``, from ``jzplan.validate.shared.
  SharedValidator.call``): file suites, history suites, status files. The run never imports
  GE, and the site is the helper's too. Measured 2026-12-07, ``jzplan run --period 2013-06``
  with a running server, 4 first runs each, alternated: 5.76-6.18 s with the helper,
  7.43-8.17 s without; re-runs of the stored month (nothing to validate) 3.89-4.00 s against
  3.86-3.93 s.
- Started in a process that runs months one after another (``jzplan backfill``, ``make
  demo``): by its second run that validates new files (``flows.monthly``), its import
  overlapping that run's work, and kept for the next ones. Such a process validates with the
  validator its first run built (``SharedValidator.call`` sends nothing when the process has
  one: no request and answer to pay) and sends the helper its sites. A worker's flow-run
  process for a monthly run starts it as ``jzplan run`` does, when it begins importing the
  entrypoint (``flows/worker_start.py``; Prefect's engine is imported before). It ends when
  its parent does: its stdin closes and it exits at once; it never reads a signal meant for
  the parent's terminal (a session of its own).
- A site is sent only when the helper is ready and idle (``submit`` returns None
  otherwise): the run then builds it itself. A suite waits for the helper to be ready and
  idle. Any failure of the helper (it died, a broken pipe, an error it reports, no answer in
  ``timeout`` seconds) leaves the work to the run's own process, so the site, the reports,
  and any real error, are the in-process ones.
- One request at a time: a pickled request in, ``(None, value)`` or ``(traceback, None)``
  out, each frame length-prefixed on the pipes.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import struct
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from jzplan.core.procfs import cpu_seconds

_HEADER = struct.Struct("!Q")
_READY = "ready"


class HelperUnavailable(RuntimeError):
    """The helper could not answer a ``call`` (not running, died, or no answer in time): the
    caller does the work itself."""


@dataclass(frozen=True, slots=True)
class SiteRequest:
    """What ``datadocs.build_site`` needs: the documents, where, and how they are named."""

    documents: list[dict[str, Any]]
    folder: Path
    expectations_dir: Path
    run_name: str
    labels: dict[int, str]


# a request's answer: (None, its value) or (why it failed, None)
Answer = tuple[str | None, Any]


@dataclass(frozen=True, slots=True)
class SuiteCall:
    """``function(validator, *args)`` with the helper's validator of these suites and this
    catalog (``catalog``: the run's catalog pickled, kept by the helper while the same bytes
    come). ``function``: a module-level function, sent by its name."""

    expectations_dir: Path
    catalog: bytes
    function: Callable[..., Any]
    args: tuple[Any, ...]


def _write(stream: IO[bytes], value: object) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read(stream: IO[bytes]) -> Any:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError("the Data Docs helper closed its pipe")
    (size,) = _HEADER.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the Data Docs helper closed its pipe")
    return pickle.loads(data)  # our own child's answer (or our own request), on its pipe


class DocsHelper:
    """The helper process of this process (``shared_helper``), or of a test."""

    def __init__(self, timeout: float = 300.0) -> None:
        self.timeout = timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._ready = threading.Event()
        self._settled = threading.Event()  # ready, or failed to be
        self._busy = threading.Lock()  # held from a request's send to its answer
        self._state = threading.Lock()
        self.last_error: str | None = None

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def start(self) -> None:
        """Start the helper unless it runs; returns at once (it imports GE meanwhile)."""
        with self._state:
            if self._proc is not None and self._proc.poll() is None:
                return
            self._ready.clear()
            self._settled.clear()
            root = str(Path(__file__).resolve().parents[2])  # where ``jzplan`` is found
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
            proc = subprocess.Popen(
                [sys.executable, "-m", "jzplan.validate.docs_helper"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
            self._proc = proc
        threading.Thread(target=self._await_ready, args=(proc,), daemon=True).start()

    def _await_ready(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        try:
            answer = _read(proc.stdout)
        except (EOFError, OSError, ValueError, pickle.UnpicklingError) as exc:
            answer = f"{type(exc).__name__}: {exc}"
        if answer == _READY:
            self._ready.set()
        else:
            self.last_error = str(answer)
            self._stop(proc)
        self._settled.set()

    def ready(self) -> bool:
        return self._ready.is_set() and self.pid is not None

    def wait_ready(self, timeout: float) -> bool:
        """Wait until the helper has imported GE (tests, benches); whether it has."""
        self._settled.wait(timeout)
        return self.ready()

    def starting(self) -> bool:
        """Whether the helper runs (ready, or still importing GE)."""
        return self.pid is not None

    def submit(self, request: SiteRequest) -> Future[Answer] | None:
        """Send ``request`` if the helper is ready and idle: a future of its answer (see
        ``result``); None when the run must build the site itself."""
        if not self._busy.acquire(blocking=False):
            return None
        return self._send(request)

    def _send(self, request: SiteRequest | SuiteCall) -> Future[Answer] | None:
        """Send ``request``, the busy lock held (released with the answer, or here)."""
        proc = self._proc
        if not self.ready() or proc is None:
            self._busy.release()
            return None
        assert proc.stdin is not None
        try:
            _write(proc.stdin, request)
        except (OSError, pickle.PicklingError) as exc:
            self._busy.release()
            self.last_error = f"{type(exc).__name__}: {exc}"
            self._stop(proc)
            return None
        answer: Future[Answer] = Future()
        threading.Thread(target=self._answer, args=(proc, answer), daemon=True).start()
        return answer

    def _answer(self, proc: subprocess.Popen[bytes], answer: Future[Answer]) -> None:
        assert proc.stdout is not None
        try:
            error, value = _read(proc.stdout)
            error = None if error is None else str(error)
        except (EOFError, OSError, ValueError, TypeError, pickle.UnpicklingError) as exc:
            error, value = f"{type(exc).__name__}: {exc}", None
            self._stop(proc)
        finally:
            self._busy.release()
        if error is not None:
            self.last_error = error
        answer.set_result((error, value))

    def result(self, answer: Future[Answer]) -> str | None:
        """The error of ``answer`` (None: done); no answer in ``timeout`` seconds stops the
        helper (a later run starts another) and is an error."""
        return self._wait(answer)[0]

    def _wait(self, answer: Future[Answer]) -> Answer:
        try:
            return answer.result(timeout=self.timeout)
        except TimeoutError:
            proc = self._proc
            if proc is not None:
                self._stop(proc)
            return f"no answer in {self.timeout:g} s", None

    def call(self, request: SuiteCall) -> Any:
        """``request`` done in the helper, waiting for it to be ready and idle (at most
        ``timeout`` seconds each); its value. ``HelperUnavailable`` when it could not answer,
        with the error it reported or why not."""
        if not self.starting() or not self.wait_ready(self.timeout):
            raise HelperUnavailable(self.last_error or "the helper is not running")
        if not self._busy.acquire(timeout=self.timeout):
            raise HelperUnavailable(f"busy for {self.timeout:g} s")
        answer = self._send(request)
        if answer is None:
            raise HelperUnavailable(self.last_error or "the helper stopped")
        error, value = self._wait(answer)
        if error is not None:
            raise HelperUnavailable(error)
        return value

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the running helper has used (Linux; 0.0 elsewhere)."""
        pid = self.pid
        return (cpu_seconds(pid) if pid is not None else None) or 0.0

    def _stop(self, proc: subprocess.Popen[bytes]) -> None:
        self._ready.clear()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        if proc.poll() is None:
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)

    def close(self, wait: float = 2.0) -> None:
        """Stop the helper: its stdin closed, it exits; waited for ``wait`` seconds, then
        killed (``wait=0``: at exit, left to end on its own as the parent does)."""
        with self._state:
            proc, self._proc = self._proc, None
        if proc is None:
            return
        self._ready.clear()
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()
        if wait <= 0:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=wait)
        self._stop(proc)


def start_for_one_month() -> None:
    """Start this process's helper (``shared_helper``) first thing in a process that runs one
    month (``jzplan run``, a worker's monthly flow run), unless ``JZPLAN_DATA_DOCS_HELPER`` is
    off; settings that do not read leave it unstarted (the command says what is wrong)."""
    from jzplan.core.settings import Settings

    try:
        wanted = Settings().data_docs_helper
    except Exception:  # reported by the command, in its own words
        return
    if wanted:
        shared_helper().start()


_shared: DocsHelper | None = None
_shared_lock = threading.Lock()


def shared_helper() -> DocsHelper:
    """This process's helper (not started until ``start``); stopped at exit."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = DocsHelper()
            atexit.register(_shared.close, 0)  # the exit not held up by the helper's
        return _shared


def main() -> None:  # pragma: no cover - runs in the helper process (tested through it)
    """The helper: import GE, say so, build the settings' validator, then do each request
    until stdin closes."""
    from jzplan.core.process import imports_done, start_without_collecting

    start_without_collecting()  # started as the run's own process is (jzplan.core.process)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames on the answer pipe
    try:
        import jzplan.validate.batch  # the functions a run sends, imported now
        import jzplan.validate.status_checks  # noqa: F401
        from jzplan.validate import datadocs, import_engine

        import_engine()
        datadocs.warm_up()
    except BaseException:
        _write(stdout, traceback.format_exc())
        return
    _write(stdout, _READY)
    catalogs: dict[bytes, Any] = {}  # the run's catalog, one object while its bytes stay
    own = _prebuilt()  # while the run imports the pipeline and parses its files
    imports_done()
    while True:
        try:
            request = _read(stdin)
        except EOFError:  # the parent closed the pipe or ended: no teardown of GE's heap
            sys.stderr.flush()
            os._exit(0)
        try:
            answer: Answer = (None, _serve(request, catalogs, own))
        except BaseException:
            answer = (traceback.format_exc(), None)
        _write(stdout, answer)


def _prebuilt() -> Any:
    """The settings' catalog, its validator built and kept (``kept_validator``): what a run
    sends is that catalog, as a rule; None when it cannot be read (a request builds its own)."""
    try:
        from jzplan.core.settings import Settings
        from jzplan.reference.catalog import load_catalog
        from jzplan.validate.shared import kept_validator

        settings = Settings()
        catalog = load_catalog(settings.catalog_dir)
        kept_validator(settings.expectations_dir, catalog)
        return catalog
    except Exception:
        return None


def _serve(request: SiteRequest | SuiteCall, catalogs: dict[bytes, Any], own: Any) -> Any:
    """What the helper does with one request (in the helper process); ``own``: the catalog
    the helper built a validator for before the first request (``_prebuilt``)."""
    from jzplan.validate import datadocs
    from jzplan.validate.shared import kept_validator

    if isinstance(request, SiteRequest):
        datadocs.build_site(request)
        return None
    if request.catalog not in catalogs:
        catalogs.clear()
        catalog = pickle.loads(request.catalog)  # our parent's own catalog
        catalogs[request.catalog] = own if own is not None and catalog == own else catalog
    kept = kept_validator(request.expectations_dir, catalogs[request.catalog])
    with kept.lock:
        try:
            return request.function(kept.validator, *request.args)
        finally:
            kept.validator.release()


if __name__ == "__main__":
    # run as this module, not as ``__main__``: the requests unpickle as its classes
    from jzplan.validate.docs_helper import main as module_main

    module_main()
