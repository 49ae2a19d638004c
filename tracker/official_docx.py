"""Pieces of an official document (公文) in DOCX after GB/T 9704-2012 (official-documents.md), shared
by the bulletin, the letters to applicants and the annual report: A4 with 37 mm top and 28 mm left
margins (text block 156 × 225 mm), 22 lines of 3号仿宋 a page, page numbers "— 1 —" on the outside
edge, the signature and date about four characters from the right edge, table cells and rows that
keep together.

Fonts are named as offices have them (仿宋_GB2312, 方正小标宋简体, 楷体_GB2312, 黑体); the
document's font table names the fallback for each (仿宋, 宋体, 楷体), which Word uses where the
first font is not installed.
"""
from __future__ import annotations

from datetime import date

from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from .docx_text import Document  # cleans control characters out of every run

FANGSONG = "仿宋_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
HEITI = "黑体"
KAITI = "楷体_GB2312"
SONG = "宋体"
FALLBACKS = {FANGSONG: "仿宋", XIAOBIAOSONG: SONG, KAITI: "楷体", HEITI: "SimHei", SONG: "SimSun"}

BODY = Pt(16)          # 3号
TITLE = Pt(22)         # 2号
PAGE_NUMBER = Pt(14)   # 4号
SMALL = Pt(14)         # 4号: the contact line below a letter's 落款
TABLE = Pt(10.5)       # 五号
LINE = Pt(28.95)       # 225 mm / 22 lines
INDENT = Pt(32)        # two characters
RED = RGBColor(0xFF, 0x00, 0x00)
CN_NUMBERS = "一二三四五六七八九十"
TEXT_WIDTH_MM = 156    # portrait text block


def cn_date(d: date | None) -> str:
    """2026年10月9日: Arabic numerals without leading zeros; blanks when the day is not known."""
    return f"{d.year}年{d.month}月{d.day}日" if d else "____年__月__日"


def font(run, name: str, size=BODY, bold: bool = False, color: RGBColor | None = None) -> None:
    """Name the font for East-Asian and Latin text alike (Word picks w:eastAsia for Chinese)."""
    run.font.name = name
    run.font.size = size
    run.font.bold = bold
    rfonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        rfonts.set(qn(attr), name)
    if color is not None:
        run.font.color.rgb = color


def paragraph(doc_or_cell, text: str = "", face: str = FANGSONG, size=BODY, bold=False, color=None,
              align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True, exact=True):
    """A body paragraph: fixed 22-lines-a-page spacing, two-character first-line indent."""
    p = doc_or_cell.add_paragraph()
    p.alignment = align
    fmt = p.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    if exact:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = LINE
    if indent:
        fmt.first_line_indent = INDENT
    if text:
        font(p.add_run(text), face, size, bold, color)
    return p


def title(doc, text: str):
    """The title in 2号小标宋, centred."""
    p = paragraph(doc, text, XIAOBIAOSONG, TITLE, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, exact=False)
    p.paragraph_format.line_spacing = Pt(35)
    return p


def signature(doc, lines, blank_above: int = 3) -> None:
    """The issuing body and the date, right-aligned about four characters from the right edge, with
    blank lines above for the seal (印章)."""
    for _ in range(blank_above):
        paragraph(doc, indent=False)
    for text in lines:
        p = paragraph(doc, text, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
        p.paragraph_format.right_indent = INDENT * 2


def register_fallbacks(doc) -> None:
    """Name a fallback for each Chinese font in the document's font table (w:altName)."""
    for rel in doc.part.rels.values():
        if rel.reltype.endswith("/fontTable"):
            part = rel.target_part
            entries = "".join(
                f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
                f'<w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>' for name, alt in FALLBACKS.items())
            part._blob = part.blob.replace(b"</w:fonts>", entries.encode("utf-8") + b"</w:fonts>")
            return


def page(section, landscape: bool = False) -> None:
    """A4; portrait: 天头 37 mm, 订口 28 mm, text block 156 × 225 mm on a 22-line grid."""
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
        section.top_margin, section.bottom_margin = Mm(28), Mm(26)
        section.left_margin, section.right_margin = Mm(37), Mm(35)
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)   # 天头 37 mm; 297 − 37 − 225
        section.left_margin, section.right_margin = Mm(28), Mm(26)   # 订口 28 mm; 210 − 28 − 156
    section.footer_distance = Mm(28)   # the page number sits 7 mm below the text block
    section.header_distance = Mm(20)
    sect = section._sectPr
    grid = sect.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(int(LINE.pt * 20)))


def page_number(p) -> None:
    """— PAGE — in 4号 half-width numerals."""
    font(p.add_run("— "), SONG, PAGE_NUMBER)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = p.add_run()
        font(run, SONG, PAGE_NUMBER)
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._element.append(fld)
        elif text.strip() == "PAGE":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._element.append(instr)
        else:
            run.text = text
    font(p.add_run(" —"), SONG, PAGE_NUMBER)


def footers(doc, section) -> None:
    """Page numbers on the outside edge: right on odd pages, left on even pages, one character in."""
    doc.settings.odd_and_even_pages_header_footer = True
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
                          (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        p = footer.paragraphs[0]
        p.alignment = align
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            p.paragraph_format.right_indent = Pt(14)
        else:
            p.paragraph_format.left_indent = Pt(14)
        page_number(p)


def mark_every_page(section, text: str) -> None:
    """``text`` (e.g. 草稿) in red at the top of every page, odd and even."""
    for header in (section.header, section.even_page_header):
        p = header.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        font(p.add_run(text), HEITI, PAGE_NUMBER, color=RED)


def new_document():
    """An empty A4 official document: fonts with fallbacks, 3号仿宋 body, the page and its numbers."""
    doc = Document()
    register_fallbacks(doc)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FANGSONG, BODY
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FANGSONG)
    section = doc.sections[0]
    page(section)
    footers(doc, section)
    return doc


# --- tables ------------------------------------------------------------------------------------------

def repeat_header(row) -> None:
    """A header row: repeated at the top of every page the table reaches, never split."""
    trpr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    trpr.append(header)
    trpr.append(OxmlElement("w:cantSplit"))


def keep_row(row) -> None:
    """A body row stays on one page."""
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def cell(c, text: str, bold=False, align=WD_ALIGN_PARAGRAPH.CENTER, size=TABLE) -> None:
    """A table cell's one paragraph: centred vertically, tight lines off the body's grid."""
    c.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    p = c.paragraphs[0]
    p.alignment = align
    fmt = p.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(size.pt + 3.5)
    snap = OxmlElement("w:snapToGrid")  # table lines do not snap to the body's 22-line grid
    snap.set(qn("w:val"), "0")
    p._p.get_or_add_pPr().insert(0, snap)
    font(p.add_run(text), HEITI if bold else FANGSONG, size)


def column_widths(table, widths) -> None:
    """Fixed column widths (``widths`` as docx lengths); a merged cell is as wide as its columns."""
    table.autofit = False
    tblpr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tblpr.append(layout)
    for col, width in zip(table._tbl.tblGrid.gridCol_lst, widths):
        col.w = width
    for row in table.rows:
        col = 0
        for tc in row._tr.tc_lst:
            tc.width = sum(widths[col:col + tc.grid_span], Mm(0))
            col += tc.grid_span


def cell_margins(table, mm: float = 1.0) -> None:
    """Narrow left and right cell margins (Word's default is 1.9 mm), so narrow columns hold numbers."""
    tblpr = table._tbl.tblPr
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(round(mm * 56.7)))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    tblpr.append(margins)
