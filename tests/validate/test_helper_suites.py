"""A run's suites done in the helper process (``SharedValidator.call`` with a running
``jzplan.validate.docs_helper``, as ``jzplan run`` has): each file's report, each status
file's findings, exactly what the run's own validator gives, and the run builds no
validator of its own. A helper that cannot answer leaves the work, and any real error, to
the run; a process that already has a validator uses it."""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jzplan.core.periods import Period
from jzplan.core.states import StatusFileKind
from jzplan.core.submissions import ParsedSubmission
from jzplan.ingest.form_parser import parse_submission
from jzplan.ingest.status_files import ParsedStatusFile, parse_ranking_file, parse_status_file
from jzplan.reference.catalog import Catalog, load_catalog
from jzplan.reference.plan import Plan
from jzplan.store.tracking import ranking_lengths, status_report_lengths
from jzplan.validate.batch import validate_files, validate_histories
from jzplan.validate.docs_helper import DocsHelper, HelperUnavailable, SuiteCall
from jzplan.validate.history_checks import OutlierSettings
from jzplan.validate.results import ValidationReport
from jzplan.validate.shared import SharedValidator, kept_validator
from jzplan.validate.status_checks import StatusChecker
from jzplan.validate.validator import SubmissionValidator
from tests.validate.cases import DEFECTS, PERIOD, ROOT, good_rows, history_frame, submission
from tests.validate.status_cases import RANKING_CASES, STATUS_CASES
from tests.validate.test_batch import _document

EXPECTATIONS = ROOT / "expectations"


def _without_ids(doc: dict[str, Any]) -> dict[str, Any]:
    """A result document without the ids GE gives a suite's expectations and a validation
    in each context it builds (another validator, another process: other ids)."""
    doc = _document(doc)
    doc["meta"].pop("validation_id", None)
    for result in doc["results"]:
        result["expectation_config"].pop("id", None)
    return doc


def assert_same(other: ValidationReport, own: ValidationReport) -> None:
    assert other.results == own.results and other.issues == own.issues
    assert other.error_rows.dtype == own.error_rows.dtype
    assert np.array_equal(other.error_rows, own.error_rows)
    assert [_without_ids(d) for d in other.documents] == [_without_ids(d) for d in own.documents]


def where(validator: SubmissionValidator) -> int:
    """The process a call ran in (sent to the helper by name: a module-level function)."""
    return os.getpid()


@pytest.fixture
def fresh() -> Catalog:
    """A catalog of its own: this process keeps no validator of it (as in a new process)."""
    return load_catalog(ROOT / "data" / "catalog")


def _files(catalog: Catalog) -> list[ParsedSubmission]:
    bundled = sorted((ROOT / "data" / "inbox" / "2013-06").glob("*_月报.xlsx"))
    files = [parse_submission(p, catalog) for p in bundled]
    for defect, _, _ in DEFECTS.values():
        files.append(submission(defect(good_rows(catalog, PERIOD)), PERIOD))
    return files


def test_the_helper_runs_the_file_and_history_suites_as_the_run_would(
    helper: DocsHelper, validator: SubmissionValidator, fresh: Catalog
) -> None:
    shared = SharedValidator(EXPECTATIONS, fresh, helper)
    assert shared.call(where) == helper.pid
    files = _files(fresh)
    reports = shared.call(validate_files, files)
    assert len(reports) == len(files) == 8 + len(DEFECTS)
    for report, parsed in zip(reports, files, strict=True):
        assert_same(report, validator.validate(parsed))
    assert any(r.issues for r in reports[8:])  # the defects are found there too
    histories = [history_frame() for _ in files]
    histories[0] = history_frame().iloc[0:0]  # a unit with no history
    checked = shared.call(validate_histories, files, histories, OutlierSettings())
    for report, parsed, history in zip(checked, files, histories, strict=True):
        assert_same(report, validator.validate_history(parsed, history))
    assert not shared.built  # the run never built GE's context


def _located(parsed: ParsedStatusFile) -> list[tuple[int | None, str | None, str]]:
    return sorted(((i.row, i.column, i.code) for i in parsed.issues), key=str)


def test_the_helper_runs_the_status_suites_as_the_run_would(
    helper: DocsHelper, fresh: Catalog, catalog: Catalog, plan: Plan, tmp_path: Path
) -> None:
    lengths = {
        StatusFileKind.PROGRESS: status_report_lengths(),
        StatusFileKind.RANKING: ranking_lengths(),
    }
    shared = SharedValidator(EXPECTATIONS, fresh, helper)
    sent = StatusChecker(shared, plan, fresh, lengths)
    here = StatusChecker(SharedValidator(EXPECTATIONS, catalog), plan, catalog, lengths)
    period = Period(2013, 6)
    for case, text, encoding, expected, _ in STATUS_CASES:
        path = tmp_path / case / "重点工作进展.csv"
        path.parent.mkdir()
        path.write_bytes(text.encode(encoding))
        args = (path, period, plan)
        by_helper = parse_status_file(*args, lengths=lengths[StatusFileKind.PROGRESS], check=sent)
        by_run = parse_status_file(*args, lengths=lengths[StatusFileKind.PROGRESS], check=here)
        assert _located(by_helper) == _located(by_run) and len(_located(by_run)) == len(expected)
        assert by_helper.results == by_run.results and by_helper.reports == by_run.reports
    for case, text, encoding, _, _ in RANKING_CASES:
        path = tmp_path / f"r-{case}" / "排名.csv"
        path.parent.mkdir()
        path.write_bytes(text.encode(encoding))
        ranking = lengths[StatusFileKind.RANKING]
        by_helper = parse_ranking_file(path, period, fresh, lengths=ranking, check=sent)
        by_run = parse_ranking_file(path, period, catalog, lengths=ranking, check=here)
        assert _located(by_helper) == _located(by_run)
        assert by_helper.results == by_run.results and by_helper.rankings == by_run.rankings
    assert not shared.built


def test_an_error_in_the_helper_is_raised_by_the_run_itself(
    helper: DocsHelper, fresh: Catalog
) -> None:
    shared = SharedValidator(EXPECTATIONS, fresh, helper)
    with pytest.raises(AttributeError, match="frame"):
        shared.call(validate_files, [object()])  # no parsed file: fails there, then here
    assert "AttributeError" in (helper.last_error or "")
    assert shared.built  # the second attempt was the run's own
    assert helper.ready()  # the helper answered with the error; it goes on serving


def test_a_helper_that_died_leaves_the_suites_to_the_run(
    fresh: Catalog, validator: SubmissionValidator, caplog: pytest.LogCaptureFixture
) -> None:
    doomed = DocsHelper(timeout=60)
    doomed.start()
    assert doomed.wait_ready(120), doomed.last_error
    pid = doomed.pid
    assert pid is not None
    shared = SharedValidator(EXPECTATIONS, fresh, doomed)
    os.kill(pid, signal.SIGKILL)
    files = _files(fresh)[:2]
    with caplog.at_level(logging.WARNING):
        reports = shared.call(validate_files, files)
    for report, parsed in zip(reports, files, strict=True):
        assert_same(report, validator.validate(parsed))
    assert shared.built
    # dead before the call began, or found dead by it: either way the run's own work
    assert doomed.pid is None and shared.call(where) == os.getpid()
    doomed.close()


def test_a_process_with_a_validator_of_its_own_uses_it(helper: DocsHelper, fresh: Catalog) -> None:
    kept_validator(EXPECTATIONS, fresh)  # as a warm process's earlier run left it
    shared = SharedValidator(EXPECTATIONS, fresh, helper)
    assert shared.call(where) == os.getpid()


def test_a_helper_that_fails_to_start_is_known_at_once() -> None:
    broken = DocsHelper(timeout=600)
    broken.start()
    assert broken.pid is not None
    os.kill(broken.pid, signal.SIGKILL)  # as a helper whose import failed ends
    waiting = threading.Thread(target=broken.wait_ready, args=(600,), daemon=True)
    waiting.start()
    waiting.join(60)  # it returns once the helper's end is known, not after its timeout
    assert not waiting.is_alive() and not broken.ready() and broken.last_error
    with pytest.raises(HelperUnavailable):
        broken.call(SuiteCall(EXPECTATIONS, b"", where, ()))
    broken.close()


def _month_status_files(tmp_path: Path, progress: str, ranking: str) -> Path:
    """An inbox whose 2013-06 holds the two status files (utf-8)."""
    folder = tmp_path / "inbox" / "2013-06"
    folder.mkdir(parents=True)
    (folder / "重点工作进展.csv").write_text(progress, encoding="utf-8")
    (folder / "排名.csv").write_text(ranking, encoding="utf-8")
    return tmp_path / "inbox"


def _case(cases: list[Any], name: str) -> str:
    return next(text for case, text, *_ in cases if case == name)


def test_status_files_checked_ahead_in_the_helper_are_what_the_load_finds(
    helper: DocsHelper,
    fresh: Catalog,
    catalog: Catalog,
    plan: Plan,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Sent when the run begins (``check_status_ahead``), the files' suites run in the
    helper; the load parses the same files and takes each one's findings from there (no
    suite run in the run's process), equal to what its own suites find."""
    import jzplan.validate.status_checks as status_checks
    from jzplan.month.status_ahead import check_status_ahead
    from jzplan.store.tracking import status_lengths
    from jzplan.track.history import parse_status

    period = Period(2013, 6)
    progress = _case(STATUS_CASES, "notes_row_at_the_bottom")
    ranking = RANKING_CASES[0][1]
    inbox = _month_status_files(tmp_path, progress, ranking)
    shared = SharedValidator(EXPECTATIONS, fresh, helper)
    ahead = check_status_ahead(inbox, period, plan, fresh, shared)
    assert ahead is not None and ahead.wait(120)
    found = ahead.take()
    assert found is not None and len(found) == 2

    own = StatusChecker(SharedValidator(EXPECTATIONS, catalog), plan, catalog, status_lengths())
    paths = [inbox / "2013-06" / "重点工作进展.csv", inbox / "2013-06" / "排名.csv"]
    expected = [
        parse_status(kind, path, period, plan, catalog, own, path.read_bytes())
        for kind, path in zip(StatusFileKind, paths, strict=True)
    ]

    def not_here(*args: object) -> None:
        raise AssertionError("the load ran a status suite itself")

    monkeypatch.setattr(status_checks, "run_status_suite", not_here)
    taking = StatusChecker(shared, plan, fresh, status_lengths(), ahead=ahead.take)
    for (kind, path), want in zip(zip(StatusFileKind, paths, strict=True), expected, strict=True):
        got = parse_status(kind, path, period, plan, fresh, taking, path.read_bytes())
        assert _located(got) == _located(want) and got.results == want.results
        assert got.outcome == want.outcome
    assert _located(expected[0])  # the notes row: findings, not a clean file


def test_a_status_file_changed_since_it_was_checked_ahead_is_checked_again(
    helper: DocsHelper, fresh: Catalog, plan: Plan, tmp_path: Path
) -> None:
    from jzplan.month.status_ahead import check_status_ahead
    from jzplan.store.tracking import status_lengths
    from jzplan.track.history import parse_status

    period = Period(2013, 6)
    good = _case(STATUS_CASES, "good")
    inbox = _month_status_files(tmp_path, good, RANKING_CASES[0][1])
    shared = SharedValidator(EXPECTATIONS, fresh, helper)
    ahead = check_status_ahead(inbox, period, plan, fresh, shared)
    assert ahead is not None and ahead.wait(120) and ahead.take()
    path = inbox / "2013-06" / "重点工作进展.csv"
    changed = _case(STATUS_CASES, "notes_row_at_the_bottom")
    path.write_text(changed, encoding="utf-8")  # the office's second file, same name
    checker = StatusChecker(shared, plan, fresh, status_lengths(), ahead=ahead.take)
    parsed = parse_status(StatusFileKind.PROGRESS, path, period, plan, fresh, checker,
                          path.read_bytes())  # fmt: skip
    assert {i.code for i in parsed.issues} >= {"unknown_target", "unknown_status"}


def test_nothing_is_checked_ahead_without_a_running_helper(
    helper: DocsHelper,
    fresh: Catalog,
    plan: Plan,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import jzplan.month.status_ahead as status_ahead
    from jzplan.month.status_ahead import check_status_ahead

    inbox = _month_status_files(tmp_path, _case(STATUS_CASES, "good"), RANKING_CASES[0][1])
    period = Period(2013, 6)

    def not_read(*args: object) -> bytes:
        raise AssertionError("a status file was read for a helper that is not there")

    with monkeypatch.context() as patched:
        patched.setattr(status_ahead, "read_regular", not_read)
        no_helper = SharedValidator(EXPECTATIONS, fresh)
        assert check_status_ahead(inbox, period, plan, fresh, no_helper) is None
        unstarted = SharedValidator(EXPECTATIONS, fresh, DocsHelper())
        assert check_status_ahead(inbox, period, plan, fresh, unstarted) is None
    empty = tmp_path / "empty"
    (empty / "2013-06").mkdir(parents=True)
    running = SharedValidator(EXPECTATIONS, fresh, helper)
    assert check_status_ahead(empty, period, plan, fresh, running) is None


def test_work_begun_ahead_and_not_yet_sent_is_left_to_the_run(fresh: Catalog) -> None:
    """A helper still importing GE when the run takes the work: never sent, the run does it."""
    slow = DocsHelper(timeout=120)
    slow.start()  # importing GE for seconds
    ahead = SharedValidator(EXPECTATIONS, fresh, slow).ahead(where)
    assert ahead is not None
    assert ahead.take() is None  # taken before it could be sent
    assert slow.wait_ready(120), slow.last_error
    assert ahead.take() is None  # and it never was
    slow.close()
