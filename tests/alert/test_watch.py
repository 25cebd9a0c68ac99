"""The pipeline watched, without Prefect: the windows worked from a cron and the due time, the
operators' notices in Chinese, and sending one through several channels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from jzplan.alert.channels import Channel, SecretRef, env_resolver
from jzplan.alert.watch import (
    RunFacts,
    duration_text,
    monthly_cron,
    monthly_window,
    notice_channels,
    notice_results_text,
    notice_text,
    send_notice,
)
from jzplan.core.errors import OperatorError
from jzplan.core.settings import Settings
from jzplan.core.states import PipelineNotice
from tests.alert.receivers import http_receiver

SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]
NOON_6TH_UTC = datetime(2013, 7, 6, 4, 0, 20, tzinfo=UTC)  # 12:00:20 in Shanghai


@pytest.mark.parametrize(
    ("cron", "due_day", "due_hour", "window"),
    [
        ("0 9 6 * *", 6, 12, timedelta(hours=3)),  # the shipped cron and due time
        ("0 9 6 * *", 6, 15, timedelta(hours=6)),
        ("30 9 6 * *", 6, 12, timedelta(hours=2, minutes=30)),
        ("0 9 6 * *", 7, 9, timedelta(days=1)),
        ("0 17 5 * *", 6, 12, timedelta(hours=19)),
    ],
)
def test_the_monthly_window_runs_from_the_cron_to_the_due_time(
    cron: str, due_day: int, due_hour: int, window: timedelta
) -> None:
    assert monthly_window(cron, "Asia/Shanghai", due_day, due_hour) == window


@pytest.mark.parametrize(
    ("cron", "due_day", "due_hour", "code"),
    [
        ("0 9 6 * *", 6, 9, "watch_due_before_start"),
        ("0 9 6 * *", 5, 12, "watch_due_before_start"),
        ("*/15 * * * *", 6, 12, "watch_cron_not_monthly"),
        ("0 9 6 1 *", 6, 12, "watch_cron_not_monthly"),
        ("0 9 31 * *", 6, 12, "watch_cron_not_monthly"),
    ],
)
def test_a_window_that_cannot_be_worked_out_is_an_operator_error(
    cron: str, due_day: int, due_hour: int, code: str
) -> None:
    with pytest.raises(OperatorError) as caught:
        monthly_window(cron, "Asia/Shanghai", due_day, due_hour)
    assert caught.value.code == code


def test_monthly_cron_fields() -> None:
    cron = monthly_cron("5 17 5 * *")
    assert (cron.day, cron.hour, cron.minute) == (5, 17, 5)


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(hours=3), "3 小时"),
        (timedelta(hours=2, minutes=30), "2 小时 30 分钟"),
        (timedelta(seconds=10), "10 秒"),
        (timedelta(0), "0 秒"),
    ],
)
def test_duration_text(span: timedelta, text: str) -> None:
    assert duration_text(span) == text


FACTS = RunFacts(
    flow_run_name="monthly-2013-06",
    flow_name="monthly-progress",
    deployment_name="monthly-progress",
    state="Late",
    message="Flow run encountered an exception: OperationalError: connection refused",
    scheduled="2013-07-06T01:00:00+00:00",
    occurred="2013-07-06 01:12:00.5+00:00",
    url="http://ops:4200/runs/flow-run/abc",
)


def test_a_failure_notice_says_what_when_why_and_what_to_do() -> None:
    title, body = notice_text(PipelineNotice.FAILED, FACTS, SETTINGS, NOON_6TH_UTC)
    assert title == "【运行失败】焦作新区目标跟踪：monthly-2013-06"
    assert body == (
        "部署「monthly-progress」（流程「monthly-progress」）的运行「monthly-2013-06」于 "
        "2013-07-06 09:12 失败。\n"
        "原因：OperationalError: connection refused\n"
        "查看运行：http://ops:4200/runs/flow-run/abc\n"
        "处理：查看运行日志，修复原因后在界面上重跑该运行（同一文件不会重复入库）。"
    )


def test_a_crash_notice_points_at_the_worker_and_a_run_without_link_has_none() -> None:
    facts = RunFacts("deliver-2013-07-06-0915", flow_name="deliver-pending", url="",
                     occurred="not a time")  # fmt: skip
    title, body = notice_text(PipelineNotice.CRASHED, facts, SETTINGS, NOON_6TH_UTC)
    assert title == "【运行崩溃】焦作新区目标跟踪：deliver-2013-07-06-0915"
    assert body.startswith(
        "流程「deliver-pending」的运行「deliver-2013-07-06-0915」于 not a time 崩溃"
    )
    assert "原因：未说明" in body and "查看运行" not in body
    assert "检查工作进程（prefect worker）是否仍在运行" in body


def test_the_late_notices_give_the_due_time_and_the_state_in_chinese() -> None:
    title, body = notice_text(PipelineNotice.MONTHLY_LATE, FACTS, SETTINGS, NOON_6TH_UTC)
    assert title == "【月报未按时完成】焦作新区目标跟踪：monthly-2013-06"
    assert body.startswith(
        "月报处理运行「monthly-2013-06」（计划 2013-07-06 09:00 开始）"
        "到 2013-07-06 12:00 仍未完成，"
        "当前状态：已过计划时间仍未开始（Late）。按计划应于每月6日12时（Asia/Shanghai）前完成"
    )
    later = Settings(_env_file=None, monthly_due_hour=15)  # type: ignore[call-arg]
    assert "每月6日15时" in notice_text(PipelineNotice.MONTHLY_LATE, FACTS, later, NOON_6TH_UTC)[1]
    facts = RunFacts("deadline-2013-06", state="Running", scheduled="2013-07-05T09:00:00+00:00")
    title, body = notice_text(PipelineNotice.DEADLINE_CHECK_LATE, facts, SETTINGS, NOON_6TH_UTC)
    assert title == "【截止检查未完成】焦作新区目标跟踪：deadline-2013-06"
    assert body.startswith(
        "报送截止检查运行「deadline-2013-06」（计划 2013-07-05 17:00 开始）120 分钟内未完成，"
        "到 2013-07-06 12:00 状态：运行中。未报单位的预警尚未发出。"
    )


def test_a_notice_goes_through_every_operators_channel_one_failure_not_stopping_the_rest(
    tmp_path: Path,
) -> None:
    with http_receiver() as good, http_receiver() as bad:
        bad.status = 500
        env = {"A": f"{good.url}/a", "B": f"{bad.url}/b", "W": f"{good.url}/wecom"}
        channels = [
            Channel(name="broken", type="webhook", url=SecretRef(env="B")),
            Channel(name="ops", type="webhook", url=SecretRef(env="A")),
            Channel(name="ops-wecom", type="wecom", url=SecretRef(env="W")),
            Channel(name="unset", type="dingtalk", url=SecretRef(env="NOT_SET")),
            Channel(name="off", type="webhook", url=SecretRef(env="A"), enabled=False),
        ]
        with httpx.Client() as http:
            results = send_notice(channels, "【运行失败】x", "正文", env_resolver(env), http,
                                  key="k1")  # fmt: skip
    assert results == {"broken": "failed: broken: HTTP 500", "ops": "sent", "ops-wecom": "sent",
                       "unset": "未配置 URL", "off": "disabled"}  # fmt: skip
    # the run's log says it in words (flows/notify.py)
    assert notice_results_text(results) == (
        "broken 发送失败（broken: HTTP 500）、ops 已发送、ops-wecom 已发送、"
        "unset 未发送（未配置 URL）、off 已停用"
    )
    by_path = {r.path: r for r in good.requests}
    assert by_path["/a"].body["title"] == "【运行失败】x"
    assert by_path["/a"].headers["idempotency-key"] == "k1"
    assert by_path["/wecom"].body == {"msgtype": "markdown", "markdown": {"content": "正文"}}

    # the operators' channels, else the area's (as the 推送失败 alerts)
    file = tmp_path / "channels.yaml"
    file.write_text("channels:\n  - {name: area, type: webhook}\n", encoding="utf-8")
    assert [c.name for c in notice_channels(file)] == ["area"]
    file.write_text(
        "channels:\n  - {name: area, type: webhook}\noperators:\n  - {name: ops, type: wecom}\n",
        encoding="utf-8",
    )
    assert [c.name for c in notice_channels(file)] == ["ops"]
