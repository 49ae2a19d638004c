"""The supervision figures read only open work and the selected year, and give the same
numbers as the plain definition over every task of every year: the reference below is the one-query
``SUM(CASE …)`` over the whole task table that the tracker used before."""
import random
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import and_, case, func, select

from tracker.accounts.models import User
from tracker.disclosure import services
from tracker.disclosure.models import STATES, Task
from tracker.extensions import db
from tracker.units.models import Unit

TODAY = date(2026, 11, 18)


def reference_figures(user, today, cutoff, year):
    """Every figure per unit id, summed over the whole task table (all years, all states)."""
    def n(cond):
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)
    in_year = and_(Task.due_date >= date(year, 1, 1), Task.due_date <= date(year, 12, 31))
    overdue = services.overdue_clause(today)
    stmt = select(Task.unit_id.label("unit"), n(overdue).label("overdue"),
                  n(services.due_soon_clause(today, cutoff)).label("due_soon"),
                  n(Task.state == "pending_ack").label("unacknowledged"),
                  n(Task.state.in_(services.OPEN_STATES)).label("open"),
                  n(and_(in_year, services.late_clause())).label("late"),
                  n(and_(in_year, services.on_time_clause())).label("on_time"),
                  n(and_(in_year, overdue)).label("overdue_in_year"),
                  n(Task.state == "published").label("to_verify"),
                  func.coalesce(func.sum(case((in_year, Task.verify_failures), else_=0)), 0).label("failed"),
                  ).where(Task.state != "cancelled").group_by(Task.unit_id)
    if not user.sees_all_units:
        stmt = stmt.where(Task.unit_id == user.unit_id)
    out = {}
    for row in db.session.execute(stmt):
        data = row._asdict()
        unit_id = data.pop("unit")
        out[unit_id] = {k: int(v) for k, v in data.items()}
    return out


def reference_totals(by_unit):
    keys = ("overdue", "due_soon", "unacknowledged", "open", "late", "on_time", "overdue_in_year", "to_verify",
            "failed")
    total = {k: sum(f[k] for f in by_unit.values()) for k in keys}
    total["rate"] = services.on_time_rate(total["on_time"], total["late"], total["overdue_in_year"])
    return total


@pytest.fixture
def history(app, make):
    """Five years of tasks in every state for a town, two departments, an inactive unit and the
    office's own unit: deadlines before, around and after today, publications on time and late,
    failed verifications, cancellations."""
    units = [make.unit("town1", "一镇", kind="town"), make.unit("dep1", "一局"), make.unit("dep2", "二局"),
             make.unit("gone", "撤销局"), make.unit("gkb", "政务公开办", kind="office")]
    office = make.user("office", username="office1")
    contact = make.user("contact", unit=units[1], username="dep1-lly")
    leader = make.user("leader", username="leader1")
    duties = [make.duty(u) for u in units[:4]]
    # the office's own unit has no catalogue: its tasks (if any) hang on another unit's duty
    owners = [(d, d.unit_id) for d in duties] + [(duties[0], units[4].id)]
    rng = random.Random(15)
    with app.app_context():
        db.session.get(Unit, units[3].id).active = False
        states = list(STATES)
        for i in range(1500):
            duty, unit_id = owners[i % len(owners)]
            due = date(2022, 1, 3) + timedelta(days=rng.randrange((TODAY + timedelta(days=60) - date(2022, 1, 3)).days))
            state = rng.choice(states)
            published = None
            if state in ("published", "verified", "rework"):
                published = due + timedelta(days=rng.randint(-15, 10))
            db.session.add(Task(duty_id=duty.id, unit_id=unit_id, key_area_id=duty.key_area_id,
                                title=f"任务{i}", formed_date=due - timedelta(days=28), period_days=20,
                                review_required=True, due_date=due, due_provisional=False, state=state,
                                published_on=published, normative=False,
                                verify_failures=rng.choice((0, 0, 0, 1, 2)) if published else 0))
        db.session.commit()
    return {"units": units, "office": office, "contact": contact, "leader": leader}


@pytest.mark.parametrize("year", [2022, 2024, 2025, 2026, 2027])
@pytest.mark.parametrize("who", ["office", "leader", "contact"])
def test_figures_from_open_work_and_the_year_equal_the_sums_over_every_task(app, history, who, year):
    with app.app_context():
        user = db.session.get(User, history[who].id)
        cutoff = services.due_soon_cutoff(TODAY)
        got = services.figures_by_unit(user, TODAY, cutoff, year)
        want = reference_figures(user, TODAY, cutoff, year)
        assert want, "the history has tasks the user can see"
        for unit_id, figures in want.items():
            mine = {k: v for k, v in got.get(unit_id, {}).items() if k != "unit"}
            assert mine == figures or (not any(figures.values()) and not mine), unit_id
        assert services.totals(user, TODAY, cutoff, year) == reference_totals(want)


@pytest.mark.parametrize("year", [2023, 2026])
def test_the_supervision_rows_and_the_dashboard_list_equal_the_sums_over_every_task(app, history, year):
    with app.app_context():
        office = db.session.get(User, history["office"].id)
        cutoff = services.due_soon_cutoff(TODAY)
        want = reference_figures(office, TODAY, cutoff, year)
        rows = services.unit_supervision(office, TODAY, cutoff, year, sort="late")
        assert [r["unit"].code for r in rows] == sorted(
            ["town1", "dep1", "dep2"], key=lambda c: -want[_unit_id(c)]["late"])  # active units only
        for r in rows:
            expected = want[r["unit"].id]
            assert {k: r[k] for k in expected} == expected
            assert r["rate"] == services.on_time_rate(expected["on_time"], expected["late"],
                                                      expected["overdue_in_year"])
        worst = services.worst_units(services.figures_by_unit(office, TODAY, cutoff, year))
        assert [r["unit"].code for r in worst] == [r["unit"].code for r in sorted(
            rows, key=lambda r: -r["overdue"]) if r["overdue"] or r["unacknowledged"]]


def _unit_id(code):
    return db.session.scalar(select(Unit.id).where(Unit.code == code))


def test_the_supervision_page_and_the_dashboard_show_the_sums_over_every_task(app, history, login):
    with app.app_context():
        office = db.session.get(User, history["office"].id)
        cutoff = services.due_soon_cutoff(TODAY)
    with time_machine.travel(TODAY, tick=False):
        browser = login(history["office"])
        page = browser.get("/disclosure/supervision?year=2025").get_data(as_text=True)
        with app.app_context():
            total = reference_totals(reference_figures(office, TODAY, cutoff, 2025))
        for key in ("overdue", "due_soon", "unacknowledged", "late", "on_time"):
            assert f'data-total="{key}">{total[key]}<' in page
        dashboard = browser.get("/dashboard").get_data(as_text=True)
        with app.app_context():
            this_year = reference_totals(reference_figures(office, TODAY, cutoff, TODAY.year))
        assert "待核验 <a" in dashboard
        assert f">{this_year['to_verify']}</a>" in dashboard and f">{this_year['late']}</a>" in dashboard
