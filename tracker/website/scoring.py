"""The assessment's 网站巡查 rules: what the website sweeps found, counted per unit and period.

Registered into the scores' rule registry when the app starts (``tracker.create_app``); their
sizes are in the year's rubric (the default rubric carries them: scores.rubrics). A finding
counts in a period when it was seen during it (first seen on or before the period's end and
``as_of``, last seen on or after its start); a finding the office dismissed never counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import url_for
from sqlalchemy import select

from ..extensions import db
from ..scores.links import register_link
from ..scores.periods import Period
from ..scores.rules import Finding, rule
from ..scores.sources import source
from ..timeutil import to_china
from .models import WebFinding

COLUMN_KINDS = ("stale_column", "blank_column")
LINK_KINDS = ("dead_link", "page_gone")
PRIVACY_KINDS = ("privacy_leak",)


@dataclass(frozen=True, slots=True)
class WebFindingRow:
    id: int
    unit_id: int
    kind: str
    summary: str
    first_seen: date
    last_seen: date

    def seen_in(self, period: Period, as_of: date) -> bool:
        return self.first_seen <= min(period.end, as_of) and self.last_seen >= period.start


@source("website_findings")
def website_finding_rows(period: Period, as_of: date, unit_ids: list[int]) -> list[WebFindingRow]:
    """The website findings of the units seen in the period (dismissed ones never count). One query."""
    stmt = select(WebFinding.id, WebFinding.unit_id, WebFinding.kind, WebFinding.summary, WebFinding.first_seen,
                  WebFinding.last_seen).where(WebFinding.unit_id.in_(unit_ids), WebFinding.state != "dismissed")
    return [WebFindingRow(i, u, k, s, to_china(first).date(), to_china(last).date())
            for i, u, k, s, first, last in db.session.execute(stmt)]


def _findings(rows, kinds, period, as_of):
    for r in rows:
        if r.kind in kinds and r.seen_in(period, as_of):
            yield Finding(r.unit_id, "website_finding", r.id, r.summary[:300],
                          f"网站巡查 {r.first_seen:%Y-%m-%d} 发现，最近一次 {r.last_seen:%Y-%m-%d} 仍存在")


@rule("website_columns", "网站巡查：栏目不更新或空白", category="proactive", points="1", rows="website_findings")
def website_columns(rows, period: Period, as_of: date, params: dict, calendar):
    """《政府网站发展指引》（国办发〔2017〕47号）及全国政府网站普查指标：动态、要闻类栏目2周未更新，通知公告、政策文件类栏目6个月未更新，或栏目空白的，属栏目不更新、空白栏目问题。

    Each column the website sweep found stale (by its kind) or blank during the period — the
    automatic form of scoring.md's "stale or empty columns: −1 per finding".
    """
    yield from _findings(rows, COLUMN_KINDS, period, as_of)


@rule("website_links", "网站巡查：链接错误", category="proactive", points="0.5", rows="website_findings")
def website_links(rows, period: Period, as_of: date, params: dict, calendar):
    """《政府网站发展指引》（国办发〔2017〕47号）及全国政府网站普查指标：网站应无错链、断链，已发布信息应可正常访问。

    Each link of a unit's column or attachment that did not open, and each published address that
    became unreachable, seen by the website sweep during the period.
    """
    yield from _findings(rows, LINK_KINDS, period, as_of)


@rule("website_privacy", "网站巡查：隐私信息泄露", category="confidentiality", points="2", rows="website_findings")
def website_privacy(rows, period: Period, as_of: date, params: dict, calendar):
    """《政府信息公开条例》第十五条：涉及个人隐私等公开会对第三方合法权益造成损害的政府信息，行政机关不得公开；《个人信息保护法》第三十四条。

    Each unmasked resident ID number, mobile number or bank card number the website sweep found
    on a unit's page or attachment during the period.
    """
    yield from _findings(rows, PRIVACY_KINDS, period, as_of)


@register_link("website_finding", "网站巡查发现")
def _finding_links(ids, user):
    rows = db.session.execute(select(WebFinding.id, WebFinding.unit_id).where(WebFinding.id.in_(ids)))
    return {i: url_for("website.finding", finding_id=i) for i, unit_id in rows
            if user.sees_all_units or user.unit_id == unit_id}
