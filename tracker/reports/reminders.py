"""Reminders for the annual report, through the office's reminder rules (before / on / after a
deadline, escalated) and the outbox:

* each unit that has not handed in last year's report: before its internal due date (set by the
  office; January 31 if none), and before January 31, the day it must publish (Art. 49);
* the office, while the city report is not finalised: before March 31 (Art. 49).

Only during the reporting season (January to April of the year after the report's year).
"""
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..notify.reminders import (
    Recipients,
    deadline_reminders,
    recipients_by_unit,
    register_reminder_source,
    register_unit_summary_source,
)
from . import services
from .models import HANDED_IN_STATES, AnnualReport


def _season_year(today: date) -> int | None:
    return today.year - 1 if today.month <= 4 else None


def _reports(year: int) -> dict:
    return {r.slot: r for r in db.session.scalars(select(AnnualReport).where(AnnualReport.year == year))}


@register_reminder_source
def annual_report_reminders(today: date, settings: dict):
    year = _season_year(today)
    if year is None:
        return
    reports = _reports(year)
    units = [u for u in services.reporting_units()
             if not (r := reports.get(f"unit:{u.id}")) or r.state not in HANDED_IN_STATES]
    people = recipients_by_unit({u.id for u in units})
    internal, published = services.due_date(year), services.statutory_unit_deadline(year)
    for unit in units:
        link = f"/reports/{year}/units/{unit.id}"
        yield from deadline_reminders(f"report:{year}:{unit.id}:internal", internal, today, settings, people[unit.id],
                                      f"{unit.name}{year}年度政府信息公开工作年度报告的报送", link,
                                      name=f"{year}年度报告报送")
        if published != internal:
            yield from deadline_reminders(f"report:{year}:{unit.id}:publish", published, today, settings,
                                          people[unit.id], f"{unit.name}{year}年度政府信息公开工作年度报告的公开", link,
                                          name=f"{year}年度报告公开")
    city = reports.get("city")
    if city is None or city.state != "final":
        office = people[None].office
        yield from deadline_reminders(f"report:{year}:city", services.statutory_city_deadline(year), today, settings,
                                      Recipients(office, [], office, "全市"), f"全市{year}年度政府信息公开工作年度报告的公开",
                                      f"/reports/{year}/city", name=f"{year}年度报告公开")


@register_unit_summary_source
def unit_report_summary(today: date) -> dict[int, list[str]]:
    """The weekly digest: units that have not handed in last year's report, in season."""
    year = _season_year(today)
    if year is None:
        return {}
    reports = _reports(year)
    due = services.due_date(year)
    out = {}
    for unit in services.reporting_units():
        report = reports.get(f"unit:{unit.id}")
        if report is None or report.state not in HANDED_IN_STATES:
            state = report.state_label if report else "未开始编制"
            out[unit.id] = [f"{year}年度政府信息公开工作年度报告：{state}，报送期限 {due:%Y-%m-%d}"]
    return out
