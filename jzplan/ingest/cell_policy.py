"""The policy table for findings in a form's figure cells: which reject the file.

A code whose severity is ``error`` rejects the file with its located reason; ``warning``
keeps the file, and for a figure cell holds the cell's row out of the load (the row is
"held"). ``remark_beside_row`` is a note: the row's figures are read either way. A code not
in the table is an error. The table is documented in docs/ingest.md ("limits and bad
inputs"); a caller may pass its own to ``jzplan.ingest.form_parser.parse_submission``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from jzplan.core.states import IssueSeverity

FIGURE_CELL_POLICY: Mapping[str, IssueSeverity] = MappingProxyType(
    {
        # a figure cell that cannot be read: never a silently shorter file
        "not_a_number": IssueSeverity.ERROR,
        "non_finite_number": IssueSeverity.ERROR,
        "formula_without_value": IssueSeverity.ERROR,
        "bad_unit": IssueSeverity.ERROR,
        # beyond the plausible bound (|figure| > JZPLAN_LIMIT_ABS_VALUE in canonical units)
        "number_out_of_range": IssueSeverity.ERROR,
        # a row with no 累计 figure (empty or “—”): held out, the file loads
        "missing_value": IssueSeverity.WARNING,
        # text beside a data row, outside the figure columns: kept as a located note
        "remark_beside_row": IssueSeverity.WARNING,
    }
)


def severity_of(code: str, policy: Mapping[str, IssueSeverity]) -> IssueSeverity:
    """The severity ``policy`` gives ``code``; an error when it does not name it."""
    return policy.get(code, IssueSeverity.ERROR)
