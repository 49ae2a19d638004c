"""From fetched bytes to text, title and links, with real parsers only.

HTML is decoded by its declared charset (HTTP header, else the page's own ``<meta>``, read by
the HTML parser), else by detection (charset_normalizer); GB2312 and GBK are read as GB18030,
their superset, so a page that declares GB2312 but uses a GBK character still reads. The text
then goes through lxml's HTML parser; script and style are not text. PDF text comes from pypdf,
DOCX from python-docx, XLSX from openpyxl. Old binary DOC/XLS files cannot be read by these
libraries: their text is empty and the check says so.
"""
from __future__ import annotations

import io
import logging
import zipfile
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from ..archives import check_zip
from ..errors import ServiceError

log = logging.getLogger("tracker.website")

CHINESE_ENCODINGS = {"gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "x-gbk": "gb18030",
                     "cp936": "gb18030", "euc-cn": "gb18030", "hz-gb-2312": "hz", "big5": "big5"}
DOCUMENT_EXTENSIONS = {"pdf": "PDF", "doc": "DOC", "docx": "DOCX", "xls": "XLS", "xlsx": "XLSX", "wps": "WPS",
                       "et": "ET", "zip": "ZIP", "rar": "RAR", "txt": "TXT", "ofd": "OFD"}
TEXT_LIMIT = 2_000_000      # characters of text kept from one document (the privacy scan reads them)


@dataclass
class Link:
    url: str          # absolute, without fragment
    text: str
    row_text: str     # the text of the list row the link stands in (for the date beside it)


@dataclass
class Document:
    """What a fetched body holds: its kind (html, pdf, docx, xlsx, other), text, title, links."""

    kind: str
    text: str = ""
    title: str = ""
    links: list[Link] = field(default_factory=list)
    encoding: str | None = None
    problem: str | None = None    # why no text could be read


# Meta tags are ASCII: read as ISO-8859-1, every byte is a character and nothing fails to decode.
_BYTES_PARSER = lxml.html.HTMLParser(encoding="iso-8859-1")
_TEXT_PARSER = lxml.html.HTMLParser(encoding="utf-8")


def codec(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().lower()
    name = CHINESE_ENCODINGS.get(name, name)
    try:
        import codecs
        return codecs.lookup(name).name
    except LookupError:
        return None


def _meta_charset(body: bytes) -> str | None:
    """The charset a page declares in its own ``<meta>`` (read with the HTML parser)."""
    try:
        head = lxml.html.document_fromstring(body[:16384], parser=_BYTES_PARSER)
    except (etree.ParserError, ValueError):
        return None
    for meta in head.iter("meta"):
        if meta.get("charset"):
            return meta.get("charset")
        if (meta.get("http-equiv") or "").lower() == "content-type":
            for part in (meta.get("content") or "").split(";"):
                name, _, value = part.strip().partition("=")
                if name.strip().lower() == "charset" and value.strip():
                    return value.strip()
    return None


def decode_html(body: bytes, header_charset: str | None) -> tuple[str, str]:
    """(text, encoding) of an HTML body: declared charset first, then detection."""
    def declared():
        yield header_charset
        yield _meta_charset(body)   # read only when the header named none it knows

    for name in map(codec, declared()):
        if name:
            try:
                return body.decode(name), name
            except UnicodeDecodeError:
                break   # declared wrongly: detect instead
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes
    best = from_bytes(body[:200_000]).best()
    guess = codec(best.encoding) if best is not None else None
    # A government page that is not UTF-8 is GBK nearly always; the detector may name a
    # neighbouring East Asian codec for a short page, so GB18030 wins when it reads the bytes.
    if guess != "gb18030":
        try:
            return body.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            pass
    if guess:
        return body.decode(guess, errors="replace"), guess
    return body.decode("utf-8", errors="replace"), "utf-8"


def sniff(content_type: str, url: str, body: bytes) -> str:
    """html, pdf, docx, xlsx, doc, xls or other, from the leading bytes, the type and the name."""
    ext = urlsplit(url).path.rsplit(".", 1)[-1].lower() if "." in urlsplit(url).path else ""
    if body.startswith(b"%PDF") or content_type == "application/pdf":
        return "pdf"
    if body.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(body)).namelist()
        except zipfile.BadZipFile:
            return "other"
        if any(n.startswith("word/") for n in names):
            return "docx"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
        return "other"
    if body.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls" if ext in ("xls", "et") else "doc"
    if "html" in content_type or "xml" in content_type or ext in ("", "htm", "html", "shtml", "jsp", "php", "asp",
                                                                   "aspx"):
        return "html"
    if content_type.startswith("text/"):
        return "text"
    return "other"


def read(body: bytes, content_type: str, charset: str | None, url: str) -> Document:
    """The text (and for HTML the title and links) of a fetched body. Never raises: a document
    that cannot be read says why in ``problem``."""
    kind = sniff(content_type, url, body)
    if kind in ("docx", "xlsx"):
        try:
            check_zip(body, f"{kind.upper()}文件", None)  # before python-docx / openpyxl inflate it
        except ServiceError as exc:
            return Document(kind, problem=exc.message)
    try:
        if kind == "html":
            return read_html(body, charset, url)
        if kind == "pdf":
            return Document("pdf", text=_pdf_text(body))
        if kind == "docx":
            return Document("docx", text=_docx_text(body))
        if kind == "xlsx":
            return Document("xlsx", text=_xlsx_text(body))
        if kind == "text":
            text, encoding = decode_html(body, charset)
            return Document("text", text=text[:TEXT_LIMIT], encoding=encoding)
        if kind in ("doc", "xls"):
            return Document(kind, problem=f"旧版{kind.upper()}文件无法读取正文（请以DOCX/XLSX/PDF发布或人工核对）")
    except Exception as exc:  # noqa: BLE001 - a broken file is a finding about the file, not a crash
        log.info("could not read %s (%s): %s", url, kind, exc)
        return Document(kind, problem=f"文件无法读取（{kind.upper()}格式损坏或加密）")
    return Document("other", problem="不是网页或可读取的文档")


def read_html(body: bytes, charset: str | None, url: str) -> Document:
    text, encoding = decode_html(body, charset)
    if not text.strip():
        return Document("html", encoding=encoding, problem="网页内容为空")
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8"), parser=_TEXT_PARSER)
    except (etree.ParserError, ValueError):
        return Document("html", encoding=encoding, problem="网页无法解析")
    for bad in root.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    title_el = root.find(".//title")
    title = " ".join((title_el.text_content() if title_el is not None else "").split())
    base = url
    base_el = root.find(".//base")
    if base_el is not None and base_el.get("href"):
        base = urljoin(url, base_el.get("href"))
    body_el = root.find("body")
    page_text = _text_of(body_el if body_el is not None else root)
    return Document("html", text=page_text[:TEXT_LIMIT], title=title[:300], links=_links(root, base),
                    encoding=encoding)


ROW_TAGS = {"li", "tr", "dd", "dt", "p", "dl"}


def _text_of(element) -> str:
    """The element's text with its pieces apart: a number in one cell and a date in the next are
    two things, not one run of digits."""
    return " ".join(piece for piece in element.itertext() if piece and not piece.isspace())


def _row_text(anchor) -> str:
    """The text of the list row an anchor stands in: its nearest li/tr/dd/p, or its parent when
    that holds this one link only. A date printed beside the link is in it."""
    node = anchor.getparent()
    for _ in range(4):
        if node is None:
            break
        if node.tag in ROW_TAGS or len(node.findall(".//a")) > 1:
            break
        if node.getparent() is None or len(node.getparent().findall(".//a")) > 1:
            break
        node = node.getparent()
    if node is None or (node.tag not in ROW_TAGS and len(node.findall(".//a")) > 1):
        return _text_of(anchor)
    return _text_of(node)[:500]


def _links(root, base: str) -> list[Link]:
    out, seen = [], set()
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
            continue
        url = urljoin(base, href).split("#", 1)[0]
        if not url.startswith(("http://", "https://")):
            continue
        text = " ".join(_text_of(anchor).split()) or (anchor.get("title") or "").strip()
        key = (url, text)
        if key in seen:
            continue
        seen.add(key)
        out.append(Link(url, text[:300], " ".join(_row_text(anchor).split())))
    return out


def _pdf_text(body: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body))
    if reader.is_encrypted:
        reader.decrypt("")
    parts, size = [], 0
    for page in reader.pages:
        text = page.extract_text() or ""
        parts.append(text)
        size += len(text)
        if size > TEXT_LIMIT:
            break
    return "\n".join(parts)[:TEXT_LIMIT]


def _docx_text(body: bytes) -> str:
    from docx import Document as Docx

    doc = Docx(io.BytesIO(body))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(parts)[:TEXT_LIMIT]


def _xlsx_text(body: bytes) -> str:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    parts, size = [], 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            line = "\t".join("" if v is None else str(v) for v in row)
            parts.append(line)
            size += len(line)
            if size > TEXT_LIMIT:
                return "\n".join(parts)[:TEXT_LIMIT]
    return "\n".join(parts)


def is_document_link(url: str) -> bool:
    """An attachment by its file name (pdf, doc(x), xls(x), wps, zip...)."""
    path = urlsplit(url).path.lower()
    return "." in path.rsplit("/", 1)[-1] and path.rsplit(".", 1)[-1] in DOCUMENT_EXTENSIONS
