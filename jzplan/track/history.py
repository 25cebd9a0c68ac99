"""What target evaluation reads from the store, and the loading of status and ranking files."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from jzplan.core.periods import Period
from jzplan.core.submissions import SubmissionIssue
from jzplan.ingest.status_files import (
    discover_status_files,
    latest_rankings,
    latest_reports,
    parse_ranking_file,
    parse_status_file,
)
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store import tracking
from jzplan.store.aggregates import read_aggregates
from jzplan.store.db import Bind
from jzplan.store.observations import current_observations
from jzplan.store.progress import read_progress
from jzplan.track.aggregate import Fact, FactKey, collect_facts, collect_facts_by_period
from jzplan.track.progress import History

_FACT_COLUMNS = ("org_unit", "period", "indicator", "value")


def load_history(bind: Bind, period: Period, units: Collection[str] | None = None) -> History:
    """Facts of ``period``, of the same month last year and of last December; last year's
    month-end values (and the December before) as each fact's seasonal profile; the latest
    status report per target and the latest ranking positions of the year so far.

    ``units``: only these units' facts (the plan's target scopes): a national store holds
    millions of figures no target reads."""
    last_year = [Period(period.year - 1, m) for m in range(1, 13)]
    keys = [period, Period(period.year - 2, 12), *last_year]
    names = sorted(set(keys))
    scope = None if units is None else sorted(units)
    obs = current_observations(bind, names, org_units=scope, ordered=False, columns=_FACT_COLUMNS)
    agg = read_aggregates(bind, names, org_units=scope)

    by_period = collect_facts_by_period(obs, agg)

    def facts(p: Period) -> dict[FactKey, Fact]:
        return dict(by_period.get(str(p), {}))

    profiles: dict[FactKey, dict[int, float]] = {}
    for month, p in [(0, Period(period.year - 2, 12)), *enumerate(last_year, start=1)]:
        for key, fact in facts(p).items():
            profiles.setdefault(key, {})[month] = fact.value
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
    )  # fmt: skip


def month_facts(bind: Bind, period: Period) -> dict[FactKey, Fact]:
    """The stored figures of one month: each unit's own and the totals (no ranking positions,
    no history: what a contribution table reads, without the whole of ``load_history``)."""
    names = [period]
    obs = current_observations(bind, names, ordered=False, columns=_FACT_COLUMNS)
    return collect_facts(obs, read_aggregates(bind, names))


@dataclass(slots=True)
class StatusLoad:
    """What the month's status and ranking files brought: counts and located errors."""

    files: list[str] = field(default_factory=list)
    reports: dict[str, int] = field(default_factory=dict)
    rankings: dict[str, int] = field(default_factory=dict)
    issues: list[SubmissionIssue] = field(default_factory=list)


def load_status_submissions(
    bind: Bind, inbox_dir: Path, period: Period, *, plan: Plan, catalog: Catalog
) -> StatusLoad:
    """Load ``<inbox>/<period>/重点工作进展.csv`` and ``排名.csv`` when they arrived.

    Rows with issues (located: file, row, column, code) are left out; the rest replace the month's
    reports, so a corrected file sent again simply takes their place.
    """
    out = StatusLoad()
    status_path, ranking_path = discover_status_files(inbox_dir, period)
    if status_path is not None:
        lengths = tracking.status_report_lengths()
        parsed = parse_status_file(status_path, period, plan, lengths=lengths)
        out.files.append(status_path.name)
        out.issues += parsed.issues
        out.reports = tracking.write_status_reports(bind, parsed)
    if ranking_path is not None:
        lengths = tracking.ranking_lengths()
        parsed = parse_ranking_file(ranking_path, period, catalog, lengths=lengths)
        out.files.append(ranking_path.name)
        out.issues += parsed.issues
        out.rankings = tracking.write_rankings(bind, parsed)
    return out
