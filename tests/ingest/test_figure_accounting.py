"""Nothing silently dropped: for every file of every form corpus, and every .xlsx of the demo
inbox, the figure cells read + held + refused are exactly the figure cells in the file,
counted from its raw cells apart from the parser (``tests/ingest/figurecount.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date
from pathlib import Path

import pytest

from jzplan.core.periods import Period
from jzplan.core.states import FigureOutcome
from jzplan.core.submissions import ParsedSubmission
from jzplan.ingest.accounting import account_figures, cells_with
from jzplan.ingest.form_parser import parse_submission
from jzplan.ingest.form_writer import write_form
from jzplan.reference.catalog import Catalog
from tests.ingest import cellcases, test_form_parser, test_form_parser_corpus
from tests.ingest.figurecount import figure_cells
from tests.ingest.formrows import form_rows

Build = Callable[[Catalog, Path], Path]


def _written_form(transform: object, edit: object, name: str) -> Build:
    """A ``tests/ingest/test_form_parser.py`` case: the form writer's file, then its edit."""

    def build(catalog: Catalog, folder: Path) -> Path:
        rows = form_rows(catalog, "NGZ")
        if callable(transform):
            rows = transform(rows)
        path = folder / name
        write_form(path, catalog=catalog, unit_code="NGZ", period=Period(2013, 5), rows=rows,
                   filed_by="王五", filed_on=date(2013, 6, 3))  # fmt: skip
        if callable(edit):
            edit(path)
        return path

    return build


def _generated() -> Iterator[object]:
    for build in test_form_parser_corpus.VALID:
        yield pytest.param(build, id=f"corpus-valid-{build.__name__[2:]}")
    for case in test_form_parser_corpus.DEFECTS:
        yield pytest.param(case[1], id=f"corpus-defect-{case[0]}")
    for held in test_form_parser_corpus.HELD:
        yield pytest.param(held[1], id=f"corpus-held-{held[0]}")
    for case in test_form_parser.CASES:
        yield pytest.param(_written_form(case[2], case[3], case[1]), id=f"writer-{case[0]}")
    for cell_case in cellcases.CASES:
        yield pytest.param(cell_case.build, id=f"cells-{cell_case.id}")


def _check(path: Path, parsed: ParsedSubmission) -> None:
    account = account_figures(parsed)
    in_file = figure_cells(path)

    assert account.read + account.held + account.refused == len(in_file), account
    assert sorted((c.row, c.column) for c in parsed.figures) == sorted(in_file)
    if account.refused:
        assert account.rejected  # a refused cell always comes with an error
    if parsed.ok and not parsed.frame.empty:
        # what loads is what was read: one observation per 累计 cell read
        (value_column,) = set(parsed.frame["column"])
        read = cells_with(parsed, FigureOutcome.READ)
        assert sum(c.column == value_column for c in read) == len(parsed.frame)


@pytest.mark.parametrize("build", list(_generated()))
def test_generated_file_accounts_for_every_figure_cell(
    catalog: Catalog, tmp_path: Path, build: Build
) -> None:
    path = build(catalog, tmp_path)
    _check(path, parse_submission(path, catalog))


def test_demo_inbox_accounts_for_every_figure_cell(
    parsed_inbox: Mapping[Path, ParsedSubmission],
) -> None:
    assert len(parsed_inbox) == 169
    for path, parsed in parsed_inbox.items():
        _check(path, parsed)
    accounts = [account_figures(p) for p in parsed_inbox.values()]
    assert sum(a.refused for a in accounts) == 0
    assert sum(a.held for a in accounts) == 2  # 宁郭镇's August “约1300” row, a question
