"""Scheduled work: a list of sweeps over rows, run by one APScheduler process.

``flask --app wsgi scheduler`` runs them on their intervals (and each once at start, to catch up
after downtime); ``flask --app wsgi sweep`` runs every job once, now, and exits non-zero naming
the jobs that failed. Every job is safe to run twice and in two processes at once: the state
lives in the database rows, not in the scheduler. Each run goes through ``sweeps.run``: rows are
handled in isolation, and the run (duration, rows, failures) is recorded for the office's
系统运行状况 page.
"""
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask

from . import sweeps
from .timeutil import CHINA, utcnow

log = logging.getLogger("tracker.scheduler")


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[datetime], object]   # called with the current UTC time
    minutes: int
    label: str = ""                     # Chinese, for the system health page
    # Looks at every due row each run (so a failure not met again is gone); False for batch jobs.
    full_sweep: bool = True


def _today(now: datetime):
    return now.astimezone(CHINA).date()


def jobs(manual: bool = False) -> list[Job]:
    """Every scheduled job, in the order a one-shot sweep runs them. ``manual``: run by hand
    (``sweep``), so the mail sender tries the server now rather than after its back-off."""
    from .applications.services import close_lapsed_applications
    from .bulletins.services import draft_due_bulletin
    from .disclosure.tasks import open_tasks_on_working_days
    from .notify.reminders import send_digests, send_office_summary, sweep_reminders
    from .notify.sender import send_due_mails
    from .scores.tasks import finalise, nightly
    from .website.tasks import sweep_columns, sweep_pages, sweep_rechecks

    return [
        Job("open-tasks", lambda now: open_tasks_on_working_days(_today(now)), 60, "生成定期公开任务"),
        Job("close-lapsed", lambda now: close_lapsed_applications(_today(now)), 60, "依申请公开暂停期限届满处理"),
        Job("bulletin-draft", lambda now: draft_due_bulletin(_today(now)), 60, "起草上一季度通报"),
        Job("reminders", lambda now: sweep_reminders(_today(now)), 15, "到期提醒与逾期督办"),
        Job("digests", lambda now: send_digests(_today(now)), 60, "每周工作提示"),
        Job("office-summary", lambda now: send_office_summary(_today(now)), 60, "公开办每日监督摘要"),
        Job("scores-final", finalise, 60, "考核得分期末计算"),
        Job("scores-provisional", nightly, 60, "考核得分每晚暂定计算"),
        Job("website-pages", sweep_pages, 5, "网站巡查：发布核验与复查"),
        Job("website-columns", sweep_columns, 15, "网站巡查：栏目巡查"),
        Job("website-rechecks", sweep_rechecks, 5, "网站巡查：整改复查"),
        Job("send-mail", lambda now: send_due_mails(now, force=manual), 1, "消息发送（邮件、群机器人、短信）",
            full_sweep=False),
    ]


def job_labels() -> dict[str, str]:
    return {job.name: job.label or job.name for job in jobs()}


def run_job(app: Flask, job: Job, now: datetime | None = None) -> sweeps.Run:
    """Run one job in its own app context and transaction, recorded; an error never escapes."""
    from .notify.sender import worker_name

    with app.app_context():
        with sweeps.run(job.name, full_sweep=job.full_sweep, worker=worker_name()) as run:
            run.result = job.run(now or utcnow())
        return run


def sweep(app: Flask, now: datetime | None = None) -> list[sweeps.Run]:
    """Every job once, now. A job that fails does not stop the ones after it."""
    return [run_job(app, job, now) for job in jobs(manual=True)]


def run_scheduler(app: Flask) -> None:  # pragma: no cover - a long-running process, tested as one
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler

    # One job at a time: the jobs are short, and SQLite (the embedded default) has a single writer.
    scheduler = BlockingScheduler(timezone="Asia/Shanghai", executors={"default": ThreadPoolExecutor(1)},
                                  job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600})
    for job in jobs():
        scheduler.add_job(run_job, "interval", minutes=job.minutes, args=(app, job), id=job.name, name=job.name,
                          next_run_time=datetime.now(CHINA))

    def stop(signum, _frame):
        # The running job finishes its current row; the sender gives back the mails it has claimed
        # but not started, so a restart does not leave them waiting for their lease.
        if sweeps.shutdown_requested():
            return
        log.info("signal %s: stopping after the current row", signal.Signals(signum).name)
        sweeps.request_shutdown()
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("scheduler started with jobs: %s", ", ".join(j.name for j in jobs()))
    scheduler.start()
    log.info("scheduler stopped")
