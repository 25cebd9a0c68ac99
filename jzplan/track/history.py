"""What target evaluation reads from the store, and the loading of status and ranking files."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from jzplan.core.periods import Period
from jzplan.core.states import StatusFileKind, StatusFileOutcome
from jzplan.core.submissions import SubmissionIssue
from jzplan.ingest.inbox import archive_received, source_path_of
from jzplan.ingest.regular_files import InboxRefusal, escape_name, read_regular
from jzplan.ingest.status_files import (
    ParsedStatusFile,
    TableCheck,
    discover_status_files,
    latest_rankings,
    latest_reports,
    parse_of_kind,
)
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store import tracking
from jzplan.store.aggregates import read_aggregates
from jzplan.store.db import Bind
from jzplan.store.observations import current_observations
from jzplan.store.progress import read_progress
from jzplan.store.status_files import record_status_file
from jzplan.track.aggregate import Fact, FactKey, collect_facts, collect_facts_by_period
from jzplan.track.comparable import comparable_base
from jzplan.track.progress import History

_FACT_COLUMNS = ("org_unit", "period", "indicator", "value")


def load_history(
    bind: Bind, period: Period, units: Collection[str] | None = None,
    catalog: Catalog | None = None,
) -> History:  # fmt: skip
    """Facts of ``period``, of the same month last year and of last December; last year's
    month-end values (and the December before) as each fact's seasonal profile; the latest
    status report per target and the latest ranking positions of the year so far.

    ``units``: only these units' facts (the plan's target scopes): a national store holds
    millions of figures no target reads. With ``catalog``, last year's figures are on the
    comparable base of ``period``'s units (``comparable_base``: splits and merges), each
    re-based figure's note in ``History.comparable``."""
    if catalog is not None and catalog.changes_over_time:
        units = None  # a merged unit's base is its predecessors' figures
    last_year = [Period(period.year - 1, m) for m in range(1, 13)]
    keys = [period, Period(period.year - 2, 12), *last_year]
    names = sorted(set(keys))
    scope = None if units is None else sorted(units)
    obs = current_observations(bind, names, org_units=scope, ordered=False, columns=_FACT_COLUMNS)
    agg = read_aggregates(bind, names, org_units=scope)

    by_period = collect_facts_by_period(obs, agg)

    def facts(p: Period) -> dict[FactKey, Fact]:
        found = by_period.get(str(p), {})
        if catalog is None or p == period:
            return dict(found)
        return comparable_base(found, catalog, p, period)

    profiles: dict[FactKey, dict[int, float]] = {}
    notes: dict[FactKey, str] = {}
    for month, p in [(0, Period(period.year - 2, 12)), *enumerate(last_year, start=1)]:
        for key, fact in facts(p).items():
            profiles.setdefault(key, {})[month] = fact.value
            if fact.note and (month in (period.month, 12) or key not in notes):
                notes[key] = fact.note  # the same month's, else December's, else any
    now = facts(period)
    for (unit, indicator), r in latest_rankings(
        tracking.read_rankings(bind, period.year), period
    ).items():
        now[(unit, indicator)] = Fact(float(r.rank))
    reports = latest_reports(tracking.read_status_reports(bind, period.year), period)
    previous: dict[str, str] = {}
    if period.month > 1:
        before = read_progress(bind, period.previous())
        previous = dict(zip(before["target_id"], before["status"], strict=True))
    return History(
        now=now,
        same_month_last_year={k: Fact(v[period.month]) for k, v in profiles.items()
                              if period.month in v},
        last_december={k: Fact(v[12]) for k, v in profiles.items() if 12 in v},
        last_year=profiles,
        reports=reports,
        previous=previous,
        comparable=notes,
    )  # fmt: skip


def month_facts(bind: Bind, period: Period) -> dict[FactKey, Fact]:
    """The stored figures of one month: each unit's own and the totals (no ranking positions,
    no history: what a contribution table reads, without the whole of ``load_history``)."""
    names = [period]
    obs = current_observations(bind, names, ordered=False, columns=_FACT_COLUMNS)
    return collect_facts(obs, read_aggregates(bind, names))


@dataclass(slots=True)
class StatusLoad:
    """What the month's status and ranking files brought: counts, located errors and each
    file's outcome (by file name)."""

    files: list[str] = field(default_factory=list)
    reports: dict[str, int] = field(default_factory=dict)
    rankings: dict[str, int] = field(default_factory=dict)
    issues: list[SubmissionIssue] = field(default_factory=list)
    outcomes: dict[str, StatusFileOutcome] = field(default_factory=dict)
    sha256: dict[str, str] = field(default_factory=dict)  # each file's, for its receipt


@dataclass(frozen=True, slots=True)
class StatusReceipt:
    """Where received status files are archived and recorded: the archive folder and the
    time of receipt (kept only on a file's first receipt)."""

    archive_dir: Path
    received_at: datetime


def load_status_submissions(
    bind: Bind, inbox_dir: Path, period: Period, *, plan: Plan, catalog: Catalog,
    check: TableCheck | None = None, receipt: StatusReceipt | None = None,
) -> StatusLoad:  # fmt: skip
    """Load ``<inbox>/<period>/重点工作进展.csv`` and ``排名.csv`` when they arrived.

    ``check``: the suites (``jzplan.validate.status_checks.StatusChecker``); without it the
    parser's own checks. With ``receipt``, each file is archived (sha256, sidecar) before it is
    parsed and recorded in ``status_file``. Rows with issues (located: file, row, column,
    code) are left out; the rest replace the month's rows, so a corrected file sent again
    takes their place. A file refused whole leaves the month's stored rows as they were.
    """
    out = StatusLoad()
    for kind, path in zip(StatusFileKind, discover_status_files(inbox_dir, period), strict=True):
        if path is None:
            continue
        try:
            data = read_regular(path)
        except InboxRefusal as refusal:  # swapped for a symlink or removed since listed
            out.issues.append(refusal.issue(escape_name(source_path_of(path))))
            continue
        archived = None
        if receipt is not None:
            _, archived = archive_received(path, data, receipt.archive_dir, "csv")
        parsed = parse_status(kind, path, period, plan, catalog, check, data)
        out.files.append(path.name)
        out.issues += parsed.issues
        out.outcomes[path.name] = parsed.outcome
        out.sha256[path.name] = hashlib.sha256(data).hexdigest()
        if parsed.outcome != StatusFileOutcome.REJECTED:
            if kind == StatusFileKind.PROGRESS:
                out.reports = tracking.write_status_reports(bind, parsed)
            else:
                out.rankings = tracking.write_rankings(bind, parsed)
        if receipt is not None and archived is not None:
            record_status_file(
                bind, parsed, arrival=period, archive_path=archived,
                source_path=source_path_of(path), received_at=receipt.received_at,
            )  # fmt: skip
    return out


def parse_status(
    kind: StatusFileKind, path: Path, period: Period, plan: Plan, catalog: Catalog,
    check: TableCheck | None, data: bytes,
) -> ParsedStatusFile:  # fmt: skip
    """A status file's ``data`` (read from ``path``) parsed as the month's load parses it,
    its rules those of ``check``, with the store's text lengths."""
    lengths = tracking.lengths_of(kind)
    return parse_of_kind(kind, path, period, plan, catalog, lengths=lengths, check=check, data=data)
