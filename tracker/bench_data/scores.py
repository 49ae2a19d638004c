"""Generated assessment scores (考核评分): every finished quarter of the history computed from the
generated records with the year's rubric and published, through the scores services themselves
(the rules read the rows; nothing here invents a score)."""
from __future__ import annotations

from datetime import timedelta

from ..accounts.models import User
from ..extensions import db
from ..scores.periods import Period
from ..scores.services import compute, publish, records_due
from .base import Context


def load_scores(ctx: Context) -> None:
    office = db.session.get(User, ctx.office_users[0])
    published = 0
    for year in range(ctx.scale.first_year, ctx.today.year + 1):
        for quarter in range(1, 5):
            period = Period(year, quarter)
            if period.end >= ctx.today:
                continue
            outcome = compute(period, ctx.today, actor=office, announce=False)
            if not outcome.failures and records_due(period):  # a quarter with nothing due is not published
                publish(outcome.period, office, min(period.end + timedelta(days=15), ctx.today), announce=False)
                published += 1
            db.session.commit()
    ctx.counts["score_period (quarters, published)"] = published
