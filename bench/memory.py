"""Peak resident memory of this process during a block of code.

A daemon thread samples ``/proc/self/statm`` (resident pages) every ``interval`` seconds; the
peak is the largest sample, the start and end readings included. ``max_rss_bytes`` is the
peak of the whole process so far (it never goes down), which is what an end-to-end run
reports: ``VmHWM`` of ``/proc/self/status``, not ``ru_maxrss``, which a child started by a
large process inherits (Linux keeps the parent's high-water mark across fork and exec: the
bench's children reported the bench's own 4.6 GiB).
"""

from __future__ import annotations

import os
import resource
import threading
from types import TracebackType

PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024


def rss_bytes() -> int:
    """Resident memory of this process now (Linux)."""
    with open("/proc/self/statm", "rb") as f:
        return int(f.read().split()[1]) * PAGE


def max_rss_bytes() -> int:
    """The peak resident memory of this process image so far (``VmHWM``, Linux)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # no /proc: KiB


class PeakRSS:
    """``with PeakRSS() as peak: ...`` then ``peak.peak_bytes`` and ``peak.start_bytes``."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.start_bytes = 0
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_bytes = max(self.peak_bytes, rss_bytes())

    def __enter__(self) -> PeakRSS:
        self.start_bytes = self.peak_bytes = rss_bytes()
        self._thread = threading.Thread(target=self._sample, name="peak-rss", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak_bytes = max(self.peak_bytes, rss_bytes())

    @property
    def peak_mib(self) -> float:
        return self.peak_bytes / MIB

    @property
    def growth_mib(self) -> float:
        """How far the peak rose above the level at the start of the block."""
        return (self.peak_bytes - self.start_bytes) / MIB
