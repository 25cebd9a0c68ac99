"""Text a hostile or careless sender may put in a cell, a remark or a file name."""

from __future__ import annotations

import re

HOSTILE = (
    "甲|乙|丙",
    "第一行\n第二行\r\n第三行",
    "<script>alert(1)</script>",
    "[点我](http://x.example/a_b)",
    "**加粗** __也加粗__ ~~删除~~",
    "`代码` ```块```",
    "<!-- 注释 --> 正文",
    "![图](http://x.example/p.png)",
    "http://bare.example/ 和 www.bare.example",
    "铃\x07退格\x08换页\x0c",
    "反斜杠\\|仍是竖线",
    "&lt;script&gt; &#124;",
)
HOSTILE_TEXT = "".join(HOSTILE)

_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def table_columns(line: str) -> int:
    """Cells of a Markdown table row: its unescaped pipes less one."""
    return len(_UNESCAPED_PIPE.findall(line)) - 1


def assert_inert_html(html: str) -> None:
    """What a Markdown renderer made of escaped text: no tag, no link, no emphasis, no code."""
    for made in ("<script", "<a ", "<img", "<strong", "<em", "<code", "<del", "<s>", "<!--"):
        assert made not in html, made
