"""Re-reading what a finding was about (整改复查), to close the loop of a rectification item.

* personal data: the page or file is read again; it passes when the same number (its hash) is no
  longer in it (masked, removed, or the file taken down);
* a dead link or a page gone: it passes when the address answers again;
* a stale or blank column: the column is read again and judged by its kind;
* a changed page: it passes when the page answers (the office reads the unit's explanation).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from . import text
from .columns import cutoff
from .models import WebColumn, WebFinding
from .net import Crawler
from .reading import PageReading, column_verdict, read_column, read_document


@dataclass(frozen=True)
class RecheckJob:
    """What a re-check needs, read from the database before the network is (plain data)."""

    id: int
    kind: str
    url: str
    summary: str
    digest: str | None
    column_name: str | None = None
    column_kind: str | None = None
    max_age_days: int | None = None


def recheck_jobs(found: list[WebFinding]) -> list[RecheckJob]:
    from ..extensions import db
    columns = {c.id: c for c in db.session.scalars(
        select(WebColumn).where(WebColumn.id.in_({f.column_id for f in found if f.column_id} or {-1})))}
    out = []
    for f in found:
        col = columns.get(f.column_id)
        out.append(RecheckJob(f.id, f.kind, f.url, f.summary, f.match_digest, col.name if col else None,
                              col.kind if col else None, col.max_age_days if col else None))
    return out


@dataclass
class Recheck:
    passed: bool
    note: str
    reading: PageReading | None = None


async def recheck(crawler: Crawler, job: RecheckJob, today: date, values: dict) -> Recheck:
    kind, url, fingerprint_digest = job.kind, job.url, job.digest
    if kind in ("stale_column", "blank_column"):
        if job.column_kind is None:
            return Recheck(False, "栏目登记已删除，无法复查")
        name, col_kind, max_age = job.column_name, job.column_kind, job.max_age_days
        reading = await read_column(crawler, url, today, values["max_list_pages"], 0)
        problem = reading.fetched.problem()
        if problem:
            return Recheck(False, f"栏目无法打开：{problem}")
        latest = reading.latest
        verdict = column_verdict(len(reading.items), latest.day if latest else None, cutoff(col_kind, max_age, today))
        if verdict == "ok":
            return Recheck(True, f"栏目“{name}”最近一条信息 {latest.day:%Y-%m-%d}：已更新")
        return Recheck(False, "栏目仍为空白" if verdict == "blank" else
                       f"栏目“{name}”最近一条信息仍为 {latest.day:%Y-%m-%d}，未按时更新")
    fetched, doc = await read_document(crawler, url, today)
    reading = PageReading(url, fetched)
    problem = fetched.problem()
    if kind == "privacy_leak":
        if fetched.status in (404, 410):
            return Recheck(True, f"含个人信息的文件或页面已撤下（HTTP {fetched.status}）", reading)
        if problem:
            return Recheck(False, f"无法读取，未能确认：{problem}", reading)
        if doc is None or (not doc.text and doc.problem):
            return Recheck(False, f"无法读取正文，未能确认：{doc.problem if doc else ''}", reading)
        still = [p for p in text.personal_data(doc.text, today) if p.digest == fingerprint_digest]
        reading.personal = text.personal_data(doc.text, today)
        if still:
            return Recheck(False, f"仍能读到未脱敏的{still[0].kind_label} {still[0].masked}", reading)
        return Recheck(True, "复查时该个人信息已不再出现（已脱敏或删除）", reading)
    if problem:
        return Recheck(False, f"仍无法打开：{problem}", reading)
    return Recheck(True, f"复查时可以正常打开（HTTP {fetched.status}）", reading)

