"""Low-level writers of hostile files: each makes bytes the way a careless office's tool or
an attacker would, without going through the project's own form writer.

Forms start from the demo month's real forms (``data/inbox/2013-07``, written by the area's
template) or from the test corpus's other layout (``tests/ingest/corpus.py``); the edits are
made to the workbook XML or to the raw bytes, as other programs leave them.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl

from tests.conftest import REPO_ROOT

DEMO_MONTH = REPO_ROOT / "data" / "inbox" / "2013-07"


def demo_form(unit_name: str) -> Path:
    """The demo month's good form of ``unit_name`` (2013-07)."""
    return DEMO_MONTH / f"{unit_name}_2013年07月_月报.xlsx"


def copy_demo(unit_name: str, target: Path) -> Path:
    shutil.copyfile(demo_form(unit_name), target)
    return target


def edit_workbook(source: Path, target: Path, edit: Callable[[openpyxl.Workbook], None]) -> Path:
    """``source`` opened with openpyxl, edited, saved as ``target`` (as a clerk's Excel does)."""
    wb = openpyxl.load_workbook(source)
    edit(wb)
    wb.save(target)
    return target


def rewrite_zip(
    source: Path,
    target: Path,
    edit: Callable[[str, bytes], bytes | None],
    *,
    add: dict[str, bytes] | None = None,
) -> Path:
    """``source``'s zip members through ``edit(name, data)`` (None drops the member), plus
    ``add``, written to ``target``."""
    with zipfile.ZipFile(source) as zin:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for item in zin.infolist():
                data = edit(item.filename, zin.read(item.filename))
                if data is not None:
                    zout.writestr(item, data)
            for name, data in (add or {}).items():
                zout.writestr(name, data)
    target.write_bytes(out.getvalue())
    return target


def sheet_xml(edit: Callable[[str], str]) -> Callable[[str, bytes], bytes]:
    """A ``rewrite_zip`` edit applying ``edit`` to the first worksheet's XML only."""

    def apply(name: str, data: bytes) -> bytes:
        if name != "xl/worksheets/sheet1.xml":
            return data
        text = data.decode("utf-8")
        changed = edit(text)
        assert changed != text, "nothing rewritten"
        return changed.encode("utf-8")

    return apply


def claim_dimension(text: str, ref: str = "A1:XFD1048576") -> str:
    """The sheet's ``<dimension>`` set to ``ref`` (a tool that writes the whole sheet's range)."""
    if "<dimension" in text:
        return re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', text)
    return text.replace("<sheetViews>", f'<dimension ref="{ref}"/><sheetViews>', 1)


def entity_bomb(text: str) -> str:
    """A billion-laughs DOCTYPE ahead of the worksheet, its entity used in a cell."""
    lol = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    head, sep, rest = text.partition("?>")
    body = re.sub(r"<v>0\.772</v>", "<v>&j;</v>", rest, count=1)
    return f"{head}{sep}<!DOCTYPE worksheet [{lol}]>{body}"


def external_entity(text: str) -> str:
    """An XXE: an external entity naming /etc/passwd, used as an inline string cell."""
    head, sep, rest = text.partition("?>")
    doctype = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    body = rest.replace(
        '<c r="G6"', '<c r="H6" t="inlineStr"><is><t>&xxe;</t></is></c><c r="G6"', 1
    )
    return f"{head}{sep}{doctype}{body}"


def zip_bomb(source: Path, target: Path, megabytes: int = 1024) -> Path:
    """``source`` plus a worksheet-named member of ``megabytes`` MiB of zeros, streamed into
    the zip (about 1 MiB compressed per GiB): a bomb for any reader that inflates it."""
    shutil.copyfile(source, target)
    chunk = b"\0" * (1 << 20)
    with (
        zipfile.ZipFile(target, "a", zipfile.ZIP_DEFLATED) as z,
        z.open("xl/worksheets/sheet9.xml", "w", force_zip64=True) as member,
    ):
        for _ in range(megabytes):
            member.write(chunk)
    return target


def add_macro(source: Path, target: Path) -> Path:
    """An .xlsm: the form with a ``vbaProject.bin`` part and its content type, as Excel saves
    a workbook with macros."""
    vba = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b'Attribute VB_Name = "Module1"\nSub AutoOpen()\nShell "calc"\nEnd Sub\n'
    )

    def edit(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            return data.replace(
                b"</Types>",
                b'<Default Extension="bin" '
                b'ContentType="application/vnd.ms-office.vbaProject"/></Types>',
            )
        return data

    return rewrite_zip(source, target, edit, add={"xl/vbaProject.bin": vba})


def corrupt_zip(source: Path, target: Path) -> Path:
    """The form's bytes cut in half and the tail overwritten (a broken download)."""
    data = source.read_bytes()
    half = len(data) // 2
    target.write_bytes(data[:half] + b"\x00\xff" * 64)
    return target


def cfb_encrypted(target: Path) -> Path:
    """An Office file encrypted with a password, as Excel writes it: an OLE2 compound file
    (not a zip) with the streams ``EncryptionInfo`` and ``EncryptedPackage``. Written by hand:
    a 512-byte-sector CFB with one directory sector naming both streams."""
    sector = 512

    def entry(
        name: str,
        kind: int,
        start: int,
        size: int,
        child: int = 0xFFFFFFFF,
        right: int = 0xFFFFFFFF,
    ) -> bytes:
        raw = (name + "\0").encode("utf-16-le")
        return (
            raw.ljust(64, b"\0")
            + len(raw).to_bytes(2, "little")
            + bytes([kind, 1])
            + (0xFFFFFFFF).to_bytes(4, "little")  # left sibling
            + right.to_bytes(4, "little")
            + child.to_bytes(4, "little")
            + b"\0" * 16  # clsid
            + b"\0" * 4  # state bits
            + b"\0" * 16  # times
            + start.to_bytes(4, "little")
            + size.to_bytes(8, "little")
        )

    # sectors: 0 FAT, 1 directory, 2 EncryptionInfo, 3 EncryptedPackage (both regular streams)
    info = (
        b"\x04\x00\x04\x00\x40\x00\x00\x00"
        + b'<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption"/>'
    )
    package = (4096).to_bytes(8, "little") + bytes(range(256)) * 2
    directory = (
        entry("Root Entry", 5, 0xFFFFFFFE, 0, child=1)
        + entry("EncryptionInfo", 2, 2, 4096, right=2)
        + entry("EncryptedPackage", 2, 3, 4096)
        + b"\0" * 128
    )
    fat = [0xFFFFFFFD, 0xFFFFFFFE, 0xFFFFFFFE, 0xFFFFFFFE] + [0xFFFFFFFF] * 124
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + (0x3E).to_bytes(2, "little")
        + (3).to_bytes(2, "little")
        + (0xFFFE).to_bytes(2, "little")
        + (9).to_bytes(2, "little")
        + (6).to_bytes(2, "little")
        + b"\0" * 6
        + (0).to_bytes(4, "little")  # directory sectors (v3: 0)
        + (1).to_bytes(4, "little")  # FAT sectors
        + (1).to_bytes(4, "little")  # first directory sector
        + (0).to_bytes(4, "little")
        + (0x1000).to_bytes(4, "little")  # mini stream cutoff: 4096, so both streams are regular
        + (0xFFFFFFFE).to_bytes(4, "little")
        + (0).to_bytes(4, "little")
        + (0xFFFFFFFE).to_bytes(4, "little")
        + (0).to_bytes(4, "little")
        + (0).to_bytes(4, "little")  # DIFAT[0] = sector 0
        + b"\xff" * (436 - 4)
    )
    body = b"".join(v.to_bytes(4, "little") for v in fat)
    target.write_bytes(
        header.ljust(sector, b"\xff")
        + body
        + directory.ljust(sector, b"\0")
        + info.ljust(sector, b"\0")
        + package.ljust(sector, b"\0")
    )
    return target


def csv_lines(
    target: Path,
    head: list[str],
    rows: int,
    row: Callable[[int], list[str]],
    encoding: str = "utf-8",
) -> Path:
    """A CSV of the ``head`` lines, then ``rows`` lines written in blocks (millions of rows
    without a big list)."""
    with target.open("w", encoding=encoding, newline="") as out:
        out.writelines(line + "\r\n" for line in head)
        block: list[str] = []
        for i in range(rows):
            block.append(",".join(row(i)))
            if len(block) == 50_000:
                out.write("\r\n".join(block) + "\r\n")
                block.clear()
        if block:
            out.write("\r\n".join(block) + "\r\n")
    return target
