"""The pipeline watched: how long after its start a scheduled run may take before the operators
are told it has not completed (from the run's cron in prefect.yaml and the settings), and the
Chinese notices they get about runs that failed, crashed or did not complete in time.
Pure functions; the automations and the flow that sends the notices are in flows/."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from jzplan.alert.channels import (
    DISABLED,
    SEND_ERRORS,
    Channel,
    Resolver,
    load_channels,
    load_operator_channels,
    send,
)
from jzplan.core.errors import OperatorError
from jzplan.core.settings import Settings
from jzplan.core.states import ChannelStatus, PipelineNotice

PRODUCT = "焦作新区目标跟踪"

# Prefect's state names as the operators read them
STATE_LABELS = {
    "Scheduled": "已计划，未开始",
    "Late": "已过计划时间仍未开始（Late）",
    "AwaitingConcurrencySlot": "排队等待（上一个月报运行尚未结束）",
    "Pending": "等待启动",
    "Running": "运行中",
    "Retrying": "重试中",
    "Paused": "已暂停",
    "Suspended": "已挂起",
    "Cancelling": "取消中",
    "Cancelled": "已取消",
    "Completed": "已完成",
    "Failed": "失败",
    "Crashed": "崩溃",
}


@dataclass(frozen=True, slots=True)
class MonthlyCron:
    """A cron that fires once a month: ``minute hour day * *``."""

    day: int
    hour: int
    minute: int


def monthly_cron(cron: str) -> MonthlyCron:
    """The day, hour and minute of a once-a-month cron; anything else is an operator error."""
    fields = cron.split()
    if len(fields) == 5 and fields[3:] == ["*", "*"] and all(f.isdigit() for f in fields[:3]):
        minute, hour, day = (int(f) for f in fields[:3])
        if 0 <= minute < 60 and 0 <= hour < 24 and 1 <= day <= 28:
            return MonthlyCron(day, hour, minute)
    raise OperatorError(
        "watch_cron_not_monthly",
        f"计划「{cron}」不是每月固定一天的计划（分 时 日 * *），无法计算应完成的时限；"
        "请检查 prefect.yaml 中 monthly-progress 的 cron",
    )


def monthly_window(cron: str, timezone: str, due_day: int, due_hour: int) -> timedelta:
    """From the monthly run's scheduled start to the time it is due, both local wall times of
    the same month in ``timezone`` (0 9 6 * * due on the 6th at 12: three hours)."""
    start = monthly_cron(cron)
    tz = ZoneInfo(timezone)
    # any month will do: the cron and the due time are both fixed days of the month
    begin = datetime(2013, 1, start.day, start.hour, start.minute, tzinfo=tz)
    due = datetime(2013, 1, due_day, due_hour, tzinfo=tz)
    if due <= begin:
        raise OperatorError(
            "watch_due_before_start",
            f"月报应完成时间（每月{due_day}日{due_hour}时）不晚于其计划开始时间（每月"
            f"{start.day}日{start.hour}时{start.minute:02d}分）；请调整 JZPLAN_MONTHLY_DUE_DAY / "
            "JZPLAN_MONTHLY_DUE_HOUR 或 prefect.yaml 中的 cron",
        )
    return due - begin


def duration_text(span: timedelta) -> str:
    """3 小时, 2 小时 30 分钟, 6 秒."""
    seconds = int(span.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} 小时" if hours else "", f"{minutes} 分钟" if minutes else ""]
    parts.append(f"{secs} 秒" if secs or not any(parts) else "")
    return " ".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class Windows:
    """How long after its start (its first Late, Pending or Running event) a run of each
    watched deployment may go without completing."""

    monthly: timedelta
    deadline_check: timedelta


def watch_windows(settings: Settings, monthly_cron_text: str) -> Windows:
    return Windows(
        monthly=monthly_window(
            monthly_cron_text,
            settings.timezone,
            settings.monthly_due_day,
            settings.monthly_due_hour,
        ),
        deadline_check=timedelta(minutes=settings.deadline_check_grace_minutes),
    )


@dataclass(frozen=True, slots=True)
class RunFacts:
    """What the automation knows of the run it fired on (its templated parameters)."""

    flow_run_name: str
    flow_name: str = ""
    deployment_name: str = ""
    state: str = ""  # the run's state name when the automation fired
    message: str = ""  # the state's message (a failure's reason)
    scheduled: str = ""  # the run's expected start, ISO 8601
    occurred: str = ""  # when the event the automation fired on happened, ISO 8601
    url: str = ""  # the run in the UI (empty without PREFECT_UI_URL on the server)


def _local(text: str, tz: ZoneInfo) -> str:
    """An ISO 8601 time as local wall time; the text itself when it is not one."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return text or "未知"
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


# Prefect's English lead-in to a failed run's exception, left out of the reason
EXCEPTION_PREFIX = "Flow run encountered an exception: "


def _state(name: str) -> str:
    return STATE_LABELS.get(name, name or "未知")


def notice_text(
    kind: PipelineNotice, facts: RunFacts, settings: Settings, now: datetime
) -> tuple[str, str]:
    """The title and Markdown body the operators get (``now``: when it is sent)."""
    tz = ZoneInfo(settings.timezone)
    run = facts.flow_run_name or "未知运行"
    where = f"部署「{facts.deployment_name}」" if facts.deployment_name else ""
    what = f"{where}（流程「{facts.flow_name}」）" if where and facts.flow_name else where
    if not what and facts.flow_name:
        what = f"流程「{facts.flow_name}」"
    link = f"查看运行：{facts.url}\n" if facts.url.startswith(("http://", "https://")) else ""
    at = now.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    if kind in (PipelineNotice.FAILED, PipelineNotice.CRASHED):
        word = "失败" if kind is PipelineNotice.FAILED else "崩溃"
        todo = (
            "查看运行日志，修复原因后在界面上重跑该运行（同一文件不会重复入库）。"
            if kind is PipelineNotice.FAILED
            else "检查工作进程（prefect worker）是否仍在运行、机器内存和磁盘是否充足，"
            "然后在界面上重跑该运行（同一文件不会重复入库）。"
        )
        body = (
            f"{what}的运行「{run}」于 {_local(facts.occurred, tz)} {word}。\n"
            f"原因：{facts.message.removeprefix(EXCEPTION_PREFIX) or '未说明'}\n{link}处理：{todo}"
        )
        return f"【运行{word}】{PRODUCT}：{run}", body
    if kind is PipelineNotice.MONTHLY_LATE:
        day, hour = settings.monthly_due_day, settings.monthly_due_hour
        due = f"每月{day}日{hour}时（{settings.timezone}）"
        body = (
            f"月报处理运行「{run}」（计划 {_local(facts.scheduled, tz)} 开始）到 {at} 仍未完成，"
            f"当前状态：{_state(facts.state)}。按计划应于{due}前完成，进度表和预警尚未发布。\n"
            f"{link}处理：未开始时检查工作进程（prefect worker --pool jzplan）是否在运行；"
            "运行中时查看日志是否卡住；失败或崩溃时按另一条通知处理后重跑。"
        )
        return f"【月报未按时完成】{PRODUCT}：{run}", body
    minutes = settings.deadline_check_grace_minutes
    body = (
        f"报送截止检查运行「{run}」（计划 {_local(facts.scheduled, tz)} 开始）{minutes} 分钟内"
        f"未完成，到 {at} 状态：{_state(facts.state)}。未报单位的预警尚未发出。\n"
        f"{link}处理：检查工作进程（prefect worker --pool jzplan）和运行日志，"
        "然后重跑该运行或手动运行 jzplan deadline --period YYYY-MM。"
    )
    return f"【截止检查未完成】{PRODUCT}：{run}", body


def notice_channels(channels_file: Path) -> list[Channel]:
    """Where the operators' notices go: the operators' channels of channels.yaml, else (none
    listed) the area's alert channels, as the 推送失败 alerts."""
    return load_operator_channels(channels_file) or load_channels(channels_file)


def send_notice(
    channels: Sequence[Channel],
    title: str,
    body: str,
    resolve: Resolver,
    http: httpx.Client,
    key: str | None = None,
) -> dict[str, str]:
    """Send one notice through every enabled channel: name → ``sent``, why it was skipped
    (``未配置 URL``), or ``failed: <error>``; one channel's failure does not stop the others."""
    results: dict[str, str] = {}
    for channel in channels:
        if not channel.enabled:
            results[channel.name] = "disabled"
            continue
        try:
            skipped = send(channel, title, body, resolve, http, key=key)
        except SEND_ERRORS as exc:
            results[channel.name] = f"failed: {exc}"
        else:
            results[channel.name] = skipped or "sent"
    return results


def notice_results_text(results: Mapping[str, str]) -> str:
    """``send_notice``'s results for the run's log, in words: wecom 已发送、email 未发送（未配置
    SMTP 服务器）、webhook 发送失败（HTTP 500）."""
    words = {"sent": ChannelStatus.SENT.label, "disabled": DISABLED,
             "failed": ChannelStatus.FAILED.label}  # fmt: skip

    def word(result: str) -> str:
        if result in words:
            return words[result]
        if result.startswith("failed: "):
            return f"{ChannelStatus.FAILED.label}（{result.removeprefix('failed: ')}）"
        # why it was skipped, in Chinese already
        return f"{ChannelStatus.SKIPPED.label}（{result}）"

    return "、".join(f"{name} {word(r)}" for name, r in results.items()) or "无"
