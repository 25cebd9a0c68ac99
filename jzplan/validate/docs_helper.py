"""A run's Data Docs built in a helper process, on the machine's other core, while the run
writes its reports.

A first run of a month builds a Data Docs site of about 30 pages (GE's site builder and its
Jinja views, ``jzplan.validate.datadocs``): 0.3-0.4 s of pure Python on the 2-core machine,
on the run's critical path, since the reports that follow hold the same interpreter lock.
The site depends only on the stored validation documents, so it can be built anywhere: a
helper process (``python -m jzplan.validate.docs_helper``) imports GE once and then builds
every site it is sent, while the run goes on with its reports; the run waits for it at the
end of its validation task.

- Started in a process that runs months one after another (``jzplan backfill``, ``make
  demo``): by its second run that validates new files (``flows.monthly``), its GE import
  (about 2 s) overlapping that run's work, and kept for the next ones. A process that runs
  one month (``jzplan run``, a worker's flow-run process) never starts it: the helper would
  not be ready in time, and its import would only compete for the cores (measured with a
  helper started by the run: ``jzplan run`` 7.3-9.7 s against 6.0-7.4 s without). It ends
  when its parent does: its stdin closes and it exits at once; it never reads a signal meant
  for the parent's terminal (a session of its own).
- Used only when ready and idle (``submit`` returns None otherwise): the run then builds the
  site itself, as before. Any failure of the helper (it died, a broken pipe, an error it
  reports, no answer in ``timeout`` seconds) leaves the site to the run's own build, so the
  site, and any real error, are the in-process build's.
- One request at a time: a pickled ``SiteRequest`` in, ``None`` (built) or the error's
  traceback out, each frame length-prefixed on the pipes.
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
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

_HEADER = struct.Struct("!Q")
_READY = "ready"


@dataclass(frozen=True, slots=True)
class SiteRequest:
    """What ``datadocs.build_site`` needs: the documents, where, and how they are named."""

    documents: list[dict[str, Any]]
    folder: Path
    expectations_dir: Path
    run_name: str
    labels: dict[int, str]


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

    def ready(self) -> bool:
        return self._ready.is_set() and self.pid is not None

    def wait_ready(self, timeout: float) -> bool:
        """Wait until the helper has imported GE (tests, benches); whether it has."""
        return self._ready.wait(timeout) and self.pid is not None

    def submit(self, request: SiteRequest) -> Future[str | None] | None:
        """Send ``request`` if the helper is ready and idle: a future of ``None`` (built) or
        why it was not; None when the run must build the site itself."""
        proc = self._proc
        if not self.ready() or proc is None or not self._busy.acquire(blocking=False):
            return None
        assert proc.stdin is not None
        try:
            _write(proc.stdin, request)
        except (OSError, pickle.PicklingError) as exc:
            self._busy.release()
            self.last_error = f"{type(exc).__name__}: {exc}"
            self._stop(proc)
            return None
        answer: Future[str | None] = Future()
        threading.Thread(target=self._answer, args=(proc, answer), daemon=True).start()
        return answer

    def _answer(self, proc: subprocess.Popen[bytes], answer: Future[str | None]) -> None:
        assert proc.stdout is not None
        try:
            result = _read(proc.stdout)
            error = None if result is None else str(result)
        except (EOFError, OSError, ValueError, pickle.UnpicklingError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            self._stop(proc)
        finally:
            self._busy.release()
        if error is not None:
            self.last_error = error
        answer.set_result(error)

    def result(self, answer: Future[str | None]) -> str | None:
        """The answer of ``answer`` (None: built); no answer in ``timeout`` seconds stops the
        helper (a later run starts another) and is an error."""
        try:
            return answer.result(timeout=self.timeout)
        except TimeoutError:
            proc = self._proc
            if proc is not None:
                self._stop(proc)
            return f"no answer in {self.timeout:g} s"

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the running helper has used (Linux; 0.0 elsewhere)."""
        pid = self.pid
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError, TypeError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

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
    """The helper: import GE, say so, then build each site asked for until stdin closes."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames on the answer pipe
    try:
        from jzplan.validate import datadocs, import_engine

        import_engine()
        datadocs.warm_up()
    except BaseException:
        _write(stdout, traceback.format_exc())
        return
    _write(stdout, _READY)
    while True:
        try:
            request = _read(stdin)
        except EOFError:  # the parent closed the pipe or ended: no teardown of GE's heap
            sys.stderr.flush()
            os._exit(0)
        try:
            datadocs.build_site(request)
            answer: str | None = None
        except BaseException:
            answer = traceback.format_exc()
        _write(stdout, answer)


if __name__ == "__main__":
    main()
