"""Zipped uploads (XLSX, DOCX) checked before anything inflates them.

An .xlsx or .docx is a ZIP archive: 200 KB uploaded can inflate to gigabytes (a "zip bomb"), and
the readers (openpyxl, python-docx) inflate whole parts in memory. The archive's central directory
declares each member's sizes; ``check_zip`` refuses, before any member is read, an archive whose
members together declare more than ``ARCHIVE_MAX_UNCOMPRESSED`` bytes, or a member bigger than
``ARCHIVE_RATIO_FROM`` that inflates more than ``ARCHIVE_MAX_RATIO`` times its compressed size.
The declared size is also a cap while reading: Python's ``zipfile`` stops a member at its declared
``file_size`` (and fails its CRC), so a member that lies about its size gets no further.
"""
import io
import zipfile

from flask import current_app, has_app_context

from .errors import ServiceError

DEFAULTS = {"ARCHIVE_MAX_UNCOMPRESSED": 50 * 1024 * 1024, "ARCHIVE_MAX_RATIO": 100,
            "ARCHIVE_RATIO_FROM": 1024 * 1024, "ARCHIVE_MAX_MEMBERS": 2000}


def _setting(name: str) -> int:
    if has_app_context():
        return int(current_app.config.get(name, DEFAULTS[name]))
    return DEFAULTS[name]


def check_zip(data: bytes, what: str = "文件", field: str | None = "file") -> None:
    """Refuse (``ServiceError``, in Chinese) a ZIP-based upload that would inflate beyond the caps.

    Not a ZIP at all is left to the reader, which says so in its own words."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    total_cap, ratio_cap = _setting("ARCHIVE_MAX_UNCOMPRESSED"), _setting("ARCHIVE_MAX_RATIO")
    mb = total_cap // (1024 * 1024)
    if len(members) > _setting("ARCHIVE_MAX_MEMBERS"):
        raise ServiceError(f"该{what}包含的部件过多，无法读取。请另存为普通的 {what} 后重新上传。", field)
    if sum(m.file_size for m in members) > total_cap:
        raise ServiceError(f"该{what}解压后超过 {mb} MB，无法读取。请删除多余的内容或拆分为几个文件后重新上传。", field)
    ratio_from = _setting("ARCHIVE_RATIO_FROM")
    for member in members:
        if member.file_size > ratio_from and member.file_size > ratio_cap * max(member.compress_size, 1):
            raise ServiceError(f"该{what}的压缩比异常（超过 {ratio_cap} 倍），可能含有大量重复或隐藏内容，"
                               f"无法读取。请检查后另存为新文件再上传。", field)
