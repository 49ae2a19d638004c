"""Assessment scores (考核评分): rubrics per year (versioned), periods, each unit's score with its
items (deductions and bonuses, each a frozen snapshot of the record behind it), voids, manual
entries, objections (申辩) and re-runs of published periods (scoring.md)."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..files import StoredFileColumns
from ..timeutil import UTCDateTime, utcnow
from ..units.models import Unit

POINTS = Numeric(6, 2)

# A period's scores are recomputed nightly while provisional, computed once more after the period
# ends (final, for the office to review) and frozen once published.
PERIOD_STATES = {"provisional": "暂定（每晚更新）", "final": "待发布（公开办审核中）", "published": "已发布"}
OBJECTION_STATES = {"pending": "待答复", "accepted": "申辩成立（已撤销扣分）", "rejected": "申辩不成立"}
RERUN_STATES = {"pending": "待确认", "accepted": "已采用", "discarded": "已放弃"}
BONUS = "bonus"  # the category key of bonus items (加分)


class Rubric(db.Model):
    """The rubric (评分细则) of a year: categories with their points, automatic rules with their
    sizes, manual item types with their ranges and the bonus cap, as JSON (see rubrics.RubricSpec).
    A version used by a published score is never changed: editing it makes the next version."""

    __tablename__ = "score_rubric"
    __table_args__ = (UniqueConstraint("year", "version", name="uq_score_rubric_year_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    body: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    @property
    def label(self) -> str:
        return f"{self.year}年评分细则（第{self.version}版）"

    def __str__(self) -> str:
        return self.label


class ScorePeriod(db.Model):
    """One assessment period ("2026-Q3" or "2026") and where its scores stand."""

    __tablename__ = "score_period"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(10), unique=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    quarter: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="provisional")
    as_of: Mapped[date | None] = mapped_column(Date)            # events up to this day were counted
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    computed_on: Mapped[date | None] = mapped_column(Date)      # China date of the last computation
    failures: Mapped[dict | None] = mapped_column(JSON)         # {unit code: error} of the last run
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_on: Mapped[date | None] = mapped_column(Date)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    objection_deadline: Mapped[date | None] = mapped_column(Date)

    @property
    def period(self):
        from .periods import Period
        return Period(self.year, self.quarter)

    @property
    def label(self) -> str:
        return self.period.label

    @property
    def state_label(self) -> str:
        return PERIOD_STATES.get(self.state, self.state)

    @property
    def state_short(self) -> str:
        return {"provisional": "暂定", "final": "待发布"}.get(self.state, "")

    @property
    def is_published(self) -> bool:
        return self.state == "published"

    def __str__(self) -> str:
        return self.label


class Score(db.Model):
    """A unit's score for a period: the figures per category (JSON, see engine.Tally.figures), the
    bonus and the total; the unit's code, name and kind as they were when scored."""

    __tablename__ = "score"
    __table_args__ = (UniqueConstraint("period_id", "unit_id", name="uq_score_period_unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("score_period.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    unit_code: Mapped[str] = mapped_column(String(40))
    unit_name: Mapped[str] = mapped_column(String(120))
    unit_kind: Mapped[str] = mapped_column(String(20))
    rubric_id: Mapped[int] = mapped_column(ForeignKey("score_rubric.id"), index=True)
    total: Mapped[Decimal] = mapped_column(POINTS)
    bonus: Mapped[Decimal] = mapped_column(POINTS, default=0)
    figures: Mapped[dict] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    period: Mapped[ScorePeriod] = relationship(lazy="joined")
    rubric: Mapped[Rubric] = relationship(lazy="select")
    unit: Mapped[Unit] = relationship(lazy="select")

    def __str__(self) -> str:
        return f"{self.unit_name} {self.period.label}"


class ScoreVoid(db.Model):
    """The office voided (撤销) a deduction or bonus of a unit, with the reason. Keyed by the item's
    key, so it holds in every period the item appears in (a quarter and its year) and survives
    recomputation."""

    __tablename__ = "score_void"
    __table_args__ = (UniqueConstraint("unit_id", "key", name="uq_score_void_unit_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(Text)
    objection_id: Mapped[int | None] = mapped_column(ForeignKey("score_objection.id"))
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    voided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    voided_by: Mapped[User | None] = relationship(lazy="joined")


class ScoreItem(db.Model):
    """One deduction or bonus in a score, with a snapshot of the record behind it (its label and
    the facts), the rule and its source. ``key`` names the item: "<rule>:<record type>:<id>" for
    an automatic deduction, "manual:<id>" for an entry of the office."""

    __tablename__ = "score_item"
    __table_args__ = (UniqueConstraint("score_id", "key", name="uq_score_item_score_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    score_id: Mapped[int] = mapped_column(ForeignKey("score.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80), index=True)
    category: Mapped[str] = mapped_column(String(30))
    kind: Mapped[str] = mapped_column(String(40))
    points: Mapped[Decimal] = mapped_column(POINTS)
    record_type: Mapped[str | None] = mapped_column(String(30))
    record_id: Mapped[int | None] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str | None] = mapped_column(String(500))
    rule_label: Mapped[str] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(Text)
    manual_id: Mapped[int | None] = mapped_column(ForeignKey("score_manual.id"), index=True)
    void_id: Mapped[int | None] = mapped_column(ForeignKey("score_void.id"), index=True)

    score: Mapped[Score] = relationship(lazy="select")
    void: Mapped[ScoreVoid | None] = relationship(lazy="joined")

    @property
    def is_bonus(self) -> bool:
        return self.category == BONUS

    @property
    def is_manual(self) -> bool:
        return self.manual_id is not None


class ScoreFile(StoredFileColumns, db.Model):
    """Evidence attached to a manual item or an objection; served only to those who may see the unit."""

    __tablename__ = "score_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)


class ManualEntry(db.Model):
    """A deduction or bonus the office entered for a unit and a period, with the reason and optional
    evidence. A quarter's entry also counts in its year."""

    __tablename__ = "score_manual"
    __table_args__ = (Index("ix_score_manual_period_unit", "period_key", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    period_key: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(30))
    type_key: Mapped[str] = mapped_column(String(30))
    type_name: Mapped[str] = mapped_column(String(100))
    points: Mapped[Decimal] = mapped_column(POINTS)
    reason: Mapped[str] = mapped_column(Text)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("score_file.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    evidence: Mapped[ScoreFile | None] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship(lazy="joined")

    @property
    def is_bonus(self) -> bool:
        return self.category == BONUS


class Objection(db.Model):
    """A unit's objection (申辩) to a deduction of a published score, and the office's answer. The
    deduction is kept as a snapshot (label, rule, points) so the objection reads the same after a
    re-run."""

    __tablename__ = "score_objection"
    __table_args__ = (UniqueConstraint("score_id", "key", name="uq_score_objection_score_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    score_id: Mapped[int] = mapped_column(ForeignKey("score.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    item_label: Mapped[str] = mapped_column(String(300))
    item_rule: Mapped[str] = mapped_column(String(100))
    item_points: Mapped[Decimal] = mapped_column(POINTS)
    reason: Mapped[str] = mapped_column(Text)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("score_file.id"))
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reply: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    score: Mapped[Score] = relationship(lazy="joined")
    evidence: Mapped[ScoreFile | None] = relationship(lazy="joined")
    filed_by: Mapped[User | None] = relationship(foreign_keys=[filed_by_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")

    @property
    def state_label(self) -> str:
        return OBJECTION_STATES.get(self.state, self.state)

    def __str__(self) -> str:
        return f"申辩：{self.item_label}"


class ScoreRerun(db.Model):
    """A recomputation of a published period, kept aside until the office accepts it: per unit the
    old and new figures and the new items (JSON), so the office sees old → new first."""

    __tablename__ = "score_rerun"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("score_period.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    as_of: Mapped[date] = mapped_column(Date)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("score_rubric.id"))
    results: Mapped[list] = mapped_column(JSON)
    failures: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    period: Mapped[ScorePeriod] = relationship(lazy="joined")

    @property
    def state_label(self) -> str:
        return RERUN_STATES.get(self.state, self.state)

    @property
    def changed(self) -> list[dict]:
        return [r for r in self.results if r["old_total"] != r["new_total"] or r.get("items_changed")]
