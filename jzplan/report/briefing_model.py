"""The text model of a briefing (文字分析): sections of paragraphs of sentences, each sentence
with the figures it states (value, unit, where the value comes from: ``Ref``) and the names in
it that hold digits of their own, so a test can read every number back out of the text."""

from __future__ import annotations

import math
from dataclasses import dataclass

from jzplan.core.periods import Period
from jzplan.reference.display import WHOLE_UNITS, number

# Figures printed as a magnitude: the word before them (增长/下降, 快于/慢于, 高于/低于) says
# which way; every other figure is printed with its sign
DIRECTED = frozenset({"yoy", "goal_gap", "time_gap", "pace_gap", "margin"})


@dataclass(frozen=True, slots=True)
class Ref:
    """Where a figure comes from: ``kind`` and its key and column.

    targets (scope code or "*", bucket label or "total"): targets counted; time_progress;
    progress (target, column of read_progress, in the target's display unit); yoy (target):
    growth over the same month last year, %; goal_gap (target): yoy minus the target growth,
    points; time_gap (target): completion minus time progress, points; pace_gap (target):
    actual minus the pace its status is judged by; margin (target): ceiling minus actual;
    contribution (target, unit): share of the area total, %; part (target, unit): the unit's
    figure; remaining (target): goal minus actual; months_left; units (category of the
    month's standing): units counted."""

    kind: str
    key: str = ""
    column: str = ""


@dataclass(frozen=True, slots=True)
class Figure:
    """A number of the text: its value (signed, unrounded, in ``unit``) and as written."""

    ref: Ref
    value: float
    unit: str
    text: str


@dataclass(frozen=True, slots=True)
class Sentence:
    """``names``: the parts of the text that are names holding digits of their own (target
    labels, indicator names, the months), not figures."""

    text: str
    figures: tuple[Figure, ...] = ()
    names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Paragraph:
    sentences: tuple[Sentence, ...]

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.sentences)


@dataclass(frozen=True, slots=True)
class Section:
    """A heading (level 1: the area's parts; level 2: a township under 各乡镇街道) and its
    paragraphs; ``scope``: the unit it is about."""

    heading: str
    level: int
    scope: str
    paragraphs: tuple[Paragraph, ...]


@dataclass(frozen=True, slots=True)
class Briefing:
    title: str
    period: Period
    sections: tuple[Section, ...]

    def lines(self) -> list[str]:
        """The title, then each heading followed by its paragraphs: one line each."""
        out = [self.title]
        for s in self.sections:
            out += [s.heading, *(p.text for p in s.paragraphs)]
        return out

    def text(self) -> str:
        return "\n".join(self.lines())


# --- figures ---------------------------------------------------------------------------------


def _amount_text(value: float, unit: str) -> str:
    if unit in WHOLE_UNITS:  # people, projects: whole numbers
        whole = math.floor(abs(value) + 0.5)
        return f"{'-' if value < 0 and whole else ''}{whole:,}{unit}"
    return f"{number(value)}{unit}"


def amount(ref: Ref, value: float, unit: str) -> Figure:
    shown = abs(value) if ref.kind in DIRECTED else value
    return Figure(ref, value, unit, _amount_text(shown, unit))


def percent(ref: Ref, value: float, unit: str = "%") -> Figure:
    shown = abs(value) if ref.kind in DIRECTED else value
    return Figure(ref, value, unit, f"{shown:.1f}{unit}")


def points(ref: Ref, value: float) -> Figure:
    return Figure(ref, value, "个百分点", f"{abs(value):.1f}个百分点")


def count(ref: Ref, n: int, unit: str) -> Figure:
    return Figure(ref, float(n), unit, f"{n}{unit}")


class Words:
    """A sentence being written: its text, the figures it states and its names."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.figures: list[Figure] = []
        self.names: list[str] = []

    def add(self, text: str) -> Words:
        self.parts.append(text)
        return self

    def name(self, text: str) -> Words:
        self.parts.append(text)
        if text:
            self.names.append(text)
        return self

    def fig(self, figure: Figure) -> Words:
        self.parts.append(figure.text)
        self.figures.append(figure)
        return self

    def done(self, end: str = "。") -> Sentence:
        return Sentence("".join(self.parts) + end, tuple(self.figures), tuple(self.names))
