"""Figures of the website inspection for the quarterly bulletin, the supervision page and the
overview, read from the same records as the scores (one place, a fixed number of queries).

For a bulletin of a quarter, per unit: the columns found stale or blank during the quarter
(``web_stale``), the personal data found during it (``web_privacy``), and the link error rate
of the unit's columns as last read (``web_link_rate``: broken ÷ checked links; the 普查's 链接错误
indicator). A city that registered no column gets no website figures at all (the bulletin then
carries no 网站巡查 columns), nor does a quarter that ended before the first column was registered.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..timeutil import CHINA
from .columns import link_error_rates, rate_text
from .models import WebColumn, WebFinding, WebPage

GROUP = ("网站巡查", [("web_stale", "栏目不更新或空白"), ("web_link_rate", "链接错误率"), ("web_privacy", "隐私泄露")])
COUNT_KEYS = ("web_stale", "web_privacy")


def _utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=CHINA)


def _seen_between(kinds, start: date, end: date, as_of: date):
    last = min(end, as_of) + timedelta(days=1)
    return (WebFinding.kind.in_(kinds), WebFinding.state != "dismissed", WebFinding.first_seen < _utc(last),
            WebFinding.last_seen >= _utc(start))


def in_use(by: date | None = None) -> bool:
    """Columns were registered (by the end of ``by``): the city inspects its website."""
    stmt = select(WebColumn.id).limit(1)
    if by is not None:
        stmt = stmt.where(WebColumn.created_at < _utc(by + timedelta(days=1)))
    return db.session.scalar(stmt) is not None


def quarter_figures(start: date, end: date, as_of: date) -> dict:
    """{"rows": {unit_id: {web_stale, web_privacy, web_link_rate}}, "totals": {...}, "stale_units":
    [unit ids]}, or {} when no column was registered by the quarter's end. Four queries."""
    if not in_use(end):
        return {}
    rows: dict[int, dict] = {}
    for key, kinds in (("web_stale", ("stale_column", "blank_column")), ("web_privacy", ("privacy_leak",))):
        for unit_id, n in db.session.execute(select(WebFinding.unit_id, func.count()).where(
                *_seen_between(kinds, start, end, as_of)).group_by(WebFinding.unit_id)):
            rows.setdefault(unit_id, {})[key] = n
    rates = link_error_rates()
    for unit_id, (checked, broken) in rates.items():
        rows.setdefault(unit_id, {})["web_link_rate"] = rate_text(checked, broken)
    checked = sum(c for c, _ in rates.values())
    broken = sum(b for _, b in rates.values())
    totals = {k: sum(r.get(k, 0) for r in rows.values()) for k in COUNT_KEYS}
    totals["web_link_rate"] = rate_text(checked, broken)
    return {"rows": rows, "totals": totals, "stale_units": sorted(u for u, r in rows.items() if r.get("web_stale"))}


def supervision_counts(unit_id: int | None = None) -> dict:
    """What the supervision page and the overview show now: open findings by kind, published
    pages gone or changed, stale and blank columns, and the link error rate."""
    stmt = select(WebFinding.kind, func.count()).where(WebFinding.state == "open").group_by(WebFinding.kind)
    pages = select(WebPage.state, func.count()).group_by(WebPage.state)
    cols = select(WebColumn.status, func.count()).where(WebColumn.active.is_(True)).group_by(WebColumn.status)
    if unit_id is not None:
        stmt, pages, cols = (stmt.where(WebFinding.unit_id == unit_id), pages.where(WebPage.unit_id == unit_id),
                             cols.where(WebColumn.unit_id == unit_id))
    findings = dict(db.session.execute(stmt).all())
    page_states = dict(db.session.execute(pages).all())
    column_states = dict(db.session.execute(cols).all())
    rates = link_error_rates([unit_id] if unit_id is not None else None)
    checked = sum(c for c, _ in rates.values())
    broken = sum(b for _, b in rates.values())
    return {"findings": findings, "open": sum(findings.values()), "pages": page_states,
            "columns": column_states, "columns_total": sum(column_states.values()),
            "link_rate": rate_text(checked, broken), "links_checked": checked, "links_broken": broken,
            "in_use": bool(column_states) or bool(page_states)}
