"""Excel and CSV in and out, with Chinese headers and Chinese error messages. Every spreadsheet
the tracker reads or writes goes through this module.

Reading: ``read_rows`` turns an uploaded .xlsx (or .csv, where allowed) into numbered rows keyed by
field name, refusing files it cannot read or whose header lacks a required column, and stopping as
soon as the file has more rows than an import may have (read-only, streaming).

Writing: ``export`` (a download) and ``workbook`` (bytes) stream rows into a one-sheet .xlsx with
a bold, frozen header, an autofilter and column widths from the content (the header and the first
rows; a Chinese character counts two; capped, and longer text wrapped). Every export is set up for
paper (``PrintSetup`` below): A4, landscape when wide, one page wide, the header repeated on each
page. Every text is written as text — never as
a formula — and text a spreadsheet would run as one (``=HYPERLINK(...)``, ``+``, ``-``, ``@``) is
also marked "quote prefix", so that editing the cell in Excel keeps it text (CSV/Excel injection).
A CSV download (``csv_text``) has no quote prefix: such text gets a leading apostrophe instead, as
OWASP recommends. Every text written, XLSX or CSV, loses what XML forbids and what no form lets
through either (``inputs.strip_control_characters``): text stored before the filter still exports.
Rows are written as they come, so an export of 150,000 tasks needs neither the rows nor the sheet
in memory.

Why SpreadsheetML by hand rather than a library (the project prefers maintained libraries): the
task export of 150,000 tasks must take at most 10 s (bench/bench_exports.py) on the two-core
target machine, and both maintained writers spend more than that on the cells alone:

- openpyxl's write-only mode: ~90 µs per row of 17 cells, over 13 s for 150,000 rows.
- XlsxWriter 3.3.1 with ``constant_memory`` (measured 2026-11-27, each cell through
  ``write_string``/``write_datetime``/``write_number`` with the same formats and quote prefixes):
  the writer alone 15.0 s CPU for 150,000 rows of 17 cells against 1.5 s for this module; the
  whole task export 18.9 s (15.5 s CPU) on SQLite and 43.9 s (16.7 s CPU, shared cores) on
  PostgreSQL, against 7.0 s (4.2 s CPU) and 4.2 s (3.4 s CPU) with this module. Its time goes to
  per-cell Python (``_write_cell``, escaping, XML attributes), ~100 µs a row.

So this writer stays, kept small: inline strings (no shared-string table to hold in memory), five
cell formats, one sheet; ``tests/test_spreadsheets.py`` reads its files back with openpyxl.
"""
import csv
import io
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from itertools import islice
from unicodedata import east_asian_width

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from .archives import check_zip
from .downloads import download
from .errors import ServiceError
from .inputs import strip_control_characters
from .timeutil import china_today, to_china

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 5000
MAX_COLUMNS = 60  # an import's columns; cells beyond are not read
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def cell_text(value) -> str:
    """A cell as text; whole numbers typed into Excel (codes such as 001) lose their ``.0``;
    control characters (which no form would let through either) are dropped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return strip_control_characters(str(value)).strip()


def _xlsx_table(data: bytes):
    """The first sheet's rows, read lazily from a read-only workbook (closed when exhausted)."""
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = wb.worksheets[0]
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError):
        raise ServiceError("无法读取该 Excel 文件，请确认是 .xlsx 格式。", "file") from None
    try:
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            yield list(row)
    except (KeyError, OSError, ValueError, TypeError, zipfile.BadZipFile):
        raise ServiceError("无法读取该 Excel 文件，请确认是 .xlsx 格式。", "file") from None
    finally:
        wb.close()


def _csv_table(data: bytes):
    # Excel in China saves CSV as GBK; other tools as UTF-8 (often with a BOM).
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            yield from csv.reader(io.StringIO(text.replace("\x00", "")))
        except csv.Error:
            raise ServiceError("无法读取该 CSV 文件。", "file") from None
        return
    raise ServiceError("无法识别 CSV 文件的编码，请保存为 UTF-8 或 GBK。", "file")


def read_rows(filename: str, data: bytes, columns: dict, required, *, allow_csv: bool = True,
              strict: bool = True, hint: str = "") -> list[tuple[int, dict]]:
    """Rows of an uploaded file as (row number as the user sees it, {field: text}).

    ``columns`` maps Chinese headers to field names. The header's whitespace is ignored. With
    ``strict`` an unknown column is refused; otherwise it is skipped. Empty rows are skipped.
    """
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        check_zip(data, "Excel 文件")  # every import: the declared sizes before anything is inflated
        table = _xlsx_table(data)
    elif allow_csv and name.endswith(".csv"):
        table = _csv_table(data)
    else:
        raise ServiceError("只支持 Excel（.xlsx）或 CSV（.csv）文件。" if allow_csv else "请上传 Excel（.xlsx）文件。",
                           "file")
    table = iter(table)
    first = next(table, None)
    if first is None:
        raise ServiceError("文件是空的。", "file")
    header = [re.sub(r"\s+", "", cell_text(h)) for h in first]
    missing = [c for c in required if c not in header]
    if missing:
        raise ServiceError(f"表头缺少列：{'、'.join(missing)}{hint or '（第1行应为：' + '、'.join(columns) + '）'}。",
                           "file")
    unknown = [h for h in header if h and h not in columns]
    if strict and unknown:
        raise ServiceError(f"无法识别的列：{'、'.join(unknown)}。", "file")
    rows = []
    for number, values in enumerate(table, start=2):
        cells = {columns[h]: cell_text(v) for h, v in zip(header, values) if h in columns}
        if any(cells.values()):
            rows.append((number, cells))
            if len(rows) > MAX_ROWS:  # checked while reading: the rest of the file is never parsed
                raise ServiceError(f"一次最多导入{MAX_ROWS}行。", "file")
    if not rows:
        raise ServiceError("文件中没有数据行。", "file")
    return rows


# --- writing ---------------------------------------------------------------------------------------

# --- print setup and widths (shared by both writers) ------------------------------------------------

MAX_WIDTH = 40         # Excel character units; longer text wraps
MIN_WIDTH = 8
LINE_HEIGHT = 14.5     # points per line of 11-point text
LANDSCAPE_COLUMNS = 8  # more columns than this, or a total width past PORTRAIT_WIDTH, prints landscape
PORTRAIT_WIDTH = 95    # what fits across A4 portrait at 100 % between the margins
WIDTH_SAMPLE = 500     # the rows a streamed export measures before writing (it never holds them all)


def display_width(value) -> int:
    """The width of a value as printed, in Excel character units: a Chinese (wide) character counts
    two; dates as yyyy-mm-dd (hh:mm); the longest line of a text."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, float):
        value = f"{value:.4f}".rstrip("0").rstrip(".")
    return max((sum(2 if east_asian_width(ch) in "WF" else 1 for ch in line)
                for line in str(value).splitlines()), default=0)


@lru_cache(maxsize=16384)
def wrapped_lines(value, width: int) -> int:
    """How many lines ``value`` takes wrapped in a column ``width`` wide (a spreadsheet does not
    always grow a row to its wrapped text by itself: LibreOffice keeps the default height)."""
    if not isinstance(value, str) or not value:
        return 1
    room = max(1, width - 1)
    return sum(max(1, -(-display_width(line) // room)) for line in value.splitlines()) or 1


def fitted_width(header: str, values, most: int = MAX_WIDTH) -> int:
    """A column's width from its header and values (plus a margin): at least ``MIN_WIDTH``, at most
    ``most`` (and ``MAX_WIDTH``); text wider wraps."""
    widest = max([display_width(header)] + [display_width(v) for v in values])
    return max(MIN_WIDTH, min(most, MAX_WIDTH, widest + 2))


@dataclass(frozen=True)
class PrintSetup:
    """How a sheet prints: A4, the orientation, one page wide (as many pages down as it takes),
    ``title_rows`` (e.g. "1:1") repeated on every page."""

    landscape: bool
    title_rows: str

    @classmethod
    def for_widths(cls, widths: list, title_rows: str) -> "PrintSetup":
        return cls(len(widths) > LANDSCAPE_COLUMNS or sum(widths) > PORTRAIT_WIDTH, title_rows)

    def sheet_pr(self) -> str:
        return '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'

    def page_xml(self) -> str:
        """pageMargins, pageSetup (A4 = paperSize 9) and a footer with the page number."""
        return ('<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
                f'<pageSetup paperSize="9" orientation="{"landscape" if self.landscape else "portrait"}" '
                'fitToWidth="1" fitToHeight="0"/>'
                '<headerFooter><oddFooter>&amp;C第 &amp;P 页，共 &amp;N 页</oddFooter></headerFooter>')

    def apply(self, ws) -> None:
        """The same on an openpyxl sheet."""
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "landscape" if self.landscape else "portrait"
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.page_margins.top = ws.page_margins.bottom = 0.6
        ws.print_title_rows = self.title_rows
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"


@dataclass(frozen=True)
class Column:
    """A column of an export: its Chinese header and the most width it may take in Excel's
    character units (a Chinese character is about two); within that, the content sets the width
    and longer text wraps."""

    header: str
    width: int = MAX_WIDTH


def columns(*specs) -> list[Column]:
    """Columns from ``Column``s, (header, most width) pairs or bare headers (up to ``MAX_WIDTH``)."""
    out = []
    for spec in specs:
        if isinstance(spec, Column):
            out.append(spec)
        elif isinstance(spec, tuple):
            out.append(Column(*spec))
        else:
            out.append(Column(spec))
    return out


_XF_HEADER, _XF_DATE, _XF_DATETIME, _XF_TEXT_QUOTED, _XF_WRAP, _XF_WRAP_QUOTED = 1, 2, 3, 4, 5, 6
_EXCEL_EPOCH = date(1899, 12, 30).toordinal()
_NS = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '</Types>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>')
# Cell formats (all top-aligned, so that a row grown by wrapped text reads along its first line):
# 0 normal, 1 bold centred header, 2 date, 3 date and time, 4 text with quote prefix, 5 wrapped
# text, 6 wrapped text with quote prefix.
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/></font>'
    '<font><b/><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFE7EEF7"/><bgColor indexed="64"/></patternFill></fill>'
    '</fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" applyAlignment="1">'
    '<alignment vertical="top"/></xf></cellStyleXfs>'
    '<cellXfs count="7"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top"/></xf>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" applyAlignment="1">'
    '<alignment horizontal="center" vertical="center" wrapText="1"/></xf>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyAlignment="1">'
    '<alignment vertical="top"/></xf>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyAlignment="1">'
    '<alignment vertical="top"/></xf>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyAlignment="1" '
    'quotePrefix="1"><alignment vertical="top"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top" wrapText="1"/></xf>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyAlignment="1" '
    'quotePrefix="1"><alignment vertical="top" wrapText="1"/></xf>'
    '</cellXfs><cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')


def csv_cell(value) -> str:
    """One CSV field, by the rule of the XLSX cells: text cleaned, and text a spreadsheet would run
    as a formula (``=``, ``+``, ``-``, ``@``, a leading tab or line break) prefixed with an
    apostrophe, CSV's only way to say "this is text". Numbers are written as numbers."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    text = strip_control_characters(str(value))
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(header: list, rows) -> str:
    """A CSV file (as text) of a header and rows, every field written by ``csv_cell``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def _escape(text: str) -> str:
    text = strip_control_characters(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r", "&#13;") if "\r" in text else text  # a bare CR would be read back as LF


@lru_cache(maxsize=16384, typed=True)  # units, states, labels and dates repeat on every row
def _cell(value) -> str:
    """One cell of SpreadsheetML. Text is always an inline string (never a formula)."""
    if value is None or value == "":
        return "<c/>"
    if isinstance(value, str):
        value = strip_control_characters(value)  # first: "\x00=SUM(...)" is still a formula's text
        style = f' s="{_XF_TEXT_QUOTED}"' if value.startswith(_FORMULA_START) else ""
        return f'<c t="inlineStr"{style}><is><t xml:space="preserve">{_escape(value)}</t></is></c>'
    if isinstance(value, bool):
        return '<c t="inlineStr"><is><t>是</t></is></c>' if value else '<c t="inlineStr"><is><t>否</t></is></c>'
    if isinstance(value, datetime):
        local = to_china(value) if value.tzinfo else value
        serial = local.toordinal() - _EXCEL_EPOCH + (local.hour * 3600 + local.minute * 60 + local.second) / 86400
        return f'<c s="{_XF_DATETIME}"><v>{serial:.10f}</v></c>'  # .6f would drift by up to 0.04 s
    if isinstance(value, date):
        return f'<c s="{_XF_DATE}"><v>{value.toordinal() - _EXCEL_EPOCH}</v></c>'
    if isinstance(value, (int, float)):
        return f"<c><v>{value}</v></c>"
    return _cell(str(value))


@lru_cache(maxsize=16384, typed=True)
def _wrapped_cell(value) -> str:
    """A cell of a column too narrow for its longest text: text wraps (top-aligned)."""
    if not isinstance(value, str) or value == "":
        return _cell(value)
    value = strip_control_characters(value)
    style = _XF_WRAP_QUOTED if value.startswith(_FORMULA_START) else _XF_WRAP
    return f'<c t="inlineStr" s="{style}"><is><t xml:space="preserve">{_escape(value)}</t></is></c>'


def _header_cell(text: str) -> str:
    return f'<c t="inlineStr" s="{_XF_HEADER}"><is><t>{_escape(text)}</t></is></c>'


def write_xlsx(out, title: str, cols: list[Column], rows) -> int:
    """Write a one-sheet workbook to the binary file ``out``; returns the number of data rows.

    The header row is bold, frozen and repeated on each printed page; the columns are as wide as
    the header and the first ``WIDTH_SAMPLE`` rows need (text past ``MAX_WIDTH`` wraps); an
    autofilter covers the header and every row; the sheet prints on A4, one page wide."""
    title = re.sub(r"[\[\]:*?/\\]", "", strip_control_characters(title))[:31] or "Sheet1"
    last_col = get_column_letter(max(1, len(cols)))
    rows = iter(rows)
    sample = list(islice(rows, WIDTH_SAMPLE))  # measured, then written first
    widths = [fitted_width(c.header, (r[i] for r in sample if i < len(r)), c.width) for i, c in enumerate(cols)]
    wrapped = [any(display_width(r[i]) > w for r in sample if i < len(r)) for i, w in enumerate(widths)]
    setup = PrintSetup.for_widths(widths, "1:1")
    if any(wrapped):
        makers = [_wrapped_cell if w else _cell for w in wrapped]
        narrow = [(i, widths[i]) for i, w in enumerate(wrapped) if w]

        def row_xml(n, row):
            lines = max(wrapped_lines(row[i], w) if i < len(row) else 1 for i, w in narrow)
            height = f' ht="{lines * LINE_HEIGHT + 1.5}" customHeight="1"' if lines > 1 else ""
            return f'<row r="{n}"{height}>{"".join(make(v) for make, v in zip(makers, row))}</row>'
    else:
        def row_xml(n, row):
            return f'<row r="{n}">{"".join(map(_cell, row))}</row>'
    count = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/styles.xml", _STYLES)
        with z.open("xl/worksheets/sheet1.xml", "w") as sheet:
            col_xml = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                              for i, w in enumerate(widths, start=1))
            sheet.write((
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS}>{setup.sheet_pr()}'
                '<sheetViews><sheetView workbookViewId="0" tabSelected="1">'
                '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
                f'<sheetFormatPr defaultRowHeight="15"/><cols>{col_xml}</cols><sheetData>'
                f'<row r="1">{"".join(_header_cell(c.header) for c in cols)}</row>').encode())
            chunk = sample
            while chunk:
                parts = []
                for row in chunk:
                    count += 1
                    parts.append(row_xml(count + 1, row))
                sheet.write("".join(parts).encode())
                chunk = list(islice(rows, 500))
            sheet.write(f'</sheetData><autoFilter ref="A1:{last_col}{count + 1}"/>{setup.page_xml()}'
                        '</worksheet>'.encode())
        quoted = title.replace("'", "''").replace("&", "&amp;").replace("<", "&lt;")
        z.writestr("xl/workbook.xml", (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {_NS}>'
            f'<sheets><sheet name="{_escape(title)}" sheetId="1" r:id="rId1"/></sheets>'
            '<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
            f"'{quoted}'!$A$1:${last_col}${count + 1}</definedName>"
            f"<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"0\">'{quoted}'!$1:$1</definedName>"
            "</definedNames></workbook>"))
    return count


def workbook(title: str, headers: list, rows) -> bytes:
    """A small one-sheet workbook as bytes (import templates); ``headers`` as for ``columns``."""
    out = io.BytesIO()
    write_xlsx(out, title, columns(*headers), rows)
    return out.getvalue()


def export(name: str, title: str, cols: list, rows, on_done=None):
    """A download of rows as ``<name>-<yyyymmdd>.xlsx`` (a Chinese name, sent as RFC 5987
    ``filename*``). Rows are streamed into a temporary file that spills to disk past 32 MB.
    ``on_done(count)`` runs after the last row (e.g. to audit how many rows left the system)."""
    from flask import request

    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
    count = write_xlsx(spool, title, columns(*cols), rows)
    if on_done is not None:
        on_done(count)
    spool.seek(0)
    response = download(spool, f"{name}-{china_today():%Y%m%d}.xlsx", XLSX_MIME)
    token = request.args.get("download_token", "")
    if re.fullmatch(r"[0-9a-z]{1,32}", token):  # tells the page's script the file has arrived
        response.set_cookie("download_done", token, max_age=60, samesite="Lax", httponly=False)
    return response


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
    freeze: str | None = None  # e.g. "C5": the header rows and the name columns stay in view (default:
                               # a table's title and header rows)

    def title_rows(self) -> str:
        """The rows repeated on each printed page: the title line and the table's header rows
        (those above the first row holding a value that is not a header)."""
        values = [c.row for c in self.cells if not c.header]
        headers = [c.row + c.rowspan for c in self.cells if c.header and (not values or c.row < min(values))]
        return f"1:{max(headers) + 2}" if headers else "1:1"


def _row_heights(sheet: LayoutSheet) -> dict[int, float]:
    """Heights (points) of the table rows whose text wraps, estimated from each cell's width (a
    merged cell: the columns it spans) and spread over the rows it spans; a spreadsheet does not
    grow a merged cell's rows by itself."""
    lines: dict[int, float] = {}
    for c in sheet.cells:
        need = wrapped_lines(c.value, sum(sheet.widths[c.col:c.col + c.colspan]) or 10)
        for r in range(c.row, c.row + c.rowspan):
            lines[r] = max(lines.get(r, 1), need / c.rowspan)
    for n, text in enumerate(sheet.text_rows):  # paragraphs of a text sheet, in its first column
        lines[n] = wrapped_lines(text, sheet.widths[0] if sheet.widths else 10)
    return {r + 3: max(15, round(n + 0.49) * LINE_HEIGHT + 3) for r, n in lines.items() if n > 1}


def _put(cell, value):
    """Write ``value`` into an openpyxl cell: text that looks like a formula stays text (quote prefix)."""
    if isinstance(value, str):
        value = strip_control_characters(value)
    cell.value = value
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def layout_workbook(sheets: list[LayoutSheet]) -> bytes:
    """Sheets laid out as the official tables are printed: a title line, then the table with its
    merged cells, thin borders on every cell, bold centred headers, rows as tall as their wrapped
    text; set up for A4 one page wide with the title and header rows on every page; text is
    formula-safe."""
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        ws = wb.create_sheet(strip_control_characters(sheet.name)[:31])
        _put(ws.cell(row=1, column=1), sheet.title).font = Font(bold=True, size=14)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(sheet.cols, 1))
        ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
        for i, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        for n, text in enumerate(sheet.text_rows, start=3):
            cell = _put(ws.cell(row=n, column=1), text)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for c in sheet.cells:
            top, left = c.row + 3, c.col + 1
            bottom, right = top + c.rowspan - 1, left + c.colspan - 1
            for r in range(top, bottom + 1):
                for col in range(left, right + 1):
                    ws.cell(row=r, column=col).border = border
            cell = _put(ws.cell(row=top, column=left), c.value)
            numeric = isinstance(c.value, (int, float, Decimal)) and not isinstance(c.value, bool)
            cell.alignment = Alignment(horizontal="center" if c.header or numeric else "left",
                                       vertical="center", wrap_text=True)
            if c.header:
                cell.font = Font(bold=True)
            if c.number_format:
                cell.number_format = c.number_format
            if bottom > top or right > left:
                ws.merge_cells(start_row=top, start_column=left, end_row=bottom, end_column=right)
        for r, height in _row_heights(sheet).items():
            ws.row_dimensions[r].height = height
        title_rows = sheet.title_rows()
        if sheet.freeze or sheet.cells:
            ws.freeze_panes = sheet.freeze or f"A{int(title_rows.split(':')[1]) + 1}"
        PrintSetup.for_widths(sheet.widths, title_rows).apply(ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
