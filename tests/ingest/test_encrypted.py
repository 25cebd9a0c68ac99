"""A form saved with an opening password: a real encrypted xlsx (msoffcrypto-tool, as Excel
writes it: an OLE2 container with EncryptionInfo and EncryptedPackage) is refused as
``encrypted_file`` with what to do, not as a damaged .xls, whatever its suffix."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import msoffcrypto
import pytest
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile

from jzplan.core.periods import Period
from jzplan.ingest.form_parser import parse_submission
from jzplan.ingest.form_writer import write_form
from jzplan.ingest.readers import EncryptedFileError, detect_format, has_cfb_entry
from jzplan.reference.catalog import Catalog
from tests.ingest.formrows import form_rows

PASSWORD = "jzxq2013"


def _encrypted_form(catalog: Catalog, folder: Path, name: str) -> Path:
    plain = folder / "plain.xlsx"
    rows = form_rows(catalog, "NGZ")
    write_form(plain, catalog=catalog, unit_code="NGZ", period=Period(2013, 6), rows=rows,
               filed_by="王五", filed_on=date(2013, 7, 3))  # fmt: skip
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(plain.read_bytes())).encrypt(PASSWORD, out)
    path = folder / "2013-07" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(out.getvalue())
    return path


@pytest.mark.parametrize("name", ["宁郭镇_2013年06月_月报.xlsx", "宁郭镇_2013年06月_月报.xls"])
def test_an_encrypted_form_is_refused_with_what_to_do(
    name: str, catalog: Catalog, tmp_path: Path
) -> None:
    path = _encrypted_form(catalog, tmp_path, name)
    with pytest.raises(EncryptedFileError):
        detect_format(path.read_bytes(), path.suffix)
    parsed = parse_submission(path, catalog)
    assert [(i.code, i.file) for i in parsed.errors] == [("encrypted_file", name)]
    assert "请去掉密码后重新保存并报送" in parsed.errors[0].message
    # the same bytes with the password are the unit's real form
    decrypted = io.BytesIO()
    office = msoffcrypto.OfficeFile(io.BytesIO(path.read_bytes()))
    office.load_key(password=PASSWORD)
    office.decrypt(decrypted)
    plain = tmp_path / "2013-07" / "decrypted.xlsx"
    plain.write_bytes(decrypted.getvalue())
    assert parse_submission(plain, catalog).issues == []


def test_a_plain_xls_is_not_taken_for_encrypted() -> None:
    book = xlwt.Workbook()
    book.add_sheet("月报").write(0, 0, "填报单位")
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    assert detect_format(data, ".xls") == "xls"
    # the names as text somewhere in the file, off a directory entry's place, are not streams
    names = b"".join(
        (n + "\0").encode("utf-16-le") + b"\x22\0" for n in ("EncryptionInfo", "EncryptedPackage")
    )
    text = data + b"\0" * (130 - len(data) % 128) + names
    assert not has_cfb_entry(text, "EncryptedPackage")
    assert detect_format(text, ".xls") == "xls"
