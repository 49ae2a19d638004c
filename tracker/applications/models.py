from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..files import StoredFileColumns
from ..timeutil import UTCDateTime, to_china, utcnow
from ..units.models import Unit

# Art. 31: the receipt date depends on the channel.
CHANNELS = {
    "in_person": "当面",
    "signed_post": "邮寄签收",
    "letter": "平常信函",
    "online": "网络",
    "fax": "传真",
    "email": "电子邮件",
}
RECEIPT_RULES = {
    "in_person": "提交之日",
    "signed_post": "本机关签收之日",
    "letter": "与申请人确认之日",
    "online": "双方确认之日",
    "fax": "双方确认之日",
    "email": "双方确认之日",
}
# Table 三 columns: 自然人, then the five kinds of 法人或其他组织.
APPLICANT_KINDS = {
    "natural": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "public_welfare": "社会公益组织",
    "legal_service": "法律服务机构",
    "other": "其他",
}
FORMS_WANTED = {"paper": "纸质文本", "email": "电子邮件", "electronic": "电子文档（光盘等）"}
DELIVERY_WANTED = {"pickup": "自行领取", "post": "邮寄", "email": "电子邮件", "online": "网上获取"}
REPLY_DELIVERY = {"signed": "直接送达（签收）", "post": "邮政寄送（交邮）", "email": "电子邮件", "on_spot": "当场答复"}

STATES = {
    "pending": "待确认",
    "open": "办理中",
    "returned": "退回公开办",
    "correction": "补正中",
    "consultation": "征求意见中",
    "fee": "待缴费",
    "replied": "已答复",
    "terminated": "已终止",
    "withdrawn": "已撤回",
    "discarded": "无效申请（垃圾提交）",  # an online submission the office marked as junk (screening.py)
}
PAUSED_STATES = ("correction", "consultation", "fee")
CLOSED_STATES = ("replied", "terminated", "withdrawn", "discarded")
# States with a running legal clock (a returned application's clock keeps running).
RUNNING_STATES = ("open", "returned")

CASE_KINDS = {
    "reconsideration": "行政复议",
    "lawsuit_direct": "行政诉讼（未经复议直接起诉）",
    "lawsuit_after": "行政诉讼（复议后起诉）",
}
CASE_RESULTS = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果", "pending": "尚未审结"}


def mask_id(number: str | None) -> str:
    """An identity number for lists and exports: first 4 and last 4 kept (2301**********1234)."""
    number = (number or "").strip()
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


class Application(db.Model):
    """One application for disclosure (政府信息公开申请). ``state`` is written only by services."""

    __tablename__ = "application"
    __table_args__ = (
        Index("ix_application_unit_state", "unit_id", "state"),
        Index("ix_application_submit_ip_created", "submit_ip", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(20), unique=True)
    query_password_hash: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))
    receipt_date: Mapped[date | None] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)

    applicant_kind: Mapped[str] = mapped_column(String(20))
    applicant_name: Mapped[str] = mapped_column(String(120))
    id_number: Mapped[str | None] = mapped_column(String(40), index=True)
    contact_person: Mapped[str | None] = mapped_column(String(60))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))

    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    form_wanted: Mapped[str] = mapped_column(String(20))
    delivery_wanted: Mapped[str] = mapped_column(String(20))

    # The clock, recomputed by services.recompute_clock from the events.
    due_date: Mapped[date | None] = mapped_column(Date, index=True)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    pause_kind: Mapped[str | None] = mapped_column(String(20))
    pause_due: Mapped[date | None] = mapped_column(Date)
    correction_late: Mapped[bool] = mapped_column(Boolean, default=False)

    fee_amount: Mapped[int | None] = mapped_column(Integer)

    # The end: the outcome row of table 三 and the day the reply counts as given (R9).
    outcome: Mapped[str | None] = mapped_column(String(40))
    reply_date: Mapped[date | None] = mapped_column(Date)
    reply_delivery: Mapped[str | None] = mapped_column(String(20))
    closed_on: Mapped[date | None] = mapped_column(Date, index=True)
    reply_late: Mapped[bool] = mapped_column(Boolean, default=False)
    reply_note: Mapped[str | None] = mapped_column(Text)

    online: Mapped[bool] = mapped_column(Boolean, default=False)
    submit_ip: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    events: Mapped[list["ApplicationEvent"]] = relationship(
        back_populates="application", order_by="(ApplicationEvent.day, ApplicationEvent.id)")
    cases: Mapped[list["ApplicationCase"]] = relationship(
        back_populates="application", order_by="ApplicationCase.id")

    AUDIT_FIELDS = ("state", "unit_id", "receipt_date", "due_date", "outcome", "reply_date", "closed_on")

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.title}"

    @property
    def state_label(self) -> str:
        return STATES.get(self.state, self.state)

    @property
    def is_closed(self) -> bool:
        return self.state in CLOSED_STATES

    @property
    def is_paused(self) -> bool:
        return self.state in PAUSED_STATES

    @property
    def masked_id(self) -> str:
        return mask_id(self.id_number)

    @property
    def channel_label(self) -> str:
        return CHANNELS.get(self.channel, self.channel)

    @property
    def applicant_kind_label(self) -> str:
        return APPLICANT_KINDS.get(self.applicant_kind, self.applicant_kind)


class ApplicationEvent(db.Model):
    """Something that happened to an application on a legal date (``day``), by whom, recorded when."""

    __tablename__ = "application_event"
    __table_args__ = (Index("ix_application_event_late_entry", "late_entry", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    day: Mapped[date] = mapped_column(Date)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # 补录: entered more than the allowed working days after ``day`` (late_entries.py)
    late_entry: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())

    application: Mapped[Application] = relationship(back_populates="events")
    actor = relationship("User", lazy="joined")

    @property
    def entered_on(self) -> date | None:
        """The day (China time) the event was entered."""
        local = to_china(self.at)
        return local.date() if local else None


class ApplicationCase(db.Model):
    """An administrative reconsideration (复议) or lawsuit (诉讼) about an application (R11)."""

    __tablename__ = "application_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    filed_on: Mapped[date] = mapped_column(Date)
    result: Mapped[str] = mapped_column(String(20), default="pending")
    decided_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="cases")

    def __str__(self) -> str:
        return f"{CASE_KINDS.get(self.kind, self.kind)} {self.filed_on:%Y-%m-%d}"

    @property
    def kind_label(self) -> str:
        return CASE_KINDS.get(self.kind, self.kind)

    @property
    def result_label(self) -> str:
        return CASE_RESULTS.get(self.result, self.result)


class StatusLookupAttempt(db.Model):
    """One status lookup by the public, kept for throttling per address and per tracking code."""

    __tablename__ = "application_lookup_attempt"
    __table_args__ = (
        Index("ix_application_lookup_attempt_ip_at", "ip", "at"),
        Index("ix_application_lookup_attempt_code_at", "code", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    code: Mapped[str] = mapped_column(String(40))
    ip: Mapped[str] = mapped_column(String(64))
    success: Mapped[bool] = mapped_column(Boolean)


DOCUMENT_KINDS = {
    "reply": "答复书（签发件）",
    "delivery": "送达凭证（签收回执、交邮凭证）",
    "correction": "补正材料",
    "consultation": "征求意见函及答复",
    "fee": "收费通知及缴费凭证",
    "other": "其他材料",
}


class ApplicationDocument(StoredFileColumns, db.Model):
    """A document filed with an application (the signed reply, delivery receipts...)."""

    __tablename__ = "application_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))

    @property
    def kind_label(self) -> str:
        return DOCUMENT_KINDS.get(self.kind, self.kind)


# 社会评议 (Art. 47): how the applicant rates the reply, and why when not satisfied.
RATING_LEVELS = {"satisfied": "满意", "basic": "基本满意", "dissatisfied": "不满意"}
RATING_REASONS = {
    "late": "答复不及时",
    "incomplete": "答复内容不完整，未提供所需信息",
    "unreasoned": "不予公开等理由、依据说明不充分",
    "unclear": "答复书表述不清楚、难以理解",
    "service": "工作人员沟通、服务态度不好",
    "other": "其他",
}


class ApplicationRating(db.Model):
    """The applicant's rating of a replied application (社会评议), given once on the status page.

    ``unit_id`` is the unit that replied, kept so that a later change of the application's unit does
    not move the rating. A 不满意 waits for the office until it is marked handled (``handled_at``)."""

    __tablename__ = "application_rating"
    __table_args__ = (Index("ix_application_rating_unit_rated", "unit_id", "rated_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), unique=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    level: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    rated_on: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    handled_note: Mapped[str | None] = mapped_column(Text)

    application: Mapped[Application] = relationship()

    def __str__(self) -> str:
        return f"社会评议：{self.level_label}"

    @property
    def level_label(self) -> str:
        return RATING_LEVELS.get(self.level, self.level)

    @property
    def reason_label(self) -> str | None:
        return RATING_REASONS.get(self.reason, self.reason) if self.reason else None

    @property
    def waiting(self) -> bool:
        return self.level == "dissatisfied" and self.handled_at is None


class PasswordResetRequest(db.Model):
    """One request from the public for a new query password by email, kept for throttling per
    address and per tracking code (``success``: a mail was queued)."""

    __tablename__ = "application_password_request"
    __table_args__ = (
        Index("ix_application_password_request_ip_at", "ip", "at"),
        Index("ix_application_password_request_code_at", "code", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    code: Mapped[str] = mapped_column(String(40))
    ip: Mapped[str] = mapped_column(String(64))
    success: Mapped[bool] = mapped_column(Boolean)
