"""Quarterly bulletins (季度通报, domain.md §5): one per quarter, drafted from the records,
edited by the office, then published — numbered and frozen."""
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..timeutil import UTCDateTime, utcnow
from ..units.models import Unit

STATES = {"draft": "草稿", "published": "已印发"}


class Bulletin(db.Model):
    """The bulletin of one quarter. ``figures`` holds the per-unit table as computed on
    ``figures_as_of`` (recomputed on demand while a draft); ``snapshot`` is everything the
    published document shows, frozen at publication so later edits of records change nothing."""

    __tablename__ = "bulletin"
    __table_args__ = (
        UniqueConstraint("year", "quarter", name="uq_bulletin_quarter"),
        UniqueConstraint("doc_prefix", "doc_year", "doc_seq", name="uq_bulletin_doc_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    figures: Mapped[dict] = mapped_column(db.JSON, default=dict)
    figures_as_of: Mapped[date] = mapped_column(Date)
    good_practice: Mapped[str | None] = mapped_column(Text)   # 工作亮点
    problems: Mapped[str | None] = mapped_column(Text)        # 存在问题
    requirements: Mapped[str | None] = mapped_column(Text)    # 下一步要求
    # The document number (发文字号) given at publication: prefix〔year〕seq号.
    doc_prefix: Mapped[str | None] = mapped_column(String(40))
    doc_year: Mapped[int | None] = mapped_column(Integer)
    doc_seq: Mapped[int | None] = mapped_column(Integer)
    published_on: Mapped[date | None] = mapped_column(Date)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    snapshot: Mapped[dict | None] = mapped_column(db.JSON)
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list["BulletinItem"]] = relationship(
        back_populates="bulletin", cascade="all, delete-orphan", order_by="BulletinItem.id", lazy="selectin")
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])

    AUDIT_FIELDS = ("good_practice", "problems", "requirements")

    @property
    def key(self) -> str:
        return f"{self.year}-Q{self.quarter}"

    @property
    def state_label(self) -> str:
        return STATES.get(self.state, self.state)

    @property
    def is_published(self) -> bool:
        return self.state == "published"

    @property
    def doc_number(self) -> str | None:
        """东政公开办〔2026〕3号: hexagonal brackets, no leading zero, no 第 (GB/T 9704-2012)."""
        if self.doc_seq is None:
            return None
        return f"{self.doc_prefix}〔{self.doc_year}〕{self.doc_seq}号"

    def __str__(self) -> str:
        from .quarters import Quarter
        return f"{Quarter(self.year, self.quarter).label}通报"


class BulletinItem(db.Model):
    """A rectification requirement the office attaches to a named unit in a draft; publishing
    turns each into a live rectification item due ``period_days`` working days after issue."""

    __tablename__ = "bulletin_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletin.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    requirement: Mapped[str] = mapped_column(Text)
    period_days: Mapped[int] = mapped_column(Integer)
    rectification_id: Mapped[int | None] = mapped_column(ForeignKey("rectification.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    bulletin: Mapped[Bulletin] = relationship(back_populates="items")
    unit: Mapped[Unit] = relationship(lazy="joined")
