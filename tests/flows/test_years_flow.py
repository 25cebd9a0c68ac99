"""The monthly flow of a month in a second year: it tracks that year's plan file, and a month
whose year has no plan file stops before any work (``plan_missing``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flows.monthly import monthly_progress
from jzplan.core.errors import OperatorError
from jzplan.core.periods import Period
from jzplan.store.db import make_engine
from jzplan.store.progress import read_progress

REPO_ROOT = Path(__file__).resolve().parents[2]

PLAN_2014 = """\
year: 2014
baselines: []
targets:
  - id: 2014-A01
    group: 主要预期目标
    scope: JZXQ
    kind: growth
    indicator: fai
    value: 20
    unit: "%"
    label: 全社会固定资产投资增长20%
    source: 全社会固定资产投资增长20%
  - id: 2014-A02
    group: 主要预期目标
    scope: JZXQ
    kind: level
    indicator: ind_va_above
    unit: 亿元
    label: 规模以上工业增加值
    source: TODO：待填写
"""


def _data(flow_env: Path, monkeypatch: pytest.MonkeyPatch, *plans: str) -> Path:
    data = flow_env / "data"
    shutil.copytree(REPO_ROOT / "data" / "catalog", data / "catalog")
    (data / "targets").mkdir()
    shutil.copyfile(REPO_ROOT / "data" / "targets" / "2013.yaml", data / "targets" / "2013.yaml")
    for text in plans:
        (data / "targets" / "2014.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("JZPLAN_DATA_DIR", str(data))
    inbox = flow_env / "inbox"
    (inbox / "2014-01").mkdir(parents=True)  # nobody reported: every unit 未报
    return inbox


def test_a_january_run_tracks_its_years_plan(
    flow_env: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    inbox = _data(flow_env, monkeypatch, PLAN_2014)
    summary = monthly_progress(period="2014-01", inbox_dir=str(inbox))
    assert summary["status_counts"] == {"no_data": 1, "unset": 1}
    engine = make_engine(database_url)
    try:
        frame = read_progress(engine, Period(2014, 1)).set_index("target_id")
    finally:
        engine.dispose()
    assert list(frame.index) == ["2014-A01", "2014-A02"]
    assert frame.loc["2014-A02", "note"] == "目标值待填写"


def test_a_month_without_its_plan_file_stops_before_work(
    flow_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = _data(flow_env, monkeypatch)
    with pytest.raises(OperatorError) as caught:
        monthly_progress(period="2014-01", inbox_dir=str(inbox))
    assert caught.value.code == "plan_missing" and "2014.yaml" in caught.value.message
    assert not (flow_env / "reports").exists()
