"""A month with released versions: its report artifacts link the current version and the
history page, under JZPLAN_REPORT_BASE_URL as the other report links are."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from jzplan.core.files import write_atomic
from jzplan.core.periods import Period
from jzplan.report.snapshot import MonthSnapshot, VersionMeta, snapshot_json
from jzplan.report.versions import version_folder
from tasks.report import released_links

pytestmark = pytest.mark.flow

JUNE = Period(2013, 6)
BASE = "http://intranet.example/jzplan/reports/"


def released(report_dir: Path, number: int) -> None:
    """A version folder as write_version leaves it (only its snapshot is read here)."""
    meta = VersionMeta(number, "张三", datetime(2013, 7, 8, tzinfo=UTC).isoformat(), "定稿")
    snapshot = MonthSnapshot(JUNE, (), (), (), version=meta)
    write_atomic(
        version_folder(report_dir, JUNE, number) / "snapshot.json", snapshot_json(snapshot)
    )


@flow(name="version-links-test")
def links(report_dir: str, base_url: str | None) -> str:
    return released_links(Path(report_dir), JUNE, base_url)


def read_link(key: str) -> list[str]:
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
        )
    return [str(a.data) for a in sorted(found, key=lambda a: a.created)]


def test_links_to_the_current_version_and_the_history(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    # the session's server may hold the key already: another test released 2013-06
    before = read_link("report-2013-06-released")
    assert links(str(reports), BASE) == ""  # no version yet: nothing more
    assert read_link("report-2013-06-released") == before  # and no artifact
    released(reports, 1)
    released(reports, 2)
    (reports / "2013-06" / "v3").mkdir()  # a folder without its snapshot is no version

    markdown = links(str(reports), BASE)

    current = BASE + "2013-06/v2/progress-2013-06-v2.html"
    history = BASE + "2013-06/index.html"
    assert markdown == f" · [正式版（第2版）]({current}) · [版本历史]({history})"
    assert (
        read_link("report-2013-06-released")[-1]
        == f"[2013年1-6月目标进度月报正式版（第2版）]({current})"
    )
    # without a base URL, the files themselves
    markdown = links(str(reports), None)
    assert (reports / "2013-06" / "v2" / "progress-2013-06-v2.html").resolve().as_uri() in markdown
    assert "(file:///" in read_link("report-2013-06-released")[-1]
