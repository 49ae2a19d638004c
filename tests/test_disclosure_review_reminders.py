"""Reminders that follow the review order: while a draft is in review the reviewer is reminded, not
the contact; once approved (or sent back by a failed verification) the contact is reminded of the
deadline again; the digest and the office's summary count the new states."""
from datetime import date

import pytest
import time_machine
from sqlalchemy import select

from tracker.accounts.models import User
from tracker.disclosure import services
from tracker.disclosure.models import Task
from tracker.disclosure.reminders import task_summary, unit_task_summary
from tracker.extensions import db
from tracker.notify.models import Notification
from tracker.notify.reminders import sweep_reminders


@pytest.fixture
def team(make):
    unit = make.unit(name="民政局")
    return {"unit": unit, "contact": make.user("contact", unit=unit), "reviewer": make.user("reviewer", unit=unit),
            "office": make.user("office", unit=make.unit(kind="office"))}


def _kinds(user_id, since=0):
    """The rule part of each reminder key a user got (task:<id>:<rule>:...)."""
    return [k.split(":")[2] for k in db.session.scalars(select(Notification.key).where(
        Notification.user_id == user_id, Notification.id > since, Notification.key.like("task:%")))]


def _last_id():
    return db.session.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1)) or 0


def test_in_review_the_reviewer_is_reminded_and_once_approved_the_contact_again(app, make, team):
    task = make.task(make.duty(team["unit"]), formed=date(2026, 4, 20))  # due 2026-05-20
    with app.app_context(), time_machine.travel("2026-05-12 10:00 +0800", tick=False):
        t = db.session.get(Task, task.id)
        contact = db.session.get(User, team["contact"].id)
        services.acknowledge(t, contact)
        services.submit_draft(t, contact, services.Draft("正文", ["website"], "proactive", "", True, "absent"))
        db.session.commit()
    with app.app_context():
        since = _last_id()
        sweep_reminders(date(2026, 5, 14))  # 2 working days in review, 4 left before the deadline
        db.session.commit()
        assert _kinds(team["reviewer"].id, since) == ["approval"]
        assert _kinds(team["contact"].id, since) == []  # the contact has done their part
        with time_machine.travel("2026-05-14 11:00 +0800", tick=False):
            services.approve(db.session.get(Task, task.id), db.session.get(User, team["reviewer"].id), "同意")
        db.session.commit()
        since = _last_id()
        sweep_reminders(date(2026, 5, 18))  # approved but not published, 2 working days left
        db.session.commit()
        assert _kinds(team["contact"].id, since) == ["before2"]


def test_a_failed_verification_brings_back_the_deadline_reminders(app, make, team):
    task = make.task(make.duty(team["unit"], review_required=False), formed=date(2026, 4, 20))  # due 05-20
    with app.app_context(), time_machine.travel("2026-05-12 10:00 +0800", tick=False):
        t = db.session.get(Task, task.id)
        contact = db.session.get(User, team["contact"].id)
        services.acknowledge(t, contact)
        services.publish(t, contact, services.PublicationRecord(date(2026, 5, 12), ["gazette"]), date(2026, 5, 12))
        db.session.commit()
    with app.app_context():
        since = _last_id()
        sweep_reminders(date(2026, 5, 21))
        assert _kinds(team["contact"].id, since) == []  # published: no deadline reminder
        services.fail_verification(db.session.get(Task, task.id), db.session.get(User, team["office"].id),
                                   "公报中未见该信息")
        db.session.commit()
        since = _last_id()
        sweep_reminders(date(2026, 5, 21))  # 1 working day past the deadline, not properly published
        db.session.commit()
        assert _kinds(team["contact"].id, since) == ["overdue0"]


def test_digest_and_office_summary_count_the_review_order_states(app, make, team):
    duty = make.duty(team["unit"])
    approved, failed, waiting = (make.task(duty, formed=date(2026, 5, 11)) for _ in range(3))
    with app.app_context(), time_machine.travel("2026-05-20 10:00 +0800", tick=False):
        contact, reviewer = db.session.get(User, team["contact"].id), db.session.get(User, team["reviewer"].id)
        office = db.session.get(User, team["office"].id)
        for task_id in (approved.id, failed.id, waiting.id):
            t = db.session.get(Task, task_id)
            services.acknowledge(t, contact)
            services.submit_draft(t, contact, services.Draft("正文", ["gazette"], "proactive", "", True, "absent"))
            services.approve(t, reviewer, "同意")
        for task_id in (failed.id, waiting.id):
            services.publish(db.session.get(Task, task_id), contact,
                             services.PublicationRecord(date(2026, 5, 20), ["gazette"]), date(2026, 5, 20))
        services.fail_verification(db.session.get(Task, failed.id), office, "内容缺失")
        db.session.commit()
        lines = unit_task_summary(date(2026, 5, 20))[team["unit"].id]
        assert "审核通过待发布：1 项" in lines and "核验未通过待整改：1 项" in lines
        summary = task_summary(date(2026, 5, 20))
        assert "已发布待核验：1 项" in summary and "核验未通过待整改：1 项" in summary
