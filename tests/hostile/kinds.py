"""What the hostile month's cases are made of: the expected outcome of an entry, where a case
writes (``Place``), and the edits each case makes to a good form or the batch folder."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog
from tests.hostile import builders as b
from tests.ingest import corpus

MONTH = Period(2013, 7)
RANKING = "排名.csv"
PROGRESS = "重点工作进展.csv"
LONG_ISSUER = ("河南省产业集聚区发展联席会议办公室" * 5)[:80]
HOSTILE_REMARK = "备注：<script>alert(1)</script> | 破表 | **粗体** [链接](http://evil.example)"


@dataclass(frozen=True)
class Expect:
    """What one entry must get. ``entry``: the file name (a status file's row: ``排名.csv:N``);
    ``status``: accepted|rejected|refused|duplicate|held|stale|row_left_out|read;
    ``code``: the issue code it must carry (None: none needed)."""

    entry: str
    status: str
    code: str | None = None


@dataclass
class Place:
    batch: Path
    outside: Path
    catalog: Catalog
    ranking: dict[int, list[str]] = field(default_factory=dict)  # file line → row
    progress_extra: list[list[str]] = field(default_factory=list)  # [line, *row]

    def path(self, name: str) -> Path:
        return self.batch / name

    def code(self, unit_name: str) -> str:
        org = self.catalog.unit_by_name(unit_name)
        assert org is not None, unit_name
        return org.code

    def corpus_form(
        self,
        unit_name: str,
        period: Period,
        name: str,
        *edits: Callable[[corpus.Table], None],
        ext: str = "xlsx",
    ) -> Path:
        """A form of the test corpus's layout (another office's), edited."""
        table = corpus.standard(self.catalog, unit=self.code(unit_name), period=period).edited(
            *edits
        )
        return corpus.write(table, self.path(name))


@dataclass(frozen=True)
class Case:
    id: str
    origin: str  # issue | own
    what: str
    build: Callable[[Place], object]
    expect: tuple[Expect, ...]


def form_name(unit: str, period: Period = MONTH, qualifier: str = "", ext: str = "xlsx") -> str:
    return f"{unit}_{period.year}年{period.month:02d}月_月报{qualifier}.{ext}"


def set_cell(sheet_ref: str, value: object) -> Callable[[object], None]:
    def edit(wb: object) -> None:
        wb.worksheets[0][sheet_ref] = value  # type: ignore[attr-defined]

    return edit


def put(ref: str, value: object) -> Callable[[corpus.Table], None]:
    return lambda t: t.main.set(ref, value)


# --------------------------------------------------------------------------- the good forms

GOOD_UNITS = ("苏家作乡", "宁郭镇", "阳庙镇", "李万街道", "文苑街道", "文昌街道", "新区直报")


def good_forms(place: Place) -> None:
    """The seven good forms; three edited as offices edit (their cases say how)."""
    edited = {"宁郭镇", "阳庙镇", "文昌街道"}
    for unit in GOOD_UNITS:
        if unit not in edited:
            b.copy_demo(unit, place.path(form_name(unit)))


# --------------------------------------------------------------------------- inbox boundary


def symlink(name: str, target: Callable[[Place], Path | str]) -> Callable[[Place], None]:
    return lambda p: p.path(name).symlink_to(target(p))


def outside_form(p: Place) -> Path:
    """A good form of 李万街道 outside the inbox, with a figure no good file has."""
    target = p.outside / form_name("李万街道", qualifier="(外部)")
    return b.edit_workbook(b.demo_form("李万街道"), target, set_cell("E6", 99.125))


def outside_fifo(p: Place) -> Path:
    """A FIFO outside the inbox: a run that followed the symlink would hang opening it."""
    fifo = p.outside / "block.fifo"
    if not fifo.exists():
        os.mkfifo(fifo)
    return fifo


def write(name: str, data: bytes | Callable[[Place], bytes]) -> Callable[[Place], None]:
    def build(p: Place) -> None:
        p.path(name).write_bytes(data(p) if callable(data) else data)

    return build


def subfolder(p: Place) -> None:
    folder = p.path("补报")
    folder.mkdir()
    b.copy_demo("李万街道", folder / form_name("李万街道"))


# --------------------------------------------------------------------------- the cases

NEWLINE_NAME = form_name("阳庙镇", qualifier="\n[INFO] 全部接收")
RTL_NAME = "文苑街道_\u202excod.xlsx"
BACKSLASH_NAME = "..\\" + form_name("宁郭镇")
DRAFT = form_name("李万街道", qualifier="（初稿）")  # sorts after the final
TWIN_A = form_name("苏家作乡", Period(2012, 11), "(甲)")
TWIN_B = form_name("苏家作乡", Period(2012, 11), "(乙)")
COPY = form_name("文苑街道", qualifier="（副本）")  # sorts after the original


def remark(p: Place) -> None:
    b.edit_workbook(
        b.demo_form("宁郭镇"),
        p.path(form_name("宁郭镇")),
        set_cell("H15", "备注：含一次性土地出让税收"),
    )


def markup_remark(p: Place) -> None:
    b.edit_workbook(
        b.demo_form("阳庙镇"), p.path(form_name("阳庙镇")), set_cell("H8", HOSTILE_REMARK)
    )


def dimension(p: Place) -> None:
    b.rewrite_zip(
        b.demo_form("文昌街道"), p.path(form_name("文昌街道")), b.sheet_xml(b.claim_dimension)
    )


def draft(p: Place) -> None:
    """李万街道's draft: filed 8月2日 with other figures; the good (final) form says 8月4日."""

    def edit(wb: object) -> None:
        ws = wb.worksheets[0]  # type: ignore[attr-defined]
        ws["E6"] = 4.5
        ws["E26"] = "填报日期：2013年8月2日"

    b.edit_workbook(b.demo_form("李万街道"), p.path(DRAFT), edit)


def twins(p: Place) -> None:
    """Two forms of 苏家作乡 for 2012-11, same 填报日期, different figures."""
    p.corpus_form("苏家作乡", Period(2012, 11), TWIN_A)
    p.corpus_form("苏家作乡", Period(2012, 11), TWIN_B, put("E6", 4.41))


def form(
    unit: str, period: Period, name: str, *edits: Callable[[corpus.Table], None], ext: str = "xlsx"
) -> Callable[[Place], None]:
    return lambda p: p.corpus_form(unit, period, name, *edits, ext=ext)


def raw_number(
    unit: str, period: Period, name: str, ref: str, text: str
) -> Callable[[Place], None]:
    def build(p: Place) -> None:
        path = p.corpus_form(unit, period, name, put(ref, 987654.321))
        b.rewrite_zip(
            path, path, b.sheet_xml(lambda x: x.replace("<v>987654.321</v>", f"<v>{text}</v>"))
        )

    return build


def formula(p: Place) -> None:
    path = p.corpus_form(
        "阳庙镇", Period(2012, 11), form_name("阳庙镇", Period(2012, 11)), put("E7", "=E8*4")
    )
    assert path.exists()


def xml(name: str, unit: str, edit: Callable[[str], str]) -> Callable[[Place], object]:
    return lambda p: b.rewrite_zip(b.demo_form(unit), p.path(name), b.sheet_xml(edit))


def big_csv(
    name: str, row: Callable[[int], list[str]], rows: int = 2_000_000
) -> Callable[[Place], None]:
    """A CSV form of ``rows`` indicator rows under the title, identity and header lines."""
    head = ["焦作新区主要经济指标月报表", "填报单位：宁郭镇,报告期：2013年1-7月"]
    head.append("序号,指标名称,计量单位,本月,1-7月累计")
    return lambda p: b.csv_lines(p.path(name), head, rows, row)


def huge_field(p: Place) -> None:
    table = corpus.standard(p.catalog, unit=p.code("阳庙镇"), period=MONTH)
    text = corpus.csv_text(table).replace("注：", "注：" + "长" * ((50 << 20) // 3), 1)
    p.path(form_name("阳庙镇", qualifier="(长字段)", ext="csv")).write_text(text, "utf-8")


def wide_csv(p: Place) -> None:
    table = corpus.standard(p.catalog, unit=p.code("文苑街道"), period=MONTH)
    lines = corpus.csv_text(table).splitlines()
    lines[5] = lines[5] + "," * 5000 + "尾"
    p.path(form_name("文苑街道", qualifier="(宽表)", ext="csv")).write_text(
        "\r\n".join(lines), "utf-8"
    )


def rank(line: int, *row: str) -> Callable[[Place], None]:
    """A row of 排名.csv at file line ``line`` (line 1: the header, 2: a good row)."""
    return lambda p: p.ranking.__setitem__(line, list(row))


def progress(line: int, *row: str) -> Callable[[Place], None]:
    """A row added to the month's 重点工作进展.csv at file line ``line`` (its 58 rows: 2-59)."""
    return lambda p: p.progress_extra.append([str(line), *row])


def rank_row(n: int) -> str:
    return f"{RANKING}:{n}"


GOOD_RANK = (
    "焦作新区",
    "全省产业集聚区发展速度位次",
    "11",
    "180",
    "河南省产业集聚区发展联席会议办公室",
    "2013-08-02",
)
