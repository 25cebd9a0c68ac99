"""The CLI's argument parser: argparse's own errors (a missing option, an unknown command, a
value of the wrong kind) as one Chinese line with the stable code ``bad_argument``, exit 2."""

from __future__ import annotations

import argparse
import re
import sys
from typing import NoReturn

# argparse's English messages (Python 3.11-3.13) → the operator's Chinese; group 1 is kept
_MESSAGES = (
    (r"the following arguments are required: 命令", "缺少命令"),
    (r"the following arguments are required: (.+)", "缺少参数 {0}"),
    (r"argument 命令: invalid choice: '([^']*)' \(choose from (.*)\)", "没有命令“{0}”，可用：{1}"),
    (r"argument ([^:]+): invalid choice: '([^']*)'.*", "参数 {0} 不能取“{1}”"),
    (r"argument ([^:]+): invalid (\w+) value: '([^']*)'", "参数 {0} 的值“{2}”不是有效的数字"),
    (r"argument ([^:]+): expected one argument", "参数 {0} 后面缺少取值"),
    (r"argument ([^:]+): not allowed with argument (.+)", "参数 {0} 不能与 {1} 同时使用"),
    (r"one of the arguments (.+) is required", "须给出 {0} 中的一个"),
    (r"unrecognized arguments: (.+)", "不认识的参数 {0}"),
    (r"ambiguous option: (\S+) could match (.+)", "参数 {0} 有歧义，可能是 {1}"),
)


def chinese_message(message: str) -> str:
    """argparse's error ``message`` in Chinese (the English as is when it is one not known)."""
    for pattern, text in _MESSAGES:
        found = re.fullmatch(pattern, message.strip())
        if found:
            return text.format(*(g.replace("', '", "、").strip("'") for g in found.groups()))
    return " ".join(message.split())


class ChineseArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one Chinese line on stderr (no usage block), exit 2;
    sub-commands made with ``add_subparsers`` inherit it."""

    def error(self, message: str) -> NoReturn:
        self.exit(
            2, f"[bad_argument] {self.prog}：{chinese_message(message)}（用法见 {self.prog} -h）\n"
        )

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            sys.stderr.write(message)
        raise SystemExit(status)
