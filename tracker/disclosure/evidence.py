"""Files on tasks — the draft submitted for review and evidence of the publication — stored under
UPLOAD_FOLDER with random names, never served statically (the download view checks that the user
may see the task)."""
from .. import files
from ..audit.services import record
from ..errors import ServiceError
from ..extensions import db
from .models import Task, TaskAttachment
from .workflow import ATTACH_STATES

MAX_BYTES = files.MAX_BYTES


def add_attachment(task: Task, actor, filename: str, data: bytes, kind: str = "evidence") -> TaskAttachment:
    """Check type (extension and leading bytes) and size, store the file, record it. Draft files
    come only with the draft (workflow.submit_draft, which checks the state)."""
    if actor.role not in ("contact", "office") or not (actor.sees_all_units or actor.unit_id == task.unit_id):
        raise ServiceError("只有本单位联络员或公开办可以上传佐证材料。")
    if kind == "evidence" and task.state not in ATTACH_STATES:
        raise ServiceError(f"任务当前状态为“{task.state_label}”，不能上传佐证材料。")
    stored = files.store(filename, data)
    attachment = TaskAttachment(task_id=task.id, unit_id=task.unit_id, uploaded_by_id=actor.id, kind=kind,
                                **stored.columns())
    db.session.add(attachment)
    db.session.flush()
    record("disclosure.attachment_add", task, after={"file": attachment.original_name, "size": len(data),
                                                     "kind": kind}, actor=actor)
    return attachment


def attachment_path(attachment: TaskAttachment) -> str:
    return files.path_of(attachment.stored_name)


def mime_type(attachment: TaskAttachment) -> str:
    return files.mime_type(attachment.extension)
