"""Normative documents for table 二 第二十条第（一）项: the register's items marked normative (规范性
文件, with a document number) and documents entered for years before the tracker; each is a 规章 or
a 行政规范性文件, and may be repealed (废止: a date and a reason, audited, undone only with a reason).

规章 are made only by governments with rule-making power (Legislation Law Art. 93); a unit's own
documents are 行政规范性文件 unless marked otherwise.
"""
from dataclasses import dataclass
from datetime import date

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import joinedload

from ..access import scope
from ..audit.services import record, snapshot
from ..disclosure.models import DONE_STATES, Task
from ..errors import ServiceError
from ..extensions import db
from ..timeutil import china_today
from ..units.models import Unit
from .models import NORMATIVE_KINDS, NormativeDocument


@dataclass
class DocumentRow:
    """One normative document as listed: from the register (``task``) or entered (``document``)."""

    unit: Unit
    title: str
    doc_number: str
    issued_on: date | None
    kind: str
    repealed_on: date | None
    repeal_reason: str | None
    task: Task | None
    document: NormativeDocument | None

    @property
    def kind_label(self) -> str:
        return NORMATIVE_KINDS.get(self.kind, self.kind)

    @property
    def ref(self) -> str:
        return f"task-{self.task.id}" if self.task else f"doc-{self.document.id}"


class DocumentPage(Pagination):
    """One page of normative documents: Flask-SQLAlchemy's pager over the (source, id) rows of
    ``listing``, whose items are the page's ``DocumentRow``s."""

    def _query_items(self) -> list:
        refs = db.session.execute(self._query_args["select"].limit(self.per_page).offset(self._query_offset)).all()
        return _rows(refs)

    def _query_count(self) -> int:
        return db.session.scalar(select(func.count()).select_from(self._query_args["select"].order_by(None).subquery()))


def listing(user, unit_id: int | None = None):
    """(source, id) of every normative document ``user`` may see (optionally of one unit), newest
    first: the register's published items marked normative and the documents entered by hand."""
    tasks = scope(select(literal("task").label("source"), Task.id.label("id"), Task.published_on.label("issued_on"),
                         func.coalesce(Task.doc_number, "").label("doc_number"))
                  .where(Task.normative.is_(True), Task.state.in_(DONE_STATES)), Task, user)
    entered = scope(select(literal("doc").label("source"), NormativeDocument.id.label("id"),
                           NormativeDocument.issued_on.label("issued_on"),
                           func.coalesce(NormativeDocument.doc_number, "").label("doc_number"))
                    .where(NormativeDocument.task_id.is_(None)), NormativeDocument, user)
    if unit_id:
        tasks, entered = tasks.where(Task.unit_id == unit_id), entered.where(NormativeDocument.unit_id == unit_id)
    both = union_all(tasks, entered).subquery()
    return select(both.c.source, both.c.id).order_by(
        both.c.issued_on.desc().nulls_last(), both.c.doc_number.desc(), both.c.source, both.c.id.desc())


def document_page(user, unit_id: int | None = None, page: int | None = None, per_page: int = 50) -> DocumentPage:
    """A page of ``listing``: three reads whatever the number of documents (count, the page's
    references, their rows with units)."""
    return DocumentPage(select=listing(user, unit_id), page=page, per_page=per_page, error_out=False)


def _rows(refs) -> list[DocumentRow]:
    task_ids = [i for source, i in refs if source == "task"]
    doc_ids = [i for source, i in refs if source == "doc"]
    tasks = {t.id: (t, d) for t, d in db.session.execute(
        select(Task, NormativeDocument).outerjoin(NormativeDocument, NormativeDocument.task_id == Task.id)
        .options(joinedload(Task.unit)).where(Task.id.in_(task_ids)))}
    docs = {d.id: d for d in db.session.scalars(
        select(NormativeDocument).where(NormativeDocument.id.in_(doc_ids)))}
    rows = []
    for source, i in refs:
        if source == "task":
            task, doc = tasks[i]
            rows.append(DocumentRow(task.unit, task.title, task.doc_number or "", task.published_on,
                                    doc.kind if doc else "normative", doc.repealed_on if doc else None,
                                    doc.repeal_reason if doc else None, task, doc))
        else:
            doc = docs[i]
            rows.append(DocumentRow(doc.unit, doc.title or "", doc.doc_number or "", doc.issued_on, doc.kind,
                                    doc.repealed_on, doc.repeal_reason, None, doc))
    return rows


def status_for_task(task: Task) -> NormativeDocument:
    """The document's standing row for a register item (created on first use)."""
    if not task.normative or task.state not in DONE_STATES:
        raise ServiceError("只有已发布并标记为规范性文件的信息才能登记文件类别或废止。")
    doc = db.session.scalar(select(NormativeDocument).where(NormativeDocument.task_id == task.id))
    if doc is None:
        doc = NormativeDocument(unit_id=task.unit_id, task_id=task.id, kind="normative")
        db.session.add(doc)
        db.session.flush()
    return doc


def _issued(doc: NormativeDocument) -> date | None:
    if doc.task_id:
        return db.session.get(Task, doc.task_id).published_on
    return doc.issued_on


def _label(doc: NormativeDocument) -> str:
    if doc.task_id:
        task = db.session.get(Task, doc.task_id)
        return f"{task.doc_number or ''} {task.title}".strip()
    return f"{doc.doc_number or ''} {doc.title or ''}".strip()


def set_kind(doc: NormativeDocument, kind: str, actor) -> None:
    if kind not in NORMATIVE_KINDS:
        raise ServiceError("请选择文件类别（规章或行政规范性文件）。", "kind")
    if doc.kind == kind:
        return
    before = doc.kind
    doc.kind = kind
    record("report.normative_kind", doc, before={"kind": before}, after={"kind": kind}, object_label=_label(doc),
           actor=actor)


def repeal(doc: NormativeDocument, repealed_on: date | None, reason: str, actor) -> None:
    """废止: record the date and reason a document ceased to be in force."""
    reason = (reason or "").strip()
    if repealed_on is None:
        raise ServiceError("请填写废止日期。", "repealed_on")
    if repealed_on > china_today():
        raise ServiceError("废止日期不能晚于今天。", "repealed_on")
    issued = _issued(doc)
    if issued and repealed_on < issued:
        raise ServiceError(f"废止日期不能早于发布日期（{issued:%Y-%m-%d}）。", "repealed_on")
    if not reason:
        raise ServiceError("请填写废止原因（如废止文件的文号）。", "reason")
    if doc.repealed_on is not None:
        raise ServiceError(f"该文件已于{doc.repealed_on:%Y-%m-%d}废止。")
    doc.repealed_on, doc.repeal_reason = repealed_on, reason[:1000]
    record("report.normative_repeal", doc, after={"repealed_on": repealed_on, "repeal_reason": doc.repeal_reason},
           object_label=_label(doc), actor=actor)


def undo_repeal(doc: NormativeDocument, reason: str, actor) -> None:
    """A repeal recorded by mistake is undone, with the reason; the log keeps both."""
    reason = (reason or "").strip()
    if doc.repealed_on is None:
        raise ServiceError("该文件未登记废止。")
    if not reason:
        raise ServiceError("请填写撤销废止登记的原因。", "reason")
    before = snapshot(doc, ("repealed_on", "repeal_reason"))
    doc.repealed_on, doc.repeal_reason = None, None
    record("report.normative_unrepeal", doc, before=before, after={"repealed_on": None}, note=reason[:1000],
           object_label=_label(doc), actor=actor)


def add_document(unit: Unit, title: str, doc_number: str, issued_on: date | None, kind: str, actor) -> NormativeDocument:
    """Enter a document issued before the tracker was in use (so 现行有效件数 counts it)."""
    title, doc_number = (title or "").strip(), (doc_number or "").strip()
    if not title:
        raise ServiceError("请填写文件标题。", "title")
    if not doc_number:
        raise ServiceError("请填写文号。", "doc_number")
    if len(title) > 300 or len(doc_number) > 100:
        raise ServiceError("标题不超过300字，文号不超过100字。", "title")
    if issued_on is None:
        raise ServiceError("请填写发布日期。", "issued_on")
    if issued_on > china_today() or issued_on < date(1980, 1, 1):
        raise ServiceError("发布日期不在合理范围内。", "issued_on")
    if kind not in NORMATIVE_KINDS:
        raise ServiceError("请选择文件类别（规章或行政规范性文件）。", "kind")
    exists = db.session.scalar(select(NormativeDocument.id).where(
        NormativeDocument.unit_id == unit.id, NormativeDocument.doc_number == doc_number))
    if exists or db.session.scalar(select(Task.id).where(Task.unit_id == unit.id, Task.doc_number == doc_number,
                                                         Task.normative.is_(True))):
        raise ServiceError(f"文号“{doc_number}”已登记。", "doc_number")
    doc = NormativeDocument(unit_id=unit.id, title=title, doc_number=doc_number, issued_on=issued_on, kind=kind)
    db.session.add(doc)
    record("report.normative_add", doc, after=snapshot(doc, ("kind", "title", "doc_number", "issued_on")),
           object_label=_label(doc), actor=actor)
    return doc
