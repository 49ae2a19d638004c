"""Excel and CSV in and out, with Chinese headers and Chinese error messages.

Reading: ``read_rows`` turns an uploaded .xlsx (or .csv, where allowed) into numbered rows keyed by
field name, refusing files it cannot read or whose header lacks a required column. Writing:
``workbook`` builds a one-sheet .xlsx with a bold header, neutralising cells that a spreadsheet
would run as formulas (CSV/Excel injection).
"""
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from .errors import ServiceError

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 5000
_FORMULA_START = ("=", "+", "-", "@")


def cell_text(value) -> str:
    """A cell as text; whole numbers typed into Excel (codes such as 001) lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _xlsx_table(data: bytes) -> list[list]:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise ServiceError("无法读取该 Excel 文件，请确认是 .xlsx 格式。", "file") from None
    try:
        return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()


def _csv_table(data: bytes) -> list[list]:
    # Excel in China saves CSV as GBK; other tools as UTF-8 (often with a BOM).
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return list(csv.reader(io.StringIO(data.decode(encoding))))
        except UnicodeDecodeError:
            continue
    raise ServiceError("无法识别 CSV 文件的编码，请保存为 UTF-8 或 GBK。", "file")


def read_rows(filename: str, data: bytes, columns: dict, required, *, allow_csv: bool = True,
              strict: bool = True, hint: str = "") -> list[tuple[int, dict]]:
    """Rows of an uploaded file as (row number as the user sees it, {field: text}).

    ``columns`` maps Chinese headers to field names. The header's whitespace is ignored. With
    ``strict`` an unknown column is refused; otherwise it is skipped. Empty rows are skipped.
    """
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        table = _xlsx_table(data)
    elif allow_csv and name.endswith(".csv"):
        table = _csv_table(data)
    else:
        raise ServiceError("只支持 Excel（.xlsx）或 CSV（.csv）文件。" if allow_csv else "请上传 Excel（.xlsx）文件。",
                           "file")
    if not table:
        raise ServiceError("文件是空的。", "file")
    header = [re.sub(r"\s+", "", str(h or "")) for h in table[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise ServiceError(f"表头缺少列：{'、'.join(missing)}{hint or '（第1行应为：' + '、'.join(columns) + '）'}。",
                           "file")
    unknown = [h for h in header if h and h not in columns]
    if strict and unknown:
        raise ServiceError(f"无法识别的列：{'、'.join(unknown)}。", "file")
    rows = []
    for number, values in enumerate(table[1:], start=2):
        cells = {columns[h]: cell_text(v) for h, v in zip(header, values) if h in columns}
        if any(cells.values()):
            rows.append((number, cells))
    if not rows:
        raise ServiceError("文件中没有数据行。", "file")
    if len(rows) > MAX_ROWS:
        raise ServiceError(f"一次最多导入{MAX_ROWS}行。", "file")
    return rows


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


# --- official layouts: tables with merged header cells (the annual report's tables 二, 三, 四) ---------

@dataclass
class LayoutCell:
    """A cell of an official table: its position in the table, its value, how far it spans."""

    row: int
    col: int
    value: object = ""
    rowspan: int = 1
    colspan: int = 1
    header: bool = False
    number_format: str | None = None


@dataclass
class LayoutSheet:
    name: str
    title: str                 # a line above the table, merged across it
    cols: int
    widths: list[int]
    cells: list[LayoutCell] = field(default_factory=list)
    text_rows: list[str] = field(default_factory=list)   # paragraphs instead of a table (a text sheet)
    freeze: str | None = None  # e.g. "C5": the header rows and the name columns stay in view


def layout_workbook(sheets: list[LayoutSheet]) -> bytes:
    """Sheets laid out as the official tables are printed: a title line, then the table with its
    merged cells, thin borders on every cell, bold centred headers; text is formula-safe."""
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.name[:31])
        ws.cell(row=1, column=1, value=_safe(sheet.title)).font = Font(bold=True, size=14)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(sheet.cols, 1))
        ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
        for i, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        for n, text in enumerate(sheet.text_rows, start=3):
            cell = ws.cell(row=n, column=1, value=_safe(text))
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for c in sheet.cells:
            top, left = c.row + 3, c.col + 1
            bottom, right = top + c.rowspan - 1, left + c.colspan - 1
            for r in range(top, bottom + 1):
                for col in range(left, right + 1):
                    ws.cell(row=r, column=col).border = border
            cell = ws.cell(row=top, column=left, value=_safe(c.value))
            numeric = isinstance(c.value, (int, float, Decimal)) and not isinstance(c.value, bool)
            cell.alignment = Alignment(horizontal="center" if c.header or numeric else "left",
                                       vertical="center", wrap_text=True)
            if c.header:
                cell.font = Font(bold=True)
            if c.number_format:
                cell.number_format = c.number_format
            if bottom > top or right > left:
                ws.merge_cells(start_row=top, start_column=left, end_row=bottom, end_column=right)
        if sheet.freeze:
            ws.freeze_panes = sheet.freeze
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
