"""The GE suites of 重点工作进展.csv and 排名.csv on files written by hand the way offices send
them: every fault a located issue with its stable code, reported once, by the suite; the
parser's own checks (no suite) find the same faults at the same cells."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jzplan.core.periods import Period
from jzplan.core.states import StatusFileKind, StatusFileOutcome
from jzplan.ingest.status_files import (
    RANK_LIMIT,
    RANKING_HEADER,
    REPORT_STATUSES,
    STATUS_HEADER,
    ParsedStatusFile,
    parse_ranking_file,
    parse_status_file,
)
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store.tracking import ranking_lengths, status_report_lengths
from jzplan.validate.rules import load_suite_dict
from jzplan.validate.shared import SharedValidator
from jzplan.validate.status_checks import StatusChecker
from jzplan.validate.validator import PROGRESS_SUITE, RANKING_SUITE
from tests.conftest import REPO_ROOT
from tests.validate.status_cases import GOOD, RANKING_CASES, RHEAD, STATUS_CASES

EXPECTATIONS = REPO_ROOT / "expectations"
PERIOD = Period(2013, 6)


@pytest.fixture(scope="module")
def checker(catalog: Catalog, plan: Plan) -> StatusChecker:
    lengths = {
        StatusFileKind.PROGRESS: status_report_lengths(),
        StatusFileKind.RANKING: ranking_lengths(),
    }
    return StatusChecker(SharedValidator(EXPECTATIONS, catalog), plan, catalog, lengths)


def _located(parsed: ParsedStatusFile) -> list[tuple[int | None, str | None, str]]:
    return sorted(
        ((i.row, i.column, i.code) for i in parsed.issues), key=lambda t: (t[0] or 0, str(t))
    )


def _write(tmp_path: Path, name: str, text: str, encoding: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(("case", "text", "encoding", "expected", "outcome"), STATUS_CASES)
def test_status_file_faults_are_located_once(
    case: str, text: str, encoding: str, expected: list[tuple[int, str | None, str]],
    outcome: str, checker: StatusChecker, plan: Plan, tmp_path: Path,
) -> None:  # fmt: skip
    path = _write(tmp_path, "重点工作进展.csv", text, encoding)
    lengths = status_report_lengths()
    by_suite = parse_status_file(path, PERIOD, plan, lengths=lengths, check=checker)
    assert _located(by_suite) == sorted(expected, key=lambda t: (t[0] or 0, str(t)))
    assert by_suite.outcome == StatusFileOutcome(outcome)
    assert all(i.file == "重点工作进展.csv" and i.message for i in by_suite.issues)
    assert all(i.rule for i in by_suite.issues)
    bad = {row for row, _, _ in expected}
    assert all(r.target_id != "ZZ1" for r in by_suite.reports)
    if outcome == "partial":
        assert by_suite.reports and len(by_suite.reports) == by_suite.rows - len(bad)
    rules = {r["rule"]: r for r in by_suite.results}
    assert {code for _, _, code in expected} <= {k for k, r in rules.items() if not r["success"]}
    # the parser alone (no suite) finds the same faults at the same cells
    alone = parse_status_file(path, PERIOD, plan, lengths=lengths)
    assert _located(alone) == _located(by_suite)
    assert alone.reports == by_suite.reports


@pytest.mark.parametrize(("case", "text", "encoding", "expected", "outcome"), RANKING_CASES)
def test_ranking_file_faults_are_located_once(
    case: str, text: str, encoding: str, expected: list[tuple[int, str | None, str]],
    outcome: str, checker: StatusChecker, catalog: Catalog, tmp_path: Path,
) -> None:  # fmt: skip
    path = _write(tmp_path, "排名.csv", text, encoding)
    lengths = ranking_lengths()
    by_suite = parse_ranking_file(path, PERIOD, catalog, lengths=lengths, check=checker)
    assert _located(by_suite) == sorted(expected, key=lambda t: (t[0] or 0, str(t)))
    assert by_suite.outcome == StatusFileOutcome(outcome)
    assert all(i.file == "排名.csv" and i.message for i in by_suite.issues)
    if outcome != "rejected":
        assert by_suite.rankings and by_suite.rankings[0].rank in (7, 9)
    alone = parse_ranking_file(path, PERIOD, catalog, lengths=lengths)
    assert _located(alone) == _located(by_suite)
    assert alone.rankings == by_suite.rankings


def test_messages_quote_the_cell(checker: StatusChecker, catalog: Catalog, tmp_path: Path) -> None:
    text = f"{RHEAD}\n{GOOD}\n焦作新区,全省城市新区经济总量位次,37,36,{'省' * 70},\n"
    path = _write(tmp_path, "排名.csv", text, "utf-8")
    parsed = parse_ranking_file(path, PERIOD, catalog, lengths=ranking_lengths(), check=checker)
    messages = {i.code: i.message for i in parsed.issues}
    assert messages["rank_past_total"] == "位次 37 大于参评总数 36"
    assert messages["text_too_long"].endswith("有 70 个字符，超过上限 64 个")
    assert "第 3 行" in str(parsed.issues[0])


def test_the_suites_restate_no_rule_the_code_owns() -> None:
    # the allowed statuses, the rank limit and the headers are the parser's constants
    progress = load_suite_dict(EXPECTATIONS, PROGRESS_SUITE)["expectations"]
    ranking = load_suite_dict(EXPECTATIONS, RANKING_SUITE)["expectations"]
    status_set = next(e for e in progress if e["kwargs"].get("column") == "进展状态")
    assert status_set["kwargs"]["value_set"] == list(REPORT_STATUSES)
    assert progress[0]["kwargs"]["column_set"] == list(STATUS_HEADER)
    assert ranking[0]["kwargs"]["column_set"] == list(RANKING_HEADER)
    limits = [e["kwargs"].get("max_value") for e in ranking]
    assert limits.count(RANK_LIMIT) == 2  # 位次 and 参评总数
    assert {"$PARAMETER": "max_published_by"} in limits  # the store's length, not restated
    assert str(RANK_LIMIT) in json.dumps(ranking)


def test_the_suites_load_whole(checker: StatusChecker) -> None:
    with checker.validator.exclusive() as validator:
        for name in (PROGRESS_SUITE, RANKING_SUITE):
            assert validator.expectation_counts[name] == len(
                load_suite_dict(EXPECTATIONS, name)["expectations"]
            )
