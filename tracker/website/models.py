"""网站巡查: what the tracker reads on the government website itself.

* ``WebColumn`` — a unit's disclosure column (栏目) registered by the office: its list page, its
  kind (which sets how old its latest item may be), and what the last reading found.
* ``WebPage`` — the address a task was published at (one per task): checked once when published
  (发布核验), then re-checked on a cadence spread over the days.
* ``WebCheck`` — one reading of one address, kept as evidence: redirect chain, status, final
  address, when, content hash, title, the date on the page, whether the task's title appears, the
  attachments and whether each answers, and the verdict with its reasons.
* ``WebFinding`` — a problem the reading found (stale or blank column, dead link, personal data,
  a published page gone or changed): open while it is seen, turned into rectification work by the
  office, closed when a re-check no longer sees it.
"""
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow
from ..units.models import Unit

# Kinds of column and how long their latest item may be old (全国政府网站普查 indicators; 国办发
# 〔2017〕47号《政府网站发展指引》): (Chinese name, days, months). 人事/规划计划 columns "应更新而未更新"
# have no fixed interval in the indicators; a year is the default here, and a column may give its
# own number of days instead (kind "custom").
COLUMN_KINDS = {
    "news": ("动态要闻", 14, 0),
    "notice": ("通知公告", 0, 6),
    "policy": ("政策文件", 0, 6),
    "personnel": ("人事信息", 0, 12),
    "plan": ("规划计划", 0, 12),
    "custom": ("自定天数", 0, 0),
}

COLUMN_STATUSES = {
    "pending": "待巡查",
    "ok": "正常",
    "stale": "未按时更新",
    "blank": "空白栏目",
    "unreachable": "无法访问",
    "refused": "地址不允许巡查",
}

PAGE_STATES = {
    "pending": "待核验",
    "passed": "核验通过",
    "failed": "核验未通过",
    "ok": "复查正常",
    "gone": "无法访问",
    "changed": "内容已变更",
    "unreachable": "暂时无法访问",
    "refused": "地址不允许巡查",
}

FINDING_KINDS = {
    "stale_column": "栏目不更新",
    "blank_column": "空白栏目",
    "dead_link": "错链（链接无法打开）",
    "privacy_leak": "隐私信息泄露",
    "page_gone": "已发布信息无法访问",
    "page_changed": "已发布信息内容变更",
}
FINDING_STATES = {"open": "待处理", "resolved": "已消除", "dismissed": "已忽略"}


class WebColumn(db.Model):
    """A disclosure column (信息公开栏目) of a unit on the government website."""

    __tablename__ = "web_column"
    __table_args__ = (UniqueConstraint("unit_id", "url", name="uq_web_column_unit_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))
    max_age_days: Mapped[int | None] = mapped_column(Integer)   # kind "custom"
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # What the last reading found.
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    error: Mapped[str | None] = mapped_column(String(500))
    latest_date: Mapped[date | None] = mapped_column(Date)
    latest_title: Mapped[str | None] = mapped_column(String(300))
    latest_url: Mapped[str | None] = mapped_column(String(500))
    items: Mapped[int] = mapped_column(Integer, default=0)
    pages_read: Mapped[int] = mapped_column(Integer, default=0)
    links_checked: Mapped[int] = mapped_column(Integer, default=0)
    links_broken: Mapped[int] = mapped_column(Integer, default=0)

    unit: Mapped[Unit] = relationship(lazy="joined")

    AUDIT_FIELDS = ("unit_id", "name", "url", "kind", "max_age_days", "active")

    @property
    def kind_label(self) -> str:
        label = COLUMN_KINDS.get(self.kind, (self.kind,))[0]
        return f"{self.max_age_days}天" if self.kind == "custom" and self.max_age_days else label

    @property
    def status_label(self) -> str:
        return COLUMN_STATUSES.get(self.status, self.status)

    def __str__(self) -> str:
        return self.name


class WebPage(db.Model):
    """The address a disclosure task was published at, watched by the tracker."""

    __tablename__ = "web_page"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("disclosure_task.id", ondelete="CASCADE"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(20), default="pending")
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The first passing reading's content hash: a later reading with another is a change.
    baseline_hash: Mapped[str | None] = mapped_column(String(64))
    failures_in_row: Mapped[int] = mapped_column(Integer, default=0)
    # The task's failed verifications when its publication was checked: a republication after a
    # failed verification (the count moved on) is checked anew.
    verify_round: Mapped[int] = mapped_column(Integer, default=0)
    last_check_id: Mapped[int | None] = mapped_column(Integer)
    publication_check_id: Mapped[int | None] = mapped_column(Integer)

    @property
    def state_label(self) -> str:
        return PAGE_STATES.get(self.state, self.state)


class WebCheck(db.Model):
    """One reading of one address, kept as evidence (the redirect chain and all it found)."""

    __tablename__ = "web_check"
    __table_args__ = (Index("ix_web_check_page_at", "page_id", "fetched_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int | None] = mapped_column(ForeignKey("web_page.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("disclosure_task.id", ondelete="CASCADE"), index=True)
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("web_finding.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))   # publication | recheck | finding
    url: Mapped[str] = mapped_column(String(500))
    final_url: Mapped[str | None] = mapped_column(String(500))
    status_code: Mapped[int | None] = mapped_column(Integer)
    chain: Mapped[list] = mapped_column(db.JSON, default=list)      # [[url, status], ...]
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    elapsed_ms: Mapped[int] = mapped_column(Integer, default=0)
    content_type: Mapped[str | None] = mapped_column(String(100))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(300))
    page_date: Mapped[date | None] = mapped_column(Date)
    title_found: Mapped[bool | None] = mapped_column(Boolean)
    attachments: Mapped[list] = mapped_column(db.JSON, default=list)  # [{url, name, status, ok, error}]
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    reasons: Mapped[list] = mapped_column(db.JSON, default=list)      # Chinese, why it failed
    notes: Mapped[list] = mapped_column(db.JSON, default=list)        # Chinese, worth knowing
    error: Mapped[str | None] = mapped_column(String(500))

    @property
    def reason_text(self) -> str:
        return "；".join(self.reasons or [])


class WebFinding(db.Model):
    """A problem found on the website. ``fingerprint`` keeps one row per problem however often it
    is seen; personal data is kept masked (``excerpt``), with only a hash of the match."""

    __tablename__ = "web_finding"
    __table_args__ = (UniqueConstraint("kind", "fingerprint", name="uq_web_finding_kind_fingerprint"),
                      Index("ix_web_finding_unit_state", "unit_id", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    fingerprint: Mapped[str] = mapped_column(String(64))
    column_id: Mapped[int | None] = mapped_column(ForeignKey("web_column.id", ondelete="CASCADE"), index=True)
    page_id: Mapped[int | None] = mapped_column(ForeignKey("web_page.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(500))            # where it is (the link, the file, the page)
    found_on: Mapped[str | None] = mapped_column(String(500))  # the page that showed it
    summary: Mapped[str] = mapped_column(String(500))
    excerpt: Mapped[str | None] = mapped_column(String(200))   # masked match, e.g. 2301**********1234
    match_digest: Mapped[str | None] = mapped_column(String(64))  # sha256 of the personal data found
    state: Mapped[str] = mapped_column(String(20), default="open", index=True)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_how: Mapped[str | None] = mapped_column(String(100))
    rectification_id: Mapped[int | None] = mapped_column(ForeignKey("rectification.id"), index=True)
    # The re-check the unit's answer asked for: when, and whether it passed.
    recheck_due: Mapped[bool] = mapped_column(Boolean, default=False)
    rechecked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recheck_passed: Mapped[bool | None] = mapped_column(Boolean)
    recheck_note: Mapped[str | None] = mapped_column(String(500))

    unit: Mapped[Unit] = relationship(lazy="joined")

    @property
    def kind_label(self) -> str:
        return FINDING_KINDS.get(self.kind, self.kind)

    @property
    def state_label(self) -> str:
        return FINDING_STATES.get(self.state, self.state)

    def __str__(self) -> str:
        return f"{self.kind_label}：{self.summary}"[:300]
