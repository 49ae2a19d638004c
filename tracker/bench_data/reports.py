"""Generated annual reports (年度报告): every past year's unit reports handed in and accepted, and
the city's report compiled, through the reports workflow itself (so the frozen submissions are
what the feature would have stored). Table 二's entered figures are filled for each unit and year.

This goes through the services (ORM, one report at a time), unlike the bulk loaders: a report's
content is computed from the records, which is what the workflow does and what is worth having.
Two shortcuts keep it to seconds: each year's figures are computed for every unit at once and
handed to the workflow, and the transitions tell nobody (``workflow.unannounced``).
"""
from __future__ import annotations

from ..accounts.models import User
from ..extensions import db
from ..reports import figures, formats, narrative, services, workflow
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


def _write_own_words(report, unit: Unit) -> None:
    """What a unit writes over the drafts' placeholders before handing its report on."""
    for k in narrative.NARRATIVE:
        setattr(report, k, narrative.PLACEHOLDER.sub(f"{unit.name}已按要求落实", getattr(report, k) or ""))


def load_reports(ctx: Context) -> None:
    rng = ctx.rng("reports")
    office = db.session.get(User, ctx.office_users[0])
    made = 0
    with workflow.unannounced():  # history: nobody is told (no bell, no mail) of past years' steps
        for year in _years(ctx):
            fields = [key for key, _ in services.entered_fields(formats.format_for(year))]
            rows = [row for row in ctx.units if row.contacts and row.reviewers]
            for row in rows:
                values = {key: (f"{rng.randint(0, 9999) / 100:.2f}" if formats.is_money(key) else
                                str(rng.randint(0, 300))) for key in fields}
                services.save_figures(db.session.get(Unit, row.id), year, values, office)
            # Every unit's figures of the year in one pass (what each report's page computes alone).
            live = figures.unit_figures(year, [row.id for row in rows])
            for row in rows:
                unit = db.session.get(Unit, row.id)
                contact, reviewer = db.session.get(User, row.contacts[0]), db.session.get(User, row.reviewers[0])
                report = workflow.start_report(year, unit, contact, live[row.id])
                _write_own_words(report, unit)
                workflow.submit_for_review(report, contact)
                workflow.approve(report, reviewer)
                workflow.submit(report, contact, live[row.id])
                workflow.accept(report, office)
                made += 1
            workflow.start_report(year, None, office)
            db.session.commit()
            db.session.expunge_all()
            office = db.session.get(User, ctx.office_users[0])
    ctx.counts["annual_report (unit, accepted)"] = made
