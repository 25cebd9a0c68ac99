"""``jzplan questions`` and ``jzplan answer`` on a SQLite store made by ``jzplan init``, with
the data folder copied (the learned name is written there)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from jzplan.cli import main
from jzplan.reference.catalog import Catalog, load_catalog
from jzplan.reference.plan import Plan
from jzplan.store.db import make_engine
from jzplan.store.questions import AnswerRefused
from jzplan.store.reference import sync_reference
from jzplan.validate.validator import SubmissionValidator
from tests.conftest import REPO_ROOT
from tests.ingest.corpus import row_of
from tests.month.held import load, prepare_form


@pytest.fixture
def data(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    catalog: Catalog,
    plan: Plan,
    validator: SubmissionValidator,
) -> Path:
    """A store made by ``jzplan init`` holding NGZ's May form and its four held rows; the data
    folder (catalog, targets) copied: what JZPLAN_DATA_DIR points at."""
    data = tmp_path / "data"
    for folder in ("catalog", "targets"):
        shutil.copytree(REPO_ROOT / "data" / folder, data / folder)
    url = f"sqlite:///{tmp_path / 'jzplan.db'}"
    monkeypatch.setenv("JZPLAN_DATABASE_URL", url)
    monkeypatch.setenv("JZPLAN_DATA_DIR", str(data))
    assert main(["init"]) == 0
    engine = make_engine(url)
    try:
        sync_reference(engine, catalog, plan)
        outcome = load(engine, prepare_form(catalog, validator, tmp_path), validator)
        assert outcome.status == "accepted"
    finally:
        engine.dispose()
    return data


def test_questions_are_listed_and_answered_from_the_command_line(
    data: Path, capsys: pytest.CaptureFixture[str], catalog: Catalog
) -> None:
    capsys.readouterr()

    assert main(["questions", "--period", "2013-05", "--unit", "NGZ"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("| 编号 | 单位 | 报告期 | 文件 | 位置 | 名称（原文） | 数值（原文）")
    first = table[2].split(" | ")
    where = f"月报 第{row_of(catalog, 'fai')}行"
    assert first[1:5] == ["宁郭镇（NGZ）", "2013-05", "宁郭镇_2013年05月_月报.xlsx", where]
    assert first[5:9] == [
        "2.固定资产投资（全口径）", "21,500 万元；本月 4300 万元", "全社会固定资产投资", "待确认 |",
    ]  # fmt: skip
    question = first[0].lstrip("| ")

    assert (
        main(["answer", question, "--indicator", "fai", "--by", "张三", "--note", "电话核实"]) == 0
    )
    said = capsys.readouterr().out
    assert "对应到 fai（全社会固定资产投资）：2.15 亿元（本月 0.43）" in said
    assert "已记住名称「2.固定资产投资（全口径）」（aliases.yaml）" in said
    learned = yaml.safe_load((data / "catalog" / "aliases.yaml").read_text("utf-8"))
    assert [(e["name"], e["indicator"], e["by"]) for e in learned] == [
        ("固定资产投资(全口径)", "fai", "张三")
    ]
    assert load_catalog(data / "catalog").name_index()["固定资产投资(全口径)"] == "fai"

    assert main(["answer", question, "--discard", "--by", "李四"]) == 1
    assert "未答复：[already_answered]" in capsys.readouterr().err
    assert main(["answer", "999", "--discard", "--by", "李四"]) == 1
    assert "没有编号为 999 的待确认行" in capsys.readouterr().err

    assert main(["questions", "--all", "--unit", "NGZ"]) == 0
    rows = capsys.readouterr().out.splitlines()[2:]
    assert len(rows) == 4
    assert rows[0].endswith("| 已对应指标 fai（张三） |")


def test_the_flow_answers_as_the_command_does(data: Path) -> None:
    from prefect.logging import disable_run_logger

    from flows.answer import answer_held_row

    with pytest.raises(ValueError, match="选且只选一项"):
        answer_held_row.fn(question_id=1, answered_by="张三", indicator="fai", discard=True)
    with disable_run_logger():
        done = answer_held_row.fn(question_id=2, answered_by="张三", discard=True, note="重复行")
        assert done == {
            "question": 2, "status": "discarded", "indicator": None, "value": None,
            "alias_added": False, "refreshed": ["2013-05"],
        }  # fmt: skip
        with pytest.raises(AnswerRefused, match="每行只能答复一次"):
            answer_held_row.fn(question_id=2, answered_by="李四", indicator="ind_va")
