"""Demo: the scheduled jobs have run once, for real, over the demo city, so the office's
系统运行状况 page shows every job's run and the outbox holds the reminders they queued (the demo
configures no mail server: mail is held, not failed; see README, "Reminders and email")."""
from sqlalchemy import select

from .. import sweeps
from ..extensions import db
from ..sweeps.models import JobRun
from ..timeutil import utcnow


def load_health_demo() -> None:
    """Run every job once unless some job has run already (idempotent). The city's records are
    committed first: each job runs in a transaction of its own, as in the scheduler."""
    from ..scheduler import jobs

    if db.session.scalar(select(JobRun.id).limit(1)) is not None:
        return
    db.session.commit()
    for job in jobs():
        with sweeps.run(job.name, full_sweep=job.full_sweep) as run:
            run.result = job.run(utcnow())
