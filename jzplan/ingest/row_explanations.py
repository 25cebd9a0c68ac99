"""The 情况说明 column of a form: what an office writes beside a figure to explain it.

The text of a loaded row becomes the explanation (上报说明) of any warning on that row's figure
(``jzplan.alert.explanations.explain_from_form``) and is kept as a located note, so it stays
visible whether or not a warning asks for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from openpyxl.utils import get_column_letter

from jzplan.core.states import IssueSeverity
from jzplan.ingest.form_layout import FormHeader, SheetIssues

EXPLANATION_CODE = "row_explanation"


def explanation_text(row: Sequence[object], header: FormHeader) -> str | None:
    """The row's 情况说明 text, stripped; None without the column or text."""
    col = header.note_col
    if col is None or col >= len(row):
        return None
    value = row[col]
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def row_explanations(
    rows: Sequence[Sequence[object]],
    header: FormHeader,
    records: Sequence[Mapping[str, object]],
    issues: SheetIssues,
) -> dict[str, str]:
    """Indicator code → the 情况说明 text of its loaded row (``records``: the parser's
    observation records, with ``indicator`` and the 1-based sheet ``row``); each a note."""
    out: dict[str, str] = {}
    if header.note_col is None:
        return out
    for record in records:
        sheet_row = int(str(record["row"]))
        text = explanation_text(rows[sheet_row - 1], header)
        if text is None:
            continue
        code = str(record["indicator"])
        out[code] = text
        name = rows[sheet_row - 1][header.name_col]
        issues.add(
            EXPLANATION_CODE,
            f"“{str(name).strip()}”一行的情况说明：“{text}”（已记录；该行如有校验提示，即作为其说明）",
            row=sheet_row,
            column=get_column_letter(header.note_col + 1),
            severity=IssueSeverity.WARNING,
        )
    return out
