"""The monthly flow publishes validation: Data Docs, the per-rule table, the plan check."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from flows.monthly import monthly_progress
from jzplan.validate.docs_helper import shared_helper
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.flow


def _inbox(flow_env: Path, *units: str) -> Path:
    """The 2013-01 inbox of ``flow_env`` with the demo's forms of these units."""
    inbox = flow_env / "inbox" / "2013-01"
    inbox.mkdir(parents=True)
    for unit in units:
        name = f"{unit}_2013年01月_月报.xlsx"
        shutil.copy(REPO_ROOT / "data" / "inbox" / "2013-01" / name, inbox / name)
    return inbox


def test_a_ready_helper_builds_the_runs_data_docs(
    flow_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the process's Data Docs helper ready, the run sends it the site and goes on."""
    _inbox(flow_env, "宁郭镇", "新区直报")
    monkeypatch.setenv("JZPLAN_DATA_DOCS_DIR", str(flow_env / "docs"))
    monkeypatch.setenv("JZPLAN_DATA_DOCS_HELPER", "true")  # off for the suite (conftest)
    helper = shared_helper()
    helper.start()
    assert helper.wait_ready(120), helper.last_error

    summary = monthly_progress(period="2013-01", inbox_dir=str(flow_env / "inbox"))

    assert summary["validation"]["data_docs_by"] == "helper"
    docs = Path(summary["data_docs"])
    assert docs == flow_env / "docs" / "2013-01" / "index.html" and docs.is_file()
    assert len(list((docs.parent / "validations").rglob("*.html"))) == 6  # 2 files x 3 suites
    again = monthly_progress(period="2013-01", inbox_dir=str(flow_env / "inbox"))
    assert "data_docs_by" not in again["validation"]  # the same site: not built again
    assert again["data_docs"] == summary["data_docs"]


def test_data_docs_that_cannot_begin_early_are_built_by_the_task(
    flow_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.monthly

    _inbox(flow_env, "宁郭镇")

    def unreadable(*args: object, **kwargs: object) -> None:
        raise RuntimeError("store unreadable for a moment")

    monkeypatch.setattr(flows.monthly, "start_batch_docs", unreadable)
    summary = monthly_progress(period="2013-01", inbox_dir=str(flow_env / "inbox"))
    assert summary["validation"]["data_docs_by"] == "run"
    docs = Path(summary["data_docs"])
    assert len(list((docs.parent / "validations").rglob("*.html"))) == 3  # 1 file x 3 suites


def test_monthly_run_builds_data_docs_and_artifacts(
    flow_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = _inbox(flow_env, "宁郭镇", "新区直报")
    # not read, listed as 已拒收 (tests/ingest/test_inbox_boundary.py has every case)
    (inbox / "environ.csv").symlink_to("/proc/self/environ")
    (inbox / "子文件夹").mkdir()
    monkeypatch.setenv("JZPLAN_DATA_DOCS_DIR", str(flow_env / "docs"))
    monkeypatch.setenv("JZPLAN_DATA_DOCS_HELPER", "0")  # built by the run itself

    summary = monthly_progress(period="2013-01", inbox_dir=str(flow_env / "inbox"))

    assert (summary["files"], summary["accepted"], summary["refused"]) == (2, 2, 2)
    assert summary["validation"]["data_docs_by"] == "run"
    docs = Path(summary["data_docs"])
    assert docs == flow_env / "docs" / "2013-01" / "index.html" and docs.is_file()
    assert len(list((docs.parent / "validations").rglob("*.html"))) == 6  # 2 files x 3 suites
    validation = summary["validation"]
    assert validation["rules"] == 18 and validation["rules_failed"] == 0
    assert validation["plan_findings"] == 9

    report, workbook = Path(summary["report"]), Path(summary["workbook"])
    assert report.suffix == ".html" and "2013年1月" in report.read_text(encoding="utf-8")
    assert workbook.suffix == ".xlsx" and workbook.stat().st_size > 0

    keys = [
        "validation-2013-01", "validation-docs-2013-01", "plan-check-2013", "report-2013-01",
        "progress-2013-01", "submissions-2013-01",
    ]  # fmt: skip
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys))
        )
    by_key = {a.key: a for a in sorted(found, key=lambda a: a.created)}  # this run's last
    assert set(by_key) == set(keys)
    assert docs.as_uri() in str(by_key["validation-docs-2013-01"].data)
    rows = json.loads(str(by_key["submissions-2013-01"].data))
    refused = {r["文件"]: r["说明"].split("]")[0] for r in rows if r["结果"] == "已拒收"}
    assert refused == {
        "2013-01/environ.csv": "[symlink_refused",
        "2013-01/子文件夹": "[not_a_regular_file",
    }
    assert "58.62×1.503=88.1059" in str(by_key["plan-check-2013"].data)
    # the run links its HTML report (a file:// link without JZPLAN_REPORT_BASE_URL)
    assert report.resolve().as_uri() in str(by_key["report-2013-01"].data)
    assert workbook.resolve().as_uri() in str(by_key["progress-2013-01"].data)

    # A rerun finds every file stored: the same complete table and Data Docs, and it says so
    again = monthly_progress(period="2013-01", inbox_dir=str(flow_env / "inbox"))
    assert (again["duplicates"], again["accepted"]) == (2, 0)
    assert again["validation"]["rules"] == 18 and again["validation"]["files_reused"] == 2
    assert Path(again["data_docs"]) == docs and docs.is_file()
    assert len(list((docs.parent / "validations").rglob("*.html"))) == 6
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["validation-docs-2013-01"]))
        )
    latest = str(max(found, key=lambda a: a.created).data)
    assert docs.as_uri() in latest and "规则 18 条" in latest
    assert "此前均已入库" in latest
    # every rule by its Chinese name with its code
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["validation-2013-01"]))
        )
    table = json.loads(str(max(found, key=lambda a: a.created).data))
    assert len(table) == 18
    assert {"报告期格式不正确（bad_period）", "环比变动超出本单位历史正常区间（mom_jump）"} <= {
        r["规则"] for r in table
    }
