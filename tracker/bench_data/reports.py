"""Generated annual reports (年度报告): every past year's unit reports handed in and accepted, and
the city's report compiled, through the reports workflow itself (so the frozen submissions are
what the feature would have stored). Table 二's entered figures are filled for each unit and year.

This goes through the services (ORM, one unit at a time), unlike the bulk loaders: a report's
content is computed from the records, which is what the workflow does and what is worth having.
"""
from __future__ import annotations

from ..accounts.models import User
from ..extensions import db
from ..reports import formats, services, workflow
from ..units.models import Unit
from .base import Context


def _years(ctx: Context) -> list[int]:
    """The finished years of the history that have an official report format."""
    years = []
    for year in range(ctx.scale.first_year, ctx.today.year):
        try:
            formats.format_for(year)
        except ValueError:
            continue
        years.append(year)
    return years


def load_reports(ctx: Context) -> None:
    rng = ctx.rng("reports")
    office = db.session.get(User, ctx.office_users[0])
    made = 0
    for year in _years(ctx):
        for row in ctx.units:
            if not row.contacts or not row.reviewers:
                continue
            unit = db.session.get(Unit, row.id)
            contact, reviewer = db.session.get(User, row.contacts[0]), db.session.get(User, row.reviewers[0])
            fields = [key for key, _ in services.entered_fields(formats.format_for(year))]
            values = {key: (f"{rng.randint(0, 9999) / 100:.2f}" if formats.is_money(key) else
                            str(rng.randint(0, 300))) for key in fields}
            services.save_figures(unit, year, values, office)
            report = workflow.start_report(year, unit, contact)
            workflow.submit_for_review(report, contact)
            workflow.approve(report, reviewer)
            workflow.submit(report, contact)
            workflow.accept(report, office)
            made += 1
        workflow.start_report(year, None, office)
        db.session.commit()
        db.session.expunge_all()
        office = db.session.get(User, ctx.office_users[0])
    ctx.counts["annual_report (unit, accepted)"] = made
