"""Markdown escaping of senders' text, checked by rendering it with a real Markdown parser."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from jzplan.core.markup import md_escape
from tests.hostile_text import HOSTILE, assert_inert_html, table_columns


def _render(text: str) -> str:
    md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    return md.render(text)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_one_inert_line(text: str) -> None:
    escaped = md_escape(text)
    assert "\n" not in escaped and "\r" not in escaped
    assert "<script" not in escaped and "<!--" not in escaped
    assert_inert_html(_render(f"- {escaped}"))


@pytest.mark.parametrize("text", HOSTILE)
def test_a_table_keeps_its_columns(text: str) -> None:
    row = f"| {md_escape(text)} | 二 | {md_escape(text)} |"
    assert table_columns(row) == 3
    html = _render(f"| 一 | 二 | 三 |\n|---|---|---|\n{row}\n")
    assert html.count("<td>") == 3 and html.count("<tr>") == 2
    assert_inert_html(html)


def test_control_characters_are_shown_not_kept() -> None:
    assert md_escape("铃\x07尾") == "铃\\x07尾"
    assert md_escape("文件\udcff名") == "文件\\xff名"  # a byte that was not UTF-8
    assert md_escape("右\u202e至左") == "右\\u202e至左"
    assert md_escape("甲\n乙") == "甲 乙"


def test_plain_chinese_and_numbers_are_unchanged() -> None:
    text = "宁郭镇 一般公共预算收入 3.25亿元（暂）≥96.2% 2013-07"
    assert md_escape(text) == text


def test_bare_urls_do_not_become_links() -> None:
    """GFM's autolinks need ``scheme://`` or ``www.`` as typed: both come out broken by an
    escape (which a renderer drops when it shows the text)."""
    escaped = md_escape("见 http://x.example/ 或 WWW.x.example")
    assert "://" not in escaped and "www." not in escaped.lower()
    assert escaped == "见 http:\\/\\/x.example/ 或 WWW\\.x.example"
    assert "http://x.example/" in _render(escaped)  # shown as typed, as text
