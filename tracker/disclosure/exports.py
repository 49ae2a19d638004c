"""Excel files of the disclosure pages (Chinese headers) and the catalogue import reader."""
import io
import re
import zipfile

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from ..errors import ServiceError
from .models import CADENCES, FREQUENCIES

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_IMPORT_ROWS = 5000
# Characters that make a spreadsheet cell a formula (CSV/Excel injection); prefixed with a quote.
_FORMULA_START = ("=", "+", "-", "@")


def _safe(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def workbook(title: str, headers: list[str], rows) -> bytes:
    """One sheet: bold Chinese header row, then the rows; returned as .xlsx bytes."""
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([_safe(v) for v in row])
    for i, h in enumerate(headers, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = max(10, min(40, len(h) * 3))
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


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
    if not (filename or "").lower().endswith(".xlsx"):
        raise ServiceError("请上传 Excel（.xlsx）文件。", "file")
    try:
        ws = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        table = [list(r) for r in ws.iter_rows(values_only=True)]
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ServiceError("无法读取该 Excel 文件，请确认是 .xlsx 格式。", "file") from None
    if not table:
        raise ServiceError("文件是空的。", "file")
    header = [re.sub(r"\s+", "", str(h or "")) for h in table[0]]
    missing = [c for c in ("单位编码", "公开事项", "重点领域", "公开类型") if c not in header]
    if missing:
        raise ServiceError(f"表头缺少列：{'、'.join(missing)}（请以导出的目录文件为模板）。", "file")
    rows = []
    for number, values in enumerate(table[1:], start=2):
        cells = {CATALOGUE_COLUMNS[h]: _text(v) for h, v in zip(header, values) if h in CATALOGUE_COLUMNS}
        if any(cells.values()):
            cells["row"] = number
            rows.append(cells)
    if len(rows) > MAX_IMPORT_ROWS:
        raise ServiceError(f"一次最多导入{MAX_IMPORT_ROWS}行。", "file")
    return rows


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()
