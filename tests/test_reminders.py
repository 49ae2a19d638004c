"""Reminders end to end: the right people get the right mails on the right working days, across
the 2026 National Day holiday, once each, and acknowledging a task straight from its email."""
import os
import re
import subprocess
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests import clock
from tracker.disclosure.models import Task
from tracker.extensions import db
from tracker.notify.models import GroupedReminder, Notification, OutboxMail
from tracker.notify.reminders import (
    deadline_reminders,
    recipients_by_unit,
    reminder_settings,
    send_office_summary,
    sweep_reminders,
)
from tracker.notify.sender import send_due_mails
from tracker.timeutil import china_today

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def city(make):
    office_unit = make.unit(kind="office")
    unit = make.unit(name="民政局")
    other = make.unit(name="财政局")
    people = {
        "office": make.user("office", unit=office_unit, email="office@example.gov.cn"),
        "contact": make.user("contact", unit=unit, email="lly@example.gov.cn"),
        "reviewer": make.user("reviewer", unit=unit, email="shr@example.gov.cn"),
        "other": make.user("contact", unit=other, email="other@example.gov.cn"),
    }
    return unit, people


def new_keys(app, since_id=0):
    with app.app_context():
        rows = db.session.execute(select(Notification.id, Notification.key, Notification.user_id)
                                  .where(Notification.id > since_id).order_by(Notification.id)).all()
    return rows


def grouped_keys(app, since_id=0):
    """Reminders reported to office staff inside grouped messages."""
    with app.app_context():
        return db.session.execute(select(GroupedReminder.id, GroupedReminder.key, GroupedReminder.user_id)
                                  .where(GroupedReminder.id > since_id).order_by(GroupedReminder.id)).all()


def test_a_deadline_across_national_day_reminds_the_right_people_on_the_right_days(app, make, city):
    unit, people = city
    duty = make.duty(unit)
    with time_machine.travel("2026-09-10 10:00 +0800"):
        task = make.task(duty, formed=date(2026, 9, 10))  # -> 2026-10-14 (10/1-7 off, 9/20 and 10/10 worked)
    assert task.due_date == date(2026, 10, 14)
    seen, messages_to_office = {}, {}
    last = max([r.id for r in new_keys(app)] or [0])
    last_grouped = 0
    day = date(2026, 9, 28)
    while day <= date(2026, 10, 22):
        with app.app_context():
            sweep_reminders(day)
            db.session.commit()
        for row in new_keys(app, last):
            if row.key.startswith("group:"):  # the office's one message of the sweep
                messages_to_office[day] = messages_to_office.get(day, 0) + 1
            else:
                seen.setdefault(day, []).append((row.key.split(":")[2], row.user_id))
            last = row.id
        for row in grouped_keys(app, last_grouped):
            seen.setdefault(day, []).append((row.key.split(":")[2], row.user_id))
            last_grouped = row.id
        day += timedelta(days=1)
    c, r, o = people["contact"].id, people["reviewer"].id, people["office"].id
    # unack (3 working days after it was opened) fired on the first sweep; the rest follow the deadline
    assert ("unack", c) in seen.pop(date(2026, 9, 28))
    assert seen == {
        date(2026, 10, 8): [("before5", c)],                           # first working day after the holiday
        date(2026, 10, 12): [("before2", c)],                          # 13th and 14th left (10/10 was worked)
        date(2026, 10, 14): [("due", c)],
        date(2026, 10, 15): [("overdue0", c)],                         # 1 working day late
        date(2026, 10, 16): [("esc-reviewer", r)],                     # 2 late: the reviewer is told
        date(2026, 10, 19): [("overdue1", c)],                         # 3 late: the next repeat (every 2)
        date(2026, 10, 21): [("overdue2", c), ("esc-office", o)],      # 5 late: the office is told
    }
    assert all(uid != people["other"].id for rows in seen.values() for _, uid in rows)
    assert messages_to_office == {date(2026, 10, 21): 1}


@pytest.mark.on_day("2026-11-27")  # its story: autumn 2026
def test_reminders_go_out_by_mail_to_their_recipients(app, make, city, smtp):
    unit, people = city
    make.task(make.duty(unit), formed=date(2026, 9, 10))
    with app.app_context():
        sweep_reminders(date(2026, 10, 16))
        db.session.commit()
        send_due_mails()
    by_addr = {m["To"]: m["Subject"] for m in smtp.messages}
    assert "【已逾期】" in by_addr["lly@example.gov.cn"]
    assert "【逾期督办】" in by_addr["shr@example.gov.cn"]
    assert "other@example.gov.cn" not in by_addr and "office@example.gov.cn" not in by_addr


def test_a_sweep_run_twice_queues_each_reminder_once(app, make, city):
    unit, _ = city
    make.task(make.duty(unit), formed=date(2026, 9, 10))
    with app.app_context():
        first = sweep_reminders(date(2026, 10, 21))
        db.session.commit()
        second = sweep_reminders(date(2026, 10, 21))
        db.session.commit()
        keys = db.session.scalars(select(OutboxMail.key).where(OutboxMail.key.not_like("%:new:%"))).all()
    assert first > 0 and second == 0 and len(keys) == len(set(keys)) == first


def test_after_a_day_of_downtime_the_reminder_due_in_the_gap_is_sent(app, make, city):
    unit, people = city
    with time_machine.travel("2026-09-10 10:00 +0800"):
        task = make.task(make.duty(unit), formed=date(2026, 9, 10))
    with app.app_context():
        sweep_reminders(date(2026, 10, 7))  # nothing due from the deadline yet (the unack reminder goes out)
        db.session.commit()
    before = {row.key for row in new_keys(app)}
    # the scheduler is down on 10-08, when the 5-day reminder became due; it comes back on 10-09
    with app.app_context():
        sweep_reminders(date(2026, 10, 9))
        db.session.commit()
    gained = {row.key for row in new_keys(app)} - before
    assert gained == {f"task:{task.id}:before5:2026-10-14:{people['contact'].id}"}


@pytest.mark.slow
def test_two_sweep_processes_at_once_send_each_mail_once(app, make, city, smtp):
    """Two real `flask sweep` processes against the same database and the same SMTP server."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and ":memory:" in app.config["SQLALCHEMY_DATABASE_URI"]:
        pytest.skip("needs a database two processes can share")
    unit, _ = city
    formed = china_today() - timedelta(days=45)  # well overdue today: reminders to contact, reviewer, office
    make.task(make.duty(unit), formed=formed)
    env = {**os.environ, "TRACKER_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "TRACKER_SECRET_KEY": "x" * 32, "TRACKER_MAIL_SERVER": "127.0.0.1", "TRACKER_MAIL_PORT": str(smtp.port),
           "TRACKER_INSTANCE_PATH": str(app.instance_path)}
    procs = [subprocess.Popen(clock.python_argv("-m", "flask", "--app", "wsgi", "sweep"), cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    with app.app_context():
        queued = db.session.scalars(select(OutboxMail)).all()
    assert queued and all(m.status == "sent" for m in queued), [(m.status, m.last_error) for m in queued]
    ids = [m["X-Tracker-Outbox-Id"] for m in smtp.messages]
    assert sorted(ids) == sorted(str(m.id) for m in queued)  # each queued mail arrived exactly once


def test_office_summary_only_on_working_days(app, make, city):
    unit, people = city
    make.task(make.duty(unit), formed=date(2026, 9, 10))
    with app.app_context():
        assert send_office_summary(date(2026, 10, 3)) == 0   # National Day
        assert send_office_summary(date(2026, 10, 21)) == 1  # one office user
        assert send_office_summary(date(2026, 10, 21)) == 0  # once a day
        db.session.commit()
        body = db.session.scalar(select(Notification.body).where(Notification.key.like("summary:%")))
    assert "主动公开任务逾期未公开：1 项" in body


@pytest.mark.on_day("2026-11-27")  # its story: autumn 2026
@pytest.mark.usefixtures("recorded_history")
def test_application_reply_deadline_and_paused_period_reminders(app, make, city):
    from tracker.applications import services as aps
    from tracker.applications.models import Application
    unit, people = city
    running = make.application(unit, date(2026, 9, 28))  # 20 working days -> 2026-10-30
    paused = make.application(unit, date(2026, 10, 12))
    with app.app_context():
        a = db.session.get(Application, running.id)
        assert a.due_date == date(2026, 10, 30)
        p = db.session.get(Application, paused.id)
        aps.start_consultation(p, date(2026, 10, 13), "third_party", "某公司", actor=None)
        db.session.commit()
        pause_due = db.session.get(Application, paused.id).pause_due
        sweep_reminders(date(2026, 10, 23))  # 5 working days before 10-30
        sweep_reminders(pause_due - timedelta(days=1))
        db.session.commit()
    keys = [row.key for row in new_keys(app)]
    assert f"application:{running.id}:before5:2026-10-30:{people['contact'].id}" in keys
    assert any(k.startswith(f"application:{paused.id}:pause-consultation:{pause_due}") for k in keys)


def test_acknowledge_from_the_email_link_once(app, make, city, smtp, login):
    unit, people = city
    duty = make.duty(unit, cadence="periodic", frequency="monthly", start_date=date(2026, 11, 1))
    with app.app_context():
        from tracker.disclosure.tasks import open_periodic_tasks
        open_periodic_tasks(date(2026, 11, 2))
        db.session.commit()
        send_due_mails()
    [mail] = [m for m in smtp.messages if m["To"] == "lly@example.gov.cn"]
    link = re.search(r"http://localhost:5000(/a/[A-Za-z0-9_-]+)", mail.get_body(("plain",)).get_content()).group(1)
    assert login(people["reviewer"]).get(link).status_code == 403  # bound to the contact
    contact = login(people["contact"])
    page = contact.get(link)
    assert page.status_code == 200 and "确认签收公开任务" in page.get_data(as_text=True)
    with app.app_context():
        task = db.session.scalar(select(Task).where(Task.duty_id == duty.id))
        assert task.state == "pending_ack"  # a GET changes nothing (mail scanners)
    assert contact.post(link).status_code == 302
    with app.app_context():
        assert db.session.get(Task, task.id).state == "acknowledged"
    assert contact.post(link).status_code == 410  # single use


def test_an_email_link_expires(app, make, city, smtp, login):
    unit, people = city
    make.duty(unit, cadence="periodic", frequency="monthly", start_date=date(2026, 11, 1))
    with app.app_context():
        from tracker.disclosure.tasks import open_periodic_tasks
        open_periodic_tasks(date(2026, 11, 2))
        db.session.commit()
        send_due_mails()
    [mail] = [m for m in smtp.messages if m["To"] == "lly@example.gov.cn"]
    link = re.search(r"(/a/[A-Za-z0-9_-]+)", mail.get_body(("plain",)).get_content()).group(1)
    with time_machine.travel(date.today() + timedelta(days=15)):
        response = login(people["contact"]).get(link)
    assert response.status_code == 410 and "已过期" in response.get_data(as_text=True)


def test_a_deadline_on_a_non_working_day_is_announced_on_the_last_working_day_before_it(app, city):
    """January 31 is fixed by law (the annual report) and fell on a Sunday in 2027: the 今日到期
    reminder goes out on Friday the 29th, the weekend stays quiet, Monday says it is overdue."""
    unit, people = city
    due = date(2027, 1, 31)
    with app.app_context():
        settings, staff = reminder_settings(), recipients_by_unit([unit.id])[unit.id]

        def sent(day):
            return [(r.key.split(":")[2], r.user.id, r.message.title) for r in
                    deadline_reminders("task:1", due, day, settings, staff, "年度报告的公开", "/x")]

        friday = sent(date(2027, 1, 29))
        assert friday == [("due", people["contact"].id, "【今日到期】年度报告的公开")]
        assert sent(date(2027, 1, 30)) == [] and sent(due) == []
        assert [k for k, _, _ in sent(date(2027, 2, 1))] == ["overdue0"]
        # a deadline on a working day is still announced on the day itself
        on_the_day = deadline_reminders("task:2", date(2027, 1, 29), date(2027, 1, 29), settings, staff, "x", "/x")
        assert [r.key.split(":")[2] for r in on_the_day] == ["due"]
