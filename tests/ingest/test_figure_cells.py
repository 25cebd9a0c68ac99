"""Figure cells other offices' tools write oddly (``tests/ingest/cellcases.py``): each gets a
located finding with its own code, the policy table decides whether the file is rejected,
and no figure is ever dropped silently."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from jzplan.ingest.accounting import account_figures
from jzplan.ingest.cell_policy import (
    DEFAULT_FINDINGS_FILE,
    FIGURE_CELL_POLICY,
    ROW_FINDINGS,
    FindingAction,
    PolicyError,
    load_policy,
)
from jzplan.ingest.form_parser import parse_submission
from jzplan.reference.catalog import Catalog
from tests.ingest.cellcases import CASES, FIGURE_CELLS, REMARK, CellCase
from tests.ingest.corpus import figures


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_gets_its_findings_and_outcome(catalog: Catalog, tmp_path: Path, case: CellCase):
    path = case.build(catalog, tmp_path)
    parsed = parse_submission(path, catalog)

    found = [(i.code, i.severity, i.row, i.column) for i in parsed.issues]
    assert [f for f in found if f[0] != "missing_indicator"] == case.findings
    assert parsed.ok == case.accepted
    account = account_figures(parsed)
    assert (account.read, account.held, account.refused) == (case.read, case.held, case.refused)
    for issue in parsed.issues:
        assert issue.file == path.name and issue.sheet
        assert re.search(r"[\u4e00-\u9fff]", issue.message), issue.message
    if case.accepted:
        # every figure read loads, to the value written
        expected = figures(catalog)
        loaded = {r.indicator: r.value for r in parsed.frame.itertuples(index=False)}
        assert len(loaded) == len(expected) - case.held // 2
        for code, value in loaded.items():
            assert math.isclose(value, expected[code][0], rel_tol=1e-12), code


def test_remark_is_kept_word_for_word(catalog: Catalog, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == "remark_in_h")
    parsed = parse_submission(case.build(catalog, tmp_path), catalog)
    (note,) = parsed.issues
    assert REMARK in note.message and "地方财政收入" in note.message
    assert len(parsed.frame) == 20 and account_figures(parsed).read == FIGURE_CELLS


@pytest.mark.parametrize(
    ("case_id", "code", "action", "ok", "read", "held", "refused", "questions"),
    [
        # an office policy that rejects a file for one formula: nothing of it loads
        ("formula_without_value", "formula_without_value", "reject_file", False, 36, 0, 2, 0),
        ("inf_as_number", "non_finite_number", "reject_file", False, 36, 0, 2, 0),
        # one that only notes it: the row is left out, nothing is asked
        ("inf_as_number", "non_finite_number", "note", True, 36, 2, 0, 0),
        # one that refuses remarks: the file is rejected, the remarked row refused
        ("remark_in_h", "remark_beside_row", "reject_file", False, 36, 0, 2, 0),
        # one that asks about remarks: the remarked row is held as a question
        ("remark_in_h", "remark_beside_row", "hold_row", True, 36, 2, 0, 1),
    ],
)
def test_policy_table_decides_what_a_finding_does(
    catalog: Catalog, tmp_path: Path, case_id, code, action, ok, read, held, refused, questions
):
    case = next(c for c in CASES if c.id == case_id)
    policy = {**FIGURE_CELL_POLICY, code: FindingAction(action)}
    parsed = parse_submission(case.build(catalog, tmp_path), catalog, policy=policy)

    severity = "error" if action == "reject_file" else "warning"
    assert [(i.code, i.severity) for i in parsed.issues] == [(code, severity)]
    assert parsed.ok == ok
    account = account_figures(parsed)
    assert (account.read, account.held, account.refused) == (read, held, refused)
    assert account.loaded == (read if ok else 0)
    assert [q.code for q in parsed.questions] == [code] * questions


def test_default_policy_holds_every_unreadable_figure_cell_row() -> None:
    unreadable = ("not_a_number", "non_finite_number", "formula_without_value", "bad_unit")
    assert {FIGURE_CELL_POLICY[c] for c in unreadable} == {FindingAction.HOLD_ROW}
    assert FIGURE_CELL_POLICY["unknown_indicator"] == FindingAction.HOLD_ROW
    assert FIGURE_CELL_POLICY["number_out_of_range"] == FindingAction.REJECT_FILE
    assert FIGURE_CELL_POLICY["remark_beside_row"] == FindingAction.NOTE


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("findings:\n  not_a_numbr: hold_row\n", "unknown finding 'not_a_numbr'"),
        ("findings:\n  not_a_number: hold\n", "'hold' is not one of"),
        ("not_a_number: hold_row\n", "no 'findings:' mapping"),
        ("findings:\n  period_mismatch: hold_row\n", "unknown finding"),  # a file's, not a row's
    ],
)
def test_a_policy_file_with_a_typo_is_refused(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "findings.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match=re.escape(error)):
        load_policy(path)


def test_the_bundled_policy_names_every_row_finding() -> None:
    assert load_policy(DEFAULT_FINDINGS_FILE) == FIGURE_CELL_POLICY
    assert set(FIGURE_CELL_POLICY) == ROW_FINDINGS
