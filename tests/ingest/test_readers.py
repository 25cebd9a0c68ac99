"""Readers: a CSV form no CSV reading can make sense of is a ReadError with a Chinese message,
which the parser turns into a located rejection; never an exception that stops the month."""

from __future__ import annotations

from pathlib import Path

import pytest

from jzplan.ingest.form_parser import parse_submission
from jzplan.ingest.readers import ReadError, read_workbook
from jzplan.reference.catalog import Catalog

HEAD = "填报单位,宁郭镇\n报告期,2013年6月\n指标名称,计量单位,本月,累计\n"


@pytest.mark.parametrize(
    "body",
    [
        "地区生产总值,亿元,1.2," + "9" * 200_000 + "\n",  # a field past csv's limit
        '地区生产总值,亿元,"1.2\n',  # the file ends inside a quoted field: read as text
    ],
)
def test_a_csv_form_is_read_or_refused(body: str, catalog: Catalog, tmp_path: Path) -> None:
    data = (HEAD + body).encode("utf-8")
    if len(body) > 100_000:
        with pytest.raises(ReadError) as raised:
            read_workbook(data, ".csv")
        assert "CSV 文件第" in raised.value.message
    path = tmp_path / "2013-06" / "宁郭镇_2013年06月_月报.csv"
    path.parent.mkdir()
    path.write_bytes(data)
    parsed = parse_submission(path, catalog)  # never raises
    if len(body) > 100_000:
        assert [i.code for i in parsed.errors] == ["unreadable_file"]
        assert parsed.errors[0].file == path.name


def test_a_workbook_with_macros_is_refused(tmp_path: Path) -> None:
    """An .xlsm as Excel saves one with macros (a ``vbaProject.bin`` part): not taken, whatever
    its name; the same form without the part reads."""
    from jzplan.ingest.readers import MacroError
    from tests.hostile.builders import add_macro, demo_form

    for name in ("宏.xlsm", "改名.xlsx"):
        data = add_macro(demo_form("苏家作乡"), tmp_path / name).read_bytes()
        with pytest.raises(MacroError) as caught:
            read_workbook(data, Path(name).suffix)
        assert caught.value.code == "macro_workbook"
    assert read_workbook(demo_form("苏家作乡").read_bytes(), ".xlsx").sheets
