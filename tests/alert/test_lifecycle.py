"""The alert lifecycle: each decision as a pure function, then the whole through the store
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError

from jzplan.alert.lifecycle import (
    ActiveAlert,
    AlertDecision,
    active_alerts,
    decide_active,
    plan_alert_changes,
    resolves,
    sync_alerts,
)
from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog
from jzplan.store.alerts import StoredAlert, read_alerts
from jzplan.store.dump import dump_tables
from jzplan.store.models import AlertRow
from jzplan.store.reference import sync_reference
from tests.store.tiny import tiny_plan

MARCH, APRIL, MAY = Period(2013, 3), Period(2013, 4), Period(2013, 5)
KEY = "target:main-fai:behind"


def _active(message: str = "固定资产投资滞后", severity: str = "critical") -> ActiveAlert:
    return ActiveAlert(KEY, "target_status", severity, "JZXQ", "main-fai", message)


def _stored(
    first: Period,
    last: Period,
    resolved: Period | None = None,
    message: str = "固定资产投资滞后",
    kind: str = "target_status",
) -> StoredAlert:
    return StoredAlert(KEY, kind, "critical", "JZXQ", "main-fai", message, first, last, resolved)


@pytest.mark.parametrize(
    ("old", "new", "period", "decision", "written"),
    [
        # a new cause opens, first and last seen this month
        (None, _active(), APRIL, AlertDecision.OPENED, _stored(APRIL, APRIL)),
        # open and the same: nothing to write, even a month later only last_seen moves
        (_stored(MARCH, APRIL), _active(), APRIL, AlertDecision.UNCHANGED, None),
        (_stored(MARCH, MARCH), _active(), APRIL, AlertDecision.UPDATED, _stored(MARCH, APRIL)),
        # open with new text: updated, first_seen kept
        (
            _stored(MARCH, MARCH),
            _active("固定资产投资仍滞后"),
            MARCH,
            AlertDecision.UPDATED,
            _stored(MARCH, MARCH, message="固定资产投资仍滞后"),
        ),
        (
            _stored(MARCH, MARCH),
            _active(severity="warning"),
            MARCH,
            AlertDecision.UPDATED,
            StoredAlert(
                KEY,
                "target_status",
                "warning",
                "JZXQ",
                "main-fai",
                "固定资产投资滞后",
                MARCH,
                MARCH,
            ),
        ),
        # a rerun of an earlier month keeps the newer text
        (_stored(MARCH, MAY), _active("旧"), APRIL, AlertDecision.UNCHANGED, None),
        # resolved and back: reopened, first_seen kept, resolved cleared
        (
            _stored(MARCH, MARCH, resolved=APRIL),
            _active(),
            MAY,
            AlertDecision.REOPENED,
            _stored(MARCH, MAY),
        ),
        (
            _stored(MARCH, MARCH, resolved=APRIL),
            _active(),
            APRIL,
            AlertDecision.REOPENED,
            _stored(MARCH, APRIL),
        ),
        # a rerun of a month before it was resolved changes nothing
        (_stored(MARCH, APRIL, resolved=MAY), _active(), APRIL, AlertDecision.UNCHANGED, None),
        # ... unless it raises the target's alert after it was last seen (run late): seen there
        (
            _stored(MARCH, MARCH, resolved=MAY),
            _active(),
            APRIL,
            AlertDecision.UPDATED,
            _stored(MARCH, APRIL, resolved=MAY),
        ),
        # a month before it was first seen, run late: it starts there (open or resolved)
        (_stored(APRIL, MAY), _active(), MARCH, AlertDecision.UPDATED, _stored(MARCH, MAY)),
        (
            _stored(APRIL, APRIL, resolved=MAY),
            _active(),
            MARCH,
            AlertDecision.UPDATED,
            _stored(MARCH, APRIL, resolved=MAY),
        ),
    ],
    ids=[
        "new-opened",
        "same-unchanged",
        "next-month-updated",
        "message-updated",
        "severity-updated",
        "earlier-rerun-unchanged",
        "back-reopened",
        "back-same-month-reopened",
        "before-resolution-unchanged",
        "before-resolution-seen-late",
        "earlier-month-late-open",
        "earlier-month-late-resolved",
    ],
)
def test_decide_active(
    old: StoredAlert | None,
    new: ActiveAlert,
    period: Period,
    decision: AlertDecision,
    written: StoredAlert | None,
) -> None:
    assert decide_active(old, new, period) == (decision, written)


@pytest.mark.parametrize(
    ("old", "period", "in_scope", "expected"),
    [
        (_stored(MARCH, APRIL), APRIL, None, True),  # gone: resolved at the month
        (_stored(MARCH, APRIL), MAY, None, True),
        (_stored(MARCH, MAY), APRIL, None, False),  # seen after the month: a rerun
        (_stored(MARCH, MARCH, resolved=APRIL), MAY, None, False),  # already resolved
        (_stored(MARCH, APRIL, kind="missing_submission"), APRIL, None, False),  # other kind
        (_stored(MARCH, APRIL), APRIL, lambda key: key.endswith(":on_track"), False),
        (_stored(MARCH, APRIL), APRIL, lambda key: key.endswith(":behind"), True),
    ],
    ids=["gone", "gone-later", "seen-after", "resolved", "out-of-kinds", "out-of-scope",
         "in-scope"],
)  # fmt: skip
def test_resolves(old: StoredAlert, period: Period, in_scope: object, expected: bool) -> None:
    scope = in_scope if callable(in_scope) else None
    assert resolves(old, period, scope_kinds={"target_status"}, in_scope=scope) is expected


def test_plan_alert_changes_counts_each_decision() -> None:
    keys = {d: f"target:{d}:behind" for d in ("new", "back", "text", "same", "gone")}

    def stored(key: str, **kw: object) -> StoredAlert:
        fields: dict[str, object] = {"first_seen": MARCH, "last_seen": MARCH, "resolved": None}
        fields.update(kw)
        return StoredAlert(key, "target_status", "critical", None, None, key, **fields)  # type: ignore[arg-type]

    def active(key: str, message: str | None = None) -> dict[str, object]:
        return {"dedup_key": key, "kind": "target_status", "severity": "critical",
                "org_unit": None, "target_id": None, "message": message or key}  # fmt: skip

    before = {
        keys["back"]: stored(keys["back"], resolved=MARCH),
        keys["text"]: stored(keys["text"], last_seen=APRIL),
        keys["same"]: stored(keys["same"], last_seen=APRIL),
        keys["gone"]: stored(keys["gone"]),
    }
    now = active_alerts(
        [active(keys["new"]), active(keys["back"]), active(keys["text"], "新"),
         active(keys["same"])]
    )  # fmt: skip
    changes = plan_alert_changes(before, now, APRIL, scope_kinds={"target_status"})
    assert changes.counts == {
        "opened": 2, "reopened": 1, "updated": 1, "resolved": 1, "unchanged": 1,
    }  # fmt: skip
    assert [a.dedup_key for a in changes.opened] == [keys["new"]]
    assert [a.dedup_key for a in changes.changed] == [keys["back"], keys["text"]]
    assert changes.resolved == (keys["gone"],)


def test_a_status_replaced_by_a_later_month_opens_resolved() -> None:
    """April run after May: May's 滞后 of the target stays open, April's 预警 of it is
    written resolved at the next month (at most one open alert per target); recomputing May
    then keeps or reopens it."""
    behind = _stored(MAY, MAY)
    at_risk = ActiveAlert("target:main-fai:at_risk", "target_status", "warning", "JZXQ",
                          "main-fai", "固定资产投资预警")  # fmt: skip
    changes = plan_alert_changes(
        {KEY: behind}, {at_risk.dedup_key: at_risk}, APRIL, scope_kinds={"target_status"}
    )
    assert [(a.dedup_key, a.first_seen, a.resolved) for a in changes.opened] == [
        ("target:main-fai:at_risk", APRIL, MAY)
    ]
    assert changes.resolved == () and changes.changed == ()


def test_a_month_that_no_longer_raises_an_alert_moves_its_start_on() -> None:
    """An alert first seen in April (computed before March arrived) that April, recomputed,
    no longer raises starts in May, where it was seen too."""
    changes = plan_alert_changes(
        {KEY: _stored(APRIL, MAY)}, {}, APRIL, scope_kinds={"target_status"}
    )
    assert changes.changed == (_stored(MAY, MAY),)
    assert changes.resolved == ()
    # resolved in May (May run first), not raised in April recomputed: resolved in April
    ended = plan_alert_changes(
        {KEY: _stored(MARCH, MARCH, resolved=MAY)}, {}, APRIL, scope_kinds={"target_status"}
    )
    assert ended.changed == (_stored(MARCH, MARCH, resolved=APRIL),)
    # seen before April too: resolved only where it is last seen (a rerun), start kept
    kept = plan_alert_changes({KEY: _stored(MARCH, MAY)}, {}, APRIL, scope_kinds={"target_status"})
    assert kept.changed == () and kept.resolved == ()


def test_an_alert_active_twice_is_an_error() -> None:
    record = {"dedup_key": KEY, "kind": "target_status", "severity": "critical",
              "message": "x"}  # fmt: skip
    with pytest.raises(ValueError, match="active twice"):
        active_alerts([record, record])


@pytest.fixture
def ref_engine(engine: Engine, catalog: Catalog) -> Engine:
    sync_reference(engine, catalog, tiny_plan())
    return engine


def _alert(key: str, message: str, kind: str = "target_status") -> dict[str, object]:
    return {
        "dedup_key": key,
        "kind": kind,
        "severity": "warning",
        "org_unit": "JZXQ" if kind == "target_status" else "NGZ",
        "target_id": "main-fai" if kind == "target_status" else None,
        "message": message,
    }


def test_sync_alerts_lifecycle(ref_engine: Engine) -> None:
    kinds = {"target_status"}
    fai = _alert("target_status:main-fai", "固定资产投资滞后")
    missing = _alert("missing_submission:NGZ", "宁郭镇未报", kind="missing_submission")

    counts = sync_alerts(ref_engine, Period(2013, 3), [fai, missing], scope_kinds=kinds)
    assert (counts["opened"], counts["updated"], counts["resolved"]) == (2, 0, 0)
    dump = dump_tables(ref_engine)
    counts = sync_alerts(ref_engine, Period(2013, 3), [fai, missing], scope_kinds=kinds)
    assert counts == {"opened": 0, "reopened": 0, "updated": 0, "resolved": 0, "unchanged": 2}
    assert dump_tables(ref_engine) == dump

    # still active next month: last_seen moves, first_seen stays
    fai_april = {**fai, "message": "固定资产投资仍滞后"}
    counts = sync_alerts(ref_engine, Period(2013, 4), [fai_april], scope_kinds=kinds)
    assert (counts["opened"], counts["updated"], counts["resolved"]) == (0, 1, 0)
    alerts = read_alerts(ref_engine).set_index("dedup_key")
    row = alerts.loc["target_status:main-fai"]
    assert (row["first_seen"], row["last_seen"], row["message"]) == (
        "2013-03", "2013-04", "固定资产投资仍滞后",
    )  # fmt: skip
    assert row["resolved"] is None
    # the missing-submission alert is outside this evaluation's scope: still open
    assert alerts.loc["missing_submission:NGZ", "resolved"] is None

    # a rerun of March does not move April's state back
    dump = dump_tables(ref_engine)
    counts = sync_alerts(ref_engine, Period(2013, 3), [fai], scope_kinds=kinds)
    assert counts["unchanged"] == 1 and counts["resolved"] == 0
    assert dump_tables(ref_engine) == dump

    # absent in May: resolved
    counts = sync_alerts(ref_engine, Period(2013, 5), [], scope_kinds=kinds)
    assert counts["resolved"] == 1
    assert list(read_alerts(ref_engine, open_only=True)["dedup_key"]) == ["missing_submission:NGZ"]
    dump = dump_tables(ref_engine)
    assert sync_alerts(ref_engine, Period(2013, 5), [], scope_kinds=kinds)["resolved"] == 0
    assert dump_tables(ref_engine) == dump

    # active again in June: reopened, first_seen kept
    counts = sync_alerts(ref_engine, Period(2013, 6), [fai], scope_kinds=kinds)
    assert (counts["opened"], counts["reopened"]) == (1, 1)
    row = read_alerts(ref_engine).set_index("dedup_key").loc["target_status:main-fai"]
    assert (row["first_seen"], row["last_seen"], row["resolved"]) == ("2013-03", "2013-06", None)

    # the missing-submission evaluation resolves its own kind only
    counts = sync_alerts(ref_engine, Period(2013, 6), [], scope_kinds={"missing_submission"})
    assert counts["resolved"] == 1
    assert list(read_alerts(ref_engine, open_only=True)["dedup_key"]) == ["target_status:main-fai"]


def test_months_out_of_order_leave_one_open_alert_per_target(ref_engine: Engine) -> None:
    """May (滞后) run before April (预警), then May recomputed: one open alert for the target,
    as in order; the store refuses a second open one."""
    behind = _alert("target:main-fai:behind", "固定资产投资滞后")
    at_risk = _alert("target:main-fai:at_risk", "固定资产投资预警")
    kinds = {"target_status"}
    sync_alerts(ref_engine, MAY, [behind], scope_kinds=kinds)
    sync_alerts(ref_engine, APRIL, [at_risk], scope_kinds=kinds)
    assert list(read_alerts(ref_engine, open_only=True)["dedup_key"]) == [behind["dedup_key"]]
    sync_alerts(ref_engine, MAY, [behind], scope_kinds=kinds)  # May recomputed after April
    rows = read_alerts(ref_engine).set_index("dedup_key")
    assert rows.loc[at_risk["dedup_key"], ["first_seen", "last_seen", "resolved"]].tolist() == [
        "2013-04", "2013-04", "2013-05",
    ]  # fmt: skip
    assert list(read_alerts(ref_engine, open_only=True)["dedup_key"]) == [behind["dedup_key"]]
    # May recomputed says 预警 instead: the April alert reopens, 滞后 resolves
    sync_alerts(ref_engine, MAY, [at_risk], scope_kinds=kinds)
    open_rows = read_alerts(ref_engine, open_only=True)
    assert open_rows[["dedup_key", "first_seen", "last_seen"]].values.tolist() == [
        [at_risk["dedup_key"], "2013-04", "2013-05"]
    ]
    with pytest.raises(IntegrityError), ref_engine.begin() as conn:
        conn.execute(
            insert(AlertRow.__table__),  # type: ignore[arg-type]
            {"dedup_key": "target:main-fai:overdue", "kind": "milestone_overdue",
             "severity": "critical", "org_unit_code": "JZXQ", "target_id": "main-fai",
             "message": "x", "first_seen": "2013-05", "last_seen": "2013-05"},
        )  # fmt: skip


def test_sync_alerts_in_scope_limits_resolution(ref_engine: Engine) -> None:
    a = _alert("missing_submission:NGZ:2013-03", "宁郭镇3月未报", kind="missing_submission")
    b = _alert("missing_submission:NGZ:2013-04", "宁郭镇4月未报", kind="missing_submission")
    sync_alerts(ref_engine, Period(2013, 4), [a, b], scope_kinds={"missing_submission"})
    counts = sync_alerts(
        ref_engine,
        Period(2013, 4),
        [a],
        scope_kinds={"missing_submission"},
        in_scope=lambda key: key.endswith(":2013-04"),
    )
    assert counts["resolved"] == 1
    open_keys = list(read_alerts(ref_engine, open_only=True)["dedup_key"])
    assert open_keys == ["missing_submission:NGZ:2013-03"]
