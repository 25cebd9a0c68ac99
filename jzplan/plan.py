"""The annual plan (``data/targets/<year>.yaml``): targets and the seed's baselines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

TargetKind = Literal[
    "level", "growth", "ceiling", "count", "ratio", "milestone", "ranking", "qualitative"
]
TARGET_KINDS: tuple[str, ...] = (
    "level", "growth", "ceiling", "count", "ratio", "milestone", "ranking", "qualitative",
)  # fmt: skip
Comparison = Literal[">=", "<="]


class PlanError(ValueError):
    """The plan file is invalid; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Baseline:
    """A figure the seed reports for a past year (or as a status at the time of the report)."""

    id: str
    scope: str  # org unit code
    indicator: str  # indicator code
    year: int
    value: float
    unit: str  # the seed's own unit
    growth_pct: float | None  # growth the seed states alongside, e.g. 22.2
    source: str  # the seed sentence
    note: str | None
    line: int  # line in the YAML file


@dataclass(frozen=True, slots=True)
class Target:
    id: str
    year: int
    group: str  # 主要预期目标 | 十个方面 | 十大创新提升计划 | 市政府工作报告要求 | 乡镇街道目标
    scope: str  # org unit code
    kind: TargetKind
    label: str  # short Chinese label for tables
    source: str  # the seed sentence it comes from
    indicator: str | None = None
    value: float | None = None  # in `unit`; growth: percent; ranking: worst acceptable position
    unit: str | None = None  # the seed's own unit
    comparison: Comparison = ">="
    baseline: float | None = None  # 2012 value in `unit`, where the seed gives one
    growth_pct: float | None = None  # growth stated alongside a level, e.g. 25 for +25%
    deadline: date | None = None  # milestones
    note: str | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class Plan:
    year: int
    targets: tuple[Target, ...]
    baselines: tuple[Baseline, ...]

    def target(self, target_id: str) -> Target:
        for t in self.targets:
            if t.id == target_id:
                return t
        raise KeyError(f"unknown target {target_id!r}")
