"""Entries made late or out of order cannot bend the reply clock (Art. 30, 32, 33, 42; 国办函〔2020〕109号),
through the services the pages call and, for what used to crash, through the page.

* A delivery day entered after the presumed period ended carries a reason, is shown as such, and
  never revives a period that had lapsed before it was entered.
* A payment dated before the notice's recorded delivery day is refused with a message.
* A corrected application received after the applicant's deadline is refused (逾期不补正), unless
  the office records why it accepts it.
* Withdrawal and the extension's approval cannot precede the previous act.
* An act entered more than three working days after its own date (补录) asks for a reason, is marked
  on the application, in the audit log and on the supervision page, and never moves a deadline that
  had already passed when it was entered without the office's explicit confirmation.

Dates on the 2026 calendar (9月20日 Sunday worked; 9月25日 中秋; 10月1日–7日 国庆, 10月10日 worked).
"""
from datetime import date, datetime, time

import pytest
import time_machine
from sqlalchemy import select

from tracker.accounts.models import User
from tracker.applications import clock
from tracker.applications import services as s
from tracker.applications.models import Application
from tracker.audit.models import AuditEvent
from tracker.errors import ServiceError
from tracker.extensions import db
from tracker.timeutil import CHINA

D = date


def on(day: date):
    """Act on ``day`` (10:00 in China): the day the entry is made."""
    return time_machine.travel(datetime.combine(day, time(10, 0), CHINA), tick=False)


@pytest.fixture
def people(make):
    unit = make.unit(name="民政局")
    return {"unit": unit, "office": make.user("office", unit=make.unit(kind="office")),
            "contact": make.user("contact", unit=unit), "reviewer": make.user("reviewer", unit=unit)}


def get(model, obj):
    return db.session.get(model, obj.id)


def received(make, people, day):
    """An application registered on the day it was received."""
    with on(day):
        return make.application(people["unit"], day)


def act(client, a, action, **fields):
    return client.post(f"/applications/{a.id}/act/{action}", {f"{action}-{k}": v for k, v in fields.items()})


# --- the late delivery day -------------------------------------------------------------------------

def _fee_notice_without_delivery(app, make, people):
    """Received 9月1日; fee notice sent 9月3日, delivery presumed 9月6日: pay by 10月9日."""
    a = received(make, people, D(2026, 9, 1))
    with on(D(2026, 9, 3)), app.app_context():
        s.send_fee_notice(get(Application, a), D(2026, 9, 3), None, "volume", 250, actor=get(User, people["contact"]))
        db.session.commit()
        assert get(Application, a).pause_due == D(2026, 10, 9)
    return a


def test_a_delivery_day_entered_after_the_presumed_period_needs_a_reason_and_keeps_the_lapse(app, make, people):
    a = _fee_notice_without_delivery(app, make, people)
    with on(D(2026, 11, 20)), app.app_context():  # the pay-by day passed; the sweep has not closed it yet
        contact = get(User, people["contact"])
        with pytest.raises(ServiceError, match=r"缴费期限（2026-10-09）已于录入前届满.*写明理由"):
            s.record_delivery(get(Application, a), D(2026, 10, 20), actor=contact)
        db.session.rollback()
        s.record_delivery(get(Application, a), D(2026, 10, 20), actor=contact, entry_reason="回执今天才寄回")
        db.session.commit()
        row = get(Application, a)
        assert row.pause_due == D(2026, 10, 9)  # not revived: received 10月20日 would give 11月17日
        delivered = row.events[-1]
        assert delivered.kind == clock.LETTER_DELIVERED and delivered.late_entry
        assert delivered.details["held_due"] == "2026-10-09"
        # the payment of 11月10日 is late all the same: the reason record_payment demands is still demanded
        with pytest.raises(ServiceError, match=r"缴费期限（2026-10-09）已过"):
            s.record_payment(get(Application, a), D(2026, 11, 10), actor=contact)
        db.session.rollback()
        assert s.close_lapsed_applications(D(2026, 11, 20))["no_payment"] == 1
        db.session.commit()
        assert get(Application, a).outcome == "other.no_payment"


def test_the_office_may_confirm_a_late_delivery_day_and_the_change_is_in_the_history(app, make, people, login):
    a = _fee_notice_without_delivery(app, make, people)
    with on(D(2026, 11, 20)):
        r = act(login(people["office"]), a, "delivery", delivered_on="2026-10-20", entry_reason="回执原件已核对",
                confirm_move="y")
        assert r.status_code == 302, r.get_data(as_text=True)[:400]
        with app.app_context():
            row = get(Application, a)
            assert row.pause_due == D(2026, 11, 17) and row.events[-1].details.get("confirmed_by")
        page = login(people["office"]).get(f"/applications/{a.id}").get_data(as_text=True)
    assert "补录" in page and "回执原件已核对" in page


def test_a_lapsed_consultation_is_not_revived_by_a_delivery_day_entered_after_the_lapse(app, make, people):
    a = received(make, people, D(2026, 11, 2))
    with on(D(2026, 11, 5)), app.app_context():
        s.start_consultation(get(Application, a), D(2026, 11, 5), "third_party", "某公司", actor=get(User, people["contact"]))
        db.session.commit()
        lapse = get(Application, a).pause_due  # 15 working days from the presumed 11月8日
    assert lapse < D(2026, 12, 10)
    with on(D(2026, 12, 10)), app.app_context():
        contact = get(User, people["contact"])
        s.record_delivery(get(Application, a), D(2026, 11, 20), actor=contact, entry_reason="对方回执遗失，今日补登")
        db.session.commit()
        assert get(Application, a).pause_due == lapse  # received 11月20日 would run to 12月11日: not revived
        assert s.close_lapsed_applications(D(2026, 12, 10))["consultation_lapsed"] == 1
        db.session.commit()
        assert get(Application, a).state == "open"


# --- the payment before the delivery --------------------------------------------------------------

def test_a_payment_dated_before_the_recorded_delivery_is_refused_not_a_crash(app, make, people, login):
    a = received(make, people, D(2026, 9, 1))
    with on(D(2026, 9, 8)):  # the notice of 9月3日 entered three working days later, with its receipt card
        with app.app_context():
            s.send_fee_notice(get(Application, a), D(2026, 9, 3), D(2026, 9, 8), "volume", 250,
                              actor=get(User, people["contact"]))
            db.session.commit()
            with pytest.raises(ServiceError, match=r"缴费日期不能早于申请人收到收费通知的日期（2026-09-08）"):
                s.record_payment(get(Application, a), D(2026, 9, 7), actor=get(User, people["contact"]))
            db.session.rollback()
        r = act(login(people["contact"]), a, "payment", paid_on="2026-09-07")
        assert r.status_code == 422 and "不能早于申请人收到收费通知的日期" in r.get_data(as_text=True)
    with app.app_context():
        assert get(Application, a).state == "fee"


# --- the correction received after its deadline -----------------------------------------------------

def test_a_correction_received_after_the_deadline_is_refused_unless_the_office_says_why(app, make, people, login):
    a = received(make, people, D(2026, 3, 2))
    with on(D(2026, 3, 5)), app.app_context():
        s.request_correction(get(Application, a), D(2026, 3, 5), D(2026, 3, 16), "请写明文件名称",
                             actor=get(User, people["contact"]))
        db.session.commit()
    with on(D(2026, 3, 20)):
        r = act(login(people["contact"]), a, "correction_received", received_on="2026-03-18")
        assert r.status_code == 422 and "补正期限（2026-03-16）已过" in r.get_data(as_text=True)
        office = login(people["office"])
        r = act(office, a, "correction_received", received_on="2026-03-18")
        assert r.status_code == 422 and "接受逾期补正须写明理由" in r.get_data(as_text=True)
        with app.app_context():
            assert get(Application, a).state == "correction"
        r = act(office, a, "correction_received", received_on="2026-03-18", late_reason="邮戳显示3月14日已寄出")
        assert r.status_code == 302
        with app.app_context():
            row = get(Application, a)
            assert row.state == "open" and row.events[-1].details["late_reason"] == "邮戳显示3月14日已寄出"
        assert "逾期补正理由：邮戳显示3月14日已寄出" in office.get(f"/applications/{a.id}").get_data(as_text=True)


def test_a_correction_received_on_its_last_day_is_in_time(app, make, people):
    a = received(make, people, D(2026, 3, 2))
    with on(D(2026, 3, 5)), app.app_context():
        s.request_correction(get(Application, a), D(2026, 3, 5), D(2026, 3, 16), "请写明文件名称",
                             actor=get(User, people["contact"]))
        db.session.commit()
    with on(D(2026, 3, 16)), app.app_context():
        s.receive_correction(get(Application, a), D(2026, 3, 16), actor=get(User, people["contact"]))
        db.session.commit()
        assert get(Application, a).due_date == D(2026, 4, 14)


# --- no act before the previous one -------------------------------------------------------------------

def test_withdrawal_and_the_extension_cannot_precede_the_previous_act(app, make, people):
    a = received(make, people, D(2026, 11, 2))
    with on(D(2026, 11, 6)), app.app_context():
        s.start_consultation(get(Application, a), D(2026, 11, 5), "third_party", "某公司", D(2026, 11, 6),
                             actor=get(User, people["contact"]))
        db.session.commit()
    with on(D(2026, 11, 12)), app.app_context():
        s.end_consultation(get(Application, a), D(2026, 11, 12), "同意公开", actor=get(User, people["contact"]))
        db.session.commit()
    with on(D(2026, 11, 13)), app.app_context():
        contact, reviewer = get(User, people["contact"]), get(User, people["reviewer"])
        with pytest.raises(ServiceError, match=r"撤回日期不能早于上一办理事项日期（2026-11-12）"):
            s.withdraw(get(Application, a), D(2026, 11, 10), actor=contact)
        db.session.rollback()
        with pytest.raises(ServiceError, match=r"批准日期不能早于上一办理事项日期（2026-11-12）"):
            s.extend(get(Application, a), 10, D(2026, 11, 10), D(2026, 11, 13), "工作量大", actor=reviewer)
        db.session.rollback()
        row = get(Application, a)
        assert row.state == "open" and [e.kind for e in row.events][-1] == clock.CONSULTATION_ANSWERED


# --- 补录: an act entered long after its date ------------------------------------------------------------

def test_an_act_entered_weeks_after_its_date_asks_for_a_reason_and_is_marked_everywhere(app, make, people, login):
    a = received(make, people, D(2026, 11, 2))
    with on(D(2026, 11, 20)):  # the consultation of 11月5日, entered eleven working days later
        contact = login(people["contact"])
        r = act(contact, a, "consultation", sent_on="2026-11-05", delivered_on="2026-11-06", party_kind="third_party",
                party="某公司")
        assert r.status_code == 422 and "请写明补录理由" in r.get_data(as_text=True)
        with app.app_context():
            assert get(Application, a).state == "open"
        r = act(contact, a, "consultation", sent_on="2026-11-05", delivered_on="2026-11-06", party_kind="third_party",
                party="某公司", entry_reason="经办人出差，纸质函件今天交回")
        assert r.status_code == 302
        with app.app_context():
            row = get(Application, a)
            event = row.events[-1]
            assert event.late_entry and event.entered_on == D(2026, 11, 20)
            assert event.details["entry_reason"] == "经办人出差，纸质函件今天交回"
            audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "application.start_consultation")
                                       ).all()[-1]
            assert "补录" in (audit.note or "")
        page = contact.get(f"/applications/{a.id}").get_data(as_text=True)
        assert "补录" in page and "经办人出差，纸质函件今天交回" in page
        supervision = login(people["office"]).get("/disclosure/supervision").get_data(as_text=True)
    assert "补录" in supervision and row.tracking_code in supervision


def test_an_act_entered_within_three_working_days_is_not_a_late_entry(app, make, people):
    a = received(make, people, D(2026, 11, 2))
    with on(D(2026, 11, 10)), app.app_context():  # 11月5日 entered on the 10th: three working days later
        s.start_consultation(get(Application, a), D(2026, 11, 5), "third_party", "某公司", D(2026, 11, 6),
                             actor=get(User, people["contact"]))
        db.session.commit()
        assert not get(Application, a).events[-1].late_entry


def test_a_late_entry_never_moves_a_passed_deadline_without_the_offices_confirmation(app, make, people, login):
    """A correction notice dated in March entered in December would turn an application long due
    (30 March) into one awaiting correction: refused, unless the office confirms."""
    a = received(make, people, D(2026, 3, 2))  # due 2026-03-30
    with on(D(2026, 12, 1)):
        contact = login(people["contact"])
        r = act(contact, a, "correction", sent_on="2026-03-05", due_on="2026-03-16", items="请写明文件名称",
                entry_reason="补登纸质档案")
        assert r.status_code == 422 and "答复期限（2026-03-30）在录入前已届满" in r.get_data(as_text=True)
        office = login(people["office"])
        r = act(office, a, "correction", sent_on="2026-03-05", due_on="2026-03-16", items="请写明文件名称",
                entry_reason="补登纸质档案")
        assert r.status_code == 422 and "确认变更已届满的期限" in r.get_data(as_text=True)
        with app.app_context():
            row = get(Application, a)
            assert row.state == "open" and row.due_date == D(2026, 3, 30)
        r = act(office, a, "correction", sent_on="2026-03-05", due_on="2026-03-16", items="请写明文件名称",
                entry_reason="补登纸质档案", confirm_move="y")
        assert r.status_code == 302
        with app.app_context():
            row = get(Application, a)
            assert row.state == "correction" and row.events[-1].details["confirmed_by"]


def test_an_act_that_leaves_a_passed_deadline_where_it_was_needs_no_confirmation(app, make, people):
    """A late reply entered late moves no deadline: a reason is enough."""
    a = received(make, people, D(2026, 3, 2))
    with on(D(2026, 12, 1)), app.app_context():
        s.reply(get(Application, a), "grant", D(2026, 4, 2), "post", D(2026, 4, 3), actor=get(User, people["contact"]),
                entry_reason="补登纸质档案")
        db.session.commit()
        row = get(Application, a)
        assert row.state == "replied" and row.reply_late and row.events[-1].late_entry
