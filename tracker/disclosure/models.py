"""Proactive disclosure (主动公开): each unit's catalogue of duties, the tasks opened from them,
their state history and the evidence attached to published items (domain.md §2)."""
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..files import StoredFileColumns
from ..timeline import TransitionColumns
from ..timeutil import UTCDateTime, utcnow
from ..units.models import Unit

# Key areas named in the seed and the 2016 work plan (domain.md §2); the list is data, kept in KeyArea.
DEFAULT_KEY_AREAS = [
    "财政预决算", "三公经费", "政府采购", "市场监管", "重大建设项目", "环境保护", "减税降费", "扶贫",
    "社会救助", "就业创业", "棚户区改造/农村危房改造/保障性住房", "医疗卫生", "教育", "价格收费",
    "安全生产", "土地征收和出让", "房屋征收", "工程招标", "其他",
]

CHANNELS = {
    "website": "政府网站",
    "weibo": "政务微博",
    "wechat": "政务微信",
    "gazette": "政府公报",
    "other": "其他",
}

CADENCES = {
    "periodic": "常规性（定期公开）",
    "adhoc": "临时性（随时公开）",
    "standing": "固定性（长期公开、定期复核）",
}

FREQUENCIES = {
    "monthly": "每月",
    "quarterly": "每季度",
    "halfyearly": "每半年",
    "yearly": "每年",
}

# The order of 先审查、后公开 (domain.md §2): the contact drafts (已签收), submits the draft for review
# (待审核); the reviewer approves (待发布) or returns it (退回修改); the contact publishes and records
# date, channels and address (已发布, waiting for the office's check); the office verifies (已核验)
# or fails the verification, which sends the task back to the unit (核验未通过, 整改中) until the
# contact records the corrected publication. Duties without review go from 已签收 to 已发布 directly.
STATES = {
    "pending_ack": "待签收",
    "acknowledged": "已签收",
    "in_review": "待审核",
    "returned": "退回修改",
    "approved": "审核通过待发布",
    "published": "已发布待核验",
    "rework": "核验未通过",
    "verified": "已核验",
    "cancelled": "已撤销",
}
# The information is not (properly) out yet: the deadline still matters and may move with the
# calendar. A task whose verification failed is open again: its address was dead or its content
# missing, so until the unit corrects it the information counts as not published.
OPEN_STATES = ("pending_ack", "acknowledged", "in_review", "returned", "approved", "rework")
# Published: counted on time or late by its publication date (a verification may still fail it).
DONE_STATES = ("published", "verified")
# States in which the unit or the office may add evidence of the publication.
ATTACH_STATES = ("acknowledged", "returned", "in_review", "approved", "published", "rework")
# The disclosure attribute of a draft (公开属性), decided at drafting and approved by the reviewer.
ATTRIBUTES = {"proactive": "主动公开", "on_request": "依申请公开", "not_public": "不予公开"}
# 保密审查: personal privacy and trade secrets are absent, or present and redacted (how, in a note).
PRIVACY = {"absent": "不涉及商业秘密和个人隐私", "redacted": "涉及商业秘密或个人隐私，已作处理"}
ATTACHMENT_KINDS = {"draft": "送审稿", "evidence": "佐证材料"}


class KeyArea(db.Model):
    """A key area of disclosure (重点领域), maintained by the office."""

    __tablename__ = "disclosure_key_area"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return self.name


class Duty(db.Model):
    """One item of a unit's disclosure catalogue (公开目录 / 公开事项).

    ``cadence``: periodic duties open a task each period (``frequency``); standing duties open a
    review task each cycle (``frequency`` is the review cycle); ad hoc duties open a task when the
    information forms. The information of a period forms ``formation_offset_days`` after the
    period's first day; the deadline is ``period_days`` working days later (Art. 26: 20).
    """

    __tablename__ = "disclosure_duty"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    key_area_id: Mapped[int] = mapped_column(ForeignKey("disclosure_key_area.id"), index=True)
    cadence: Mapped[str] = mapped_column(String(20))
    frequency: Mapped[str | None] = mapped_column(String(20))
    formation_offset_days: Mapped[int] = mapped_column(Integer, default=0)
    period_days: Mapped[int] = mapped_column(Integer, default=20)
    channels: Mapped[list] = mapped_column(db.JSON, default=list)
    review_required: Mapped[bool] = mapped_column(Boolean, default=True)
    # Periods whose information forms before this day get no task (the duty did not exist yet).
    start_date: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship(lazy="joined")
    key_area: Mapped[KeyArea] = relationship(lazy="joined")

    AUDIT_FIELDS = ("unit_id", "title", "key_area_id", "cadence", "frequency", "formation_offset_days",
                    "period_days", "channels", "review_required", "start_date", "note", "active")

    @property
    def cadence_label(self) -> str:
        return CADENCES.get(self.cadence, self.cadence)

    @property
    def frequency_label(self) -> str:
        return FREQUENCIES.get(self.frequency or "", "")

    @property
    def channel_labels(self) -> list[str]:
        return [CHANNELS.get(c, c) for c in self.channels or []]

    def __str__(self) -> str:
        return self.title


class Task(db.Model):
    """A disclosure task (公开任务): one piece of information to publish by ``due_date``.

    Only the transitions in ``services`` write ``state``. ``period_key`` ("2026-03", "2026-Q2",
    "2026-H1", "2026") makes periodic tasks unique per duty and period; ad hoc tasks have none.
    """

    __tablename__ = "disclosure_task"
    __table_args__ = (
        UniqueConstraint("duty_id", "period_key", name="uq_disclosure_task_duty_period"),
        Index("ix_disclosure_task_unit_state", "unit_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    duty_id: Mapped[int] = mapped_column(ForeignKey("disclosure_duty.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    key_area_id: Mapped[int] = mapped_column(ForeignKey("disclosure_key_area.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    period_key: Mapped[str | None] = mapped_column(String(10))
    formed_date: Mapped[date] = mapped_column(Date)
    period_days: Mapped[int] = mapped_column(Integer, default=20)
    review_required: Mapped[bool] = mapped_column(Boolean, default=True)
    due_date: Mapped[date | None] = mapped_column(Date, index=True)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), default="pending_ack", index=True)
    note: Mapped[str | None] = mapped_column(Text)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The draft (送审稿) the contact submits for review: text and/or files (TaskAttachment kind
    # "draft"), proposed channels, the disclosure attribute and the 保密审查 self-check.
    draft_text: Mapped[str | None] = mapped_column(Text)
    draft_channels: Mapped[list | None] = mapped_column(db.JSON)
    disclosure_attribute: Mapped[str | None] = mapped_column(String(20))
    attribute_reason: Mapped[str | None] = mapped_column(Text)
    no_state_secret: Mapped[bool | None] = mapped_column(Boolean)  # None: not recorded (before the review order)
    privacy: Mapped[str | None] = mapped_column(String(20))
    redaction_note: Mapped[str | None] = mapped_column(Text)
    # The reviewer's decision: the comment given with the approval, the day (China date) approved.
    review_comment: Mapped[str | None] = mapped_column(Text)
    approved_on: Mapped[date | None] = mapped_column(Date)
    # The publication record (公开记录), recorded by the contact after the approval.
    published_on: Mapped[date | None] = mapped_column(Date, index=True)
    url: Mapped[str | None] = mapped_column(String(500))
    doc_number: Mapped[str | None] = mapped_column(String(100))
    normative: Mapped[bool] = mapped_column(Boolean, default=False)
    return_reason: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # Failed verifications (核验未通过): how many times the office sent the task back, and why last.
    verify_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    verify_failure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    duty: Mapped[Duty] = relationship(lazy="select")
    unit: Mapped[Unit] = relationship(lazy="select")
    key_area: Mapped[KeyArea] = relationship(lazy="select")
    channel_rows: Mapped[list["TaskChannel"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="TaskChannel.channel")

    AUDIT_FIELDS = ("state", "published_on", "url", "doc_number", "normative", "channels")

    @property
    def channels(self) -> list[str]:
        return [c.channel for c in self.channel_rows]

    @property
    def channel_labels(self) -> list[str]:
        return [CHANNELS.get(c, c) for c in self.channels]

    @property
    def draft_channel_labels(self) -> list[str]:
        return [CHANNELS.get(c, c) for c in self.draft_channels or []]

    @property
    def attribute_label(self) -> str:
        return ATTRIBUTES.get(self.disclosure_attribute or "", "")

    @property
    def privacy_label(self) -> str:
        return PRIVACY.get(self.privacy or "", "")

    @property
    def has_draft(self) -> bool:
        return self.disclosure_attribute is not None

    @property
    def is_published(self) -> bool:
        """The publication record stands (published or verified): dates count for timeliness."""
        return self.state in DONE_STATES

    @property
    def state_label(self) -> str:
        return STATES.get(self.state, self.state)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def published_late(self) -> bool:
        """Published after the deadline (R1): publication date > due date."""
        return (self.is_published and self.published_on is not None and self.due_date is not None
                and self.published_on > self.due_date)

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due_date is not None and self.due_date < today

    def is_due_soon(self, today: date, cutoff: date) -> bool:
        return self.is_open and self.due_date is not None and today <= self.due_date <= cutoff

    def __str__(self) -> str:
        return self.title


class TaskChannel(db.Model):
    """A channel a task's information went out on; one row per (task, channel)."""

    __tablename__ = "disclosure_task_channel"

    task_id: Mapped[int] = mapped_column(ForeignKey("disclosure_task.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)


class TaskEvent(TransitionColumns, db.Model):
    """One transition of a task: from, to, who, when, why (the task page's timeline)."""

    __tablename__ = "disclosure_task_event"
    STATE_LABELS = STATES

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("disclosure_task.id", ondelete="CASCADE"), index=True)


class TaskAttachment(StoredFileColumns, db.Model):
    """A file on a task: the draft submitted for review (``kind`` "draft") or evidence of the
    publication (e.g. a screenshot of the web page); the file lives in UPLOAD_FOLDER."""

    __tablename__ = "disclosure_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("disclosure_task.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="evidence", server_default="evidence")

    uploaded_by: Mapped[User | None] = relationship(lazy="joined")

    @property
    def kind_label(self) -> str:
        return ATTACHMENT_KINDS.get(self.kind, self.kind)
