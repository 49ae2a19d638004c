from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

MAIL_STATES = {"queued": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败"}
# The channels of the outbox (notify/channels/): each a sender of its own behind one interface.
CHANNEL_LABELS = {"email": "邮件", "wecom": "企业微信群机器人", "dingtalk": "钉钉群机器人", "sms": "短信"}


class OutboxMail(db.Model):
    """A message of the outbox, written in the same transaction as the change that caused it and
    sent later by the sender job through its ``channel``: an email (``to_addr`` the address), a
    group robot message of a unit (``unit_id``; ``to_addr`` names the group), an SMS (``to_addr``
    the mobile number). ``key`` makes a message idempotent: the same key is queued at most once.
    (The table keeps the name it had when every message was a mail.)"""

    __tablename__ = "outbox_mail"
    __table_args__ = (Index("ix_outbox_mail_due", "status", "next_attempt_at"),
                      Index("ix_outbox_mail_channel_sent", "channel", "sent_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(20), default="email", server_default="email")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    # Overdue work: an SMS goes out in quiet hours too.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    to_addr: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Times the connection to the server was lost while this mail was being sent (see sender.py:
    # charged as an attempt only once the server then accepts another mail).
    interruptions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(500))      # Chinese, for the office
    last_error_detail: Mapped[str | None] = mapped_column(Text)       # the server's or socket's own text
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return MAIL_STATES.get(self.status, self.status)

    @property
    def channel_label(self) -> str:
        return CHANNEL_LABELS.get(self.channel, self.channel)


class RobotItem(db.Model):
    """One line for a unit's group robot (e.g. "城乡低保金发放情况 已逾期3个工作日"), waiting to be
    sent in the unit's next grouped robot message (one per unit per sweep). ``key`` makes it
    idempotent like a notification's; ``outbox_id`` is the message that carried it."""

    __tablename__ = "robot_item"
    __table_args__ = (Index("ix_robot_item_pending", "outbox_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300))
    link: Mapped[str | None] = mapped_column(String(500))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_mail.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UnitRobot(db.Model):
    """A unit's group robot: 企业微信 (``wecom``: the webhook URL carries its key) or 钉钉
    (``dingtalk``: the webhook URL carries its access token, and ``secret`` signs each request).
    Both are stored encrypted (secretbox), never shown in full."""

    __tablename__ = "unit_robot"

    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    webhook_encrypted: Mapped[str] = mapped_column(Text)
    secret_encrypted: Mapped[str | None] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserChannels(db.Model):
    """Where a user's messages go: a mobile number for SMS, and per kind of message the channel
    chosen (``email`` / ``robot`` / ``sms`` / ``bell``); a kind not chosen goes by email."""

    __tablename__ = "user_channels"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    mobile: Mapped[str | None] = mapped_column(String(20))
    choices: Mapped[dict] = mapped_column(db.JSON, default=dict)


class SenderInstance(db.Model):
    """A running sender, known by a random id written with a heartbeat: while it works it renews
    ``expires_at`` (its lease), and the mails it claimed are its own until the lease lapses.

    Not its host name and process id: two containers with host networking, or a container and a
    ``flask sweep`` on the host, share the host name but not their process ids, so "is that process
    alive" cannot be answered by looking. ``host`` and ``pid`` are kept for people to read."""

    __tablename__ = "sender_instance"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Notification(db.Model):
    """An in-app notification (the bell). Same events as the emails; ``key`` makes it idempotent."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    escalation: Mapped[bool] = mapped_column(Boolean, default=False)
    # Digest users get this in their weekly digest instead of a mail of its own.
    digest_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class GroupedReminder(db.Model):
    """A reminder reported to an office user inside a grouped message (one message per office
    recipient per sweep, listing the units and records). ``key`` names the record, the rule, the
    deadline and the recipient, as a single reminder's would, so each is reported once."""

    __tablename__ = "grouped_reminder"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ActionToken(db.Model):
    """A single-use, expiring link bound to one recipient (e.g. acknowledge a task from a mail).
    Only a hash of the token is stored."""

    __tablename__ = "action_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Setting(db.Model):
    """A value the office can change (e.g. reminder rules), stored as JSON under a key."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[dict] = mapped_column(db.JSON)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxAttachment(db.Model):
    """A file sent with an outbox mail (e.g. the letter to an applicant, as generated): the bytes are
    stored with the mail, so a retry or a resend attaches exactly what was queued."""

    __tablename__ = "outbox_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    mail_id: Mapped[int] = mapped_column(ForeignKey("outbox_mail.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    mime_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
