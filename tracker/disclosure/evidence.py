"""Evidence on published items: files stored under UPLOAD_FOLDER with random names, never served
statically (the download view checks that the user may see the task)."""
import os
import secrets

from flask import current_app

from ..audit.services import record
from ..errors import ServiceError
from ..extensions import db
from .models import Task, TaskAttachment
from .services import ATTACH_STATES

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


def upload_folder() -> str:
    folder = current_app.config.get("UPLOAD_FOLDER") or os.path.join(current_app.instance_path, "uploads")
    os.makedirs(folder, exist_ok=True)
    return folder


def add_attachment(task: Task, actor, filename: str, data: bytes) -> TaskAttachment:
    """Check type (extension and leading bytes) and size, store the file, record it."""
    if actor.role not in ("contact", "office") or not (actor.sees_all_units or actor.unit_id == task.unit_id):
        raise ServiceError("只有本单位联络员或公开办可以上传佐证材料。")
    if task.state not in ATTACH_STATES:
        raise ServiceError(f"任务当前状态为“{task.state_label}”，不能上传佐证材料。")
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
    path = os.path.join(upload_folder(), stored)
    with open(path, "xb") as fh:
        fh.write(data)
    attachment = TaskAttachment(task_id=task.id, unit_id=task.unit_id, original_name=name[:200], stored_name=stored,
                            extension=ext, size=len(data), uploaded_by_id=actor.id)
    db.session.add(attachment)
    db.session.flush()
    record("disclosure.attachment_add", task, after={"file": attachment.original_name, "size": len(data)},
           actor=actor)
    return attachment


def attachment_path(attachment: TaskAttachment) -> str:
    return os.path.join(upload_folder(), attachment.stored_name)


def mime_type(attachment: TaskAttachment) -> str:
    return ALLOWED.get(attachment.extension, ((), "application/octet-stream"))[1]
