"""The bulletin as an official document (公文), DOCX laid out after GB/T 9704-2012
(official-documents.md): A4 with 37 mm top and 28 mm left margins (text block 156 × 225 mm),
22 lines of 3号仿宋 a page, the red issuer mark and red separator, the document number with
hexagonal brackets, the title in 2号小标宋, the addressee line ending with a full-width colon,
headings 一、（黑体） （一）（楷体） 1.（仿宋 bold）, the attachment note, signature and date written
2026年10月9日 four characters from the right edge, page numbers "— 1 —" on the outside edge, and
the unit table as the attachment on landscape pages with merged header cells, numbers
right-aligned and the header repeated on every page.

Fonts are named as offices have them (仿宋_GB2312, 方正小标宋简体, 楷体_GB2312, 黑体); the
document's font table names the fallback for each (仿宋, 宋体, 楷体), which Word uses where the
first font is not installed.
"""
from __future__ import annotations

from datetime import date
from io import BytesIO

from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from ..official_docx import (
    CN_NUMBERS,
    FANGSONG,
    HEITI,
    KAITI,
    RED,
    SMALL,
    TITLE,
    XIAOBIAOSONG,
    cell_margins,
    cn_date,
    column_widths,
    keep_row,
    mark_every_page,
    new_document,
    signature,
)
from ..official_docx import cell as _cell
from ..official_docx import font as _font
from ..official_docx import page as _page
from ..official_docx import paragraph as _paragraph
from ..official_docx import repeat_header as _repeat_header
from ..official_docx import title as document_title
from .figures import RANK_NOTE, column_groups


def _red_rule(paragraph) -> None:
    """The red separator line below the document number (版头中的分隔线)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "8"), ("w:color", "FF0000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    ppr.append(borders)


def _heading(doc, level: int, number: int, text: str):
    """Level 1 一、黑体; level 2 （一）楷体; level 3 1. 仿宋 bold."""
    if level == 1:
        return _paragraph(doc, f"{CN_NUMBERS[number - 1]}、{text}", HEITI)
    if level == 2:
        return _paragraph(doc, f"（{CN_NUMBERS[number - 1]}）{text}", KAITI)
    return _paragraph(doc, f"{number}. {text}", FANGSONG, bold=True)


def _text_block(doc, text: str) -> None:
    for line in (text or "").splitlines():
        if line.strip():
            _paragraph(doc, line.strip())


def _value(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"  # 96.5, 100
    return str(value)


def unit_table(doc, content: dict):
    """The unit table: 序号 and 单位 merged over two header rows, each group merged over its
    columns, both header rows repeated on every page, numbers right-aligned, a 合计 row."""
    figs = content["figures"]
    groups = column_groups(figs.get("scores", False), figs.get("website", False), figs.get("ratings", False))
    keys = [key for _, cols in groups for key, _ in cols]
    ncols = 2 + len(keys)
    table = doc.add_table(rows=2, cols=ncols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    head, sub = table.rows
    for row in (head, sub):
        _repeat_header(row)
    for i, label in enumerate(("序号", "单位")):
        merged = head.cells[i].merge(sub.cells[i])
        _cell(merged, label, bold=True)
    col = 2
    for group, cols in groups:
        merged = head.cells[col].merge(head.cells[col + len(cols) - 1]) if len(cols) > 1 else head.cells[col]
        _cell(merged, group, bold=True)
        for j, (_, label) in enumerate(cols):
            _cell(sub.cells[col + j], label, bold=True)
        col += len(cols)
    for n, r in enumerate(figs["rows"], start=1):
        row = table.add_row()
        keep_row(row)  # a unit's line stays on one page
        cells = row.cells
        _cell(cells[0], str(n), size=NUMBER)
        _cell(cells[1], r["name"], align=WD_ALIGN_PARAGRAPH.LEFT)
        for j, key in enumerate(keys):
            _cell(cells[2 + j], _value(r.get(key)), align=WD_ALIGN_PARAGRAPH.RIGHT, size=NUMBER)
    total_row = table.add_row()
    keep_row(total_row)
    cells = total_row.cells
    total = cells[0].merge(cells[1])
    _cell(total, "合计", bold=True)
    for j, key in enumerate(keys):
        _cell(cells[2 + j], _value(figs["totals"].get(key, "")) if key in figs["totals"] else "",
              align=WD_ALIGN_PARAGRAPH.RIGHT, size=NUMBER)
    for c in total_row.cells:  # the 说明 note below stays on the table's last page
        for p in c.paragraphs:
            p.paragraph_format.keep_with_next = True
    # The landscape text block is 225 mm: 序号 and 单位 take 42 mm, the figures share the rest, with
    # narrow cell margins so that "100" or "96.5" at 9 pt never splits across lines.
    cell_margins(table, 0.6)
    widths = [Mm(8), Mm(34)] + [Mm((225 - 42) / len(keys))] * len(keys)
    column_widths(table, widths)
    return table


NUMBER = Pt(9)  # 小五号: the figures of the unit table


def _imprint(doc, content: dict) -> None:
    """版记 (GB/T 9704-2012 §7.3) at the foot of the last page, on a portrait page of its own after
    the attachment: 抄送 (when the office names any) and 印发机关 with 印发日期, between a thick
    rule above and below and thin rules between the lines."""
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    _page(section)
    lines = ([f"抄送：{content['cc']}"] if content.get("cc") else []) + [None]
    day = content.get("published_on")
    printed = f"{cn_date(date.fromisoformat(day))}印发" if day else "    年  月  日印发"
    for i, text in enumerate(lines):
        p = _paragraph(doc, indent=False, exact=False, size=SMALL)
        fmt = p.paragraph_format
        fmt.left_indent = fmt.right_indent = Pt(14)  # 版记 lines sit one character in from each side
        if i == 0:
            fmt.space_before = Mm(175 - 8 * len(lines))  # down to the foot of the text block
        if text is None:  # 印发机关 on the left, 印发日期 on the right
            _font(p.add_run(content["issuer"]), FANGSONG, SMALL)
            p.add_run("\t")
            _font(p.add_run(printed), FANGSONG, SMALL)
            p.paragraph_format.tab_stops.add_tab_stop(Mm(156) - Pt(28), alignment=WD_TAB_ALIGNMENT.RIGHT)
        else:
            _font(p.add_run(text), FANGSONG, SMALL)
        _rule(p, "top", 8 if i == 0 else 4)
        if i == len(lines) - 1:
            _rule(p, "bottom", 8)


def _rule(paragraph, side: str, size: int) -> None:
    """A black rule above or below ``paragraph`` (版记's separators: sz 8 thick, 4 thin)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.append(borders)
    el = OxmlElement(f"w:{side}")
    for key, value in (("w:val", "single"), ("w:sz", str(size)), ("w:space", "4"), ("w:color", "000000")):
        el.set(qn(key), value)
    borders.append(el)


def build(content: dict, draft: bool = False) -> bytes:
    """The DOCX bytes of a bulletin's content (``services.content``)."""
    doc = new_document()

    # 版头: issuer mark in red, the document number, the red separator.
    _paragraph(doc, content["issuer"], XIAOBIAOSONG, Pt(30), color=RED, align=WD_ALIGN_PARAGRAPH.CENTER,
               indent=False, exact=False)
    _paragraph(doc, indent=False)
    number = _paragraph(doc, content["doc_number"], align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _red_rule(number)
    if draft:
        _paragraph(doc, "（草稿，未印发）", HEITI, color=RED, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _paragraph(doc, indent=False)

    # 主体: title, addressees, body with headings.
    document_title(doc, content["title"])
    _paragraph(doc, indent=False)
    _paragraph(doc, content["addressees"], indent=False, align=WD_ALIGN_PARAGRAPH.LEFT)
    _paragraph(doc, f"为全面掌握各单位政务公开工作落实情况，根据《中华人民共和国政府信息公开条例》和政务公开工作考核"
                    f"有关规定，{content['issuer']}对{content['quarter_label']}各单位政务公开工作情况进行了统计和督查。"
                    "现将有关情况通报如下：")
    for number_, (heading, write) in enumerate(_sections(content), start=1):
        _heading(doc, 1, number_, heading)
        write(doc)

    _paragraph(doc)
    _paragraph(doc, f"附件：{content['table_title']}")
    signature(doc, (content["issuer"], content["date_text"]))

    # 附件: the unit table on landscape pages.
    annex = doc.add_section(WD_SECTION.NEW_PAGE)
    _page(annex, landscape=True)
    _paragraph(doc, "附件", HEITI, indent=False, align=WD_ALIGN_PARAGRAPH.LEFT)
    caption = _paragraph(doc, content["table_title"], XIAOBIAOSONG, TITLE, align=WD_ALIGN_PARAGRAPH.CENTER,
                         indent=False, exact=False)
    caption.paragraph_format.space_after = Pt(8)
    unit_table(doc, content)
    as_of = date.fromisoformat(content["figures"]["as_of"])
    note = _paragraph(doc, f"说明：数据统计截至{as_of.year}年{as_of.month}月{as_of.day}日。主动公开任务按公开期限所在季度"
                           "统计，依申请公开按答复期限所在季度统计（暂停计时期间不计入），整改事项按整改期限所在季度统计；"
                           "督办次数为本季度内公开办督办的次数。"
                           + (RANK_NOTE if content["figures"].get("scores") else ""),
                    size=Pt(10.5), indent=False, exact=False)
    note.paragraph_format.space_before = Pt(6)
    _imprint(doc, content)
    if draft:
        mark_every_page(doc.sections[0], "草稿")  # the later sections' headers follow the first's
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def _sections(content: dict):
    """The first-level sections of the body, numbered in order; empty ones are left out."""
    def overview(doc):
        for text in content["overview"]:
            _paragraph(doc, text)

    def good(doc):
        _text_block(doc, content["good_practice"])

    def problems(doc):
        n = 0
        if content["no_output"]:
            n += 1
            _heading(doc, 2, n, "本季度未公开信息的单位")
            _paragraph(doc, f"{'、'.join(content['no_output'])}，本季度未在任何渠道公开政府信息。")
        if content["units_with_overdue"]:
            n += 1
            _heading(doc, 2, n, "逾期未办结的单位")
            _paragraph(doc, f"截至统计之日，{'、'.join(content['units_with_overdue'])}仍有逾期未公开的信息或超期未答复的"
                            "政府信息公开申请。")
        if content["urging_summary"]:
            n += 1
            _heading(doc, 2, n, "督办情况")
            _paragraph(doc, content["urging_summary"])
        if content["problems"]:
            n += 1
            _heading(doc, 2, n, "其他问题")
            _text_block(doc, content["problems"])

    def requirements(doc):
        _text_block(doc, content["requirements"])
        for n, item in enumerate(content["items"], start=1):
            _heading(doc, 3, n, f"{item['unit']}：{item['requirement']}")
            _paragraph(doc, f"请于{item['due_text']}前整改到位，并在政务公开监督平台报送整改情况和佐证材料。")

    has_problems = content["no_output"] or content["units_with_overdue"] or content["urging_summary"] \
        or content["problems"]
    found = [("总体情况", overview)]
    if content["good_practice"]:
        found.append(("工作亮点", good))
    if has_problems:
        found.append(("存在的问题", problems))
    if content["requirements"] or content["items"]:
        found.append(("整改要求", requirements))
    return found
