"""bench-data: a deterministic generated city with every state, pause kind and outcome, that starts
the sweeps from a steady state and never erases a database it did not generate (unless forced)."""
from datetime import date

import pytest
from sqlalchemy import func, select

from tracker.accounts.models import User
from tracker.applications import models as am
from tracker.applications.outcomes import OUTCOMES
from tracker.bench_data import SCALES, Scale, bench_marker, load
from tracker.disclosure import models as dm
from tracker.extensions import db
from tracker.units.models import Unit

pytestmark = pytest.mark.slow  # left out of the calendar matrix's fast subset (see pyproject.toml)

DAY = date(2026, 6, 30)
CITY = Scale("test-city", units=8, towns=2, users=50, tasks=900, applications=200)


def _quiet(line):
    pass


def _digest():
    tasks = db.session.execute(select(dm.Task.id, dm.Task.state, dm.Task.due_date, dm.Task.published_on,
                                      dm.Task.unit_id).order_by(dm.Task.id)).all()
    apps = db.session.execute(select(am.Application.id, am.Application.state, am.Application.due_date,
                                     am.Application.outcome, am.Application.tracking_code)
                              .order_by(am.Application.id)).all()
    return tasks, apps


def test_the_command_refuses_a_database_with_records_it_did_not_make(app, make):
    unit = make.unit(name="真实单位")
    result = app.test_cli_runner().invoke(args=["bench-data", "--scale", "small"])
    assert result.exit_code == 2
    assert "--force" in result.output
    with app.app_context():
        assert db.session.get(Unit, unit.id).name == "真实单位"
        assert bench_marker() is None


def test_force_replaces_the_records_and_marks_the_database(app, make):
    make.unit(name="真实单位")
    with app.app_context():
        load(CITY, today=DAY, force=True, echo=_quiet)
        assert db.session.scalar(select(func.count()).select_from(Unit).where(Unit.name == "真实单位")) == 0
        assert bench_marker()["scale"] == "test-city"


def test_a_bench_database_is_regenerated_without_force_and_identically(app):
    with app.app_context():
        load(CITY, today=DAY, echo=_quiet)
        first = _digest()
        load(CITY, today=DAY, echo=_quiet)  # holds only bench data: no --force needed
        assert _digest() == first
        load(CITY, seed=7, today=DAY, echo=_quiet)
        assert _digest() != first


def test_the_city_has_the_sizes_of_its_scale(app):
    with app.app_context():
        load(CITY, today=DAY, echo=_quiet)
        count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert (count(Unit), count(User), count(dm.Task), count(am.Application)) == (8, 50, 900, 200)


def test_the_small_city_has_every_state_pause_kind_and_outcome(app):
    with app.app_context():
        load("small", today=DAY, echo=_quiet)
        task_states = set(db.session.scalars(select(dm.Task.state).distinct()))
        app_states = set(db.session.scalars(select(am.Application.state).distinct()))
        pauses = set(db.session.scalars(select(am.Application.pause_kind).distinct())) - {None}
        outcomes = set(db.session.scalars(select(am.Application.outcome).distinct())) - {None}
        years = {d.year for d in db.session.scalars(select(dm.Task.due_date).distinct())}
        overdue = db.session.scalar(select(func.count()).select_from(dm.Task).where(
            dm.Task.state.in_(dm.OPEN_STATES), dm.Task.due_date < DAY))
        due_soon = db.session.scalar(select(func.count()).select_from(dm.Task).where(
            dm.Task.state.in_(dm.OPEN_STATES), dm.Task.due_date >= DAY))
        cases = db.session.scalar(select(func.count()).select_from(am.ApplicationCase))
    assert task_states == set(dm.STATES)
    assert app_states == set(am.STATES)
    assert pauses == set(am.PAUSED_STATES)
    assert outcomes == set(OUTCOMES)
    assert years >= {2022, 2023, 2024, 2025, 2026}
    assert overdue > 0 and due_soon > 0 and cases > 0
    assert SCALES["small"].tasks == 15_000


def test_the_sweeps_find_nothing_to_catch_up(app):
    from tracker.applications.services import close_lapsed_applications
    from tracker.disclosure.tasks import open_periodic_tasks

    with app.app_context():
        load(CITY, today=DAY, echo=_quiet)
        assert open_periodic_tasks(DAY) == 0
        assert close_lapsed_applications(DAY) == {"no_correction": 0, "no_payment": 0, "consultation_lapsed": 0}
        db.session.rollback()


def test_every_account_signs_in_with_the_bench_password(app, browser):
    from tracker.bench_data import LOGINS, PASSWORD

    with app.app_context():
        load(CITY, today=DAY, echo=_quiet)
    for username in LOGINS.values():
        b = type(browser)(app)
        b.login(username, PASSWORD)
        assert b.get("/dashboard").status_code == 200


def test_the_city_has_inspections_bulletins_scores_and_annual_reports_for_its_past(app):
    """Once those features exist: every finished quarter has published scores and a published
    bulletin carrying them, rectification items are in every state, the office pressed (督办) some
    overdue work, and every finished year's unit reports are accepted."""
    from tracker.bulletins.models import Bulletin
    from tracker.inspections.models import RECTIFICATION_STATES, Inspection, Rectification, Urging
    from tracker.reports.models import AnnualReport
    from tracker.scores.models import ScorePeriod

    with app.app_context():
        load(CITY, today=DAY, echo=_quiet)
        finished_quarters = 4 * (DAY.year - 2022) + 1  # 2022 Q1 … 2026 Q1
        bulletins = db.session.scalars(select(Bulletin).order_by(Bulletin.year, Bulletin.quarter)).all()
        assert [b.state for b in bulletins] == ["published"] * finished_quarters
        assert all(r.get("score") is not None for r in bulletins[-1].figures["rows"])
        published = db.session.scalar(select(func.count()).select_from(ScorePeriod).where(
            ScorePeriod.state == "published", ScorePeriod.quarter.is_not(None)))
        assert published == finished_quarters
        assert db.session.scalar(select(func.count()).select_from(Inspection)) >= 2 * (DAY.year - 2022)
        assert set(db.session.scalars(select(Rectification.state).distinct())) == set(RECTIFICATION_STATES)
        assert {u.record_type for u in db.session.scalars(select(Urging))} >= {"task", "rectification"}
        accepted = set(db.session.execute(select(AnnualReport.year, AnnualReport.state).where(
            AnnualReport.scope == "unit").distinct()))
        assert accepted == {(year, "accepted") for year in range(2022, DAY.year)}
