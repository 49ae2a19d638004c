"""The demo city looks like a city at work on the day it is loaded: every feature has records in
every state a visitor should see, and nothing is implausible (no task or application left open
for months, the office's checks are not months behind)."""
from datetime import date, datetime, timedelta

import time_machine
from sqlalchemy import func, select

from tracker.extensions import db
from tracker.timeutil import CHINA

TODAY = date(2026, 11, 27)


def _load(app):
    with time_machine.travel(datetime(2026, 11, 27, 9, 0, tzinfo=CHINA), tick=False):
        result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output


def _states(model):
    return dict(db.session.execute(select(model.state, func.count()).group_by(model.state)).all())


def test_the_demo_shows_every_feature_alive_and_nothing_implausible(app, login):
    from tracker.accounts.models import User
    from tracker.applications.models import STATES as APPLICATION_STATES
    from tracker.applications.models import Application
    from tracker.bulletins.models import Bulletin
    from tracker.disclosure.models import OPEN_STATES, Task
    from tracker.disclosure.models import STATES as TASK_STATES
    from tracker.inspections.models import Inspection, Rectification
    from tracker.reports.models import AnnualReport
    from tracker.scores.models import Objection, ScorePeriod
    _load(app)
    with app.app_context():
        tasks = _states(Task)
        assert set(tasks) == set(TASK_STATES), tasks  # every stage of the review order
        late = db.session.scalar(select(func.count()).where(Task.published_on > Task.due_date))
        on_time = db.session.scalar(select(func.count()).where(Task.published_on <= Task.due_date))
        assert on_time > 3 * late > 0
        open_due = db.session.scalars(select(Task.due_date).where(Task.state.in_(OPEN_STATES),
                                                                   Task.due_date < TODAY)).all()
        assert open_due and min(open_due) >= TODAY - timedelta(days=60)  # overdue, but pressed in weeks
        assert 0 < tasks["published"] <= 20  # the office checks within two weeks: a few wait
        assert set(_states(Application)) == set(APPLICATION_STATES)
        open_apps = db.session.scalars(select(Application.due_date).where(Application.state == "open")).all()
        assert min(open_apps) < TODAY and min(open_apps) >= TODAY - timedelta(days=60)
        assert {"open", "submitted", "closed", "returned"} <= set(_states(Rectification))
        assert db.session.scalar(select(func.count(Inspection.id))) >= 2
        assert {"published", "provisional"} <= set(_states(ScorePeriod)) and "pending" in _states(Objection)
        bulletins = db.session.scalars(select(Bulletin).where(Bulletin.state == "published")).all()
        assert bulletins and all(r.get("rank_in_kind") for r in bulletins[-1].snapshot["figures"]["rows"])
        reports = db.session.execute(select(AnnualReport.year, AnnualReport.state)).all()
        assert {s for y, s in reports if y == 2025} <= {"accepted", "final"}
        assert len({s for y, s in reports if y == 2026}) >= 3  # this year's being drafted and reviewed
        from tracker.applications.models import ApplicationRating
        levels = db.session.execute(select(ApplicationRating.level, ApplicationRating.handled_at)).all()
        assert len(levels) >= 3 and ("dissatisfied", None) in levels  # 社会评议: one 不满意 waits for the office
        reviewer = db.session.scalar(select(User).where(User.username == "mzj-shr"))
    page = login(reviewer, "gongkai2026").get("/dashboard").get_data(as_text=True)
    assert "暂无待审核的公开信息" not in page  # the README's reviewer has a draft to review
    from .conftest import Browser
    assert "东宁市人民政府 政府信息公开" in Browser(app).get("/apply").get_data(as_text=True)
