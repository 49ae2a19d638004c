"""Scheduled work: a list of sweeps over rows, run by one APScheduler process.

``flask --app wsgi scheduler`` runs them on their intervals (and each once at start, to catch up
after downtime); ``flask --app wsgi sweep`` runs every job once, now. Every job is safe to run
twice and in two processes at once: the state lives in the database rows, not in the scheduler.
"""
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask

from .extensions import db
from .timeutil import CHINA, utcnow

log = logging.getLogger("tracker.scheduler")


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[datetime], object]   # called with the current UTC time
    minutes: int


def _today(now: datetime):
    return now.astimezone(CHINA).date()


def jobs() -> list[Job]:
    """Every scheduled job, in the order a one-shot sweep runs them."""
    from .applications.services import close_lapsed_applications
    from .bulletins.services import draft_due_bulletin
    from .disclosure.tasks import open_periodic_tasks
    from .notify.reminders import send_digests, send_office_summary, sweep_reminders
    from .notify.sender import send_due_mails

    return [
        Job("open-tasks", lambda now: open_periodic_tasks(_today(now)), 60),
        Job("close-lapsed", lambda now: close_lapsed_applications(_today(now)), 60),
        Job("bulletin-draft", lambda now: draft_due_bulletin(_today(now)), 60),
        Job("reminders", lambda now: sweep_reminders(_today(now)), 15),
        Job("digests", lambda now: send_digests(_today(now)), 60),
        Job("office-summary", lambda now: send_office_summary(_today(now)), 60),
        Job("send-mail", lambda now: send_due_mails(now, limit=500), 1),
    ]


def run_job(app: Flask, job: Job, now: datetime | None = None):
    """Run one job in its own app context and transaction; an error is logged, never fatal."""
    with app.app_context():
        try:
            result = job.run(now or utcnow())
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", job.name)
            raise


def sweep(app: Flask, now: datetime | None = None) -> dict:
    """Every job once, now."""
    results = {}
    for job in jobs():
        try:
            results[job.name] = run_job(app, job, now)
        except Exception as exc:  # noqa: BLE001 - reported, the other jobs still run
            results[job.name] = f"error: {exc}"
    return results


def run_scheduler(app: Flask) -> None:  # pragma: no cover - a long-running process
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler

    # One job at a time: the jobs are short, and SQLite (the embedded default) has a single writer.
    scheduler = BlockingScheduler(timezone="Asia/Shanghai", executors={"default": ThreadPoolExecutor(1)},
                                  job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600})
    for job in jobs():
        scheduler.add_job(_safe, "interval", minutes=job.minutes, args=(app, job), id=job.name, name=job.name,
                          next_run_time=datetime.now(CHINA))
    log.info("scheduler started with jobs: %s", ", ".join(j.name for j in jobs()))
    scheduler.start()


def _safe(app: Flask, job: Job) -> None:
    try:
        run_job(app, job)
    except Exception:  # noqa: BLE001 - logged in run_job; the next interval tries again
        pass
