"""Annual reports (政府信息公开工作年度报告): each unit's report and the city's, their submissions
(frozen snapshots), the figures entered from other systems, and the normative documents' status."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..timeutil import UTCDateTime, utcnow
from ..units.models import Unit

STATES = {
    "draft": "编制中",
    "in_review": "待审核",
    "approved": "已审核待报送",
    "submitted": "已报送",
    "returned": "已退回",
    "accepted": "已接收",
}
CITY_STATES = {"draft": "编制中", "final": "已定稿"}
EDITABLE_STATES = ("draft", "returned")
# Handed in to the office: frozen (a snapshot), no longer the unit's to change.
HANDED_IN_STATES = ("submitted", "accepted")

DECISIONS = {"accepted": "已接收", "returned": "已退回", "refused": "校验未通过，未予报送"}

NORMATIVE_KINDS = {"normative": "行政规范性文件", "rule": "规章"}


class ReportYear(db.Model):
    """The office's settings for one reporting year: the internal due date (内部报送期限) by which
    units hand their report in (Art. 49 leaves it to local notice; units publish by January 31)."""

    __tablename__ = "report_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    due_date: Mapped[date | None] = mapped_column(Date)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The sum of the year's accepted unit reports (their frozen cells and facts, and which units),
    # added to as each is accepted (accepted is final): what the city report starts from, instead
    # of reading every snapshot on every view (services.count_accepted).
    accepted_cells: Mapped[dict | None] = mapped_column(JSON)
    accepted_facts: Mapped[dict | None] = mapped_column(JSON)
    accepted_units: Mapped[list | None] = mapped_column(JSON)


class AnnualReport(db.Model):
    """One annual report: a unit's (``scope`` "unit") or the city's (``scope`` "city", no unit).

    Until it is handed in, its figures are computed live from the records (plus ``overrides``, cells
    the unit corrected by hand, each with a reason). Handing it in freezes the figures in a
    ``ReportSubmission``. ``state`` is written only by the transitions in ``workflow``.
    """

    __tablename__ = "annual_report"
    __table_args__ = (UniqueConstraint("year", "slot", name="uq_annual_report_year_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    scope: Mapped[str] = mapped_column(String(10), default="unit")
    # "unit:<id>" or "city": one report per unit and year, one city report per year.
    slot: Mapped[str] = mapped_column(String(30))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    # The narrative sections 一, 五, 六 (the others are the tables).
    overview: Mapped[str] = mapped_column(Text, default="")
    problems: Mapped[str] = mapped_column(Text, default="")
    other_matters: Mapped[str] = mapped_column(Text, default="")
    # {cell key: {"value": "12", "reason": "..."}}: figures the unit corrected by hand.
    overrides: Mapped[dict] = mapped_column(JSON, default=dict)
    review_note: Mapped[str | None] = mapped_column(Text)     # the reviewer's remark when sending it back
    return_reason: Mapped[str | None] = mapped_column(Text)   # the office's reason when returning it
    # The city report's figures as finalised (定稿); a unit's frozen figures live on its submissions.
    snapshot: Mapped[dict | None] = mapped_column(JSON)
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    submissions: Mapped[list["ReportSubmission"]] = relationship(
        back_populates="report", order_by="ReportSubmission.number", lazy="selectin")

    AUDIT_FIELDS = ("state", "overview", "problems", "other_matters", "overrides", "review_note", "return_reason")

    @property
    def is_city(self) -> bool:
        return self.scope == "city"

    @property
    def state_label(self) -> str:
        return (CITY_STATES if self.is_city else STATES).get(self.state, self.state)

    @property
    def editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def frozen(self) -> bool:
        return self.state in HANDED_IN_STATES or (self.is_city and self.state == "final")

    @property
    def last_submission(self) -> "ReportSubmission | None":
        handed = [s for s in self.submissions if s.decision != "refused"]
        return handed[-1] if handed else None

    @property
    def organ(self) -> str:
        return self.unit.name if self.unit else "全市"

    def __str__(self) -> str:
        return f"{self.organ}{self.year}年政府信息公开工作年度报告"


class ReportSubmission(db.Model):
    """One handing-in of a unit's report (报送) — or an attempt the consistency check refused — with
    the facts the scores' 年度报告 rule reads: when, the internal due date then, whether it was late,
    whether the consistency check passed, and the office's decision (accepted / returned, why).
    ``snapshot`` is the report as handed in: figures, narrative, overrides; later changes to the
    records behind it do not change it."""

    __tablename__ = "report_submission"
    __table_args__ = (UniqueConstraint("report_id", "number", name="uq_report_submission_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("annual_report.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    number: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_on: Mapped[date] = mapped_column(Date)          # the China-time day of submission
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    due_date: Mapped[date | None] = mapped_column(Date)        # the internal due date when submitted
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    consistent: Mapped[bool] = mapped_column(Boolean, default=True)
    violations: Mapped[list] = mapped_column(JSON, default=list)
    snapshot: Mapped[dict | None] = mapped_column(JSON)
    decision: Mapped[str | None] = mapped_column(String(20))   # accepted | returned | refused
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str | None] = mapped_column(Text)

    report: Mapped[AnnualReport] = relationship(back_populates="submissions")
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")

    @property
    def decision_label(self) -> str:
        return DECISIONS.get(self.decision or "", "待公开办审查")


class ReportFigure(db.Model):
    """A figure of table 二 that comes from another system (licences, penalties, enforcement
    decisions, administrative fees in 万元, …), entered per unit and year or imported from Excel.
    ``key`` is the report cell it fills (``two/licence/decisions``)."""

    __tablename__ = "report_figure"
    __table_args__ = (UniqueConstraint("unit_id", "year", "key", name="uq_report_figure_unit_year_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    key: Mapped[str] = mapped_column(String(60))
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    source: Mapped[str] = mapped_column(String(20), default="form")  # form | import
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NormativeDocument(db.Model):
    """A normative document's standing for table 二 第二十条第（一）项: whether it is a 规章 or a
    行政规范性文件, and its repeal (废止: date and reason).

    Documents published through the tracker are register items (``task_id``: a published task
    marked normative, with its document number and publication date); documents issued before the
    tracker was in use are entered here with their own title, number and issue date (``task_id``
    empty), so that 现行有效件数 counts them too.
    """

    __tablename__ = "normative_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("disclosure_task.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str | None] = mapped_column(String(300))
    doc_number: Mapped[str | None] = mapped_column(String(100))
    issued_on: Mapped[date | None] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20), default="normative")
    repealed_on: Mapped[date | None] = mapped_column(Date)
    repeal_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship(lazy="joined")

    AUDIT_FIELDS = ("kind", "title", "doc_number", "issued_on", "repealed_on", "repeal_reason")

    @property
    def kind_label(self) -> str:
        return NORMATIVE_KINDS.get(self.kind, self.kind)

    def __str__(self) -> str:
        return self.doc_number or self.title or f"规范性文件 {self.id}"
