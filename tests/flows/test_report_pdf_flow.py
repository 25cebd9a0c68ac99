"""JZPLAN_REPORT_PDF: the monthly run prints the month's report to PDF in its publish-report
task (Playwright's sync API in a Prefect task), links it from the artifact and the page of
every month; off, nothing is printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.monthly import monthly_progress
from jzplan.store.db import init_store
from tests.flows.artifacts import run_artifacts
from tests.report.test_pdf import CHROMIUM, page_sizes, require_browser

pytestmark = pytest.mark.flow


@pytest.mark.parametrize("printed", [True, False])
def test_the_monthly_run_prints_the_pdf_when_set(
    printed: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if printed:
        require_browser()
    url = f"sqlite:///{tmp_path / 'jzplan.db'}"
    init_store(url)
    for name, value in {
        "DATABASE_URL": url,
        "ARCHIVE_DIR": str(tmp_path / "archive"),
        "REPORT_DIR": str(tmp_path / "reports"),
        "DATA_DOCS_DIR": str(tmp_path / "data_docs"),
        "CHROMIUM": str(CHROMIUM),
        "REPORT_PDF": str(printed).lower(),
    }.items():
        monkeypatch.setenv(f"JZPLAN_{name}", value)

    state = monthly_progress(period="2013-01", return_state=True)
    summary = state.result()

    pdf = Path(summary["report"]).with_suffix(".pdf")
    index = (pdf.parent / "index.html").read_text(encoding="utf-8")
    artifact = run_artifacts(state, "progress-2013-01")["progress-2013-01"]
    link = f"[PDF 月报（打印）]({pdf.resolve().as_uri()})"
    if not printed:
        assert not pdf.exists() and "progress-2013-01.pdf" not in index
        assert "PDF" not in str(artifact.data).split("\n")[0]
        return
    sizes = page_sizes(pdf)
    assert sizes and all(w > h for w, h in sizes)  # landscape pages
    assert 'href="progress-2013-01.pdf"' in index
    assert link in str(artifact.data)
