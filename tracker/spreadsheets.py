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

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
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


def grouped_workbook(title: str, caption: str, lead: list[str], groups: list[tuple[str, list[str]]], rows,
                     notes=()) -> bytes:
    """A statistics table as offices print it: a caption row, then a two-row header where each
    ``lead`` column (序号, 单位) is merged over both rows and each group's name over its columns;
    the data rows, then ``notes`` below. Header frozen, columns sized; returned as .xlsx bytes."""
    from openpyxl.styles import Alignment

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    width = len(lead) + sum(len(cols) for _, cols in groups)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.cell(row=1, column=1, value=_safe(caption)).font = Font(bold=True, size=14)
    ws.cell(row=1, column=1).alignment = centre
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    for i, label in enumerate(lead, start=1):
        ws.cell(row=2, column=i, value=label)
        ws.merge_cells(start_row=2, start_column=i, end_row=3, end_column=i)
    col = len(lead) + 1
    for group, cols in groups:
        ws.cell(row=2, column=col, value=group)
        if len(cols) > 1:
            ws.merge_cells(start_row=2, start_column=col, end_row=2, end_column=col + len(cols) - 1)
        for j, label in enumerate(cols):
            ws.cell(row=3, column=col + j, value=label)
        col += len(cols)
    for row in ws.iter_rows(min_row=2, max_row=3, max_col=width):
        for cell in row:
            cell.font, cell.alignment = Font(bold=True), centre
    for row in rows:
        ws.append([_safe(v) for v in row])
    for note in notes:
        ws.append([])
        ws.append([_safe(note)])
    ws.freeze_panes = ws.cell(row=4, column=len(lead) + 1)
    ws.column_dimensions["A"].width = 6
    if len(lead) > 1:
        ws.column_dimensions["B"].width = 28
    for i in range(len(lead) + 1, width + 1):
        ws.column_dimensions[ws.cell(row=3, column=i).column_letter].width = 11
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
