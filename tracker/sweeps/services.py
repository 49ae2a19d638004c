"""What the system health page (系统运行状况) shows: each job's latest run, open failures."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import url_for
from sqlalchemy import func, select
from werkzeug.routing import BuildError

from ..audit.services import record
from ..errors import ServiceError
from ..extensions import db
from ..timeutil import utcnow
from . import RECORD_TYPES
from .models import JobFailure, JobRun


@dataclass
class JobStatus:
    name: str
    label: str
    minutes: int
    last: JobRun | None
    last_ok: JobRun | None
    now: datetime

    @property
    def late(self) -> bool:
        """Not run for three of its intervals (at least ten minutes): is the scheduler running?"""
        window = timedelta(minutes=max(self.minutes * 3, 10))
        return self.last is None or self.last.started_at < self.now - window


def job_statuses(jobs) -> list[JobStatus]:
    """Each job's latest run and latest successful run, in two queries."""
    names = [job.name for job in jobs]
    latest = select(func.max(JobRun.id)).where(JobRun.job.in_(names)).group_by(JobRun.job)
    latest_ok = select(func.max(JobRun.id)).where(JobRun.job.in_(names), JobRun.ok.is_(True)).group_by(JobRun.job)
    last = {r.job: r for r in db.session.scalars(select(JobRun).where(JobRun.id.in_(latest)))}
    last_ok = {r.job: r for r in db.session.scalars(select(JobRun).where(JobRun.id.in_(latest_ok)))}
    now = utcnow()
    return [JobStatus(job.name, job.label or job.name, job.minutes, last.get(job.name), last_ok.get(job.name), now)
            for job in jobs]


def open_failures(limit: int = 500) -> list[JobFailure]:
    return db.session.scalars(select(JobFailure).where(JobFailure.cleared_at.is_(None))
                              .order_by(JobFailure.last_seen.desc(), JobFailure.id.desc()).limit(limit)).all()


def record_link(failure: JobFailure) -> tuple[str, str | None]:
    """The Chinese name of the failed record's kind, and a link to the record where there is one."""
    kind = RECORD_TYPES.get(failure.record_type)
    if kind is None:
        return failure.record_type, None
    try:
        if kind.link is not None:
            return kind.label, kind.link(failure.record_id)
        if kind.endpoint is None or not failure.record_id.isdigit():
            return kind.label, None
        return kind.label, url_for(kind.endpoint, **{kind.arg: int(failure.record_id)})
    except (BuildError, ValueError):
        return kind.label, None


def dismiss_failure(failure_id: int, actor) -> JobFailure:
    """Office: mark an open failure as handled (知悉). It comes back if the row fails again."""
    failure = db.session.get(JobFailure, failure_id)
    if failure is None or failure.cleared_at is not None:
        raise ServiceError("该失败记录不存在或已处理。")
    failure.cleared_at, failure.cleared_how = utcnow(), "dismissed"
    record("sweeps.failure_dismiss", object_type="job_failure", object_id=failure.id,
           object_label=f"{failure.job} · {failure.record_label or failure.record_id}",
           before={"error": failure.error}, actor=actor)
    return failure
