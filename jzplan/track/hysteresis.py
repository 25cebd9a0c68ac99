"""The status deadband: a target leaves 滞后/预警 for a better status only when it clears the
boundary by a margin (``Thresholds.hysteresis``), so noise does not flap its status; and the
short reason shown when the margin holds a status (issue 20)."""

from __future__ import annotations

from jzplan.core.states import TargetStatus

_RANK: dict[str, int] = {TargetStatus.ON_TRACK: 0, TargetStatus.AT_RISK: 1, TargetStatus.BEHIND: 2}


def sticky(raw: TargetStatus, shifted: TargetStatus, previous: str | None) -> TargetStatus:
    """From a worse previous status, improve only as far as the shifted evaluation (the
    target's progress moved against it by the deadband) allows: never worse than ``raw``,
    never better than ``raw``."""
    if previous not in _RANK or raw not in _RANK or _RANK[previous] <= _RANK[raw]:
        return raw
    held = min(_RANK[previous], _RANK.get(shifted, 0))  # shifted "achieved" counts as 0
    return (
        raw if held <= _RANK[raw] else TargetStatus(next(k for k, v in _RANK.items() if v == held))
    )


def in_deadband(status: TargetStatus) -> bool:
    """A status the deadband applies to (正常, 预警, 滞后)."""
    return status in _RANK


def boundary(raw: TargetStatus, pace: str) -> str:
    """The line a target held below ``raw`` must clear: ``pace`` (进度, 目标增速) for 正常,
    the 预警 line below it for 预警."""
    return pace if raw == TargetStatus.ON_TRACK else "预警界线"


# how a held status's reason starts (``held_note``): the briefing finds it in a progress note
HELD_PREFIXES = ("状态维持", "状态暂为")


def held_note(
    status: TargetStatus, raw: TargetStatus, previous: str | None, condition: str
) -> str | None:
    """Why a status is worse than its figures alone would give (``raw``): 状态维持预警：增速需
    高出目标增速1个百分点才改为正常; None when the deadband did not hold it. ``condition``:
    what the target must do, e.g. 累计需高出进度3%."""
    if status == raw or previous is None:
        return None
    before = TargetStatus(previous)
    head = (
        f"状态维持{status.label}"
        if status == before
        else f"状态暂为{status.label}（上月{before.label}）"
    )
    return f"{head}：{condition}才改为{raw.label}"
