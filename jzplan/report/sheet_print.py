"""Print setup of a workbook sheet as statistics offices print it: A4 landscape, fitted to one
page wide (as many pages down as it takes), the title and column header rows repeated on
every page, the title in the page header and 第 N 页/共 M 页 in the footer."""

from __future__ import annotations

from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

# Margins in inches (openpyxl's unit): 1.5 cm at the sides and bottom, 2 cm at the top so
# the page header (at 0.8 cm) clears the repeated title row
MARGINS = PageMargins(left=0.6, right=0.6, top=0.8, bottom=0.6, header=0.3, footer=0.3)
FOOTER_TEXT = "第 &P 页/共 &N 页"


def set_print_setup(ws: Worksheet, title: str, header_rows: int) -> None:
    """Print ``ws`` A4 landscape, one page wide, rows 1..``header_rows`` repeated on every
    page, ``title`` in the page header and page numbers in the footer."""
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    if ws.sheet_properties.pageSetUpPr is None:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties()
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
    ws.print_title_rows = f"1:{header_rows}"
    ws.print_options.horizontalCentered = True
    ws.page_margins = MARGINS
    # '&' starts a header/footer code in Excel: a literal one is written '&&'
    ws.oddHeader.center.text = title.replace("&", "&&")
    ws.oddHeader.center.size = 10
    ws.oddFooter.center.text = FOOTER_TEXT
    ws.oddFooter.center.size = 9
