"""A bulletin's files: the official DOCX (document.py) and the unit table as XLSX."""
from __future__ import annotations

from datetime import date

from .. import spreadsheets
from . import document
from .figures import column_groups
from .models import Bulletin
from .services import content

FORMATS = {"docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "公文"),
           "xlsx": (spreadsheets.XLSX_MIME, "统计表")}


def docx_bytes(bulletin: Bulletin) -> bytes:
    return document.build(content(bulletin), draft=not bulletin.is_published)


def _cell(value):
    return "—" if value is None else value


def xlsx_bytes(bulletin: Bulletin) -> bytes:
    """序号, 单位 and every figure per unit under merged group headers, then the 合计 row."""
    c = content(bulletin)
    figs = c["figures"]
    groups = column_groups(figs.get("scores", False))
    keys = [key for _, cols in groups for key, _ in cols]
    rows = [[n, r["name"], *[_cell(r.get(k)) for k in keys]] for n, r in enumerate(figs["rows"], start=1)]
    rows.append(["合计", "", *[figs["totals"].get(k, "") for k in keys]])
    as_of = date.fromisoformat(figs["as_of"])
    notes = [f"数据统计截至{as_of.year}年{as_of.month}月{as_of.day}日；"
             f"{'发文字号：' + c['doc_number'] if bulletin.is_published else '草稿，未印发'}。",
             "主动公开任务按公开期限所在季度统计，依申请公开按答复期限所在季度统计（暂停计时期间不计入），"
             "整改事项按整改期限所在季度统计。"]
    return spreadsheets.grouped_workbook(c["quarter_label"], c["table_title"], ["序号", "单位"],
                                         [(g, [label for _, label in cols]) for g, cols in groups], rows, notes)


def file_name(bulletin: Bulletin, fmt: str) -> str:
    """关于2026年第三季度全市政务公开工作情况的通报-公文.docx"""
    c = content(bulletin)
    return f"{c['title']}-{FORMATS[fmt][1]}{'（草稿）' if not bulletin.is_published else ''}.{fmt}"


def build(bulletin: Bulletin, fmt: str) -> bytes:
    return docx_bytes(bulletin) if fmt == "docx" else xlsx_bytes(bulletin)
