"""Reading the website: a published page with its attachments, a column with its list pages and
links. Plain data in, plain data out, no database: the sweeps hand jobs in, await the readings
concurrently, and store each one in isolation (``pages``, ``columns``, ``findings``)."""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from . import extract, text
from .net import Crawler, Fetched

# Labels a page prints its publication date after (发布日期：2026-11-20).
_DATE_LABEL = re.compile(r"(?:发布|公开|成文|印发|更新)?(?:日期|时间)\s*[:：]")
NEXT_PAGE_TEXTS = {"下一页", "下页", "后一页", "下一頁", ">", "›", "»", ">>", "next", "next page"}
HOME_PATHS = {"", "/", "/index.html", "/index.htm", "/index.shtml", "/index.jsp", "/index.php", "/default.htm",
              "/default.html", "/default.aspx"}


@dataclass
class Attachment:
    url: str
    name: str
    status: int | None
    ok: bool
    problem: str | None
    personal: list = field(default_factory=list)     # text.PersonalData
    unreadable: str | None = None

    def as_json(self) -> dict:
        return {"url": self.url, "name": self.name, "status": self.status, "ok": self.ok, "error": self.problem,
                "unreadable": self.unreadable, "personal": len(self.personal)}


@dataclass
class PageReading:
    """One reading of a published address: what the evidence (WebCheck) keeps."""

    url: str
    fetched: Fetched
    title: str = ""
    page_date: date | None = None
    title_found: bool | None = None
    content_hash: str | None = None
    to_home: bool = False
    attachments: list[Attachment] = field(default_factory=list)
    personal: list = field(default_factory=list)      # on the page itself
    unreadable: str | None = None

    @property
    def answered(self) -> bool:
        return self.fetched.ok and not self.to_home

    def reasons(self, expect_title: bool = True) -> list[str]:
        """Why the publication check fails, in Chinese (empty: it passes)."""
        problem = self.fetched.problem()
        if problem:
            return [problem]
        out = []
        if self.to_home:
            out.append(f"网址被重定向到网站首页（{self.fetched.final_url}），信息已不在原地址")
        if self.unreadable:
            out.append(self.unreadable)
        if expect_title and self.title_found is False:
            out.append("页面中未找到任务标题")
        for a in self.attachments:
            if not a.ok and a.problem:
                out.append(f"附件“{a.name}”无法打开：{a.problem}")
        leaks = self.personal + [p for a in self.attachments for p in a.personal]
        if leaks:
            out.append("发现未脱敏的个人信息：" + "、".join(f"{p.kind_label} {p.masked}" for p in leaks[:5])
                       + ("等" if len(leaks) > 5 else ""))
        return out


def page_date_of(page_text: str, today: date) -> date | None:
    """The publication date a page prints: the date after a label (发布日期：…) if there is one,
    else the first date on the page that is not in the future."""
    for m in _DATE_LABEL.finditer(page_text):
        found = [d for d in text.find_dates(page_text[m.end():m.end() + 30], today) if d <= today]
        if found:
            return found[0]
    found = [d for d in text.find_dates(page_text[:5000], today) if d <= today]
    return found[0] if found else None


def went_home(url: str, fetched: Fetched) -> bool:
    """Redirected to the site's home page from somewhere else: the page is gone."""
    if not fetched.final_url or len(fetched.chain) < 2:
        return False
    return urlsplit(fetched.final_url).path in HOME_PATHS and urlsplit(url).path not in HOME_PATHS


async def read_document(crawler: Crawler, url: str, today: date):
    """Fetch ``url`` and read it: (Fetched, extract.Document or None)."""
    fetched = await crawler.fetch(url)
    if not fetched.ok:
        return fetched, None
    doc = extract.read(fetched.body, fetched.content_type, fetched.charset, fetched.final_url or url)
    fetched.body = b""   # the text is what is kept; the bytes go
    return fetched, doc


async def read_page(crawler: Crawler, url: str, title: str, today: date, max_attachments: int) -> PageReading:
    """Fetch a published address, read its title, date and text, check that the task's title
    appears, scan it for personal data, and fetch each linked attachment (its text scanned too)."""
    fetched, doc = await read_document(crawler, url, today)
    reading = PageReading(url, fetched)
    if doc is None:
        return reading
    reading.to_home = went_home(url, fetched)
    reading.title = doc.title
    reading.unreadable = doc.problem
    reading.content_hash = text.content_hash(doc.title + "\n" + doc.text)
    if doc.kind == "html":
        reading.page_date = page_date_of(doc.text, today)
        reading.title_found = text.title_appears(title, doc.title, doc.text)
    else:   # the address is the document itself (a PDF, a DOCX...)
        reading.title_found = text.title_appears(title, doc.text) if doc.text else None
    reading.personal = text.personal_data(doc.text, today)
    files = [link for link in doc.links if extract.is_document_link(link.url)]
    unique = list({link.url: link for link in files}.values())[:max_attachments]
    reading.attachments = list(await asyncio.gather(*(_attachment(crawler, link, today) for link in unique)))
    return reading


async def _attachment(crawler: Crawler, link: extract.Link, today: date) -> Attachment:
    name = link.text or urlsplit(link.url).path.rsplit("/", 1)[-1]
    fetched, doc = await read_document(crawler, link.url, today)
    if fetched.error == "refused":
        return Attachment(link.url, name, None, True, None, unreadable=f"未检查：{fetched.message}")
    attachment = Attachment(link.url, name, fetched.status, fetched.ok, fetched.problem())
    if doc is not None:
        attachment.personal = text.personal_data(doc.text, today)
        attachment.unreadable = doc.problem
    return attachment


# --- columns ----------------------------------------------------------------------------------------

@dataclass
class Item:
    title: str
    url: str
    day: date


@dataclass
class BrokenLink:
    url: str
    text: str
    problem: str


@dataclass
class ColumnReading:
    url: str
    fetched: Fetched
    items: list[Item] = field(default_factory=list)
    pages_read: int = 0
    links_checked: int = 0
    broken: list[BrokenLink] = field(default_factory=list)
    off_host: int = 0
    personal: list = field(default_factory=list)   # (page url, PersonalData)

    @property
    def latest(self) -> Item | None:
        return max(self.items, key=lambda i: i.day) if self.items else None


def _items(doc: extract.Document, today: date) -> list[Item]:
    """The list's entries: links with a date beside them (in the same row), the latest date each."""
    out = []
    for link in doc.links:
        if not link.text or link.text.strip().lower() in NEXT_PAGE_TEXTS:
            continue
        days = [d for d in text.find_dates(link.row_text, today) if d <= today]
        if days:
            out.append(Item(link.text, link.url, max(days)))
    return out


def _next_page(doc: extract.Document, host: str, seen: set[str]) -> str | None:
    for link in doc.links:
        if link.text.strip().lower() in NEXT_PAGE_TEXTS and urlsplit(link.url).hostname == host \
                and link.url not in seen:
            return link.url
    return None


async def read_column(crawler: Crawler, url: str, today: date, max_pages: int, max_links: int) -> ColumnReading:
    """Read a column's list page, following its pagination up to ``max_pages``: the dated items
    (latest date kept), personal data on the list pages, and up to ``max_links`` of the first
    page's same-host links checked (a link error rate); off-host links are counted, not fetched."""
    fetched, doc = await read_document(crawler, url, today)
    reading = ColumnReading(url, fetched)
    if doc is None:
        return reading
    host = urlsplit(fetched.final_url or url).hostname
    first, seen = doc, {url, fetched.final_url}
    while doc is not None:
        reading.pages_read += 1
        reading.items += _items(doc, today)
        reading.personal += [(fetched.final_url or url, p) for p in text.personal_data(doc.text, today)]
        following = _next_page(doc, host, seen) if reading.pages_read < max_pages else None
        if following is None:
            break
        seen.add(following)
        fetched, doc = await read_document(crawler, following, today)
    pages = {u for u in seen if u}
    links, off_host = [], 0
    for link in first.links:
        if urlsplit(link.url).hostname != host:
            off_host += 1
        elif link.url not in pages and link.url not in {x.url for x in links}:
            links.append(link)
    reading.off_host = off_host
    checked = links[:max_links]
    results = await asyncio.gather(*(crawler.fetch(link.url, body=False) for link in checked))
    for link, result in zip(checked, results):
        if result.error == "refused":
            continue
        reading.links_checked += 1
        problem = result.problem()
        if problem:
            reading.broken.append(BrokenLink(link.url, link.text, problem))
    return reading


def column_verdict(items: int, latest: date | None, cutoff: date) -> str:
    """blank: no dated item at all (空白栏目); stale: the latest item older than the column's
    kind allows (栏目不更新); ok otherwise."""
    if not items or latest is None:
        return "blank"
    return "stale" if latest < cutoff else "ok"
