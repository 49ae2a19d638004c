"""Scheduled work of the scores, as idempotent sweeps (listed in ``tracker/scheduler.py``):

* ``nightly`` — the current quarter's (and year's) provisional scores, once each day, from the
  first run after midnight (so a scheduler that was down catches up when it starts);
* ``finalise`` — on the first working day after a quarter ends, that quarter's final figures
  (after the fourth quarter also the year's), for the office to review and publish; once.

Each unit is computed in isolation inside ``compute`` (its own savepoint); a unit that fails is
logged, named on the periods page and skipped.
"""
from datetime import date, datetime

from ..timeutil import CHINA
from ..workcal.services import add_workdays
from .periods import quarter_of
from .services import compute, find_period


def _today(now: datetime) -> date:
    return now.astimezone(CHINA).date()


def nightly(now: datetime) -> dict:
    """Provisional scores of the current quarter and year, unless already computed today."""
    today = _today(now)
    quarter = quarter_of(today)
    done = {}
    for period in (quarter, quarter.year_period()):
        row = find_period(period)
        if row is not None and (row.state != "provisional" or row.computed_on == today):
            continue
        outcome = compute(period, today)
        done[period.key] = {"computed": outcome.computed, "failed": sorted(outcome.failures)}
    return done


def finalise(now: datetime) -> dict:
    """Final figures of the quarter that just ended (and of the year after Q4), from the first
    working day after its end; a period already final or published is left alone."""
    today = _today(now)
    ended = quarter_of(today).previous()
    if today < add_workdays(ended.end, 1).day:
        return {}
    done = {}
    for period in [ended] + ([ended.year_period()] if ended.quarter == 4 else []):
        row = find_period(period)
        if row is not None and row.state != "provisional":
            continue
        outcome = compute(period, today)
        done[period.key] = {"computed": outcome.computed, "failed": sorted(outcome.failures)}
    return done
