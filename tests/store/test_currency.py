"""Which file of a unit's month is current: the pure decision (``jzplan.store.currency``)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

from jzplan.core.states import IssueSeverity, SubmissionStatus
from jzplan.store.currency import Contender, Reason, Settlement, settle, standing_issue

R1 = datetime(2013, 8, 5, 9, tzinfo=UTC)
R2 = datetime(2013, 9, 5, 9, tzinfo=UTC)
A = (("gdp", 1.0, None),)
B = (("gdp", 2.0, None),)
S = SubmissionStatus


def c(i: int, name: str, filed: date | None, when: datetime, figures=A) -> Contender:
    return Contender(i, name, filed, when, f"{when:%Y-%m}", figures)


def statuses(s: Settlement) -> dict[int, str]:
    return {i: str(x.status) for i, x in sorted(s.standings.items())}


def test_later_filing_date_wins_in_one_batch_whatever_the_names_and_ids():
    draft = c(1, "宁郭镇_2013年07月_月报.xlsx", date(2013, 8, 2), R1, A)
    final = c(2, "宁郭镇_2013年07月_月报 (终稿).xlsx", date(2013, 8, 4), R1, B)
    for files in ([draft, final], [final, draft]):
        s = settle(files)
        assert s.current == 2
        assert statuses(s) == {1: "superseded", 2: "accepted"}
        assert s.standings[1].reason == Reason.STALE
        assert s.standings[1].others == (final.file_name,)
    # the ids the other way round (the final recorded first): same decision
    s = settle(
        [c(2, draft.file_name, draft.filed_on, R1, A), c(1, final.file_name, final.filed_on, R1, B)]
    )
    assert (s.current, statuses(s)) == (1, {1: "accepted", 2: "superseded"})


def test_equal_dates_different_figures_hold_both_and_keep_the_previous():
    old = c(1, "old.xlsx", date(2013, 8, 2), R1, A)
    x = c(2, "x.xlsx", date(2013, 9, 3), R2, A)
    y = c(3, "y.xlsx", date(2013, 9, 3), R2, B)
    s = settle([old, x, y])
    assert s.current == 1
    assert statuses(s) == {1: "accepted", 2: "held", 3: "held"}
    assert s.held == [2, 3]
    assert s.standings[2].others == ("y.xlsx",)
    issue = standing_issue("x.xlsx", s.standings[2], "old.xlsx")
    assert issue is not None and issue.code == "conflicting_submissions"
    assert issue.severity == IssueSeverity.WARNING
    assert "y.xlsx" in issue.message and "old.xlsx" in issue.message
    assert "更晚的填报日期" in issue.message and "撤回" in issue.message


def test_unknown_dates_count_as_equal():
    # one batch, one date unknown, different figures: a question
    s = settle([c(1, "a.xlsx", None, R1, A), c(2, "b.xlsx", date(2013, 8, 4), R1, B)])
    assert statuses(s) == {1: "held", 2: "held"} and s.current is None
    # two batches, no dates: the later batch wins
    s = settle([c(1, "a.xlsx", None, R1, A), c(2, "b.xlsx", None, R2, B)])
    assert (s.current, statuses(s)) == (2, {1: "superseded", 2: "accepted"})
    # the same time of receipt, a later batch folder: later
    s = settle([c(1, "a.xlsx", None, R1, A), Contender(2, "b.xlsx", None, R1, "2013-09", B)])
    assert s.current == 2


def test_identical_figures_are_no_question():
    s = settle([c(1, "a.xlsx", date(2013, 8, 4), R1, A), c(2, "b.xlsx", date(2013, 8, 4), R1, A)])
    assert s.held == [] and s.current == 2
    assert s.standings[1].reason == Reason.IDENTICAL
    assert standing_issue("a.xlsx", s.standings[1], "b.xlsx") is None


def test_a_stale_draft_after_the_final_supersedes_nothing():
    final = c(1, "终稿.xlsx", date(2013, 8, 4), R1, B)
    draft = c(2, "草稿.xlsx", date(2013, 8, 2), R2, A)
    s = settle([final, draft])
    assert (s.current, statuses(s)) == (1, {1: "accepted", 2: "superseded"})
    issue = standing_issue("草稿.xlsx", s.standings[2], "终稿.xlsx")
    assert issue is not None and issue.code == "stale_submission" and "终稿.xlsx" in issue.message


def test_a_later_batch_answers_the_question():
    held = [c(1, "x.xlsx", date(2013, 8, 3), R1, A), c(2, "y.xlsx", date(2013, 8, 3), R1, B)]
    answer = c(3, "x2.xlsx", date(2013, 9, 1), R2, A)
    s = settle([*held, answer])
    assert (s.current, statuses(s)) == (3, {1: "superseded", 2: "superseded", 3: "accepted"})
    # an answer dated before the held files is stale: the question stays
    s = settle([*held, c(3, "x0.xlsx", date(2013, 8, 1), R2, A)])
    assert statuses(s) == {1: "held", 2: "held", 3: "superseded"}


def test_any_order_of_the_contenders_settles_alike():
    files = [
        c(1, "p.xlsx", date(2013, 8, 1), R1, A),
        c(2, "q.xlsx", date(2013, 9, 3), R2, B),
        c(3, "r.xlsx", None, R2, A),
        c(4, "s.xlsx", date(2013, 9, 2), R2, B),
        c(5, "t.xlsx", date(2013, 9, 3), R2, B),
    ]
    results = {
        (settle(order).current, tuple(statuses(settle(order)).items()))
        for order in itertools.permutations(files)
    }
    assert len(results) == 1
    ((current, standing),) = results
    # q, t (09-03, same figures) and r (no date, other figures): held; p stays; s stale
    assert current == 1
    assert dict(standing) == {1: "accepted", 2: "held", 3: "held", 4: "superseded", 5: "held"}
