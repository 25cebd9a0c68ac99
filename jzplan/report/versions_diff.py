"""What changed between two versions of a month (较上一版变化): figures changed, added or
removed, target statuses changed, alerts opened, closed or reworded — exactly those, from two
``MonthSnapshot``s; and the change section's rows as the HTML, Markdown and workbook show them."""

from __future__ import annotations

from dataclasses import dataclass

from jzplan.alert.messages import severity_label
from jzplan.core.markup import md_escape
from jzplan.report.snapshot import AlertEntry, FigureValue, MonthSnapshot, TargetState

CHANGES_TITLE = "较上一版变化"
NO_CHANGES = "与上一版相比无变化"
CHANGE_COLUMNS = ("类别", "单位", "项目", "上一版", "本版", "变化", "计量单位")


@dataclass(frozen=True, slots=True)
class FigureChange:
    """A figure in both versions whose value (or provisional mark) differs."""

    old: FigureValue
    new: FigureValue

    @property
    def difference(self) -> float | None:
        if self.old.value is None or self.new.value is None:
            return None
        return float(f"{self.new.value - self.old.value:.12g}")


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A target whose status differs: 由 ``old.status_label`` 转为 ``new.status_label``."""

    old: TargetState
    new: TargetState


@dataclass(frozen=True, slots=True)
class AlertChange:
    """An alert open in both versions whose message differs."""

    old: AlertEntry
    new: AlertEntry


@dataclass(frozen=True, slots=True)
class MonthChanges:
    figures_changed: tuple[FigureChange, ...] = ()
    figures_added: tuple[FigureValue, ...] = ()
    figures_removed: tuple[FigureValue, ...] = ()
    statuses_changed: tuple[StatusChange, ...] = ()
    alerts_opened: tuple[AlertEntry, ...] = ()
    alerts_closed: tuple[AlertEntry, ...] = ()
    alerts_reworded: tuple[AlertChange, ...] = ()

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.figures_changed, self.figures_added, self.figures_removed,
                self.statuses_changed, self.alerts_opened, self.alerts_closed,
                self.alerts_reworded,
            )
        )  # fmt: skip


def month_changes(previous: MonthSnapshot, current: MonthSnapshot) -> MonthChanges:
    """What ``current`` shows differently from ``previous``, in ``current``'s order (removed
    and closed things in ``previous``'s). Version metadata is not compared."""
    old_figures = {f.key: f for f in previous.figures}
    new_figures = {f.key: f for f in current.figures}
    old_targets = {t.target_id: t for t in previous.targets}
    old_alerts = {a.dedup_key: a for a in previous.alerts}
    new_alerts = {a.dedup_key: a for a in current.alerts}
    return MonthChanges(
        figures_changed=tuple(
            FigureChange(old_figures[f.key], f)
            for f in current.figures
            if f.key in old_figures
            and (old_figures[f.key].value, old_figures[f.key].provisional)
            != (f.value, f.provisional)
        ),
        figures_added=tuple(f for f in current.figures if f.key not in old_figures),
        figures_removed=tuple(f for f in previous.figures if f.key not in new_figures),
        statuses_changed=tuple(
            StatusChange(old_targets[t.target_id], t)
            for t in current.targets
            if t.target_id in old_targets and old_targets[t.target_id].status != t.status
        ),
        alerts_opened=tuple(a for a in current.alerts if a.dedup_key not in old_alerts),
        alerts_closed=tuple(a for a in previous.alerts if a.dedup_key not in new_alerts),
        alerts_reworded=tuple(
            AlertChange(old_alerts[a.dedup_key], a)
            for a in current.alerts
            if a.dedup_key in old_alerts and old_alerts[a.dedup_key].message != a.message
        ),
    )


def exact(value: float | None, *, signed: bool = False) -> str:
    """A figure with the precision it was reported in (up to 6 decimals): a change section
    must not round a change away."""
    if value is None:
        return "—"
    text = f"{value:+,.6f}" if signed else f"{value:,.6f}"
    text = text.rstrip("0").rstrip(".")
    return "0" if text in ("+0", "-0") else text


def _figure_text(f: FigureValue) -> str:
    return exact(f.value) + ("（暂）" if f.provisional else "")


@dataclass(frozen=True, slots=True)
class ChangeRow:
    """One line of the change section, its cells as text (``CHANGE_COLUMNS``)."""

    category: str
    unit: str
    subject: str
    before: str
    after: str
    difference: str
    measure: str

    def cells(self) -> tuple[str, ...]:
        return (
            self.category, self.unit, self.subject, self.before, self.after, self.difference,
            self.measure,
        )  # fmt: skip


def _target_subject(t: TargetState) -> str:
    return f"{t.target_id} {t.label}"


def _figure_row(category: str, f: FigureValue, before: str, after: str, change: str) -> ChangeRow:
    return ChangeRow(category, f.org_unit_name, f.indicator_name, before, after, change, f.unit)


def _alert_row(category: str, a: AlertEntry, subject: str, before: str, after: str) -> ChangeRow:
    return ChangeRow(category, a.org_unit_name, subject, before, after, "", "")


def change_rows(changes: MonthChanges) -> list[ChangeRow]:
    """The change section's rows: figures, then statuses, then alerts."""
    rows: list[ChangeRow] = []
    for c in changes.figures_changed:
        old, new = _figure_text(c.old), _figure_text(c.new)
        rows.append(_figure_row("数据变化", c.new, old, new, exact(c.difference, signed=True)))
    rows += [_figure_row("新增数据", f, "—", _figure_text(f), "") for f in changes.figures_added]
    rows += [_figure_row("删除数据", f, _figure_text(f), "—", "") for f in changes.figures_removed]
    for s in changes.statuses_changed:
        before, after = s.old.status_label, s.new.status_label
        turn = f"由{before}转为{after}"
        subject = _target_subject(s.new)
        rows.append(ChangeRow("状态变化", s.new.scope_name, subject, before, after, turn, ""))
    for a in changes.alerts_opened:
        rows.append(_alert_row("新增预警", a, a.message, "—", severity_label(a.severity)))
    for a in changes.alerts_closed:
        rows.append(_alert_row("解除预警", a, a.message, severity_label(a.severity), "—"))
    for r in changes.alerts_reworded:
        level = severity_label(r.new.severity)
        rows.append(_alert_row("预警内容变化", r.new, level, r.old.message, r.new.message))
    return rows


def changes_markdown(changes: MonthChanges) -> str:
    """The change section in Markdown (every cell escaped: a message may quote a cell)."""
    lines = [f"## {CHANGES_TITLE}", ""]
    if changes.empty:
        return "\n".join([*lines, NO_CHANGES])
    lines += ["| " + " | ".join(CHANGE_COLUMNS) + " |", "|" + "---|" * len(CHANGE_COLUMNS)]
    for row in change_rows(changes):
        lines.append("| " + " | ".join(md_escape(c) for c in row.cells()) + " |")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class VersionHeader:
    """What a released version's report opens with: 正式（第N版，张三 于 … 发布）, the release
    note, and from version 2 on the change section's rows (an empty list: no change)."""

    heading: str
    note: str
    changes: list[ChangeRow] | None
