"""Where the record behind an item lives: one function per record type, registered like the rules
(a module that adds a rule over its own records registers the link to them too). Each returns the
links of many records at once (at most one query), so a score page is a fixed number of queries."""
from collections.abc import Callable

from flask import url_for
from sqlalchemy import select

from ..applications.models import ApplicationCase, ApplicationRating
from ..disclosure.models import TaskEvent
from ..extensions import db
from ..reports.models import AnnualReport

RECORD_TYPES = {"task": "公开任务", "task_event": "公开任务办理记录", "application": "依申请公开申请",
                "application_case": "复议/诉讼", "annual_report": "年度报告", "report_year": "年度报告（未编制）",
                "unit": "单位"}
_LINKS: dict[str, Callable[[set[int], object], dict[int, str]]] = {}


def register_link(record_type: str, label: str):
    def decorate(fn):
        _LINKS[record_type] = fn
        RECORD_TYPES.setdefault(record_type, label)
        return fn
    return decorate


def links(items, user) -> dict[int, str]:
    """{item id: URL of its record} for the records ``user`` may open."""
    wanted: dict[str, set[int]] = {}
    for item in items:
        if item.record_type and item.record_id is not None:
            wanted.setdefault(item.record_type, set()).add(item.record_id)
    urls = {(kind, rid): url for kind, ids in wanted.items() if kind in _LINKS
            for rid, url in _LINKS[kind](ids, user).items()}
    return {item.id: urls[(item.record_type, item.record_id)] for item in items
            if (item.record_type, item.record_id) in urls}


@register_link("task", "公开任务")
def _tasks(ids, user):
    return {i: url_for("disclosure.task", task_id=i) for i in ids}


@register_link("task_event", "公开任务办理记录")
def _task_events(ids, user):
    rows = db.session.execute(select(TaskEvent.id, TaskEvent.task_id).where(TaskEvent.id.in_(ids)))
    return {event_id: url_for("disclosure.task", task_id=task_id) + "#timeline" for event_id, task_id in rows}


@register_link("application", "依申请公开申请")
def _applications(ids, user):
    return {i: url_for("applications.detail", app_id=i) for i in ids}


@register_link("application_rating", "社会评议")
def _ratings(ids, user):
    """Who rated is the office's to know: only the office is led to the application."""
    if getattr(user, "role", None) != "office":
        return {}
    rows = db.session.execute(select(ApplicationRating.id, ApplicationRating.application_id)
                              .where(ApplicationRating.id.in_(ids)))
    return {rating_id: url_for("applications.detail", app_id=app_id) + "#rating" for rating_id, app_id in rows}


@register_link("application_case", "复议/诉讼")
def _cases(ids, user):
    rows = db.session.execute(select(ApplicationCase.id, ApplicationCase.application_id)
                              .where(ApplicationCase.id.in_(ids)))
    return {case_id: url_for("applications.detail", app_id=app_id) + "#cases" for case_id, app_id in rows}


@register_link("annual_report", "年度报告")
def _reports(ids, user):
    rows = db.session.execute(select(AnnualReport.id, AnnualReport.year, AnnualReport.unit_id)
                              .where(AnnualReport.id.in_(ids), AnnualReport.unit_id.is_not(None)))
    return {i: url_for("reports.unit_report", year=year, unit_id=unit_id) for i, year, unit_id in rows}


@register_link("report_year", "年度报告（未编制）")
def _report_years(ids, user):
    return {year: url_for("reports.index", year=year) for year in ids}


@register_link("rectification", "整改事项")
def _rectifications(ids, user):
    return {i: url_for("inspections.rectification", rectification_id=i) for i in ids}


@register_link("unit", "单位")
def _units(ids, user):
    if user.role != "office":
        return {}
    return {i: url_for("units.edit", unit_id=i) for i in ids}
