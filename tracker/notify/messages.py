"""What the outbox and the bell hold, as values: a message, its rendering into a mail, the row it
becomes, and the ``INSERT … ON CONFLICT (key) DO NOTHING`` that adds only rows whose key is new.
(The routing of a message to its channels reads these; ``services`` queues them.)"""
from dataclasses import dataclass

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from ..accounts.models import User
from ..extensions import db
from ..inputs import strip_control_characters
from ..timeutil import utcnow
from .models import OutboxAttachment


@dataclass(frozen=True)
class Message:
    """What one notification says: a title, lines of text and a link into the tracker."""

    title: str
    lines: tuple[str, ...]
    link: str | None = None
    # The link for a channel the whole unit reads (its group robot) when ``link`` is the
    # recipient's own (e.g. a single-use link that acknowledges a task).
    shared_link: str | None = None


def insert_new(model, rows: list[dict]):
    """INSERT ... ON CONFLICT (key) DO NOTHING for one or many rows, as one statement; returns the
    statement's result, whose ``scalars()`` are the keys of the rows that were new."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    table = model.__table__
    stmt = module.insert(table).values(rows).on_conflict_do_nothing(index_elements=["key"])
    return db.session.execute(stmt.returning(table.c.key))


def _insert_new(model, values: dict) -> int | None:
    """INSERT ... ON CONFLICT (key) DO NOTHING; the new row's id, or None if the key existed."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    table = model.__table__
    stmt = module.insert(table).values(**values).on_conflict_do_nothing(index_elements=["key"])
    return db.session.execute(stmt.returning(table.c.id)).scalar()


def absolute(link: str | None) -> str | None:
    if not link or link.startswith("http"):
        return link
    return current_app.config["BASE_URL"].rstrip("/") + link


def render_mail(message: Message, recipient: User | None) -> tuple[str, str]:
    context = {"message": message, "recipient": recipient, "link": absolute(message.link)}
    return (render_template("notify/mail/message.txt", **context),
            render_template("notify/mail/message.html", **context))


@dataclass(frozen=True)
class Attachment:
    """A file to send with a mail: its name as the recipient sees it, MIME type and bytes."""

    filename: str
    mime_type: str
    data: bytes


def mail_values(to_addr: str, message: Message, *, user: User | None = None, key: str | None = None) -> dict:
    """The outbox row of one mail (rendered now): for ``queue_mail`` and for set-based sweeps."""
    text, html = (strip_control_characters(part) for part in render_mail(message, user))
    # a line break is not allowed in a mail header; a lone surrogate could not even be encoded
    subject = " ".join(strip_control_characters(message.title).splitlines())[:300]
    return dict(key=key, user_id=user.id if user else None, to_addr=to_addr, subject=subject,
                body_text=text, body_html=html, link=absolute(message.link), status="queued", attempts=0,
                next_attempt_at=utcnow(), created_at=utcnow())


def attachments_of(mail_ids: list[int]) -> dict[int, list[OutboxAttachment]]:
    """The sender's hook: the stored attachments of these outbox mails, in order, in one query."""
    found: dict[int, list[OutboxAttachment]] = {}
    for item in db.session.scalars(select(OutboxAttachment).where(OutboxAttachment.mail_id.in_(mail_ids))
                                   .order_by(OutboxAttachment.id)):
        found.setdefault(item.mail_id, []).append(item)
    return found
