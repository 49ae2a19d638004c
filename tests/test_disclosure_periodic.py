"""Periodic and standing duties open exactly one task per duty and period (常规性工作定期公开),
however often the sweep runs."""
from datetime import date

from sqlalchemy import func, select

from tracker.disclosure import services
from tracker.disclosure.models import Duty, Task, TaskEvent
from tracker.disclosure.tasks import open_periodic_tasks, open_tasks_on_working_days
from tracker.extensions import db


def _count(app, **where):
    with app.app_context():
        stmt = select(func.count(Task.id))
        for k, v in where.items():
            stmt = stmt.where(getattr(Task, k) == v)
        return db.session.scalar(stmt)


def test_period_keys_and_labels():
    assert services.period_of("monthly", date(2026, 3, 17)) == ("2026-03", date(2026, 3, 1))
    assert services.period_of("quarterly", date(2026, 5, 1)) == ("2026-Q2", date(2026, 4, 1))
    assert services.period_of("halfyearly", date(2026, 12, 31)) == ("2026-H2", date(2026, 7, 1))
    assert services.period_of("yearly", date(2026, 6, 1)) == ("2026", date(2026, 1, 1))
    assert [services.period_label(k) for k in ("2026-03", "2026-Q2", "2026-H1", "2026")] == [
        "2026年3月", "2026年第二季度", "2026年上半年", "2026年度"]


def test_monthly_duty_gets_one_task_per_month_however_often_the_sweep_runs(app, make):
    duty = make.duty(make.unit(), title="社会救助资金发放情况", cadence="periodic", frequency="monthly",
                     start_date=date(2026, 1, 1))
    with app.app_context():
        assert open_periodic_tasks(date(2026, 3, 17)) == 3
        db.session.commit()
        for _ in range(3):
            assert open_periodic_tasks(date(2026, 3, 17)) == 0
            db.session.commit()
        assert open_periodic_tasks(date(2026, 4, 1)) == 1
        db.session.commit()
    assert _count(app, duty_id=duty.id) == 4
    with app.app_context():
        keys = db.session.scalars(select(Task.period_key).where(Task.duty_id == duty.id).order_by(Task.period_key)).all()
        assert keys == ["2026-01", "2026-02", "2026-03", "2026-04"]
        march = db.session.scalar(select(Task).where(Task.period_key == "2026-03"))
        assert march.title == "社会救助资金发放情况（2026年3月）"
        assert march.formed_date == date(2026, 3, 1) and march.due_date == date(2026, 3, 27)
        assert march.state == "pending_ack"
        # every opened task has its "opened" event on the timeline
        assert db.session.scalar(select(func.count(TaskEvent.id)).where(TaskEvent.action == "open")) == 4


def test_formation_offset_and_start_date_are_respected(app, make):
    duty = make.duty(make.unit(), cadence="periodic", frequency="quarterly", formation_offset_days=14,
                     start_date=date(2026, 2, 1))
    with app.app_context():
        # Q1 formed 15 Jan, before the start date: no task. Q2 forms 15 Apr.
        assert open_periodic_tasks(date(2026, 4, 14)) == 0
        assert open_periodic_tasks(date(2026, 4, 15)) == 1
        db.session.commit()
        task = db.session.scalar(select(Task).where(Task.duty_id == duty.id))
        assert (task.period_key, task.formed_date) == ("2026-Q2", date(2026, 4, 15))


def test_standing_duty_opens_a_review_task_each_cycle(app, make):
    make.duty(make.unit(), title="随机抽查事项清单", cadence="standing", frequency="halfyearly",
              start_date=date(2026, 1, 1))
    with app.app_context():
        assert open_periodic_tasks(date(2026, 11, 27)) == 2
        db.session.commit()
        titles = db.session.scalars(select(Task.title).order_by(Task.period_key)).all()
        assert titles == ["复核更新：随机抽查事项清单（2026年上半年）", "复核更新：随机抽查事项清单（2026年下半年）"]


def test_ad_hoc_and_inactive_duties_open_nothing(app, make):
    unit = make.unit()
    make.duty(unit, cadence="adhoc")
    stopped = make.duty(unit, cadence="periodic", frequency="monthly")
    with app.app_context():
        db.session.get(Duty, stopped.id).active = False
        db.session.commit()
        assert open_periodic_tasks(date(2026, 6, 1)) == 0


def test_a_concurrent_insert_of_the_same_period_is_ignored(app, make):
    """Two sweeps racing: the second insert hits the unique key and is skipped, not an error."""
    duty = make.duty(make.unit(), cadence="periodic", frequency="yearly")
    with app.app_context():
        d = db.session.get(Duty, duty.id)
        first = services.open_periodic_task(d, "2026", date(2026, 1, 1))
        second = services.open_periodic_task(d, "2026", date(2026, 1, 1))  # what a racing sweep would do
        db.session.commit()
        assert first is not None and second is None
    assert _count(app, duty_id=duty.id) == 1


def test_open_tasks_command(app, make):
    make.duty(make.unit(), cadence="periodic", frequency="monthly", start_date=date(2026, 1, 1))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["open-tasks", "--date", "2026-02-01"])
    assert result.exit_code == 0, result.output
    assert "2" in result.output
    assert runner.invoke(args=["open-tasks", "--date", "2026-02-01"]).output.startswith("已生成公开任务 0 个")
    assert _count(app) == 2
    bad = runner.invoke(args=["open-tasks", "--date", "2026-02-30"])
    assert bad.exit_code != 0 and "日期格式不正确" in bad.output


def test_the_scheduled_job_opens_tasks_on_working_days_with_their_formation_day_kept(app, make):
    """2026-02-01 is a Sunday: the sweep opens nothing (nobody is told of new work on a day off);
    on Monday the February task opens, formed on the 1st, its deadline counted from the 1st."""
    duty = make.duty(make.unit(), cadence="periodic", frequency="monthly", start_date=date(2026, 2, 1))
    with app.app_context():
        assert open_tasks_on_working_days(date(2026, 2, 1)) == 0
        assert open_tasks_on_working_days(date(2026, 2, 2)) == 1
        db.session.commit()
        task = db.session.scalar(select(Task).where(Task.duty_id == duty.id))
        # 20 working days from the 1st: past the Spring Festival (15-23 Feb), counting the make-up
        # Saturdays 14 and 28 February
        assert task.formed_date == date(2026, 2, 1) and task.due_date == date(2026, 3, 5)
