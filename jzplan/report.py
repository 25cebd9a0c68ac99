"""The monthly progress report (进度表) in Markdown, in the units the plan states its targets."""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from jzplan.catalog import Catalog, convert
from jzplan.periods import Period
from jzplan.plan import Plan, Target
from jzplan.progress import STATUS_LABELS

GROUP_ORDER = ("主要预期目标", "十个方面", "十大创新提升计划", "市政府工作报告要求", "乡镇街道目标")


def _number(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value - round(value)) < 1e-9:
        return f"{value:.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _display_unit(target: Target, catalog: Catalog) -> str | None:
    if target.indicator is None:
        return None
    if target.kind == "growth" or (target.unit in (None, "%") and target.kind != "ratio"):
        return catalog.indicator(target.indicator).unit
    return target.unit


def _fmt(value: object, canonical: object, unit: str | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    v = float(value)  # type: ignore[arg-type]
    if unit and isinstance(canonical, str) and canonical and canonical != unit:
        v = convert(v, canonical, unit)
    return f"{_number(v)}{unit or ''}"


def _target_text(t: Target) -> str:
    if t.kind == "growth":
        return f"增长{_number(t.value or 0)}%"
    if t.kind in ("milestone", "qualitative"):
        return f"{t.deadline.isoformat()}前" if t.deadline and t.kind == "milestone" else "定性"
    sign = {"<=": "≤", ">=": "≥"}[t.comparison]
    if t.kind == "ranking":
        return f"前{_number(t.value or 0)}名"
    return f"{sign}{_number(t.value or 0)}{t.unit or ''}"


def progress_table(
    plan: Plan, catalog: Catalog, progress: pd.DataFrame, groups: Iterable[str] = GROUP_ORDER
) -> str:
    """One Markdown table per target group, every target of the plan in plan order."""
    by_id = {str(r["target_id"]): r for r in progress.to_dict("records")}
    out: list[str] = []
    for group in groups:
        targets = [t for t in plan.targets if t.group == group]
        if not targets:
            continue
        out += [
            f"### {group}",
            "",
            "| 编号 | 目标 | 范围 | 目标值 | 累计完成 | 进度要求 | 完成率 | 状态 | 说明 |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for t in targets:
            row = by_id.get(t.id, {})
            unit = _display_unit(t, catalog)
            canonical = row.get("unit")
            actual = _fmt(row.get("actual"), canonical, unit)
            if row.get("provisional"):
                actual += "（暂）"
            pct = row.get("completion_pct")
            pct_text = "—" if pct is None or pd.isna(pct) else f"{float(pct):.1f}%"
            status = STATUS_LABELS.get(str(row.get("status")), "—")
            raw_note = row.get("note")
            note = "" if raw_note is None or pd.isna(raw_note) else str(raw_note).replace("|", "/")
            out.append(
                f"| {t.id} | {t.label} | {catalog.unit(t.scope).name} | {_target_text(t)} "
                f"| {actual} | {_fmt(row.get('expected'), canonical, unit)} | {pct_text} "
                f"| {status} | {note} |"
            )
        out.append("")
    return "\n".join(out)


def status_counts(progress: pd.DataFrame) -> dict[str, int]:
    counts = progress["status"].value_counts()
    return {STATUS_LABELS[str(k)]: int(v) for k, v in counts.items()}


def monthly_report(
    plan: Plan,
    catalog: Catalog,
    period: Period,
    progress: pd.DataFrame,
    missing_units: list[str],
    open_alerts: pd.DataFrame,
) -> str:
    """The whole report of a month: summary, alerts, then the progress tables."""
    counts = status_counts(progress)
    summary = "，".join(f"{k} {v} 项" for k, v in counts.items())
    missing = "、".join(catalog.unit(u).name for u in missing_units) or "无"
    lines = [
        f"# 焦作新区 {plan.year} 年目标进度（{period.label}）",
        "",
        f"- 时间进度：{period.year_fraction * 100:.1f}%（线性，时间过半、任务过半）",
        f"- 目标 {len(progress)} 项：{summary}",
        f"- 未按期报送：{missing}",
        f"- 未解除预警：{len(open_alerts)} 条",
        "",
    ]
    if len(open_alerts):
        lines += ["## 预警", ""]
        lines += [
            f"- {m}（自 {f} 起）"
            for m, f in open_alerts[["message", "first_seen"]].itertuples(index=False)
        ]
        lines.append("")
    lines += ["## 目标进度", "", progress_table(plan, catalog, progress)]
    return "\n".join(lines)
