"""The task list in urgency order and the register's totals, read without sorting or counting the
whole history, list and count exactly what the plain queries over every task give."""
import random

import pytest
import time_machine
from sqlalchemy import func, select

from tests.test_supervision_figures import TODAY, history  # noqa: F401  (fixture)
from tracker.accounts.models import User
from tracker.disclosure import services
from tracker.disclosure.models import CHANNELS, DONE_STATES, Task, TaskChannel
from tracker.disclosure.paging import UrgencyPagination
from tracker.extensions import db

PER_PAGE = 25


def reference_ids(f, user, cutoff, page, per_page=PER_PAGE):
    """The page as ``ORDER BY`` the urgency ``CASE`` over every matching task gives it."""
    stmt = services.task_query(f, user, TODAY, cutoff).limit(per_page).offset((page - 1) * per_page)
    return [t.id for t in db.session.scalars(stmt).unique()]


@pytest.mark.parametrize("filters", [
    {}, {"flag": "open"}, {"flag": "overdue"}, {"flag": "late"}, {"flag": "to_verify"}, {"state": "verified"},
    {"year": 2024}, {"flag": "failed"}])
@pytest.mark.parametrize("who", ["office", "contact"])
def test_every_page_in_urgency_order_is_the_page_of_the_plain_order(app, history, who, filters):  # noqa: F811
    with app.app_context():
        user = db.session.get(User, history[who].id)
        cutoff = services.due_soon_cutoff(TODAY)
        f = services.TaskFilters(**filters)
        total = db.session.scalar(select(func.count()).select_from(
            services.task_query(f, user, TODAY, cutoff, columns=(Task.id,)).subquery()))
        open_count = db.session.scalar(select(func.count()).select_from(
            services.task_query(f, user, TODAY, cutoff, columns=(Task.id,)).where(
                Task.state.in_(services.OPEN_STATES)).subquery()))
        last = max(1, -(-total // PER_PAGE))
        boundary = open_count // PER_PAGE + 1  # the page where open work ends and finished work begins
        for page in sorted({1, 2, boundary, boundary + 1, last, last + 1}):
            got = UrgencyPagination(page=page, per_page=PER_PAGE, error_out=False, filters=f, user=user,
                                    today=TODAY, cutoff=cutoff)
            assert [t.id for t in got.items] == reference_ids(f, user, cutoff, page), page
            assert got.total == total


def test_the_task_list_page_shows_open_work_first_then_finished_by_deadline(app, history, login):  # noqa: F811
    with time_machine.travel(TODAY, tick=False):
        browser = login(history["office"])
        with app.app_context():
            office = db.session.get(User, history["office"].id)
            cutoff = services.due_soon_cutoff(TODAY)
            want = reference_ids(services.TaskFilters(), office, cutoff, 3, per_page=30)
        page = browser.get("/disclosure/tasks?page=3").get_data(as_text=True)
    shown = [int(part.split('"')[0]) for part in page.split('href="/disclosure/tasks/')[1:] if part[0].isdigit()]
    assert shown == want and len(want) == 30


@pytest.fixture
def channels(app, history):  # noqa: F811
    """Channel rows on published, verified, sent-back (rework) and cancelled tasks: a task that
    left the register keeps the channels it had."""
    rng = random.Random(7)
    with app.app_context():
        for task in db.session.scalars(select(Task).where(Task.published_on.is_not(None))):
            for channel in rng.sample(list(CHANNELS), rng.randint(1, 3)):
                db.session.add(TaskChannel(task_id=task.id, channel=channel))
        cancelled = db.session.scalars(select(Task).where(Task.state == "cancelled").limit(20)).all()
        for task in cancelled:
            db.session.add(TaskChannel(task_id=task.id, channel="website"))
        db.session.commit()


def reference_register_counts(user):
    visible = select(Task.id).where(Task.state.in_(DONE_STATES))
    if not user.sees_all_units:
        visible = visible.where(Task.unit_id == user.unit_id)
    total = db.session.scalar(select(func.count()).select_from(visible.subquery()))
    per = dict(db.session.execute(select(TaskChannel.channel, func.count(func.distinct(TaskChannel.task_id)))
                                  .where(TaskChannel.task_id.in_(visible)).group_by(TaskChannel.channel)).all())
    return {"total": total, "by_channel": [(k, label, per.get(k, 0)) for k, label in CHANNELS.items()]}


def test_the_whole_registers_totals_are_everything_less_what_is_outside_it(app, history, channels):  # noqa: F811
    with app.app_context():
        office = db.session.get(User, history["office"].id)
        stmt = services.register_query(services.RegisterFilters(), office)
        want = reference_register_counts(office)
        assert want["total"] and all(n for _, _, n in want["by_channel"])
        assert services.register_counts(stmt, whole=True) == want
        assert services.register_counts(stmt) == want


def test_a_units_register_totals_count_its_items(app, history, channels, login):  # noqa: F811
    with app.app_context():
        contact = db.session.get(User, history["contact"].id)
        want = reference_register_counts(contact)
        assert services.register_counts(services.register_query(services.RegisterFilters(), contact)) == want
    page = login(history["contact"]).get("/disclosure/register").get_data(as_text=True)
    assert f'data-count="total">{want["total"]}<' in page
    for key, _, n in want["by_channel"]:
        assert f'data-count="{key}">{n}<' in page


def test_the_office_register_page_shows_the_totals_and_the_newest_first(app, history, channels, login):  # noqa: F811
    with app.app_context():
        office = db.session.get(User, history["office"].id)
        want = reference_register_counts(office)
        newest = db.session.scalars(select(Task.id).where(Task.state.in_(DONE_STATES))
                                    .order_by(Task.published_on.desc(), Task.id.desc()).limit(30)).all()
    page = login(history["office"]).get("/disclosure/register").get_data(as_text=True)
    assert f'data-count="total">{want["total"]}<' in page
    for key, _, n in want["by_channel"]:
        assert f'data-count="{key}">{n}<' in page
    shown = [int(part.split('"')[0]) for part in page.split('href="/disclosure/tasks/')[1:] if part[0].isdigit()]
    assert shown == list(newest)
    assert f"共 {want['total']} 条" in page
