"""Every office form (``tests/offices/cases.py``) parses to exactly the figures it must load,
holds exactly the rows it must hold, and accounts for every figure cell."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from jzplan.ingest.accounting import account_figures
from jzplan.ingest.form_parser import parse_submission
from jzplan.reference.catalog import Catalog
from tests.ingest.figurecount import figure_cells
from tests.offices.cases import CASES
from tests.offices.forms import OfficeCase, build, close

# warnings a good office form may carry beside its held rows
NOTES = {"missing_indicator", "remark_beside_row"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_office_form_loads_its_figures_and_holds_its_questions(
    catalog: Catalog, tmp_path: Path, case: OfficeCase
) -> None:
    written = build(catalog, case, tmp_path)
    parsed = parse_submission(written.path, catalog)

    assert parsed.ok, [str(i) for i in parsed.errors]
    assert (parsed.org_unit, parsed.period) == (case.unit, case.period)
    loaded = {r.indicator: (r.value, r.value_month) for r in parsed.frame.itertuples()}
    assert set(loaded) == set(written.loads)
    for code, (value, month) in written.loads.items():
        got_value, got_month = loaded[code]
        assert close(got_value, value), (code, got_value, value)
        if month is None:
            assert math.isnan(got_month), code
        else:
            assert close(got_month, month), (code, got_month, month)
    assert [(q.row, q.code) for q in parsed.questions] == written.questions
    held_codes = {code for _, code in written.questions}
    for issue in parsed.issues:
        assert issue.code in NOTES | held_codes, str(issue)
    for question in parsed.questions:
        assert question.name and question.hints and re.search("[\u4e00-\u9fff]", question.message)

    account = account_figures(parsed)
    assert account.refused == 0 and account.held == written.held_cells
    assert account.read + account.held == len(figure_cells(written.path))
    assert account.loaded == account.read


def test_the_corpus_covers_what_offices_write() -> None:
    assert len(CASES) >= 12 and len({c.id for c in CASES}) == len(CASES)
    assert {c.ext for c in CASES} == {"xlsx", "xls", "csv"}
    assert any(c.encoding == "gb18030" for c in CASES)
    assert {code for c in CASES for _, code in c.held} >= {"unknown_indicator", "not_a_number"}
    # one file per unit and month, so the store test loads them all side by side
    assert len({(c.unit, c.month) for c in CASES}) == len(CASES)
