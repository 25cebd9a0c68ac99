"""A located issue's text is inert: what it quotes from a sender's file is shown escaped."""

from __future__ import annotations

from jzplan.core.submissions import SubmissionIssue


def test_control_characters_in_an_issue_are_shown_escaped() -> None:
    issue = SubmissionIssue(
        "not_a_number",
        "内容“4.3\x005”不是数字\n[INFO] 全部接收",
        file="阳庙镇\u202excod.xlsx",
        sheet="月报\r",
    )
    assert issue.message == "内容“4.3\\x005”不是数字\\x0a[INFO] 全部接收"
    assert issue.file == "阳庙镇\\u202excod.xlsx"
    assert issue.sheet == "月报\\x0d"
    assert "\n" not in str(issue) and "\x00" not in str(issue)


def test_plain_text_is_kept_as_written() -> None:
    text = "指标“地区生产总值”的内容“约1300”不是数字（只能填数字或“—”）　全角空格"
    assert SubmissionIssue("not_a_number", text, file="宁郭镇.xlsx").message == text
