from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow


class JobRun(db.Model):
    """One run of a scheduled job: when, how long, how many rows it handled and how many failed.

    Kept for ``RUN_HISTORY_DAYS`` (older runs are pruned by the next run of the same job)."""

    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_job_started", "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    worker: Mapped[str | None] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    failed_rows: Mapped[int] = mapped_column(Integer, default=0)
    ok: Mapped[bool] = mapped_column(Boolean, default=True)
    result: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(String(500))          # Chinese, for the office
    error_detail: Mapped[str | None] = mapped_column(Text)          # the raw text, for IT


class JobFailure(db.Model):
    """A row a job could not handle: open (``cleared_at`` empty) until the row succeeds, the job
    no longer meets it, or the office marks it handled. One row per job and record: a failure
    that repeats updates ``last_seen`` and ``occurrences``; one that comes back after being
    cleared starts again from its new ``first_seen``."""

    __tablename__ = "job_failure"
    __table_args__ = (UniqueConstraint("job", "record_type", "record_id", name="uq_job_failure_record"),
                      Index("ix_job_failure_open", "cleared_at", "last_seen"))

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(40), default="")
    record_label: Mapped[str | None] = mapped_column(String(300))
    error: Mapped[str] = mapped_column(String(500))
    error_detail: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_how: Mapped[str | None] = mapped_column(String(20))   # "succeeded" | "gone" | "dismissed"
