"""The annual report as published: DOCX (title, headings, tables with merged header cells, the table
三 note), XLSX (the same tables, one sheet each, plus the text), a printable HTML page and JSON
(every cell keyed by its official row and column labels).

A report that breaks a consistency rule, or whose text still holds a drafting placeholder
(【请补充…】), is exported only as a draft (marked 草稿 in its title); asked for as final, the export
is refused naming the first broken rule or the sections still to be written.
"""
import json
from datetime import date
from io import BytesIO
from pathlib import Path

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt
from flask import render_template

from .. import official_docx as od
from ..errors import ServiceError
from ..official_docx import cn_date
from ..spreadsheets import LayoutCell, LayoutSheet, layout_workbook
from ..timeutil import china_today, to_china
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

# Column widths in mm over the 156 mm text block: label columns wide enough that a label wraps at most
# once, numeric columns just wide enough for four digits at NUMBER_SIZE (never split across lines).
DOCX_WIDTHS = {"表二": [60, 32, 32, 32], "表三": [8, 14, 67.5] + [9.5] * 7, "表四": [10.4] * 15}
LABEL_SIZE = {"表二": Pt(10.5), "表三": Pt(9), "表四": Pt(9)}
NUMBER_SIZE = Pt(10.5)


def signed_on(content: Content) -> date | None:
    """The day the report is dated (落款): the day the office accepted a unit's report, else the day
    it was handed in; the day the city report was finalised. None while it is still being written."""
    report = content.report
    if report is None or not report.frozen:
        return None
    if report.is_city:
        return to_china(report.finalized_at).date() if report.finalized_at else None
    handed = report.last_submission
    if handed is None:
        return None
    if handed.decision == "accepted" and handed.decided_at:
        return to_china(handed.decided_at).date()
    return handed.submitted_on


def _table(doc, content: Content, grid: formats.Grid) -> None:
    """A table of the report on fixed columns: header rows repeated on every page, no row split."""
    table = doc.add_table(rows=grid.rows, cols=grid.cols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for c in grid.cells:
        cell = table.cell(c.row, c.col)
        if c.rowspan > 1 or c.colspan > 1:
            cell = cell.merge(table.cell(c.row + c.rowspan - 1, c.col + c.colspan - 1))
        if c.key:
            od.cell(cell, cell_text(content, c), align=WD_ALIGN_PARAGRAPH.CENTER, size=NUMBER_SIZE)
        else:
            od.cell(cell, c.text, bold=c.header, size=LABEL_SIZE[grid.name],
                    align=WD_ALIGN_PARAGRAPH.CENTER if c.header else WD_ALIGN_PARAGRAPH.LEFT)
    first_body = min(c.row for c in grid.cells if not c.header)
    for i, row in enumerate(table.rows):
        if i < first_body and grid.name != "表二":  # 表二's blocks each have their own header
            od.repeat_header(row)
        else:
            od.keep_row(row)
    od.cell_margins(table)
    od.column_widths(table, [Mm(w) for w in DOCX_WIDTHS[grid.name]])


def to_docx(content: Content, draft: bool = False) -> bytes:
    """The report on the official-document page (official-documents.md): 小标宋 title, 3号仿宋 body,
    黑体 headings, tables 二 三 四, the organ and the day it is dated; a draft says 草稿 on every page."""
    doc = od.new_document()
    if draft:
        od.mark_every_page(doc.sections[0], "草稿")
    od.title(doc, document_title(content, draft))
    od.paragraph(doc, indent=False)
    od.paragraph(doc, preamble(content))
    grids = {g.heading: g for g in formats.grids(content.fmt)}
    after_table = False
    for key, label, text in sections(content):
        heading = od.paragraph(doc, label, od.HEITI)
        heading.paragraph_format.keep_with_next = True  # never alone at the foot of a page
        if after_table:
            heading.paragraph_format.space_before = Pt(12)
        after_table = label in grids
        if after_table:
            _table(doc, content, grids[label])
        for line in (text or "").splitlines():
            if line.strip():
                od.paragraph(doc, line.strip())
    day = signed_on(content)
    dated = f"草稿 {cn_date(china_today())}" if draft else cn_date(day or china_today())
    od.signature(doc, (content.organ, dated), blank_above=2)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()
