"""What a run's log says of its deliveries: one Chinese line each, offices by name, statuses in
words (ChannelStatus.label), never a dict as Python writes it."""

from __future__ import annotations

import logging

from jzplan.alert.delivery import ChannelResult, DeliveryRun
from jzplan.alert.office_delivery import OfficeResult
from jzplan.core.states import ChannelStatus, MessageKind, MessageStatus
from jzplan.reference.catalog import Catalog
from tasks.notify import channel_line, delivery_line
from tasks.office import office_line, office_notes


def test_a_channel_says_its_status_in_words_and_why() -> None:
    skipped = ChannelResult("wecom", ChannelStatus.SKIPPED, detail="未配置 URL")
    assert channel_line(skipped) == "通知渠道 wecom：未发送（0 条），未配置 URL"
    sent = ChannelResult("dingtalk", ChannelStatus.SENT, 3)
    assert channel_line(sent) == "通知渠道 dingtalk：已发送（3 条）"
    assert all(s.label for s in ChannelStatus)


def test_a_delivery_is_one_line_with_what_it_still_owes() -> None:
    run = DeliveryRun(
        recorded={"opened": 4, "resolved": 6}, emitted=10, notified=7,
        results=[ChannelResult("webhook", ChannelStatus.FAILED, 3, "HTTP 500")],
        pending={"webhook": 3},
    )  # fmt: skip
    assert delivery_line(run) == (
        "告警推送：新增 4 条，解除 6 条；事件 10 个，通知 7 条；待补发 3 条"
    )
    quiet = DeliveryRun(recorded={}, emitted=0, notified=0, results=[], busy=True)
    assert delivery_line(quiet) == (
        "告警推送：新增 0 条，解除 0 条；事件 0 个，通知 0 条（另一次推送进行中）"
    )


def test_office_messages_name_the_offices(catalog: Catalog) -> None:
    summary = {"sent": 5, "skipped": ["NGZ", "WCJ"], "pending": ["SJZ"]}
    assert office_line(MessageKind.RECEIPT, summary, catalog) == (
        "回执推送：已送达 5 条；未配置渠道 宁郭镇、文昌街道；待重试 苏家作乡"
    )
    assert office_line(
        MessageKind.REMINDER, {"sent": 0, "skipped": [], "pending": []}, catalog
    ) == ("催报推送：已送达 0 条")


def test_an_office_with_no_channel_is_reported_not_warned(catalog: Catalog) -> None:
    """The shipped channels.yaml configures no office's URL: every run of a new install
    skips each office's receipt. That is not an error, so not a warning (make demo's console
    shows warnings: it showed seven a month); a failed send is."""
    results = [
        OfficeResult("r1", "NGZ", MessageStatus.SKIPPED, detail="NGZ-wecom: 未配置 URL"),
        OfficeResult("r2", "WCJ", None, detail="WCJ-email: SMTP 连接失败"),
        OfficeResult("r3", "SJZ", None, detail="退避中", deferred=True),
        OfficeResult("r4", "YMZ", MessageStatus.SENT, sent_by=("YMZ-wecom",)),
    ]
    assert office_notes(MessageKind.RECEIPT, results, catalog) == [
        (logging.INFO, "回执 未送达 宁郭镇：本单位未配置可用的渠道（NGZ-wecom: 未配置 URL）"),
        (
            logging.WARNING,
            "回执 发送失败 文昌街道：WCJ-email: SMTP 连接失败（留待 deliver-pending 重试）",
        ),
        (logging.INFO, "回执 暂缓 苏家作乡：退避中"),
    ]
