"""Disclosure task deadlines: R1 (Art. 26) 20 working days from formation, across the 2026
holidays, provisional after 2026, and recomputed (with history) when a notice is recorded."""
from datetime import date

import pytest

from tracker.disclosure import services
from tracker.disclosure.models import Duty, Task
from tracker.extensions import db
from tracker.workcal.notices import HolidayRange
from tracker.workcal.services import deadline_history, record_notice


def _task(app, make, formed, **duty_kw):
    duty = make.duty(make.unit(), **duty_kw)
    return make.task(duty, formed=formed)


@pytest.mark.parametrize("formed, due", [
    (date(2026, 9, 28), date(2026, 10, 30)),   # skips 1–7 Oct, counts the make-up Saturday 10 Oct
    (date(2026, 2, 10), date(2026, 3, 16)),    # Spring Festival; counts make-up 14 Feb and 28 Feb
    (date(2026, 4, 1), date(2026, 4, 30)),
    (date(2026, 2, 15), date(2026, 3, 20)),    # formed on a holiday: counting starts at the next working day
])
def test_deadline_is_twenty_working_days_after_formation(app, make, formed, due):
    task = _task(app, make, formed)
    assert task.due_date == due
    assert task.due_provisional is False


def test_period_of_the_duty_replaces_the_default_twenty(app, make):
    task = _task(app, make, date(2026, 9, 28), period_days=5)
    # 29 Sep, 30 Sep, (1–7 Oct off), 8 Oct, 9 Oct, 10 Oct (a make-up Saturday) → the 5th working day
    assert task.due_date == date(2026, 10, 10)


def test_a_2027_deadline_is_provisional_and_moves_when_the_notice_is_recorded(app, make):
    open_task = _task(app, make, date(2027, 1, 25))
    done_task = _task(app, make, date(2027, 1, 25))
    assert open_task.due_provisional is True
    provisional_due = open_task.due_date
    with app.app_context():
        done = db.session.get(Task, done_task.id)
        done.state = "cancelled"  # a closed task keeps its deadline
        db.session.commit()
        # A made-up 2027 notice: a longer Spring Festival (2–13 Feb) and a make-up Sunday.
        moved = record_notice(2027, [HolidayRange(date(2027, 1, 1), date(2027, 1, 3), "元旦"),
                                     HolidayRange(date(2027, 2, 2), date(2027, 2, 13), "春节")],
                              [date(2027, 2, 14)], title="测试通知")
        db.session.commit()
        assert moved >= 1
        task = db.session.get(Task, open_task.id)
        assert task.due_provisional is False
        assert task.due_date == services.deadline_for(date(2027, 1, 25), 20).day
        assert task.due_date != provisional_due
        history = deadline_history(task)
        assert [(h.old_due, h.old_provisional) for h in history][-1] == (provisional_due, True)
        assert history[-1].new_due == task.due_date and "2027" in history[-1].reason
        untouched = db.session.get(Task, done_task.id)
        assert untouched.due_date == provisional_due and untouched.due_provisional is True


def test_task_page_shows_provisional_mark_and_history(app, make, login):
    task = _task(app, make, date(2027, 3, 1))
    office = make.user("office", unit=make.unit(kind="office"))
    html = login(office).get(f"/disclosure/tasks/{task.id}").get_data(as_text=True)
    assert "（暂定）" in html
    assert "公开期限变更记录" in html


def test_duty_period_is_copied_so_editing_the_duty_does_not_move_open_tasks(app, make):
    task = _task(app, make, date(2026, 4, 1))
    with app.app_context():
        duty = db.session.get(Duty, task.duty_id)
        duty.period_days = 10
        db.session.commit()
        assert services.recompute_open_deadlines("test") == 0
        assert db.session.get(Task, task.id).due_date == date(2026, 4, 30)
