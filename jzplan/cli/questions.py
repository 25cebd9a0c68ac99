"""Command-line parts of held rows (待确认): ``jzplan questions`` lists them, ``jzplan answer``
answers one (maps it to an indicator or discards it). Registered by ``jzplan.cli``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from jzplan.core.periods import parse_period
from jzplan.core.settings import Settings
from jzplan.core.states import QuestionStatus
from jzplan.reference.catalog import Catalog
from jzplan.store.questions import Question

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from jzplan.month.resources import Resources

COMMANDS = ("questions", "answer")
HEADER = (
    "编号",
    "单位",
    "报告期",
    "文件",
    "位置",
    "名称（原文）",
    "数值（原文）",
    "最接近的指标",
    "状态",
)


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    q = sub.add_parser("questions", help="列出待确认行（接收文件中暂未入库的行）")
    q.add_argument("--period", type=parse_period, help="报告期 YYYY-MM")
    q.add_argument("--unit", help="单位代码，如 NGZ")
    q.add_argument("--all", action="store_true", help="也列出已答复的和已被替换文件中的行")
    a = sub.add_parser("answer", help="答复一个待确认行：对应到指标（并记住该名称）或舍弃")
    a.add_argument("id", type=int, help="待确认行编号（jzplan questions 第一列）")
    what = a.add_mutually_exclusive_group(required=True)
    what.add_argument("--indicator", help="对应的指标代码，如 investment_attracted")
    what.add_argument("--discard", action="store_true", help="舍弃该行（不入库）")
    a.add_argument("--by", required=True, help="答复人")
    a.add_argument("--note", help="备注，如：与统计站电话核实")


def status_text(question: Question) -> str:
    """The status as the operator reads it: a question of a replaced file says so."""
    label = question.status.label
    if question.status == QuestionStatus.OPEN and not question.current:
        return f"{label}（文件已被替换，无需答复）"
    if question.status == QuestionStatus.MAPPED:
        label = f"{label} {question.indicator}"
    if question.answered_by:
        label += f"（{question.answered_by}）"
    return label


def written_value(question: Question) -> str:
    """累计 and 本月 as written, with the unit as written."""
    unit = f" {question.unit}" if question.unit else ""
    parts = [f"{question.value}{unit}" if question.value is not None else "—"]
    if question.month is not None:
        parts.append(f"本月 {question.month}{unit}")
    return "；".join(parts)


def _cell(text: str) -> str:
    """A cell of a table read in a terminal: one line, no column break (stored text is
    already shown printable, ``jzplan.core.submissions.HeldRow``)."""
    return " ".join(text.split()).replace("|", "\\|")


def questions_table(questions: Sequence[Question], catalog: Catalog) -> str:
    """The questions as a Markdown-style table with Chinese headings, for the terminal."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for q in questions:
        unit = q.org_unit or "—"
        if q.org_unit in catalog.org_units:
            unit = f"{catalog.unit(q.org_unit).name}（{q.org_unit}）"
        cells = (
            str(q.id), unit, q.period or "—", q.file_name, f"{q.sheet} 第{q.row}行", q.name,
            written_value(q), "、".join(q.hints) or "—", status_text(q),
        )  # fmt: skip
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def dispatch(args: argparse.Namespace) -> int:
    from jzplan.month.resources import open_resources

    resources = open_resources(Settings())
    try:
        if args.command == "questions":
            return _list(resources.engine, resources.catalog, args)
        return _answer(resources, args)
    finally:
        resources.close()


def _list(engine: Engine, catalog: Catalog, args: argparse.Namespace) -> int:
    from jzplan.store.questions import list_questions

    found = list_questions(
        engine,
        period=args.period,
        org_unit=args.unit,
        status=None if args.all else QuestionStatus.OPEN,
        current_only=not args.all,
    )
    if not found:
        print("没有待确认行。" if not args.all else "没有记录的待确认行。")
        return 0
    print(questions_table(found, catalog))
    still = sum(1 for q in found if q.is_open)
    print(f"\n共 {len(found)} 行，其中待确认 {still} 行。", file=sys.stderr)
    return 0


def _answer(resources: Resources, args: argparse.Namespace) -> int:
    from jzplan.month.answers import answer_lines, answer_question, answering_for
    from jzplan.store.questions import AnswerRefused

    catalog = resources.catalog
    ctx = answering_for(resources)
    try:
        done = answer_question(
            ctx,
            args.id,
            indicator=None if args.discard else args.indicator,
            answered_by=args.by,
            answered_at=datetime.now(UTC),
            note=args.note,
        )
    except AnswerRefused as refused:
        print(f"未答复：{refused}", file=sys.stderr)
        return 1
    for line in answer_lines(done, catalog):
        print(line)
    return 0
