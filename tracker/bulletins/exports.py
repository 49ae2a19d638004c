"""A bulletin's files: the official DOCX (document.py) and the unit table as XLSX."""
from __future__ import annotations

from datetime import date

from .. import spreadsheets
from ..spreadsheets import LayoutCell, LayoutSheet
from . import document
from .figures import RANK_NOTE, column_groups
from .models import Bulletin
from .services import content

FORMATS = {"docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "公文"),
           "xlsx": (spreadsheets.XLSX_MIME, "统计表")}


def docx_bytes(bulletin: Bulletin) -> bytes:
    return document.build(content(bulletin), draft=not bulletin.is_published)


def _cell(value):
    return "—" if value is None else value


def xlsx_bytes(bulletin: Bulletin) -> bytes:
    """The unit table as printed (spreadsheets.layout_workbook): 序号 and 单位 merged over the two
    header rows, each group's name over its columns, a line per unit, the 合计 row, the notes."""
    c = content(bulletin)
    figs = c["figures"]
    groups = column_groups(figs.get("scores", False), figs.get("website", False), figs.get("ratings", False))
    keys = [key for _, cols in groups for key, _ in cols]
    cells = [LayoutCell(0, 0, "序号", rowspan=2, header=True), LayoutCell(0, 1, "单位", rowspan=2, header=True)]
    col = 2
    for group, cols in groups:
        cells.append(LayoutCell(0, col, group, colspan=len(cols), header=True))
        cells += [LayoutCell(1, col + j, label, header=True) for j, (_, label) in enumerate(cols)]
        col += len(cols)
    for n, r in enumerate(figs["rows"], start=1):
        cells += [LayoutCell(n + 1, 0, n), LayoutCell(n + 1, 1, r["name"])]
        cells += [LayoutCell(n + 1, 2 + j, _cell(r.get(k))) for j, k in enumerate(keys)]
    last = len(figs["rows"]) + 2
    cells.append(LayoutCell(last, 0, "合计", colspan=2, header=True))
    cells += [LayoutCell(last, 2 + j, figs["totals"].get(k, "")) for j, k in enumerate(keys)]
    as_of = date.fromisoformat(figs["as_of"])
    notes = [f"数据统计截至{as_of.year}年{as_of.month}月{as_of.day}日；"
             f"{'发文字号：' + c['doc_number'] if bulletin.is_published else '草稿，未印发'}。",
             "主动公开任务按公开期限所在季度统计，依申请公开按答复期限所在季度统计（暂停计时期间不计入），"
             "整改事项按整改期限所在季度统计。"]
    if figs.get("scores"):
        notes.append(RANK_NOTE)
    cells += [LayoutCell(last + 2 + i, 0, note, colspan=2 + len(keys)) for i, note in enumerate(notes)]
    sheet = LayoutSheet(c["quarter_label"], c["table_title"], 2 + len(keys), [6, 26] + [10] * len(keys), cells,
                        freeze="C5")
    return spreadsheets.layout_workbook([sheet])


def file_name(bulletin: Bulletin, fmt: str) -> str:
    """关于2026年第三季度全市政务公开工作情况的通报-公文.docx"""
    c = content(bulletin)
    return f"{c['title']}-{FORMATS[fmt][1]}{'（草稿）' if not bulletin.is_published else ''}.{fmt}"


def build(bulletin: Bulletin, fmt: str) -> bytes:
    return docx_bytes(bulletin) if fmt == "docx" else xlsx_bytes(bulletin)
