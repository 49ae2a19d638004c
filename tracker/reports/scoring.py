"""What the assessment's 年度报告 rule reads about each unit's annual report (scoring.md: submitted
after the internal due date −5; consistency check failing at submission −5).

``report_facts`` gives one row per unit for a report year, from two queries for every unit at once;
``handed_in_late`` and ``failed_consistency`` are the two rules as pure functions over a row, so the
scores' rule registry only has to hand rows in and turn a true answer into a finding.
"""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..units.models import Unit
from . import services
from .models import AnnualReport, ReportSubmission


@dataclass(frozen=True)
class ReportFacts:
    unit_id: int
    year: int
    report_id: int | None
    label: str                        # the report's name, e.g. 民政局2025年政府信息公开工作年度报告
    due_date: date                    # the internal due date (January 31 if the office set none)
    first_handed_on: date | None      # the first day it was handed in (报送, not refused)
    first_refused_on: date | None     # the first attempt the consistency check refused
    refused_violations: tuple = ()    # what that attempt broke, in words
    returned: int = 0                 # times the office returned it


def report_facts(year: int, unit_ids: list[int]) -> list[ReportFacts]:
    """One row per unit in ``unit_ids`` for its report on ``year``."""
    due = services.due_date(year)
    units = dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all())
    reports = dict(db.session.execute(select(AnnualReport.unit_id, AnnualReport.id).where(
        AnnualReport.year == year, AnnualReport.scope == "unit", AnnualReport.unit_id.in_(unit_ids))).all())
    submissions: dict[int, list[ReportSubmission]] = {}
    for s in db.session.scalars(select(ReportSubmission).where(
            ReportSubmission.year == year, ReportSubmission.unit_id.in_(unit_ids))
            .order_by(ReportSubmission.unit_id, ReportSubmission.number)):
        submissions.setdefault(s.unit_id, []).append(s)
    rows = []
    for unit_id in unit_ids:
        subs = submissions.get(unit_id, [])
        handed = [s for s in subs if s.decision != "refused"]
        refused = [s for s in subs if not s.consistent]
        rows.append(ReportFacts(
            unit_id, year, reports.get(unit_id), f"{units.get(unit_id, '')}{year}年政府信息公开工作年度报告",
            handed[0].due_date or due if handed else due,
            handed[0].submitted_on if handed else None,
            refused[0].submitted_on if refused else None,
            tuple(v["message"] for v in refused[0].violations) if refused else (),
            sum(1 for s in subs if s.decision == "returned")))
    return rows


def handed_in_late(facts: ReportFacts, as_of: date) -> bool:
    """Submitted after the internal due date — or, on ``as_of`` past that date, not handed in yet."""
    if facts.first_handed_on is not None:
        return facts.first_handed_on > facts.due_date
    return as_of > facts.due_date


def failed_consistency(facts: ReportFacts) -> bool:
    """An attempt to hand the report in was refused by the consistency check (勾稽校验)."""
    return facts.first_refused_on is not None
