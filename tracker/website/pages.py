"""Published addresses (发布核验 and the re-checks after it), on the database side.

``discover`` registers the address of every task published with one (and a republication after
a failed verification) for a check now: the disclosure workflow needs no hook. ``due_jobs`` hands
the sweep what is due as plain data; ``apply`` stores one reading: the evidence (WebCheck), the
page's state, the findings (personal data, dead attachments, a page gone or changed), the
messages to the unit and the office, and — when the office has set it — the verification.

Re-checks are spread evenly over the cycle: a page's first re-check comes after between a half
and one and a half cycles (its place fixed by its id), every later one a cycle after the last,
so a city that published everything on one day is not read again all on one day.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select

from ..disclosure.models import DONE_STATES, Task
from ..extensions import db
from ..notify.reminders import recipients_by_unit
from ..notify.services import Message, notify
from . import findings
from .models import WebCheck, WebFinding, WebPage
from .reading import PageReading
from .settings import SystemVerifier

GOLDEN = 0.6180339887498949
# Errors after which a page counts as gone at once; others (timeouts, 5xx) only when repeated.
GONE_STATUSES = (404, 410)
GONE_AFTER_FAILURES = 3
RETRY_AFTER_TROUBLE = timedelta(hours=6)
# Readings of re-checks are kept this long; a page's publication check and its latest reading
# are kept whatever their age (the evidence the task's page shows).
CHECK_HISTORY_DAYS = 400


@dataclass(frozen=True)
class PageJob:
    page_id: int
    task_id: int
    unit_id: int
    url: str
    title: str
    first: bool            # the publication check (else a re-check)
    baseline: str | None
    published_on: object


def spread(page_id: int) -> float:
    """The page's fixed place in a cycle, in [0, 1): evenly spread over ids."""
    return (page_id * GOLDEN) % 1.0


def discover(now: datetime) -> int:
    """Register for a check now every published task's address not yet watched, changed, or
    republished after a failed verification. Two statements and an insert."""
    new = db.session.execute(
        select(Task.id, Task.unit_id, Task.url, Task.verify_failures).outerjoin(WebPage, WebPage.task_id == Task.id)
        .where(Task.state.in_(DONE_STATES), Task.url.is_not(None), WebPage.id.is_(None))).all()
    for task_id, unit_id, url, round_ in new:
        db.session.add(WebPage(task_id=task_id, unit_id=unit_id, url=url, state="pending", next_check_at=now,
                               verify_round=round_ or 0))
    moved = db.session.execute(
        select(WebPage, Task.url, Task.verify_failures).join(Task, Task.id == WebPage.task_id)
        .where(Task.state.in_(DONE_STATES), Task.url.is_not(None),
               or_(WebPage.url != Task.url, and_(Task.state == "published", WebPage.verify_round != Task.verify_failures)))
    ).all()
    for page, url, round_ in moved:
        page.url, page.verify_round = url, round_ or 0
        page.state, page.next_check_at, page.publication_check_id, page.baseline_hash = "pending", now, None, None
        page.failures_in_row = 0
    db.session.flush()
    return len(new) + len(moved)


def due_jobs(now: datetime, limit: int, exclude=()) -> list[PageJob]:
    stmt = (
        select(WebPage.id, WebPage.task_id, WebPage.unit_id, WebPage.url, Task.title, WebPage.publication_check_id,
               WebPage.baseline_hash, Task.published_on)
        .join(Task, Task.id == WebPage.task_id)
        .where(WebPage.next_check_at <= now, Task.state.in_(DONE_STATES))
        .order_by(WebPage.next_check_at, WebPage.id).limit(limit))
    if exclude:
        stmt = stmt.where(WebPage.id.not_in(sorted(exclude)))
    rows = db.session.execute(stmt).all()
    return [PageJob(pid, tid, uid, url, title, check_id is None, baseline, published)
            for pid, tid, uid, url, title, check_id, baseline, published in rows]


class Batch:
    """Readings of a batch of pages stored together: the pages loaded in one statement, which of
    them have open findings (only those may have findings to close) in another, and the evidence
    inserted as one set when the batch is finished (``finish``), not one statement a page."""

    def __init__(self, jobs: list[PageJob]):
        ids = [j.page_id for j in jobs]
        self.pages = {p.id: p for p in db.session.scalars(select(WebPage).where(WebPage.id.in_(ids)))}
        self.with_findings = set(db.session.scalars(select(WebFinding.page_id).where(
            WebFinding.page_id.in_(ids), WebFinding.state == "open").distinct()))
        self.links: list[tuple[WebPage, WebCheck, bool]] = []
        self.to_verify: list[tuple[int, WebCheck, datetime]] = []

    def finish(self) -> None:
        if not self.links:
            return
        db.session.flush()   # the evidence rows in sets; their ids are then known
        for page, check, publication in self.links:
            page.last_check_id = check.id
            if publication:
                page.publication_check_id = check.id
        for task_id, check, now in self.to_verify:
            task = db.session.get(Task, task_id)
            if task.state == "published":
                from ..disclosure.workflow import verify
                verify(task, SystemVerifier(), f"网站巡查核验通过（{now:%Y-%m-%d %H:%M} UTC 读取，证据 #{check.id}）")
        self.links, self.to_verify = [], []


def store_check(reading: PageReading, *, unit_id: int, purpose: str, now: datetime, page_id=None, task_id=None,
                finding_id=None, expect_title: bool = True, published_on=None, flush: bool = True) -> WebCheck:
    """The evidence of one reading, with its verdict."""
    f = reading.fetched
    reasons = reading.reasons(expect_title)
    notes = []
    if reading.page_date and published_on and reading.page_date != published_on:
        notes.append(f"页面所示日期 {reading.page_date:%Y-%m-%d} 与登记的发布日期 {published_on:%Y-%m-%d} 不一致")
    notes += [f"附件“{a.name}”：{a.unreadable}" for a in reading.attachments if a.unreadable]
    check = WebCheck(page_id=page_id, task_id=task_id, finding_id=finding_id, unit_id=unit_id, purpose=purpose,
                     url=reading.url[:500], final_url=(f.final_url or "")[:500] or None, status_code=f.status,
                     chain=f.chain, fetched_at=now, elapsed_ms=int(f.elapsed * 1000),
                     content_type=f.content_type[:100] or None, content_hash=reading.content_hash,
                     title=reading.title[:300] or None, page_date=reading.page_date, title_found=reading.title_found,
                     attachments=[a.as_json() for a in reading.attachments], passed=not reasons, reasons=reasons,
                     notes=notes, error=(f.message or "")[:500] or None)
    db.session.add(check)
    if flush:
        db.session.flush()
    return check


def prune(now: datetime) -> int:
    """Forget re-check readings older than CHECK_HISTORY_DAYS (one statement)."""
    kept = (select(WebPage.publication_check_id).where(WebPage.publication_check_id.is_not(None))
            .union(select(WebPage.last_check_id).where(WebPage.last_check_id.is_not(None))))
    result = db.session.execute(delete(WebCheck).where(
        WebCheck.purpose == "recheck", WebCheck.fetched_at < now - timedelta(days=CHECK_HISTORY_DAYS),
        WebCheck.id.not_in(kept)).execution_options(synchronize_session=False))
    return result.rowcount or 0


def _gone(reading: PageReading, failures: int) -> bool:
    f = reading.fetched
    if reading.to_home or f.status in GONE_STATUSES or f.error == "dns":
        return True
    return failures >= GONE_AFTER_FAILURES


def apply(job: PageJob, reading: PageReading, now: datetime, values: dict, batch: Batch) -> WebCheck:
    """Store one reading of a published address and act on it (see the module docstring); the
    evidence's id reaches the page when the batch is finished."""
    page = batch.pages.get(job.page_id) or db.session.get(WebPage, job.page_id)
    check = store_check(reading, unit_id=job.unit_id, purpose="publication" if job.first else "recheck", now=now,
                        page_id=page.id, task_id=job.task_id, published_on=job.published_on, flush=False)
    page.checked_at = now
    batch.links.append((page, check, False))
    cycle = timedelta(days=values["recheck_days"])
    if reading.answered:
        page.failures_in_row = 0
    else:
        page.failures_in_row += 1
    if job.first:
        _publication(page, job, reading, check, now, cycle, values, batch)
    else:
        _recheck(page, job, reading, check, now, cycle, page.id in batch.with_findings)
    if reading.answered:
        _page_findings(page, job, reading, now, page.id in batch.with_findings)
    return check


def _refused(page: WebPage, reading: PageReading, now, cycle) -> bool:
    """An address the crawler may not read (off the allow-list, private): not the unit's fault
    nor a finding; the office sees it on the page's list and fixes the allow-list or the address."""
    if reading.fetched.error != "refused":
        return False
    page.state, page.next_check_at = "refused", now + cycle
    return True


def _publication(page: WebPage, job: PageJob, reading: PageReading, check: WebCheck, now, cycle, values,
                 batch: Batch) -> None:
    if _refused(page, reading, now, cycle):
        return
    transient = not reading.answered and not _gone(reading, page.failures_in_row)
    if transient and page.failures_in_row < GONE_AFTER_FAILURES:
        page.state, page.next_check_at = "unreachable", now + RETRY_AFTER_TROUBLE   # try again before judging
        return
    batch.links[-1] = (page, check, True)   # the evidence of the publication check
    page.state = "passed" if check.passed else "failed"
    page.baseline_hash = reading.content_hash if reading.answered else None
    page.next_check_at = now + cycle * (0.5 + spread(page.id))
    if check.passed and values.get("auto_verify"):
        batch.to_verify.append((job.task_id, check, now))


def _recheck(page: WebPage, job: PageJob, reading: PageReading, check: WebCheck, now, cycle, had: bool) -> None:
    key = f"page:{page.id}"
    if _refused(page, reading, now, cycle):
        return
    if reading.answered:
        page.next_check_at = now + cycle
        if had:
            findings.gone(WebFinding.page_id == page.id, ("page_gone",), set(), now, "复查时已可访问")
        if page.baseline_hash and reading.content_hash and reading.content_hash != page.baseline_hash:
            finding = findings.seen("page_changed", job.unit_id, f"{key}:{reading.content_hash}", url=job.url,
                                    summary=f"“{job.title[:80]}”的页面内容与发布时不同", now=now, page_id=page.id)
            page.state, page.baseline_hash = "changed", reading.content_hash
            _tell(finding, job, f"已发布信息的页面内容发生变更（{now:%Y-%m-%d} 复查）")
        elif page.state != "changed":
            page.state = "ok"
        return
    if not _gone(reading, page.failures_in_row):
        page.state, page.next_check_at = "unreachable", now + RETRY_AFTER_TROUBLE
        return
    page.state, page.next_check_at = "gone", now + cycle
    why = "; ".join(reading.reasons(False)) or "无法访问"
    finding = findings.seen("page_gone", job.unit_id, key, url=job.url,
                            summary=f"“{job.title[:80]}”已无法访问：{why}", now=now, page_id=page.id)
    _tell(finding, job, f"已发布信息无法访问：{why}")


def _page_findings(page: WebPage, job: PageJob, reading: PageReading, now: datetime, had: bool) -> None:
    """Personal data and dead attachments of a page that answered; the ones no longer there close."""
    keep = set()
    for where, name, leaks in [(reading.url, "页面正文", reading.personal)] + [
            (a.url, f"附件“{a.name}”", a.personal) for a in reading.attachments]:
        for p in leaks:
            keep.add(findings.seen("privacy_leak", job.unit_id, f"{where}:{p.digest}", url=where, found_on=job.url,
                                   summary=f"{name}中有未脱敏的{p.kind_label} {p.masked}", excerpt=p.context, digest=p.digest,
                                   now=now, page_id=page.id).id)
    for a in reading.attachments:
        if not a.ok and a.problem:
            keep.add(findings.seen("dead_link", job.unit_id, a.url, url=a.url, found_on=job.url,
                                   summary=f"“{job.title[:60]}”的附件“{a.name[:60]}”无法打开：{a.problem}",
                                   now=now, page_id=page.id).id)
    if had:
        findings.gone(WebFinding.page_id == page.id, ("privacy_leak", "dead_link"), keep, now, "复查时未再发现")


def _tell(finding: WebFinding, job: PageJob, what: str) -> None:
    """The unit's contacts and the office hear of a published page gone or changed, once per
    episode (the key carries the day the finding was opened)."""
    people = recipients_by_unit([job.unit_id])[job.unit_id]
    message = Message(f"【网站巡查】{job.title[:60]}", (what, f"网址：{job.url}",
                      "请核实并处理；公开办可将其转为整改事项。"), f"/website/findings/{finding.id}")
    db.session.flush()
    stamp = f"{finding.first_seen:%Y%m%d}"
    for user in people.contacts + people.office:
        notify(user, message, key=f"web:{finding.id}:{stamp}:{user.id}")
