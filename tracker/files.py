"""Uploaded files (evidence, reply documents): type and size checked, stored under UPLOAD_FOLDER
with random names, never served statically — each feature's download view checks access."""
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import ForeignKey, Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from .errors import ServiceError
from .timeutil import UTCDateTime, utcnow

MAX_BYTES = 10 * 1024 * 1024
ZIP = b"PK\x03\x04"
# extension -> (accepted leading bytes, MIME type for download)
ALLOWED = {
    "pdf": ((b"%PDF-",), "application/pdf"),
    "jpg": ((b"\xff\xd8\xff",), "image/jpeg"),
    "jpeg": ((b"\xff\xd8\xff",), "image/jpeg"),
    "png": ((b"\x89PNG\r\n\x1a\n",), "image/png"),
    "docx": ((ZIP,), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ((ZIP,), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "ofd": ((ZIP,), "application/ofd"),
}


@dataclass(frozen=True)
class StoredFile:
    original_name: str
    stored_name: str
    extension: str
    size: int

    def columns(self) -> dict:
        """The values of a ``StoredFileColumns`` row for this file."""
        return asdict(self)


class StoredFileColumns:
    """Columns of a table that records uploaded files (mixed into each feature's model)."""

    original_name: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    extension: Mapped[str] = mapped_column(String(10))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def upload_folder() -> str:
    folder = current_app.config.get("UPLOAD_FOLDER") or os.path.join(current_app.instance_path, "uploads")
    os.makedirs(folder, exist_ok=True)
    return folder


def store(filename: str, data: bytes) -> StoredFile:
    """Check type (extension and leading bytes) and size, then write the file under a random name."""
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    if not name or not data:
        raise ServiceError("请选择要上传的文件。", "file")
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ALLOWED:
        raise ServiceError("只能上传 PDF、JPG、PNG、DOCX、XLSX 或 OFD 文件。", "file")
    if len(data) > MAX_BYTES:
        raise ServiceError("文件不能超过10MB。", "file")
    if not data.startswith(ALLOWED[ext][0]):
        raise ServiceError(f"文件内容与扩展名 .{ext} 不符。", "file")
    stored = secrets.token_hex(16) + "." + ext
    with open(os.path.join(upload_folder(), stored), "xb") as fh:
        fh.write(data)
    return StoredFile(name[:200], stored, ext, len(data))


def path_of(stored_name: str) -> str:
    return os.path.join(upload_folder(), stored_name)


def remove_after_commit(session: Session, stored_name: str) -> None:
    """Delete a stored file once the transaction that dropped its row has committed: a rollback
    (a refused request, an error) keeps the file, so a row never points at a missing file."""
    session.info.setdefault("files_to_remove", []).append(path_of(stored_name))


@event.listens_for(Session, "after_commit")
def _remove_files(session: Session) -> None:
    for path in session.info.pop("files_to_remove", []):
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


@event.listens_for(Session, "after_rollback")
def _keep_files(session: Session) -> None:
    session.info.pop("files_to_remove", None)


def mime_type(extension: str) -> str:
    return ALLOWED.get(extension, ((), "application/octet-stream"))[1]


def human_size(size: int | None) -> str:
    """A file size as people read it: bytes under 1 KB, then KB, then MB (one decimal)."""
    size = int(size or 0)
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"
