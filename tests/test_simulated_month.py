"""A month of unattended operation over the year end, day by day through the scheduler's jobs on a
moved clock (``tracker/sweeps/simulation.py``): the demo city from 2026-12-20 to 2027-01-20 — the
fourth quarter closes, its bulletin is drafted and its scores (and the year's) become final, the
annual-report season opens, and the office records the 2027 holiday notice, turning every
provisional 2027 deadline official. Every day must pass every check; the longer run (a whole year)
is ``bench/simulate_year.py``."""
from datetime import date, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from tracker.extensions import db
from tracker.sweeps.simulation import simulate
from tracker.timeutil import CHINA

pytestmark = pytest.mark.slow  # left out of the calendar matrix's fast subset (see pyproject.toml)

START, END = date(2026, 12, 20), date(2027, 1, 20)
FIRST_WORKDAY_2027 = date(2027, 1, 4)
NOTICE_DAY = date(2026, 12, 28)


def record_2027_notice():
    """A 2027 holiday notice as the office would record it (test data: the shape of a State
    Council notice, with a make-up Saturday in February so that open deadlines move)."""
    from tracker.workcal.notices import HolidayRange
    from tracker.workcal.services import record_notice
    return record_notice(2027, [HolidayRange(date(2027, 1, 1), date(2027, 1, 3), "元旦"),
                                HolidayRange(date(2027, 2, 5), date(2027, 2, 13), "春节")],
                         [date(2027, 2, 20)], title="2027年部分节假日安排（测试数据）")


def test_a_month_over_the_year_end_passes_every_check_every_day(app, smtp):
    from tracker.bulletins.models import Bulletin
    from tracker.notify.models import OutboxMail
    from tracker.scores.models import ScorePeriod
    from tracker.workcal.models import DeadlineChange

    with time_machine.travel(datetime(2026, 12, 19, 18, 0, tzinfo=CHINA), tick=False) as t:  # loaded the evening before
        loaded = app.test_cli_runner().invoke(args=["demo"])
        assert loaded.exit_code == 0, loaded.output
        reports = list(simulate(app, START, END, t.move_to, events={NOTICE_DAY: record_2027_notice}))

    assert [r.day for r in reports][0] == START and reports[-1].day == END and len(reports) == 32
    failing = {r.day.isoformat(): r.failures + r.problems for r in reports if not r.ok}
    assert not failing, "\n".join(f"{day}: {p}" for day, problems in failing.items() for p in problems)
    quiet = [r for r in reports if not r.workday]
    assert {date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)} <= {r.day for r in quiet}
    assert sum(r.reminders for r in reports if r.workday) > 0  # the sweeps did remind people

    with app.app_context():
        q4 = db.session.scalar(select(Bulletin).where(Bulletin.year == 2026, Bulletin.quarter == 4))
        assert q4 is not None and q4.figures_as_of == FIRST_WORKDAY_2027
        finals = dict(db.session.execute(select(ScorePeriod.key, ScorePeriod.computed_on)
                                         .where(ScorePeriod.key.in_(["2026-Q4", "2026"]),
                                                ScorePeriod.state != "provisional")).all())
        assert finals == {"2026-Q4": FIRST_WORKDAY_2027, "2026": FIRST_WORKDAY_2027}
        official = db.session.scalar(select(func.count()).select_from(DeadlineChange).where(
            DeadlineChange.reason == "录入2027年节假日安排", DeadlineChange.old_provisional.is_(True),
            DeadlineChange.new_provisional.is_(False)))
        assert official > 0  # the notice turned provisional deadlines official, each with its history
        sent = db.session.scalars(select(OutboxMail.id).where(OutboxMail.status == "sent")).all()
    delivered = [int(m["X-Tracker-Outbox-Id"]) for m in smtp.messages]
    assert sent and sorted(delivered) == sorted(sent)  # every mail sent arrived, and each once
