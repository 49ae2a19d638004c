"""社会评议 (Art. 47): the applicant rates a replied application once, within the rating period, on
the status page; the office sees who rated and handles a 不满意; units and leaders see counts only;
the ratings reach the unit's page, the bulletin's figures and an optional scores rule."""
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from tracker.applications import ratings
from tracker.applications.models import Application, ApplicationRating
from tracker.applications.services import hash_query_password, reply
from tracker.audit.models import AuditEvent
from tracker.errors import ServiceError
from tracker.extensions import db
from tracker.timeutil import CHINA

pytestmark = [pytest.mark.on_day("2026-11-27"), pytest.mark.usefixtures("recorded_history")]
PASSWORD = "RATEPASS23"


def _replied(app, make, unit, reply_date=date(2026, 11, 20)):
    """An application of ``unit`` replied on ``reply_date``, with a known query password."""
    application = make.application(unit, reply_date - timedelta(days=14))
    with app.app_context():
        a = db.session.get(Application, application.id)
        reply(a, "grant", reply_date, "signed", reply_date)
        a.query_password_hash = hash_query_password(PASSWORD)
        db.session.commit()
        return a.id, a.tracking_code


# --- the rules -----------------------------------------------------------------------------------

def test_a_replied_application_is_rated_once_with_a_reason_when_not_satisfied(app, make):
    app_id, _ = _replied(app, make, make.unit())
    with app.app_context():
        a = db.session.get(Application, app_id)
        assert ratings.rate_until(a) == date(2026, 12, 20)
        with pytest.raises(ServiceError, match="请选择主要原因"):
            ratings.rate(a, "dissatisfied", "", "")
        r = ratings.rate(a, "dissatisfied", "incomplete", "  只给了一半  ")
        assert (r.level, r.reason, r.comment, r.unit_id, r.waiting) == ("dissatisfied", "incomplete", "只给了一半",
                                                                         a.unit_id, True)
        with pytest.raises(ServiceError, match="已评价"):
            ratings.rate(a, "satisfied", None, None)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "application.rate"))
        assert event.after == {"level": "dissatisfied", "reason": "incomplete"} and "只给了一半" not in str(event.after)


def test_an_application_not_yet_replied_or_past_the_rating_period_cannot_be_rated(app, make):
    unit = make.unit()
    open_app = make.application(unit, date(2026, 11, 2))
    app_id, _ = _replied(app, make, unit, reply_date=date(2026, 10, 20))
    with app.app_context():
        with pytest.raises(ServiceError, match="答复后才能评价"):
            ratings.rate(db.session.get(Application, open_app.id), "satisfied", None, None)
        with pytest.raises(ServiceError, match="评价期限已过"):  # replied 2026-10-20: until 2026-11-19
            ratings.rate(db.session.get(Application, app_id), "satisfied", None, None)
        saved, app.config["APPLICATION_RATING_DAYS"] = app.config["APPLICATION_RATING_DAYS"], 60
        try:
            assert ratings.rate(db.session.get(Application, app_id), "satisfied", "late", None).reason is None
        finally:
            app.config["APPLICATION_RATING_DAYS"] = saved


def test_staff_cannot_rate(app, make):
    unit = make.unit()
    contact = make.user("contact", unit=unit)
    app_id, _ = _replied(app, make, unit)
    with app.app_context():
        with pytest.raises(ratings.Forbidden):
            ratings.rate(db.session.get(Application, app_id), "satisfied", None, None, actor=contact)


def test_counts_per_unit_in_one_query_with_the_satisfaction_rate(app, make):
    unit = make.unit()
    levels = [("satisfied", None), ("basic", "unclear"), ("dissatisfied", "late")]
    ids = [_replied(app, make, unit)[0] for _ in levels]
    with app.app_context():
        for app_id, (level, reason) in zip(ids, levels):
            ratings.rate(db.session.get(Application, app_id), level, reason, None)
        counts = ratings.counts_by_unit(date(2026, 10, 1), date(2026, 12, 31))[unit.id]
        assert (counts.rated, counts.satisfied, counts.basic, counts.dissatisfied, counts.waiting) == (3, 1, 1, 1, 1)
        assert counts.satisfaction == "66.7%"
        assert ratings.counts_by_unit(date(2026, 7, 1), date(2026, 9, 30)) == {}


# --- the pages -----------------------------------------------------------------------------------

def _look_up(browser, code):
    return browser.post("/apply/status", {"code": code, "password": PASSWORD}).get_data(as_text=True)


def test_the_applicant_rates_on_the_status_page_and_the_office_handles_the_dissatisfaction(app, make, browser, login):
    office_user = make.user("office", unit=make.unit(kind="office"))
    unit = make.unit(name="民政局")
    contact = make.user("contact", unit=unit)
    app_id, code = _replied(app, make, unit)
    assert browser.post("/apply/status/rating", {"level": "satisfied"}).status_code == 200  # no lookup: nothing
    page = _look_up(browser, code)
    assert 'id="btn-rate"' in page and "2026-12-20（周日） 前评价" in page
    r = browser.post("/apply/status/rating", {"level": "dissatisfied", "reason": "", "comment": ""})
    assert r.status_code == 422 and "请选择主要原因" in r.get_data(as_text=True)
    r = browser.post("/apply/status/rating", {"level": "dissatisfied", "reason": "incomplete", "comment": "缺附件"})
    assert r.status_code == 200 and "感谢您的评价" in r.get_data(as_text=True)
    page = _look_up(browser, code)
    assert 'id="btn-rate"' not in page and "不满意" in page
    # a contact of the unit who knows the code and the password still cannot rate
    staff = login(contact)
    staff.post("/apply/status", {"code": code, "password": PASSWORD})
    with app.app_context():
        db.session.execute(db.delete(ApplicationRating))
        db.session.commit()
    assert staff.post("/apply/status/rating", {"level": "satisfied"}).status_code == 403
    browser.post("/apply/status/rating", {"level": "dissatisfied", "reason": "incomplete", "comment": "缺附件"})
    # the contact sees neither the rating on the record nor the list of ratings
    assert "缺附件" not in staff.get(f"/applications/{app_id}").get_data(as_text=True)
    assert staff.get("/applications/ratings").status_code == 403
    # the office: in its 待办, on the record, handled once
    office = login(office_user)
    assert "社会评议不满意待处理" in office.get("/dashboard").get_data(as_text=True)
    detail = office.get(f"/applications/{app_id}").get_data(as_text=True)
    assert "缺附件" in detail and 'id="btn-rating-handled"' in detail
    assert "缺附件" in office.get("/applications/ratings").get_data(as_text=True)
    assert office.post(f"/applications/{app_id}/rating/handled", {"note": "已电话沟通，补发附件"}).status_code == 303
    assert "社会评议不满意待处理" not in office.get("/dashboard").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "application.rating_handled")) == 1


def test_the_status_page_says_when_the_rating_period_has_ended(app, make, browser):
    unit = make.unit()
    _, code = _replied(app, make, unit, reply_date=date(2026, 11, 20))
    with time_machine.travel(datetime.combine(date(2026, 12, 21), time(9), CHINA), tick=False):
        page = _look_up(browser, code)
    assert 'id="btn-rate"' not in page and "评价期限已于 2026-12-20（周日） 届满" in page


def test_the_rating_is_counted_in_the_bulletin_figures(app, make):
    from tracker.bulletins import figures
    from tracker.bulletins.quarters import Quarter
    unit = make.unit()
    app_id, _ = _replied(app, make, unit)
    with app.app_context():
        ratings.rate(db.session.get(Application, app_id), "basic", "unclear", None)
        data = figures.compute(Quarter(2026, 4), date(2026, 11, 27))
        row = next(r for r in data["rows"] if r["unit_id"] == unit.id)
        assert (row["ratings"], row["rating_satisfied"], row["rating_basic"], row["rating_dissatisfied"]) == (1, 0, 1, 0)
        assert data["totals"]["ratings"] == 1 and data["totals"]["rating_rate"] == "100.0%"


def test_the_unit_page_shows_the_years_ratings_as_counts_to_the_office_leaders_and_the_unit(app, make, login):
    office_user = make.user("office", unit=make.unit(kind="office"))
    unit = make.unit(name="民政局")
    contact, leader = make.user("contact", unit=unit), make.user("leader")
    app_id, code = _replied(app, make, unit)
    with app.app_context():
        ratings.rate(db.session.get(Application, app_id), "dissatisfied", "late", "太慢了")
        db.session.commit()
        applicant = db.session.get(Application, app_id).applicant_name
    for user in (office_user, leader, contact):
        page = login(user).get(f"/units/{unit.id}").get_data(as_text=True)
        card = page[page.index('id="unit-ratings"'):][:1500]
        assert "评议 <strong>1</strong> 件" in card and "答复不及时 1" in card and "满意率 0.0%" in card
        assert applicant not in card and code not in card and "太慢了" not in card
    assert "1 件不满意待处理" in login(office_user).get(f"/units/{unit.id}").get_data(as_text=True)


def test_the_audit_log_shows_the_rating_in_words(app, make, login):
    office_user = make.user("office", unit=make.unit(kind="office"))
    app_id, _ = _replied(app, make, make.unit())
    with app.app_context():
        ratings.rate(db.session.get(Application, app_id), "basic", "unclear", None)
        db.session.commit()
    log = login(office_user).get("/audit/").get_data(as_text=True)
    assert "申请人评价答复（社会评议）" in log and "基本满意" in log and "答复书表述不清楚" in log


def test_a_bulletin_with_ratings_exports_its_table_to_word_and_excel(app, make, login):
    from tracker.accounts.models import User
    from tracker.bulletins import services as bulletins
    from tracker.bulletins.quarters import Quarter
    office_user = make.user("office", unit=make.unit(kind="office"))
    unit = make.unit()
    app_id, _ = _replied(app, make, unit, reply_date=date(2026, 9, 10))
    with app.app_context():
        a = db.session.get(Application, app_id)
        db.session.add(ApplicationRating(application_id=a.id, unit_id=a.unit_id, level="dissatisfied", reason="late",
                                         rated_on=date(2026, 9, 12)))
        bulletin, _ = bulletins.draft(Quarter(2026, 3), date(2026, 11, 27), db.session.get(User, office_user.id))
        db.session.commit()
        assert bulletin.figures["ratings"] is True
    office = login(office_user)
    assert "社会评议" in office.get(f"/bulletins/{bulletin.id}").get_data(as_text=True)
    for kind in ("docx", "xlsx"):
        assert office.get(f"/bulletins/{bulletin.id}/export/{kind}").status_code == 200, kind
