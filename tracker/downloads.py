"""Downloads: one ``Content-Disposition`` for every file the app sends, a Chinese name as RFC 5987
``filename*=UTF-8''…`` with a plain ASCII ``filename=`` beside it for clients that read only that
(``YSQ-2026-F7Q5VZ 答复书.docx`` → ``filename="YSQ-2026-F7Q5VZ.docx"``)."""
import re
import unicodedata
from urllib.parse import quote

from .inputs import clean_file_name

_NOT_ASCII_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def ascii_fallback(name: str) -> str:
    """The name's ASCII letters, digits and ``._-`` (runs of anything else become ``_``), its
    extension kept; ``download`` when nothing is left of the stem."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    plain = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    stem = _NOT_ASCII_SAFE.sub("_", plain).strip("_.") or "download"
    ext = _NOT_ASCII_SAFE.sub("", ext)
    return f"{stem}.{ext}" if ext else stem


def content_disposition(name: str, inline: bool = False) -> str:
    """The header value naming a download ``name`` (control characters removed)."""
    name = clean_file_name(name) or "download"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def download(data, name: str, mimetype: str, inline: bool = False):
    """A response sending ``data`` (bytes, a file path or a file object) as a file named ``name``."""
    from flask import Response, send_file

    if isinstance(data, bytes):
        response = Response(data, mimetype=mimetype)
    else:
        response = send_file(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(name, inline)
    return response
