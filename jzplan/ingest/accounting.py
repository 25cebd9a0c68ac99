"""Accounting for a parsed form's figure cells: every one read, held or refused.

A figure cell is a non-empty 累计 or 本月 cell of a data row (a row below the header with an
indicator name). The parser records each one's outcome (``ParsedSubmission.figures``); this
module counts them, so a test (or a run) can check that no figure went missing between the
file and the store: ``read + held + refused == seen``.
"""

from __future__ import annotations

from dataclasses import dataclass

from jzplan.core.states import FigureOutcome
from jzplan.core.submissions import FigureCell, ParsedSubmission


@dataclass(frozen=True, slots=True)
class FigureAccount:
    """The figure cells of one parsed file, by outcome; ``rejected`` when the file has an
    error (then none of its figures load, whatever each cell's own outcome)."""

    file: str
    seen: int
    read: int
    held: int
    refused: int
    rejected: bool

    @property
    def loaded(self) -> int:
        """Figure cells that reach the store: those read, unless the file is rejected."""
        return 0 if self.rejected else self.read


def account_figures(parsed: ParsedSubmission) -> FigureAccount:
    """Count ``parsed``'s figure cells by outcome (a file with no table found has none: it is
    refused whole, by its ``missing_header`` or read error)."""
    counts = {outcome: 0 for outcome in FigureOutcome}
    for cell in parsed.figures:
        counts[cell.outcome] += 1
    return FigureAccount(
        file=parsed.path.name,
        seen=len(parsed.figures),
        read=counts[FigureOutcome.READ],
        held=counts[FigureOutcome.HELD],
        refused=counts[FigureOutcome.REFUSED],
        rejected=not parsed.ok,
    )


def cells_with(parsed: ParsedSubmission, outcome: FigureOutcome) -> list[FigureCell]:
    """The figure cells of ``parsed`` with ``outcome``, in sheet order (for a located report)."""
    return [c for c in parsed.figures if c.outcome == outcome]
