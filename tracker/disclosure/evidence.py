"""Files on tasks — the draft submitted for review and evidence of the publication — stored under
UPLOAD_FOLDER with random names, never served statically (the download view checks that the user
may see the task)."""
from .. import files
from ..audit.services import record
from ..errors import ServiceError
from ..extensions import db
from .models import ATTACH_STATES, OPEN_STATES, Task, TaskAttachment

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


def can_remove(task: Task, user, attachment: TaskAttachment | None = None) -> bool:
    """Evidence can be taken back until the information is first published (its record then
    stands, and a failed verification keeps what was shown): by the unit's contact or the office,
    as for uploading. Draft files go with the draft the reviewer decided on and stay."""
    return (task.state in OPEN_STATES and task.published_on is None
            and (attachment is None or attachment.kind == "evidence")
            and user.role in ("contact", "office") and (user.sees_all_units or user.unit_id == task.unit_id))


def remove_attachment(attachment: TaskAttachment, actor) -> None:
    """Remove evidence uploaded by mistake: the row goes, the audit log keeps the file's name and
    size, and the stored file is deleted once the removal is committed."""
    task = db.session.get(Task, attachment.task_id)
    if not can_remove(task, actor, attachment):
        if attachment.kind != "evidence":
            raise ServiceError("送审稿随审核记录保存，不能删除。")
        if task.state not in OPEN_STATES or task.published_on is not None:
            raise ServiceError("信息已发布，佐证材料不能再删除。")
        raise ServiceError("只有本单位联络员或公开办可以删除佐证材料。")
    record("disclosure.attachment_remove", task, before={"file": attachment.original_name, "size": attachment.size},
           actor=actor)
    db.session.delete(attachment)
    db.session.flush()
    files.remove_after_commit(db.session(), attachment.stored_name)


def attachment_path(attachment: TaskAttachment) -> str:
    return files.path_of(attachment.stored_name)


def mime_type(attachment: TaskAttachment) -> str:
    return files.mime_type(attachment.extension)
