"""The monthly HTML report printed to PDF by headless Chromium (Debian's package, driven by
Playwright): A4 landscape as the report's print CSS sets it, backgrounds kept, the title in
each page's header and 第 N 页/共 M 页 in its footer. The charts are drawn and fitted to the
printable width before the page is printed."""

from __future__ import annotations

import html
import os
from pathlib import Path

from jzplan.core.errors import OperatorError
from jzplan.core.files import write_atomic
from jzplan.report.html import FONT_STACK

# Chromium as root in a container: no sandbox; no network chatter on a closed network
CHROMIUM_ARGS = (
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
)  # fmt: skip
# Printable width of A4 landscape (297 mm) less the @page side margins of report.html.j2
# (10 mm each), in CSS pixels (96 per inch): the viewport the page is laid out in
PRINT_WIDTH_PX = round((297 - 2 * 10) / 25.4 * 96)
_WAIT_MS = 60_000
# The report's print layout of its charts (report.html.j2), awaited until every chart is redrawn
PRINT_LAYOUT = "() => window.jzplanPrintLayout && window.jzplanPrintLayout()"
# Every chart container holds a drawn Plotly chart
CHARTS_DRAWN = (
    "[...document.querySelectorAll('[data-chart]')]"
    ".every(el => el.querySelector('.js-plotly-plot .main-svg'))"
)
# Chromium's header and footer templates (in the page margins; their own font size)
_MARGIN_STYLE = (
    "width:100%;font-size:8px;color:#57606a;text-align:center;"
    f"font-family:{FONT_STACK.replace(chr(34), chr(39))}"
)
_FOOTER = (
    f'<div style="{_MARGIN_STYLE}">第 <span class="pageNumber"></span> 页/共 '
    '<span class="totalPages"></span> 页</div>'
)


def check_chromium(chromium: Path) -> None:
    """The Chromium that prints PDFs is there (else OperatorError ``chromium_missing``)."""
    if not (chromium.is_file() and os.access(chromium, os.X_OK)):
        raise OperatorError(
            "chromium_missing",
            f"未找到用于打印 PDF 的 Chromium：{chromium}；请安装（apt-get install chromium "
            "fonts-noto-cjk）或用 JZPLAN_CHROMIUM 指定其路径",
        )


def _header(title: str) -> str:
    return f'<div style="{_MARGIN_STYLE}">{html.escape(title)}</div>'


def render_pdf(html_path: Path, pdf_path: Path, *, chromium: Path) -> Path:
    """Print the HTML report at ``html_path`` to ``pdf_path`` (atomically) and return it."""
    check_chromium(chromium)
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise OperatorError(
                "chromium_failed", f"Chromium（{chromium}）无法启动：{first}"
            ) from exc
        try:
            page = browser.new_page(viewport={"width": PRINT_WIDTH_PX, "height": 800})
            page.goto(html_path.resolve().as_uri())
            page.emulate_media(media="print")
            # every chart drawn, then fitted to the page (the template's print layout)
            page.wait_for_function(CHARTS_DRAWN, timeout=_WAIT_MS)
            page.evaluate(PRINT_LAYOUT)
            pdf = page.pdf(
                prefer_css_page_size=True,
                print_background=True,
                display_header_footer=True,
                header_template=_header(page.title()),
                footer_template=_FOOTER,
            )
        finally:
            browser.close()
    return write_atomic(pdf_path, pdf)
