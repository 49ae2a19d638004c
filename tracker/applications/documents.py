"""Documents filed with an application: the signed reply, delivery receipts, correction material."""
from sqlalchemy import select

from .. import files
from ..audit.services import record
from ..errors import ServiceError
from ..extensions import db
from .handling import _actor, _require
from .models import DOCUMENT_KINDS, Application, ApplicationDocument


def add_document(app: Application, kind: str, filename: str, data: bytes, actor=None) -> ApplicationDocument:
    """File a document (office, or the handling unit's staff); type and size are checked."""
    actor = _actor(actor)
    _require(app, actor)
    if kind not in DOCUMENT_KINDS:
        raise ServiceError("请选择文书类型。", "kind")
    stored = files.store(filename, data)
    doc = ApplicationDocument(application_id=app.id, kind=kind, uploaded_by_id=actor.id if actor else None,
                              **stored.columns())
    db.session.add(doc)
    db.session.flush()
    record("application.document_add", app, after={"kind": kind, "file": doc.original_name, "size": doc.size},
           actor=actor)
    return doc


def documents_of(app: Application) -> list[ApplicationDocument]:
    return db.session.scalars(select(ApplicationDocument).where(ApplicationDocument.application_id == app.id)
                              .order_by(ApplicationDocument.uploaded_at, ApplicationDocument.id)).all()
