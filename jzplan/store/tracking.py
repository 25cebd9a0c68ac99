"""Reads and writes of target tracking: status reports, rankings, the alert-event outbox.

Like the other store modules, every write is idempotent (compared before it is written) and
returns counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, Table, insert, select, update

from jzplan.core.states import StatusFileKind
from jzplan.ingest.status_files import ParsedStatusFile, Ranking, StatusReport
from jzplan.store.db import Bind, connect, transaction
from jzplan.store.models import (
    AlertEventRow,
    AlertRow,
    RankingRow,
    StatusReportRow,
    text_lengths,
)
from jzplan.store.rows import upsert_changed

_status: Table = StatusReportRow.__table__  # type: ignore[assignment]
_ranking: Table = RankingRow.__table__  # type: ignore[assignment]
_alert: Table = AlertRow.__table__  # type: ignore[assignment]
_event: Table = AlertEventRow.__table__  # type: ignore[assignment]


def status_report_lengths() -> dict[str, int]:
    """The longest text each status-report column holds (e.g. reported_by)."""
    return text_lengths(StatusReportRow)


def ranking_lengths() -> dict[str, int]:
    """The longest text each ranking column holds (e.g. published_by)."""
    return text_lengths(RankingRow)


def lengths_of(kind: StatusFileKind) -> dict[str, int]:
    """The longest text each column of ``kind``'s rows holds (what its parser and suite are
    given)."""
    return status_report_lengths() if kind == StatusFileKind.PROGRESS else ranking_lengths()


def status_lengths() -> dict[StatusFileKind, dict[str, int]]:
    """``lengths_of`` each kind of status file."""
    return {kind: lengths_of(kind) for kind in StatusFileKind}


def write_status_reports(bind: Bind, parsed: ParsedStatusFile) -> dict[str, int]:
    """The month's 重点工作进展 replaces that month's reports (rows it no longer has go)."""
    rows = [
        {
            "target_id": r.target_id,
            "period": r.period,
            "status": r.status,
            "evidence": r.evidence,
            "reported_by": r.reported_by,
            "reported_on": r.reported_on,
            "source_file": parsed.path.name,
            "sha256": parsed.sha256,
        }
        for r in parsed.reports
    ]
    with transaction(bind) as conn:
        return upsert_changed(
            conn,
            _status,
            ["target_id", "period"],
            rows,
            scope=_status.c.period == str(parsed.period),
            delete_missing=True,
        )


def write_rankings(bind: Bind, parsed: ParsedStatusFile) -> dict[str, int]:
    """The month's 排名 replaces that month's positions."""
    rows = [
        {
            "org_unit_code": r.org_unit,
            "indicator_code": r.indicator,
            "period": r.period,
            "rank": r.rank,
            "out_of": r.out_of,
            "published_by": r.published_by,
            "published_on": r.published_on,
            "source_file": parsed.path.name,
            "sha256": parsed.sha256,
        }
        for r in parsed.rankings
    ]
    with transaction(bind) as conn:
        return upsert_changed(
            conn,
            _ranking,
            ["org_unit_code", "indicator_code", "period"],
            rows,
            scope=_ranking.c.period == str(parsed.period),
            delete_missing=True,
        )


def _year_scope(table: Table, year: int) -> Any:
    return table.c.period.between(f"{year:04d}-01", f"{year:04d}-12")


def read_status_reports(bind: Bind, year: int) -> list[StatusReport]:
    query = select(_status).where(_year_scope(_status, year)).order_by(_status.c.period)
    with connect(bind) as conn:
        return [
            StatusReport(
                r["target_id"],
                r["period"],
                r["status"],
                r["evidence"],
                r["reported_by"],
                r["reported_on"],
            )
            for r in conn.execute(query).mappings()
        ]


def read_rankings(bind: Bind, year: int) -> list[Ranking]:
    query = select(_ranking).where(_year_scope(_ranking, year)).order_by(_ranking.c.period)
    with connect(bind) as conn:
        return [
            Ranking(
                r["org_unit_code"],
                r["indicator_code"],
                r["period"],
                int(r["rank"]),
                r["out_of"],
                r["published_by"],
                r["published_on"],
            )
            for r in conn.execute(query).mappings()
        ]


# --- alert-event outbox ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One transition of an alert: opened (or reopened) or resolved, in a period."""

    id: int
    dedup_key: str
    action: str
    period: str
    kind: str
    severity: str
    org_unit: str | None
    target_id: str | None
    message: str


def _alert_event(r: RowMapping) -> AlertEvent:
    return AlertEvent(
        int(r["id"]),
        r["dedup_key"],
        r["action"],
        r["period"],
        r["kind"],
        r["severity"],
        r["org_unit_code"],
        r["target_id"],
        r["message"],
    )


def record_alert_events(bind: Bind) -> dict[str, int]:
    """Add an outbox row for every alert transition not recorded yet, whoever synced it.

    Compares each alert's state with its latest recorded transition: an open alert whose last
    event is none or ``resolved`` has opened (at first_seen, or last_seen for a reopen); a
    resolved one whose last event is ``opened`` has resolved. A rerun adds nothing.
    """
    counts = {"opened": 0, "resolved": 0}
    with transaction(bind) as conn:
        latest: dict[str, tuple[str, str]] = {}
        seen: set[tuple[str, str, str]] = set()
        for key, action, period in conn.execute(
            select(_event.c.dedup_key, _event.c.action, _event.c.period).order_by(_event.c.id)
        ):
            latest[str(key)] = (str(action), str(period))
            seen.add((str(key), str(action), str(period)))
        new: list[dict[str, Any]] = []
        for a in conn.execute(select(_alert).order_by(_alert.c.id)).mappings():
            key = str(a["dedup_key"])
            last = latest.get(key)
            base = {
                "dedup_key": key,
                "kind": a["kind"],
                "severity": a["severity"],
                "org_unit_code": a["org_unit_code"],
                "target_id": a["target_id"],
                "emitted": False,
                "notified": False,
            }
            resolved = None if a["resolved"] is None else str(a["resolved"])
            steps: list[tuple[str, str]] = []
            if last is None:
                steps.append(("opened", str(a["first_seen"])))
            elif last[0] == "resolved" and resolved != last[1]:
                steps.append(("opened", str(a["last_seen"])))  # reopened since
            if resolved is not None and (steps or (last is not None and last[0] == "opened")):
                steps.append(("resolved", resolved))
            for action, period in steps:
                if (key, action, period) in seen:
                    continue
                seen.add((key, action, period))
                message = str(a["message"]) if action == "opened" else f"已解除：{a['message']}"
                new.append({**base, "action": action, "period": period, "message": message})
                counts[action] += 1
        if new:
            conn.execute(insert(_event), new)
    return counts


def pending_alert_events(bind: Bind, flag: str) -> list[AlertEvent]:
    """Transitions not yet ``emitted`` (as Prefect events) or ``notified`` (to channels)."""
    if flag not in ("emitted", "notified"):
        raise ValueError(f"unknown delivery flag {flag!r}")
    query = select(_event).where(_event.c[flag].is_(False)).order_by(_event.c.id)
    with connect(bind) as conn:
        return [_alert_event(r) for r in conn.execute(query).mappings()]


def mark_alert_events(bind: Bind, ids: Iterable[int], flag: str) -> int:
    ids = list(ids)
    if flag not in ("emitted", "notified"):
        raise ValueError(f"unknown delivery flag {flag!r}")
    if not ids:
        return 0
    with transaction(bind) as conn:
        result = conn.execute(update(_event).where(_event.c.id.in_(ids)).values({flag: True}))
        return int(result.rowcount or 0)


def read_alert_events(bind: Bind, periods: Sequence[str] | None = None) -> list[AlertEvent]:
    """Every recorded transition in order (optionally of some periods)."""
    query = select(_event).order_by(_event.c.id)
    if periods is not None:
        query = query.where(_event.c.period.in_(list(periods)))
    with connect(bind) as conn:
        return [_alert_event(r) for r in conn.execute(query).mappings()]
