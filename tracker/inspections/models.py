"""Supervision records (督查, domain.md §5): inspections of units, the rectification items
(整改事项) they order, the unit's answers with evidence, and formal urging (督办) of overdue work.

Only the transitions in ``services`` write ``Rectification.state``; each writes a
RectificationEvent (the item's timeline) and an audit event.
"""
from datetime import date, datetime

from sqlalchemy import (
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

# 定期检查与不定期检查、集中专项检查与抽查相结合 (seed §一(六)).
INSPECTION_KINDS = {
    "regular": "定期检查",
    "spot": "不定期抽查",
    "special": "专项检查",
}

RECTIFICATION_STATES = {
    "open": "待整改",
    "submitted": "待验收",
    "returned": "退回重改",
    "closed": "已整改销号",
    "cancelled": "已撤销",
}
# Not finished: the deadline still matters.
RECTIFICATION_OPEN_STATES = ("open", "submitted", "returned")
# The unit owes an answer (reminders go to the unit only in these states).
AWAITING_UNIT_STATES = ("open", "returned")
RECTIFICATION_DONE_STATES = ("closed",)

# Where a rectification item came from.
SOURCES = {"inspection": "督查检查", "bulletin": "季度通报", "manual": "公开办交办"}

# The records the office may press 督办 on.
URGE_KINDS = {"task": "公开任务", "application": "依申请公开申请", "rectification": "整改事项"}


class Inspection(db.Model):
    """One check by the office (定期检查、不定期抽查、专项检查) of one or many units."""

    __tablename__ = "inspection"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    inspected_on: Mapped[date] = mapped_column(Date, index=True)
    scope: Mapped[str] = mapped_column(Text)      # 检查范围, e.g. the columns of the website checked
    method: Mapped[str] = mapped_column(Text)     # 检查方式, e.g. website spot check of listed columns
    summary: Mapped[str | None] = mapped_column(Text)  # 总体情况
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    units: Mapped[list["InspectionUnit"]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan", lazy="selectin", order_by="InspectionUnit.id")
    findings: Mapped[list["Finding"]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan", order_by="Finding.id")

    AUDIT_FIELDS = ("kind", "title", "inspected_on", "scope", "method", "summary")

    @property
    def kind_label(self) -> str:
        return INSPECTION_KINDS.get(self.kind, self.kind)

    def __str__(self) -> str:
        return self.title


class InspectionUnit(db.Model):
    """A unit covered by an inspection."""

    __tablename__ = "inspection_unit"
    __table_args__ = (UniqueConstraint("inspection_id", "unit_id", name="uq_inspection_unit_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)

    inspection: Mapped[Inspection] = relationship(back_populates="units")
    unit: Mapped[Unit] = relationship(lazy="joined")


class Finding(db.Model):
    """A problem found at one unit during an inspection (检查发现的问题)."""

    __tablename__ = "inspection_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    inspection: Mapped[Inspection] = relationship(back_populates="findings")
    unit: Mapped[Unit] = relationship(lazy="joined")
    rectification: Mapped["Rectification | None"] = relationship(back_populates="finding", uselist=False)

    def __str__(self) -> str:
        return self.description[:60]


class Rectification(db.Model):
    """A rectification item (整改事项): what a unit must put right, by a deadline in working days.

    ``due_date`` is ``period_days`` working days after ``issued_on`` (the start day not counted,
    domain.md §4) and moves with the calendar while the item is open. ``answered_on`` is the day
    of the unit's latest answer; ``completed_on`` the day of the answer the office accepted: an
    item is done by its deadline when that day is not after ``due_date`` (scoring.md 督查整改:
    each item not done by its deadline −2). A returned answer does not count.
    """

    __tablename__ = "rectification"
    __table_args__ = (Index("ix_rectification_unit_state", "unit_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    source: Mapped[str] = mapped_column(String(20), default="inspection")
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"), index=True)
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_finding.id"), unique=True)
    bulletin_id: Mapped[int | None] = mapped_column(ForeignKey("bulletin.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    requirement: Mapped[str] = mapped_column(Text)
    issued_on: Mapped[date] = mapped_column(Date)
    period_days: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date | None] = mapped_column(Date, index=True)
    due_provisional: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(20), default="open", index=True)
    answered_on: Mapped[date | None] = mapped_column(Date)   # the latest answer's day
    completed_on: Mapped[date | None] = mapped_column(Date)
    return_reason: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship(lazy="joined")
    inspection: Mapped[Inspection | None] = relationship()
    finding: Mapped[Finding | None] = relationship(back_populates="rectification")

    AUDIT_FIELDS = ("unit_id", "title", "requirement", "issued_on", "period_days", "due_date", "state")

    @property
    def state_label(self) -> str:
        return RECTIFICATION_STATES.get(self.state, self.state)

    @property
    def source_label(self) -> str:
        return SOURCES.get(self.source, self.source)

    @property
    def is_open(self) -> bool:
        return self.state in RECTIFICATION_OPEN_STATES

    @property
    def awaits_unit(self) -> bool:
        return self.state in AWAITING_UNIT_STATES

    def is_overdue(self, today: date) -> bool:
        """The unit still owes its answer after the deadline."""
        return self.awaits_unit and self.due_date is not None and self.due_date < today

    def is_due_soon(self, today: date, cutoff: date) -> bool:
        return self.is_open and self.due_date is not None and today <= self.due_date <= cutoff

    @property
    def done_late(self) -> bool:
        return (self.state in RECTIFICATION_DONE_STATES and self.completed_on is not None
                and self.due_date is not None and self.completed_on > self.due_date)

    def __str__(self) -> str:
        return self.title


class RectificationResponse(db.Model):
    """The unit's answer to an item (整改情况): what it did, when; the office's decision on it."""

    __tablename__ = "rectification_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    rectification_id: Mapped[int] = mapped_column(ForeignKey("rectification.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    submitted_on: Mapped[date] = mapped_column(Date)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decision: Mapped[str | None] = mapped_column(String(20))  # accepted | returned
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")
    evidence: Mapped[list["RectificationEvidence"]] = relationship(
        back_populates="response", order_by="RectificationEvidence.id", lazy="selectin")

    @property
    def decision_label(self) -> str:
        return {"accepted": "验收通过", "returned": "退回重改"}.get(self.decision or "", "待验收")


class RectificationEvidence(StoredFileColumns, db.Model):
    """A file of evidence sent with an answer (screenshots of the corrected page, documents)."""

    __tablename__ = "rectification_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    rectification_id: Mapped[int] = mapped_column(ForeignKey("rectification.id", ondelete="CASCADE"), index=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("rectification_response.id", ondelete="CASCADE"),
                                             index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)

    response: Mapped[RectificationResponse] = relationship(back_populates="evidence")


class RectificationEvent(TransitionColumns, db.Model):
    """One step on an item's timeline: from, to, who, when, why."""

    __tablename__ = "rectification_event"
    STATE_LABELS = RECTIFICATION_STATES

    id: Mapped[int] = mapped_column(primary_key=True)
    rectification_id: Mapped[int] = mapped_column(ForeignKey("rectification.id", ondelete="CASCADE"), index=True)


class Urging(db.Model):
    """A formal urging (督办) by the office on one overdue or at-risk record of a unit.

    ``record_type`` is one of URGE_KINDS; ``record_label`` and ``due_date`` keep what the record
    was when it was urged. At most one per record and day (a double click urges once).
    """

    __tablename__ = "urging"
    __table_args__ = (
        UniqueConstraint("record_type", "record_id", "urged_on", name="uq_urging_record_day"),
        Index("ix_urging_unit_day", "unit_id", "urged_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    record_label: Mapped[str] = mapped_column(String(300))
    due_date: Mapped[date | None] = mapped_column(Date)
    overdue: Mapped[bool] = mapped_column(default=False)  # overdue when urged (else at risk)
    message: Mapped[str | None] = mapped_column(Text)
    urged_on: Mapped[date] = mapped_column(Date)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship(lazy="joined")

    @property
    def kind_label(self) -> str:
        return URGE_KINDS.get(self.record_type, self.record_type)

    @property
    def link(self) -> str:
        return {"task": f"/disclosure/tasks/{self.record_id}", "application": f"/applications/{self.record_id}",
                "rectification": f"/rectifications/{self.record_id}"}.get(self.record_type, "/")

    def __str__(self) -> str:
        return f"督办：{self.record_label}"
