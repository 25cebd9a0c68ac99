"""The policy table for findings in one data row of a form: reject the file, hold the row as a
question, or note it.

The table is data, ``expectations/findings.yaml`` (read once, at import: ``FIGURE_CELL_POLICY``);
a caller may pass its own to ``jzplan.ingest.form_parser.parse_submission``. A code the table
does not name rejects the file. Documented in docs/ingest.md ("What a finding in a row does").
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType

from jzplan.core.files import read_yaml
from jzplan.core.states import IssueSeverity

DEFAULT_FINDINGS_FILE = Path(__file__).resolve().parents[2] / "expectations" / "findings.yaml"


class FindingAction(StrEnum):
    """What a finding in a data row does to its file and its row."""

    REJECT_FILE = "reject_file"  # an error: the whole file is rejected
    HOLD_ROW = "hold_row"  # a warning; the row is held as a question (待确认), the rest loads
    NOTE = "note"  # a warning; the row is read as far as it can be

    @property
    def severity(self) -> IssueSeverity:
        return IssueSeverity.ERROR if self is FindingAction.REJECT_FILE else IssueSeverity.WARNING


# The findings the row parser makes: only these are configurable
ROW_FINDINGS = frozenset(
    {
        "unknown_indicator",
        "indicator_not_valid",
        "duplicate_indicator",
        "not_a_number",
        "non_finite_number",
        "formula_without_value",
        "bad_unit",
        "number_out_of_range",
        "missing_value",
        "remark_beside_row",
    }
)


class PolicyError(ValueError):
    """The findings policy file is not a valid table."""


def load_policy(path: Path) -> Mapping[str, FindingAction]:
    """``findings:`` of ``path`` as code → action; raises ``PolicyError`` on an unknown code or
    action (a typo must not silently reject or accept files)."""
    raw = read_yaml(path) or {}
    table = raw.get("findings") if isinstance(raw, dict) else None
    if not isinstance(table, dict):
        raise PolicyError(f"{path}: no 'findings:' mapping")
    policy: dict[str, FindingAction] = {}
    for code, action in table.items():
        if code not in ROW_FINDINGS:
            raise PolicyError(f"{path}: unknown finding {code!r} (known: {sorted(ROW_FINDINGS)})")
        try:
            policy[code] = FindingAction(action)
        except ValueError:
            choices = [a.value for a in FindingAction]
            raise PolicyError(f"{path}: {code}: {action!r} is not one of {choices}") from None
    return MappingProxyType(policy)


FIGURE_CELL_POLICY: Mapping[str, FindingAction] = load_policy(DEFAULT_FINDINGS_FILE)


def action_of(code: str, policy: Mapping[str, FindingAction]) -> FindingAction:
    """The action ``policy`` gives ``code``; the file is rejected when it does not name it."""
    return policy.get(code, FindingAction.REJECT_FILE)


def severity_of(code: str, policy: Mapping[str, FindingAction]) -> IssueSeverity:
    """The severity of ``code``'s issue under ``policy``."""
    return action_of(code, policy).severity
