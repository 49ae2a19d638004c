"""The website sweeps, run by the scheduler like every other job (never inside a web request).

* ``website-pages``: registers newly published addresses, then reads what is due — publication
  checks first, then the re-checks spread over the cycle.
* ``website-columns``: reads the columns whose time has come.
* ``website-rechecks``: re-reads what a finding was about once the unit has answered its
  rectification item (or the office asked), so the office sees whether the problem is gone.

Each run takes due rows in batches: the batch is fetched concurrently (outside any database
write: on SQLite the web workers keep writing meanwhile), then each row's reading is stored in
isolation (a savepoint: one row that fails is recorded on the health page and the rest go on)
and the batch is committed, so a long sweep keeps its progress. A run stops taking batches after
``WEBSITE_RUN_SECONDS`` (the next run goes on where it stopped: the rows are due by time).
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from datetime import date, datetime

from ..extensions import db
from ..sweeps import isolated, register_record_type, row_done, row_failed, savepoint
from ..timeutil import CHINA
from . import columns, findings, pages
from .models import WebColumn, WebFinding
from .net import Crawler
from .reading import read_column, read_page
from .recheck import RecheckJob, recheck, recheck_jobs
from .settings import config, crawl_settings, settings

log = logging.getLogger("tracker.website")
BATCH = 100
# Seconds the sweeps of this process spent waiting for the network and storing (the benchmark
# reports them; a slow sweep says which side to look at).
TIMES: dict = {}

register_record_type("web_page", "已发布信息网址", "website.page", "page_id")
register_record_type("web_column", "网站栏目", "website.column", "column_id")
register_record_type("web_finding", "网站巡查发现", "website.finding", "finding_id")


def _today(now: datetime) -> date:
    return now.astimezone(CHINA).date()


class _Network:
    """The crawl's event loop, in a thread of its own: the next batch is read from the network
    there while this thread stores the last one (the database is only ever used from here)."""

    def __init__(self, crawl):
        self.crawl = crawl

    def __enter__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="website-crawl", daemon=True)
        self.thread.start()
        self.crawler = self._call(self._open())
        return self

    async def _open(self) -> Crawler:
        return Crawler(self.crawl)

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def submit(self, jobs: list, read, values: dict):
        async def batch():
            return await asyncio.gather(*(read(self.crawler, job, values) for job in jobs), return_exceptions=True)
        return asyncio.run_coroutine_threadsafe(batch(), self.loop)

    def __exit__(self, *exc):
        try:
            self._call(self.crawler.__aexit__(None, None, None))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(30)
            self.loop.close()


def _batches(load: Callable[[set], list], read, store, seconds: float | None, prepare=None) -> int:
    """Load due jobs, read them concurrently, store each in isolation; batch after batch until
    nothing is due or the time is up. ``load(exclude)`` gives due jobs whose keys are not in
    ``exclude`` (the batch being read, and rows that failed in this run). Returns rows handled."""
    values = settings()
    started, handled = time.monotonic(), 0
    jobs = load(set())
    if not jobs:
        return 0   # nothing due: no client, no thread
    failed: set = set()
    with _Network(crawl_settings(values)) as network:
        pending = network.submit(jobs, read, values)
        try:
            while jobs:
                db.session.commit()   # no transaction is held while the network is read
                mark = time.monotonic()
                readings = pending.result()
                TIMES["wait"] = TIMES.get("wait", 0) + time.monotonic() - mark
                mark = time.monotonic()
                in_time = seconds is None or time.monotonic() - started < seconds
                following = load({_key(j) for j in jobs} | failed) if in_time else []
                pending = network.submit(following, read, values) if following else None
                handled += _store_all(jobs, readings, store, values, prepare, failed)
                db.session.commit()
                TIMES["store"] = TIMES.get("store", 0) + time.monotonic() - mark
                jobs = following
        finally:
            if pending is not None and not pending.done():
                pending.cancel()
    return handled


def _store_all(jobs: list, readings: list, store, values: dict, prepare, failed: set) -> int:
    """Store a batch's readings in one savepoint (the batch's statements in sets); when any row
    fails, roll the batch back and store row by row, each in isolation, so one bad row is
    recorded and skipped and the others are kept. Returns the rows handled."""
    good = []
    for job, reading in zip(jobs, readings):
        if isinstance(reading, BaseException):
            row_failed(*_row(job), reading)
            failed.add(_key(job))
        else:
            good.append((job, reading))
    try:
        with savepoint():
            context = prepare([j for j, _ in good]) if prepare is not None else None
            for job, reading in good:
                store(job, reading, values, context)
            if context is not None:
                context.finish()
    except Exception:  # noqa: BLE001 - some row is bad: find it by storing one row at a time
        log.info("a batch of %s failed as a whole; storing row by row", len(good), exc_info=True)
        for job, reading in good:
            with isolated(*_row(job)):
                context = prepare([job]) if prepare is not None else None
                store(job, reading, values, context)
                if context is not None:
                    context.finish()
            if current_failed(_row(job)):
                failed.add(_key(job))
    else:
        for job, _ in good:
            row_done(*_row(job)[:2])
    return len(good)


def current_failed(row: tuple) -> bool:
    """Whether the row just handled failed (recorded on the run by ``isolated``)."""
    from ..sweeps import current_run
    run = current_run()
    return run is not None and (row[0], str(row[1])) in run.failures


def _key(job) -> int:
    return job.page_id if isinstance(job, pages.PageJob) else job.column_id if isinstance(
        job, columns.ColumnJob) else job.id


def _row(job) -> tuple[str, int, str]:
    if isinstance(job, pages.PageJob):
        return "web_page", job.page_id, job.url
    if isinstance(job, columns.ColumnJob):
        return "web_column", job.column_id, f"{job.name} {job.url}"
    return "web_finding", job.id, job.summary


def sweep_pages(now: datetime, seconds: float | None = -1, batch: int = BATCH) -> str:
    """发布核验 and re-checks of published addresses that are due at ``now``."""
    seconds = config("WEBSITE_RUN_SECONDS") if seconds == -1 else seconds
    found = pages.discover(now)
    today = _today(now)

    async def read(crawler, job, values):
        return await read_page(crawler, job.url, job.title, today, values["max_attachments"])

    def store(job, reading, values, batch):
        pages.apply(job, reading, now, values, batch)

    n = _batches(lambda exclude: pages.due_jobs(now, batch, exclude), read, store, seconds, pages.Batch)
    pages.prune(now)
    return f"新登记网址 {found} 个，读取 {n} 个"


def sweep_columns(now: datetime, seconds: float | None = -1, batch: int = BATCH) -> str:
    """栏目巡查 of the columns that are due at ``now``."""
    seconds = config("WEBSITE_RUN_SECONDS") if seconds == -1 else seconds
    today = _today(now)
    statuses: dict[str, int] = {}

    async def read(crawler, job, values):
        return await read_column(crawler, job.url, today, values["max_list_pages"], values["max_links"])

    def store(job, reading, values, context):
        status = columns.apply(job, reading, today, now, values)
        statuses[status] = statuses.get(status, 0) + 1

    n = _batches(lambda exclude: columns.due_jobs(now, batch, exclude), read, store, seconds)
    detail = "，".join(f"{WebColumn(status=s).status_label} {c}" for s, c in sorted(statuses.items()))
    return f"读取栏目 {n} 个" + (f"（{detail}）" if detail else "")


def sweep_rechecks(now: datetime, seconds: float | None = -1, batch: int = 50) -> str:
    """Re-read what findings were about once their rectification item was answered."""
    seconds = config("WEBSITE_RUN_SECONDS") if seconds == -1 else seconds
    today = _today(now)
    outcome = {"passed": 0, "failed": 0}

    async def read(crawler, job, values):
        return await recheck(crawler, job, today, values)

    def store(job: RecheckJob, result, values, context):
        finding = db.session.get(WebFinding, job.id)
        findings.recheck_result(finding, result.passed, result.note, now)
        if result.reading is not None:
            pages.store_check(result.reading, unit_id=finding.unit_id, purpose="finding", now=now,
                              finding_id=finding.id, expect_title=False)
        outcome["passed" if result.passed else "failed"] += 1

    n = _batches(lambda exclude: recheck_jobs(findings.findings_awaiting_recheck(batch, exclude)), read, store,
                 seconds)
    return f"复查 {n} 个（通过 {outcome['passed']}，未通过 {outcome['failed']}）"
