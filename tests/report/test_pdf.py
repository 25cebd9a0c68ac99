"""The monthly report printed to PDF by headless Chromium (Debian's package under Playwright),
read back with poppler: A4 landscape pages, as many as the print layout fragments into
(derived from the laid-out page in the same browser), the title on page 1, four charts to a
page, page numbers in the footer; ``jzplan report --pdf`` and its error without Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from jzplan.core.errors import OperatorError
from jzplan.core.periods import Period
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.report.briefing import build_briefing
from jzplan.report.data import ReportData, key_targets, read_report_data
from jzplan.report.html import write_report
from jzplan.report.pdf import (
    CHARTS_DRAWN,
    CHROMIUM_ARGS,
    PRINT_LAYOUT,
    PRINT_WIDTH_PX,
    check_chromium,
    render_pdf,
)
from jzplan.validate.rules import Rules

CHROMIUM = Path(
    os.environ.get("JZPLAN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
)
DECEMBER = Period(2013, 12)
# A4 landscape in PDF points (842 × 595), as Chromium writes it (Skia rounds to 1/100000)
A4_LANDSCAPE = (841.92, 594.96)
# The page's content height in CSS pixels: A4's 210 mm less the 14 mm top and bottom @page
# margins of report.html.j2, at 96 px to the inch
CONTENT_HEIGHT_PX = (210 - 2 * 14) / 25.4 * 96
CHARTS_PER_PAGE = 4  # two rows of two (report.html.j2's print layout)

# How many pages the print layout makes, computed from the laid-out page (print media, the
# printable width): a forced break where break-before is page; a block that must not be cut
# (row, chart, cards, heading, paragraph) and does not fit moves whole to the next page, with
# the headings right before it (break-after: avoid); a table continued on a new page repeats
# its header there.
PAGE_MODEL = """(height) => {
  const ATOMS = 'tr, .chart, .cards, h1, h2, h3, p, footer, thead';
  const atoms = [];
  const walk = (el) => {
    for (const child of el.children) {
      const style = getComputedStyle(child);
      if (style.display === 'none' || child.tagName === 'SCRIPT') continue;
      if (style.breakBefore === 'page') atoms.push({forced: true});
      if (child.matches(ATOMS) || child.children.length === 0) {
        const r = child.getBoundingClientRect();
        if (r.height === 0) continue;
        const table = child.closest('table');
        const head = child.tagName === 'TR' && child.parentElement.tagName === 'TBODY'
          && table.tHead ? table.tHead.getBoundingClientRect().height : 0;
        const keep = /^H[1-6]$/.test(child.tagName) || child.tagName === 'THEAD';
        atoms.push({top: r.top + scrollY, bottom: r.bottom + scrollY, head, keep});
      } else {
        walk(child);
      }
    }
  };
  walk(document.querySelector('main'));
  let pages = 0, pageTop = 0, shift = 0, kept = [];
  const newPage = (top) => { pages += 1; pageTop = top; kept = []; };
  for (const a of atoms) {
    if (a.forced) { if (pages) pageTop = null; continue; }
    if (pageTop === null || pages === 0) { shift = -a.top; newPage(0); }
    const top = a.top + shift, bottom = a.bottom + shift;
    if (bottom - pageTop > height + 0.5 && top > pageTop) {
      const first = kept.length ? kept[0] : {top: a.top, head: a.head};
      const start = pageTop + height;
      shift = start + first.head - first.top;
      newPage(start);
    }
    kept = a.keep ? [...kept, a] : [];
  }
  return pages;
}"""


def first_page_texts(data: ReportData, plan: Plan, catalog: Catalog) -> list[str]:
    """What page 1 of the printed report must show (one line per item)."""
    briefing = build_briefing(data, plan, catalog)
    return [
        f"{catalog.area.name}{plan.year}年目标进度月报（{data.period.label}）",
        briefing.sections[0].paragraphs[0].sentences[0].text,  # the briefing's first sentence
    ]


def require_browser() -> None:
    """Chromium and pdftotext, or a skip; a failure when CI requires the browser tests."""
    missing = [
        name
        for name, there in (
            ("Chromium", CHROMIUM.exists()),
            ("pdftotext", shutil.which("pdftotext")),
        )
        if not there
    ]
    if not missing:
        return
    if os.environ.get("JZPLAN_REQUIRE_BROWSER"):
        pytest.fail(f"{' and '.join(missing)} not found (.ci/run installs chromium, poppler-utils)")
    pytest.skip(
        "needs Chromium and pdftotext (apt-get install chromium fonts-noto-cjk poppler-utils)"
    )


def page_text(pdf: Path, page: int) -> str:
    return subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    """Each page's MediaBox (width, height) in points, read from the PDF's bytes (Skia writes
    one uncompressed page dictionary per page)."""
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf.read_bytes())
    return [(float(w), float(h)) for w, h in boxes]


def expected_pages(html: Path) -> int:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page(viewport={"width": PRINT_WIDTH_PX, "height": 800})
            page.goto(html.as_uri())
            page.emulate_media(media="print")
            page.wait_for_function(CHARTS_DRAWN, timeout=60_000)
            page.evaluate(PRINT_LAYOUT)
            return int(page.evaluate(PAGE_MODEL, CONTENT_HEIGHT_PX))
        finally:
            browser.close()


@pytest.fixture(scope="module")
def december(
    demo_year: Engine,
    plan: Plan,
    catalog: Catalog,
    rules: Rules,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[ReportData, Path, int]:
    """The December 2013 demo report printed with render_pdf, and its expected page count
    (Playwright sessions one after the other: the sync API does not nest)."""
    require_browser()
    folder = tmp_path_factory.mktemp("pdf")
    data = read_report_data(demo_year, plan, catalog, DECEMBER, rules=rules)
    html = write_report(data, plan, catalog, folder / "progress-2013-12.html")
    pdf = render_pdf(html, folder / "progress-2013-12.pdf", chromium=CHROMIUM)
    return data, pdf, expected_pages(html)


def test_every_page_is_a4_landscape_and_the_count_follows_the_layout(
    december: tuple[ReportData, Path, int],
) -> None:
    _, pdf, expected = december
    assert pdf.read_bytes().startswith(b"%PDF-")
    sizes = page_sizes(pdf)
    assert len(sizes) == expected
    for width, height in sizes:
        assert (width, height) == pytest.approx(A4_LANDSCAPE, abs=0.5)
    # the report's forced breaks alone make 5 pages: page 1, 3 of charts, the status table,
    # contributions, timeliness; its 137 rows of targets take several more
    assert 8 <= expected <= 40
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert re.search(rf"^Pages:\s+{expected}$", info.stdout, re.M)


def test_first_page_title_charts_and_page_numbers(
    december: tuple[ReportData, Path, int], plan: Plan, catalog: Catalog
) -> None:
    data, pdf, pages = december
    first = page_text(pdf, 1)
    flat = re.sub(r"\s+", "", first)  # pdftotext breaks a paragraph's lines
    for text in first_page_texts(data, plan, catalog):
        assert re.sub(r"\s+", "", text) in flat, text
    # the key charts four to a page from the page their section starts on
    texts = [page_text(pdf, n) for n in range(1, pages + 1)]
    start = next(n for n, t in enumerate(texts, start=1) if "主要预期目标走势" in t)
    keys = key_targets(plan, catalog)
    for i, target in enumerate(keys):
        on = start + i // CHARTS_PER_PAGE
        assert re.search(rf"^{target.id} ", texts[on - 1], re.M), (target.id, on)
    # the title in every page's header, 第 N 页/共 M 页 in its footer
    title = first_page_texts(data, plan, catalog)[0]
    for n, text in enumerate(texts, start=1):
        assert f"第 {n} 页/共 {pages} 页" in text, n
        assert title in text, n


def test_missing_chromium_is_one_located_error(tmp_path: Path) -> None:
    nowhere = tmp_path / "no" / "chromium"
    with pytest.raises(OperatorError) as caught:
        render_pdf(tmp_path / "r.html", tmp_path / "r.pdf", chromium=nowhere)
    assert caught.value.code == "chromium_missing"
    assert str(nowhere) in caught.value.message and "JZPLAN_CHROMIUM" in caught.value.message
    assert not (tmp_path / "r.pdf").exists()
    with pytest.raises(OperatorError):
        check_chromium(tmp_path)  # a folder is no browser


def test_report_command_prints_the_pdf_and_the_index_links_it(
    demo_year: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from jzplan.cli import main

    require_browser()
    source = demo_year.url.database
    assert source is not None
    shutil.copy(source, tmp_path / "jzplan.db")
    reports = tmp_path / "reports"
    monkeypatch.setenv("JZPLAN_DATABASE_URL", f"sqlite:///{tmp_path / 'jzplan.db'}")
    monkeypatch.setenv("JZPLAN_REPORT_DIR", str(reports))
    monkeypatch.setenv("JZPLAN_CHROMIUM", str(CHROMIUM))
    assert main(["report", "--period", "2013-12", "--pdf"]) == 0
    pdf = reports / "progress-2013-12.pdf"
    assert f"PDF 月报（A4 横向）：{pdf}" in capsys.readouterr().out
    assert pdf.read_bytes().startswith(b"%PDF-") and page_sizes(pdf)
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert 'href="progress-2013-12.pdf"' in index
    # the report written again without --pdf: the older PDF is no longer linked
    assert main(["report", "--period", "2013-12"]) == 0
    assert 'href="progress-2013-12.pdf"' not in (reports / "index.html").read_text("utf-8")
    assert pdf.is_file()


def test_report_command_without_chromium_stops_before_writing(
    demo_year: Engine, tmp_path: Path
) -> None:
    source = demo_year.url.database
    assert source is not None
    shutil.copy(source, tmp_path / "jzplan.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JZPLAN_")} | {
        "JZPLAN_DATABASE_URL": f"sqlite:///{tmp_path / 'jzplan.db'}",
        "JZPLAN_REPORT_DIR": str(tmp_path / "reports"),
        "JZPLAN_CHROMIUM": str(tmp_path / "no-chromium"),
    }
    cli = Path(sys.executable).with_name("jzplan")
    done = subprocess.run(
        [str(cli), "report", "--period", "2013-12", "--pdf"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    lines = (done.stdout + done.stderr).splitlines()
    assert done.returncode == 2 and len(lines) == 1, lines
    assert lines[0].startswith("[chromium_missing] ") and str(tmp_path / "no-chromium") in lines[0]
    assert not (tmp_path / "reports").exists()


def test_a_chromium_that_does_not_start_is_one_located_error(tmp_path: Path) -> None:
    html = tmp_path / "r.html"
    html.write_text("<title>t</title>", encoding="utf-8")
    not_a_browser = Path(shutil.which("false") or "/bin/false")
    with pytest.raises(OperatorError) as caught:
        render_pdf(html, tmp_path / "r.pdf", chromium=not_a_browser)
    assert caught.value.code == "chromium_failed"
    assert str(not_a_browser) in caught.value.message and "\n" not in caught.value.message
    assert not (tmp_path / "r.pdf").exists()
