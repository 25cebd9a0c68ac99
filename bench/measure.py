"""Timing a stage: the median of its runs, its peak memory, its floors; a failing stage is a
line that says n/a."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from bench import floors
from bench.memory import PeakRSS

T = TypeVar("T")


@dataclass(slots=True)
class Line:
    tier: str
    db: str
    stage: str
    rows: int
    seconds: float
    peak_mib: float
    period: str = ""
    floor: str = ""
    floor_seconds: float | None = None
    note: str = ""
    floors: dict[str, float] = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float | None:
        return self.rows / self.seconds if self.seconds > 0 and self.rows else None

    @property
    def ratio(self) -> float | None:
        if not self.floor_seconds:
            return None
        return self.seconds / self.floor_seconds

    def attach(self, found: list[floors.Floor]) -> None:
        """Keep every floor's time; the ratio is to the fastest."""
        for f in found:
            self.floors[f.name] = f.seconds
        if found:
            best = min(found, key=lambda f: f.seconds)
            self.floor, self.floor_seconds = best.name, best.seconds

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["rows_per_s"] = self.rows_per_s
        out["ratio"] = self.ratio
        return out


class Unavailable(RuntimeError):
    """A stage's API is not in the project (yet)."""


@dataclass(slots=True)
class Bench:
    out: Path
    repeat: int = 1
    lines: list[Line] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def measure(
        self,
        tier: str,
        db: str,
        stage: str,
        fn: Callable[[], T],
        rows: int | Callable[[T], int],
        *,
        period: str = "",
        repeat: int = 1,
        note: Callable[[T], str] | None = None,
    ) -> tuple[T, Line]:
        """Run ``fn`` (the median of ``repeat`` runs is kept) and record a line."""
        times, peak = [], 0.0
        result: Any = None
        for _ in range(max(1, repeat)):
            result = None  # free the previous round's result first
            with PeakRSS() as mem:
                started = time.perf_counter()
                result = fn()
                times.append(time.perf_counter() - started)
            peak = max(peak, mem.peak_mib)
        line = Line(
            tier,
            db,
            stage,
            rows(result) if callable(rows) else rows,
            float(np.median(times)),
            peak,
            period,
            note=note(result) if note else "",
        )
        self.lines.append(line)
        if line.seconds >= 1.0:  # progress on long runs
            print(f"   {tier} {db} {stage} {period}: {line.seconds:.1f} s", flush=True)
        return result, line

    def skip(self, tier: str, db: str, stage: str, why: str, period: str = "") -> None:
        self.lines.append(Line(tier, db, stage, 0, 0.0, 0.0, period, note=f"n/a: {why}"))

    def floor(self, fn: Callable[[], T]) -> T:
        """A floor, repeated like the stages (the fastest run kept for a floor)."""
        best: Any = None
        for _ in range(max(1, self.repeat)):
            got = fn()
            if isinstance(got, list):
                best = (
                    got
                    if best is None
                    else [min(a, b, key=seconds_of) for a, b in zip(best, got, strict=True)]
                )
            else:
                best = got if best is None else min(best, got, key=seconds_of)
        return best  # type: ignore[no-any-return]


def seconds_of(f: floors.Floor) -> float:
    return f.seconds


@contextmanager
def stage_guard(bench: Bench, tier: str, db: str, stage: str, period: str) -> Iterator[None]:
    """A stage whose API is missing or that fails prints n/a instead of ending the run."""
    try:
        yield
    except Unavailable as exc:
        bench.skip(tier, db, stage, str(exc), period)
    except Exception as exc:
        bench.skip(tier, db, stage, f"{type(exc).__name__}: {exc}"[:300], period)
