"""Text from senders made inert in Markdown: the report's tables and the robots' digests."""

from __future__ import annotations

import re
import unicodedata

# Backslash-escaped: emphasis, code, links and images, tables, strikethrough
_ESCAPED = frozenset("\\`*_[]()!|~")
# As entities: no raw tag or comment survives, and no entity is formed from the text
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
# Categories shown as \xNN / \uNNNN: controls, format (bidi), separators, surrogates
_UNSAFE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_NEWLINES = re.compile(r"\r\n|[\r\n\u2028\u2029\x85]")
# What GFM turns into a link without brackets: scheme://… and www.…
_AUTOLINK = re.compile(r"(?<=:)//|(?i:(?<=www))\.")


def visible(text: object) -> str:
    """``text`` with every control, format or separator character shown as ``\\xNN`` or
    ``\\uNNNN`` (a byte that was not UTF-8 as that byte): nothing invisible, no line break."""
    return "".join(_shown(ch) for ch in str(text))


def _shown(ch: str) -> str:
    if unicodedata.category(ch) not in _UNSAFE:
        return ch
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape of a byte >= 0x80
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def md_escape(text: object) -> str:
    """``text`` as one line of literal Markdown, safe in a table cell or a list item: a line
    break becomes a space, every other control character ``\\xNN``; Markdown and HTML
    metacharacters are escaped, so no tag, link, emphasis or extra column comes of it."""
    out: list[str] = []
    for ch in _NEWLINES.sub(" ", str(text)):
        if ch in _ESCAPED:
            out.append("\\" + ch)
        else:
            out.append(_ENTITIES.get(ch) or _shown(ch))
    return _AUTOLINK.sub(lambda m: m.group(0).replace("/", "\\/").replace(".", "\\."), "".join(out))
