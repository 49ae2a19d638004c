"""The annual report as published: DOCX (title, headings, tables with merged header cells, the table
三 note), XLSX (the same tables, one sheet each, plus the text), a printable HTML page and JSON
(every cell keyed by its official row and column labels).

A report that breaks a consistency rule, or whose text still holds a drafting placeholder
(【请补充…】), is exported only as a draft (marked 草稿 in its title); asked for as final, the export
is refused naming the first broken rule or the sections still to be written.
"""
import json
from io import BytesIO
from pathlib import Path

from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from flask import render_template

from ..docx_text import Document  # cleans control characters out of every run
from ..errors import ServiceError
from ..spreadsheets import LayoutCell, LayoutSheet, layout_workbook
from ..timeutil import china_today
from . import formats, narrative
from .services import Content

FORMATS = {"docx": "DOCX（Word）", "xlsx": "XLSX（Excel）", "html": "HTML（打印）", "json": "JSON"}
MIMETYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "html": "text/html; charset=utf-8", "json": "application/json"}
PRINT_CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "report.css"


def require_final(content: Content, draft: bool) -> None:
    """A final (non-draft) export only of a consistent report whose text holds no placeholder."""
    if draft:
        return
    if not content.consistent:
        first = content.problems[0]
        raise ServiceError(f"年度报告未通过勾稽校验，不能导出定稿（{formats.cell_label(content.fmt, first.cell)}："
                           f"{first.rule}）。可导出草稿。")
    try:
        narrative.require_written(content.fmt, content.narrative, "导出定稿")
    except ServiceError as exc:
        raise ServiceError(exc.message + "可导出草稿。") from None


def document_title(content: Content, draft: bool) -> str:
    return content.title + ("（草稿）" if draft else "")


def filename(content: Content, kind: str, draft: bool = False) -> str:
    return f"{document_title(content, draft)}.{kind}"


def preamble(content: Content) -> str:
    return (f"本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《中华人民共和国政府信息公开工作"
            f"年度报告格式》（{content.fmt.basis}）要求编制。本报告所列数据的统计期限自{content.year}年1月1日起至"
            f"{content.year}年12月31日止。")


def sections(content: Content) -> list[tuple[str, str, str | None]]:
    """(section key, official heading, narrative text or None for a table section), in order."""
    text = {"overview": content.narrative.get("overview", ""), "problems": content.narrative.get("problems", ""),
            "other": content.narrative.get("other_matters", "")}
    return [(k, label, text.get(k)) for k, label in content.fmt.sections]


def cell_text(content: Content, cell: formats.GridCell) -> str:
    return formats.format_value(cell.key, content.cells.get(cell.key, 0)) if cell.key else cell.text


def export(content: Content, kind: str, draft: bool = False, standalone: bool = True) -> bytes:
    """The report in ``kind`` (docx, xlsx, html, json) as bytes. ``standalone``: the HTML carries its
    CSS (a saved file prints the same); served by the app it links the stylesheet instead (CSP)."""
    if kind not in FORMATS:
        raise ServiceError(f"不支持的导出格式：{kind}（可选 docx、xlsx、html、json）。")
    require_final(content, draft)
    if kind == "html":
        return to_html(content, draft, inline_css=standalone)
    return {"docx": to_docx, "xlsx": to_xlsx, "json": to_json}[kind](content, draft)


# --- JSON --------------------------------------------------------------------------------------------

def as_json(content: Content, draft: bool = False) -> dict:
    return {
        "标题": document_title(content, draft),
        "年度": content.year,
        "机关": content.organ,
        "格式": content.fmt.basis,
        "状态": content.report.state_label if content.report else "未开始",
        "正文": {label: text for _, label, text in sections(content) if text is not None},
        **formats.labelled(content.fmt, content.cells),
        "勾稽校验": {"通过": content.consistent,
                 "问题": [{"单元格": formats.cell_label(content.fmt, p.cell), "规则": p.rule, "说明": p.message}
                        for p in content.problems]},
    }


def to_json(content: Content, draft: bool = False) -> bytes:
    return json.dumps(as_json(content, draft), ensure_ascii=False, indent=2).encode("utf-8")


# --- HTML ----------------------------------------------------------------------------------------------

def to_html(content: Content, draft: bool = False, inline_css: bool = True) -> bytes:
    """A printable page; standalone (its CSS inline) so that the saved file prints the same."""
    css = PRINT_CSS.read_text(encoding="utf-8") if inline_css else None
    return render_template("reports/document.html", content=content, title=document_title(content, draft),
                           preamble=preamble(content), sections=sections(content), grids=formats.grids(content.fmt),
                           cell_text=lambda c: cell_text(content, c), css=css).encode("utf-8")


# --- XLSX ----------------------------------------------------------------------------------------------

def layout_sheet(grid: formats.Grid, title: str, value_of) -> LayoutSheet:
    """A grid as a spreadsheet layout; ``value_of(cell)`` gives a figure cell's value."""
    sheet = LayoutSheet(grid.name, title, grid.cols, grid.widths)
    for c in grid.cells:
        value = value_of(c) if c.key else c.text
        fmt = "0.0000" if c.key and formats.is_money(c.key) else None
        sheet.cells.append(LayoutCell(c.row, c.col, value, c.rowspan, c.colspan, c.header, fmt))
    return sheet


def to_xlsx(content: Content, draft: bool = False) -> bytes:
    title = document_title(content, draft)
    text = LayoutSheet("报告正文", title, 1, [75], text_rows=[preamble(content)])  # fits A4 portrait
    for _, label, body in sections(content):
        text.text_rows.append(label)
        if body:
            text.text_rows += body.splitlines()
    sheets = [text] + [layout_sheet(g, f"{g.heading}（{content.organ}{content.year}年）",
                                    lambda c: content.cells.get(c.key, 0)) for g in formats.grids(content.fmt)]
    return layout_workbook(sheets)


def statistics_xlsx(year: int, organ: str, cells: dict) -> bytes:
    """Tables 三 and 四 of the statistics page in the official layout (the report's own writer)."""
    fmt = formats.format_for(year)
    return layout_workbook([layout_sheet(g, f"{g.heading}（{organ}{year}年）", lambda c: cells.get(c.key, 0))
                            for g in (formats.grid_three(fmt), formats.grid_four(fmt))])


# --- DOCX ----------------------------------------------------------------------------------------------

def _font(run, size: float, bold: bool = False, family: str = "仿宋") -> None:
    run.font.size = Pt(size)
    run.bold = bold
    run.font.name = family
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), family)


def _paragraph(doc, text: str, size: float = 14, bold: bool = False, family: str = "仿宋", align=None, indent=True):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    _font(p.add_run(text), size, bold, family)
    return p


def _table(doc, content: Content, grid: formats.Grid, size: float) -> None:
    table = doc.add_table(rows=grid.rows, cols=grid.cols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for c in grid.cells:
        cell = table.cell(c.row, c.col)
        if c.rowspan > 1 or c.colspan > 1:
            cell = cell.merge(table.cell(c.row + c.rowspan - 1, c.col + c.colspan - 1))
        p = cell.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER if (c.header or c.key) else WD_ALIGN_PARAGRAPH.LEFT
        _font(p.add_run(cell_text(content, c)), size, bold=c.header, family="宋体")


def to_docx(content: Content, draft: bool = False) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    _paragraph(doc, document_title(content, draft), 22, True, "方正小标宋简体", WD_ALIGN_PARAGRAPH.CENTER, False)
    _paragraph(doc, preamble(content))
    grids = {g.heading: g for g in formats.grids(content.fmt)}
    for key, label, text in sections(content):
        _paragraph(doc, label, 16, True, "黑体", indent=True)
        if label in grids:
            _table(doc, content, grids[label], 7.5 if grids[label].name != "表二" else 10.5)
        for line in (text or "").splitlines():
            if line.strip():
                _paragraph(doc, line.strip())
    _paragraph(doc, content.organ, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    today = china_today()
    _paragraph(doc, f"{today.year}年{today.month}月{today.day}日", align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()
