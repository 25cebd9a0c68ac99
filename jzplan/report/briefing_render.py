"""The briefing (文字分析) where offices use it: a Word document they can edit (A4, headings
as Word headings, body in a CJK font) and the workbook's 文字分析 sheet (one paragraph a row).
The HTML report shows it through its template (report.html.j2)."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import openpyxl
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.styles.style import BaseStyle
from openpyxl.styles import Alignment, Font

from jzplan.core.files import write_atomic
from jzplan.ingest.form_writer import FIXED_TIMESTAMP, normalize_zip
from jzplan.report.briefing_model import Briefing

BRIEFING_SUFFIX = "-文字分析.docx"
BRIEFING_SHEET = "文字分析"
BODY_FONT = "仿宋"  # the body of an official document (公文正文)
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"


def briefing_path(stem: Path) -> Path:
    """The briefing beside a report: ``progress-2013-06`` → ``progress-2013-06-文字分析.docx``."""
    return stem.with_name(stem.name + BRIEFING_SUFFIX)


def _set_font(style: BaseStyle, east_asian: str, size: float, bold: bool = False) -> None:
    """A style's fonts: Latin and, through w:eastAsia (which Word reads for CJK text), Chinese."""
    font = style.font  # type: ignore[attr-defined]
    font.name = LATIN_FONT
    font.size = Pt(size)
    font.bold = bold
    font.color.rgb = None
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), east_asian)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)


def briefing_document(briefing: Briefing) -> docx.document.Document:
    """The briefing as a Word document: A4 portrait, the title centred, each section heading a
    Word heading (level 1 or 2), each paragraph indented two characters."""
    doc = docx.Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(25)
    section.left_margin = section.right_margin = Mm(26)
    styles = doc.styles
    _set_font(styles["Normal"], BODY_FONT, 14)
    _set_font(styles["Title"], "宋体", 20, bold=True)
    _set_font(styles["Heading 1"], HEADING_FONT, 16)
    _set_font(styles["Heading 2"], "楷体", 15, bold=True)
    title = doc.add_heading(briefing.title, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for s in briefing.sections:
        doc.add_heading(s.heading, level=s.level)
        for p in s.paragraphs:
            para = doc.add_paragraph(p.text)
            para.paragraph_format.first_line_indent = Pt(28)  # two characters of 14 pt
            para.paragraph_format.line_spacing = 1.5
    props = doc.core_properties
    props.title = briefing.title
    props.author = props.last_modified_by = "jzplan"
    props.created = props.modified = FIXED_TIMESTAMP
    props.revision = 1
    return doc


def write_briefing_docx(briefing: Briefing, path: Path) -> Path:
    """Write the Word document to ``path`` atomically; the same briefing gives the same bytes."""
    buffer = io.BytesIO()
    briefing_document(briefing).save(buffer)
    return write_atomic(path, normalize_zip(buffer.getvalue()))


def add_briefing_sheet(wb: openpyxl.Workbook, briefing: Briefing) -> None:
    """The 文字分析 sheet: the title, then each heading (bold) and paragraph in its own row of
    one wide column, text wrapped."""
    ws = wb.create_sheet(title=BRIEFING_SHEET)
    ws.column_dimensions["A"].width = 120
    wrap = Alignment(wrap_text=True, vertical="top")
    ws.cell(row=1, column=1, value=briefing.title).font = Font(bold=True, size=14)
    row = 2
    for s in briefing.sections:
        ws.cell(row=row, column=1, value=s.heading).font = Font(bold=True)
        row += 1
        for p in s.paragraphs:
            cell = ws.cell(row=row, column=1, value=p.text)
            cell.alignment = wrap
            # roughly: 60 CJK characters a line in a 120-wide column, 15 points a line
            ws.row_dimensions[row].height = 15 * (len(p.text) // 60 + 1)
            row += 1
