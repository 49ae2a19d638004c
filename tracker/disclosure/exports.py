"""Excel files of the disclosure pages (Chinese headers) and the catalogue import reader."""
from ..spreadsheets import XLSX_MIME, read_rows, workbook  # noqa: F401  (used by the views)
from .models import CADENCES, FREQUENCIES

TASK_HEADERS = ["单位", "任务名称", "重点领域", "周期", "信息形成日期", "公开期限", "期限暂定", "状态",
                "签收时间", "发布日期", "公开渠道", "网址", "文号", "规范性文件", "是否逾期发布", "是否已逾期"]


def task_rows(tasks, today):
    from ..timeutil import format_datetime
    for t in tasks:
        yield [t.unit.name, t.title, t.key_area.name, t.period_key or "临时", t.formed_date, t.due_date,
               "是" if t.due_provisional else "否", t.state_label, format_datetime(t.acknowledged_at),
               t.published_on, "、".join(t.channel_labels), t.url or "", t.doc_number or "",
               "是" if t.normative else "否", "是" if t.published_late else "否",
               "是" if t.is_overdue(today) else "否"]


REGISTER_HEADERS = ["单位", "信息名称", "重点领域", "信息形成日期", "公开期限", "发布日期", "按时/逾期",
                    "公开渠道", "网址", "文号", "规范性文件", "状态"]


def register_rows(tasks):
    for t in tasks:
        yield [t.unit.name, t.title, t.key_area.name, t.formed_date, t.due_date, t.published_on,
               "逾期发布" if t.published_late else "按时发布", "、".join(t.channel_labels), t.url or "",
               t.doc_number or "", "是" if t.normative else "否", t.state_label]


# Catalogue: the export is also the import template (same columns).
CATALOGUE_COLUMNS = {"单位编码": "unit_code", "单位名称": "unit_name", "公开事项": "title", "重点领域": "key_area",
                     "公开类型": "cadence", "周期": "frequency", "信息形成日（周期首日后天数）": "formation_offset_days",
                     "公开时限（工作日）": "period_days", "公开渠道": "channels", "须经审核": "review_required",
                     "备注": "note"}


def catalogue_rows(duties):
    for d in duties:
        yield [d.unit.code, d.unit.name, d.title, d.key_area.name, CADENCES[d.cadence].split("（")[0],
               FREQUENCIES.get(d.frequency or "", ""), d.formation_offset_days, d.period_days,
               "、".join(d.channel_labels), "是" if d.review_required else "否", d.note or ""]


def read_catalogue(filename: str, data: bytes) -> list[dict]:
    """Rows of an uploaded catalogue workbook as dicts (``row`` = the row number in Excel)."""
    rows = read_rows(filename, data, CATALOGUE_COLUMNS, ("单位编码", "公开事项", "重点领域", "公开类型"),
                     allow_csv=False, strict=False, hint="（请以导出的目录文件为模板）")
    return [{**cells, "row": number} for number, cells in rows]
