"""Notifications: the in-app bell and the email outbox, written in the caller's transaction.

Nothing is sent here. ``notify`` and ``queue_mail`` add rows; the sender job (sender.py) sends them
after the transaction has committed. A ``key`` makes a notification idempotent: a reminder with the
same key (record, rule, deadline, recipient) is queued at most once, however often a sweep runs and
however many sweeps run at once (a unique index, inserted with ON CONFLICT DO NOTHING).
"""

from sqlalchemy import func, select, update

from ..accounts.models import User
from ..extensions import db
from ..timeutil import utcnow
from .messages import (  # noqa: F401  (re-exported: callers use services.<name>)
    Attachment,
    Message,
    _insert_new,
    absolute,
    attachments_of,
    insert_new,
    mail_values,
    render_mail,
)
from .models import Notification, OutboxAttachment, OutboxMail, Setting

REMINDER_DEFAULTS = {
    "before_days": [5, 2],          # working days before a deadline
    "on_day": True,                 # on the deadline itself
    "overdue_every": 2,             # after it: repeat every N working days
    "escalate_reviewer_after": 2,   # working days overdue before the unit's reviewer is told
    "escalate_office_after": 5,     # working days overdue before the office is told
    "unack_after": 3,               # task not acknowledged after N working days
    "approval_after": 2,            # approval pending for N working days
    "period_warning_days": 3,       # consultation / payment period running out
    "digest_weekday": 0,            # weekly digest on Monday (0) .. Sunday (6)
}


def queue_mail(to_addr: str, message: Message, *, user: User | None = None, key: str | None = None,
               attachments: tuple[Attachment, ...] | list[Attachment] = ()) -> bool:
    """Add a mail (and its attachments) to the outbox in the current transaction. Returns False
    if ``key`` was queued before (nothing is added)."""
    values = mail_values(to_addr, message, user=user, key=key)
    if key is None:
        mail = OutboxMail(**values)
        db.session.add(mail)
        db.session.flush()
        mail_id = mail.id
    else:
        mail_id = _insert_new(OutboxMail, values)
        if mail_id is None:
            return False
    for item in attachments:
        db.session.add(OutboxAttachment(mail_id=mail_id, filename=item.filename[:200], mime_type=item.mime_type,
                                        data=item.data))
    return True


def held_for_digest(user: User, escalation: bool, immediate: bool = False) -> bool:
    """The user chose the weekly digest, and this can wait for it (escalations and ``immediate``
    messages always go singly)."""
    return user.mail_mode == "digest" and not (escalation or immediate)


def notification_values(user: User, message: Message, *, key: str | None = None, escalation: bool = False,
                        immediate: bool = False, kind: str = "other") -> dict:
    """The bell row of one notification: for ``notify`` and for set-based sweeps."""
    from .routing import channel_for

    return dict(key=key, user_id=user.id, title=message.title[:300], body="\n".join(message.lines),
                link=message.link, escalation=escalation,
                digest_pending=held_for_digest(user, escalation, immediate) and bool(user.email)
                and channel_for(user, kind) == "email", created_at=utcnow())


def channel_rows(user: User, message: Message, *, key: str | None, kind: str = "other", escalation: bool = False,
                 immediate: bool = False) -> list:
    """The rows beyond the bell (a mail, an SMS, a robot item: routing.py) of one notification."""
    from .routing import deliveries

    return deliveries(user, message, key=key, kind=kind, urgent=escalation,
                      digest_held=held_for_digest(user, escalation, immediate))


def notify(user: User, message: Message, *, key: str | None = None, escalation: bool = False,
           immediate: bool = False, kind: str = "other") -> bool:
    """Tell a user: a bell notification, and the message by the channel they chose for ``kind``
    (routing.KINDS; email unless they chose the unit's robot, SMS or the bell only), a mail held
    for the weekly digest if they chose that.

    Escalations and ``immediate`` messages (work handed to the user that cannot wait a week, e.g.
    an application routed to their unit) always go out as messages of their own. Inactive users and
    users without an email address still get the bell. Returns False if ``key`` was used before
    (nothing is added).
    """
    from .routing import add

    if not user.active:
        return False
    values = notification_values(user, message, key=key, escalation=escalation, immediate=immediate, kind=kind)
    if key is None:
        db.session.add(Notification(**values))
    else:
        if not _insert_new(Notification, values):
            return False
    add(channel_rows(user, message, key=key, kind=kind, escalation=escalation, immediate=immediate))
    return True


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))


def mark_read(user: User, notification_id: int | None = None) -> int:
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    return db.session.execute(stmt.values(read_at=utcnow())).rowcount


# --- settings the office can change ------------------------------------------------------------

def reminder_settings() -> dict:
    row = db.session.get(Setting, "reminders")
    return {**REMINDER_DEFAULTS, **(row.value if row else {})}


def save_reminder_settings(values: dict, actor: User | None) -> dict:
    from ..audit.services import record

    before = reminder_settings()
    row = db.session.get(Setting, "reminders")
    if row is None:
        row = Setting(key="reminders", value={})
        db.session.add(row)
    row.value = {k: values[k] for k in REMINDER_DEFAULTS if k in values}
    row.updated_by_id = actor.id if actor else None
    row.updated_at = utcnow()
    after = reminder_settings()
    record("settings.reminders", object_type="setting", object_id="reminders", object_label="提醒规则",
           before={k: before[k] for k in after if before[k] != after[k]},
           after={k: after[k] for k in after if before[k] != after[k]})
    return after
