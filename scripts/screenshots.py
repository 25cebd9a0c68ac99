"""The README's screenshots, regenerated in one command: ``python -m scripts.screenshots``.

Builds the bundled 2012–2013 demo in a temporary SQLite store (as the tests do, ~30 s),
writes every 2013 month's report files and December's PDF into a temporary report folder,
then photographs, in headless Chromium, the December report (its first two screens) and
the page of every month: docs/img/report-2013-12.png and docs/img/index.png.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from jzplan.core.periods import Period
from jzplan.core.settings import PROJECT_ROOT, Settings
from jzplan.reference.catalog import load_catalog
from jzplan.reference.plan import load_plan
from jzplan.report.index_page import write_index
from jzplan.report.pdf import CHARTS_DRAWN, CHROMIUM_ARGS, check_chromium, render_pdf
from jzplan.report.rolling import write_rolling
from jzplan.validate.rules import load_rules
from tests.demo_store import build_demo_year

OUT_DIR = PROJECT_ROOT / "docs" / "img"
WIDTH = 1400
SCREEN = 900  # one screen's height; the report's shot is the first two


def write_reports(folder: Path, chromium: Path) -> tuple[Path, Path]:
    """The demo store, every 2013 month's reports, December's PDF and the index page."""
    settings = Settings()
    catalog = load_catalog(settings.catalog_dir)
    plan = load_plan(settings.plan_file(2013), catalog)
    rules = load_rules(settings.expectations_dir, catalog)
    engine = build_demo_year(folder / "jzplan.db", catalog, plan)
    reports = folder / "reports"
    try:
        for month in range(1, 13):
            write_rolling(engine, plan, catalog, rules, Period(2013, month), reports)
        december = reports / "progress-2013-12.html"
        render_pdf(december, december.with_suffix(".pdf"), chromium=chromium)
        index = write_index(engine, catalog, reports, folder / "receipts")
    finally:
        engine.dispose()
    return december, index


def photograph(report: Path, index: Path, out_dir: Path, chromium: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    shots = [out_dir / "report-2013-12.png", out_dir / "index.png"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": SCREEN})
            page.goto(report.as_uri())
            page.wait_for_function(CHARTS_DRAWN, timeout=60_000)
            clip = {"x": 0, "y": 0, "width": WIDTH, "height": 2 * SCREEN}
            page.screenshot(path=str(shots[0]), clip=clip, full_page=True)
            page.set_viewport_size({"width": WIDTH, "height": 200})  # the page's own height
            page.goto(index.as_uri())
            page.screenshot(path=str(shots[1]), full_page=True)
        finally:
            browser.close()
    return shots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where the PNGs go")
    args = parser.parse_args(argv)
    chromium = Settings().chromium
    check_chromium(chromium)
    with tempfile.TemporaryDirectory(prefix="jzplan-shots-") as tmp:
        report, index = write_reports(Path(tmp), chromium)
        for shot in photograph(report, index, args.out, chromium):
            print(
                f"{shot.relative_to(PROJECT_ROOT) if shot.is_relative_to(PROJECT_ROOT) else shot}"
                f"（{shot.stat().st_size // 1024} KB）"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
