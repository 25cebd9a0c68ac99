"""What an alert message says about a target, read once per delivery from the store: the
figures of the alert's period (actual, completion, the pace that set the status) in the unit
the plan states the target in, the status of the month before, and the org units' names."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from jzplan.core.periods import Period
from jzplan.core.settings import Settings
from jzplan.core.states import TargetStatus
from jzplan.reference.display import display_unit_of, in_display_unit, present
from jzplan.store.db import Bind
from jzplan.store.month_states import MonthStanding, read_months
from jzplan.store.progress import read_progress
from jzplan.store.reference import TargetMeasure, read_target_measures, read_unit_names
from jzplan.store.rows import frame_dicts
from jzplan.store.tracking import AlertEvent

# pace_model (jzplan.track.progress) → which stored expected-to-date set the status, and its name
PACES: dict[str, tuple[str, str]] = {
    "linear": ("expected", "时间进度"),
    "seasonal": ("expected_seasonal", "季节进度"),
    "yoy": ("expected_seasonal", "目标增速"),  # growth: same period last year grown at target
}


@dataclass(frozen=True, slots=True)
class TargetFacts:
    """One target at the end of one period, values in ``unit`` (the plan's unit)."""

    scope: str  # the org unit's name
    label: str
    kind: str
    comparison: str  # ">=" or "<=" (a ceiling)
    unit: str | None
    goal: float | None  # the plan's value: a level in ``unit``, a growth in percent
    target_value: float | None  # the annual target level in ``unit``
    actual: float | None
    pace: float | None  # the expected-to-date that set the status, in ``unit``
    pace_name: str | None  # 时间进度 | 季节进度 | 目标增速
    completion_pct: float | None
    growth_pct: float | None  # growth targets: growth on the same period last year
    status: TargetStatus | None
    previous: TargetStatus | None  # the month before
    note: str | None

    @property
    def pace_pct(self) -> float | None:
        """The pace as a share of the annual target (%)."""
        if self.pace is None or not self.target_value:
            return None
        return self.pace / self.target_value * 100


@dataclass(frozen=True, slots=True)
class MessageFacts:
    """Everything a digest needs beyond the transitions themselves."""

    targets: Mapping[tuple[str, str], TargetFacts] = field(default_factory=dict)
    unit_names: Mapping[str, str] = field(default_factory=dict)
    report_base_url: str | None = None
    # each period's figures: 正式（第N版，…发布） once released, else 暂（待审核）/暂（采集中）
    figures: Mapping[str, str] = field(default_factory=dict)

    def target(self, target_id: str | None, period: str) -> TargetFacts | None:
        return self.targets.get((target_id, period)) if target_id else None


def _float(value: Any) -> float | None:
    return float(value) if present(value) and math.isfinite(float(value)) else None


def _status(value: Any) -> TargetStatus | None:
    try:
        return TargetStatus(str(value)) if present(value) else None
    except ValueError:
        return None


def target_facts(
    m: TargetMeasure,
    row: Mapping[Any, Any],
    previous: TargetStatus | None,
    scope_name: str,
) -> TargetFacts:
    """A stored progress row of ``m`` as a message shows it."""
    unit = display_unit_of(m.kind, m.unit, m.indicator_unit)
    canonical = row.get("unit") if present(row.get("unit")) else m.indicator_unit

    def shown(column: str) -> float | None:
        return in_display_unit(_float(row.get(column)), canonical, unit)

    model = str(row.get("pace_model") or "")
    column, pace_name = PACES.get(model, (None, None))
    pace = shown(column) if column else None
    actual = shown("actual")
    growth = None
    if m.kind == "growth" and m.value is not None and actual is not None and pace:
        last = pace / (1 + m.value / 100)  # the same period last year
        growth = (actual / last - 1) * 100 if last else None
    goal = m.value if m.kind == "growth" else shown("target_value")
    note = row.get("note")
    return TargetFacts(
        scope=scope_name,
        label=m.label,
        kind=m.kind,
        comparison=m.comparison,
        unit=unit,
        goal=goal,
        target_value=shown("target_value"),
        actual=actual,
        pace=pace if pace_name else None,
        pace_name=pace_name if pace is not None else None,
        completion_pct=_float(row.get("completion_pct")),
        growth_pct=growth,
        status=_status(row.get("status")),
        previous=previous,
        note=str(note) if present(note) and note else None,
    )


def message_facts(
    bind: Bind, events: Iterable[AlertEvent], settings: Settings | None = None
) -> MessageFacts:
    """The facts of a batch of transitions: each target's stored progress in the event's period
    (one read per period), and where the month's report is served (``settings``, read from the
    environment when not given). A target with no stored row gets no facts."""
    events = list(events)
    wanted = {(e.target_id, e.period) for e in events if e.target_id}
    measures = read_target_measures(bind, (t for t, _ in wanted))
    names = read_unit_names(
        bind, [*(e.org_unit for e in events if e.org_unit), *(m.scope for m in measures.values())]
    )
    targets: dict[tuple[str, str], TargetFacts] = {}
    frames: dict[Period, pd.DataFrame] = {}  # a month and the next one both read it

    def progress(period: Period) -> pd.DataFrame:
        if period not in frames:
            frames[period] = read_progress(bind, period)
        return frames[period]

    for period in _periods(p for _, p in wanted):
        period_text = str(period)
        rows = {str(r["target_id"]): r for r in frame_dicts(progress(period))}
        before = progress(period.previous())
        pairs = zip(before["target_id"], before["status"], strict=True)
        previous = {str(t): _status(s) for t, s in pairs}
        for target_id, p in wanted:
            m = measures.get(target_id)
            if p != period_text or m is None or target_id not in rows:
                continue
            targets[(target_id, p)] = target_facts(
                m, rows[target_id], previous.get(target_id), names.get(m.scope, m.scope)
            )
    settings = settings or Settings()
    periods = _periods(e.period for e in events)
    months = read_months(bind, periods)
    figures = {  # a month with no row yet: 暂（采集中）
        str(p): months.get(p, MonthStanding(p)).figures_text(settings.timezone) for p in periods
    }
    return MessageFacts(targets, names, settings.report_base_url, figures)


def _periods(texts: Iterable[str]) -> list[Period]:
    """The distinct months of ``texts`` in order; a text that is not a month is left out."""
    out = []
    for text in sorted(set(texts)):
        try:
            out.append(Period.parse(text))
        except ValueError:
            continue
    return out
