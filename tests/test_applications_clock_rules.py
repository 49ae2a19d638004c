"""The reply clock cannot be bent by late entries, read against the Regulation:
each rule refused in Chinese through the service and through the form, and the pure clock never
reviving an expired period. Dates on the real 2026 calendar, computed by hand:

2026: 4月4日–6日 清明, 5月1日–5日 劳动节 (5月9日 Saturday worked), 6月19日 端午,
9月25日 中秋 (9月20日 Sunday worked), 10月1日–7日 国庆 (10月10日 Saturday worked).
"""
from datetime import date, datetime, timezone

import pytest
import time_machine

from tracker.accounts.models import User
from tracker.applications import clock
from tracker.applications import services as s
from tracker.applications.clock import ClockEvent, compute_deadline
from tracker.applications.models import Application
from tracker.errors import ServiceError
from tracker.extensions import db
from tracker.workcal.engine import WorkCalendar

# Acts dated months before the day they are recorded here: the 补录 rules are tested on their own.
pytestmark = pytest.mark.usefixtures("recorded_history")

D = date
CAL = WorkCalendar()


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc), tick=False):
        yield


@pytest.fixture
def people(make):
    unit = make.unit(name="民政局")
    return {"unit": unit, "office": make.user("office", unit=make.unit(kind="office")),
            "contact": make.user("contact", unit=unit), "reviewer": make.user("reviewer", unit=unit)}


def get(model, obj):
    return db.session.get(model, obj.id)


def ev(kind, day, **details):
    return ClockEvent(kind, day, details)


def act(client, a, action, **fields):
    return client.post(f"/applications/{a.id}/act/{action}", {f"{action}-{k}": v for k, v in fields.items()})


# --- Art. 32: no consultation once the period is over; 15 days from the letter's receipt ---------


def test_art32_a_consultation_cannot_start_after_the_reply_deadline(app, make, login, people):
    a = make.application(people["unit"], D(2026, 4, 1))  # due 2026-04-30
    with app.app_context():
        with pytest.raises(ServiceError, match=r"答复期限（2026-04-30）已过，不能再征求意见"):
            s.start_consultation(get(Application, a), D(2026, 5, 6), "third_party", "某公司",
                                 actor=get(User, people["contact"]))
        db.session.rollback()
    r = act(login(people["contact"]), a, "consultation", sent_on="2026-05-06", party_kind="third_party", party="某公司")
    assert r.status_code == 422 and "不能再征求意见" in r.get_data(as_text=True)
    with app.app_context():
        a = get(Application, a)
        assert a.state == "open" and a.due_date == D(2026, 4, 30) and [e.kind for e in a.events] == ["registered"]


def test_art32_a_late_consultation_in_the_record_does_not_revive_the_period():
    events = [ev(clock.CONSULTATION_SENT, D(2026, 5, 6)), ev(clock.CONSULTATION_ANSWERED, D(2026, 5, 20))]
    r = compute_deadline(D(2026, 4, 1), events, CAL)
    assert r.due_date == D(2026, 4, 30) and r.paused_days == 0
    assert r.expired_events == (clock.CONSULTATION_SENT,)


def test_art32_the_fifteen_days_run_from_the_day_the_letter_was_received():
    # letter out 9月22日, received 9月23日: 15 working days after the 23rd = 10月21日
    r = compute_deadline(D(2026, 9, 15), [ev(clock.CONSULTATION_SENT, D(2026, 9, 22), delivered_on="2026-09-23")], CAL)
    assert r.open_pause.due == D(2026, 10, 21) and r.open_pause.delivered_on == D(2026, 9, 23)
    # the clock still stops on the day the letter went out
    answered = compute_deadline(D(2026, 9, 15), [ev(clock.CONSULTATION_SENT, D(2026, 9, 22), delivered_on="2026-09-23"),
                                                 ev(clock.CONSULTATION_ANSWERED, D(2026, 10, 9))], CAL)
    assert answered.paused_days == 7 and answered.due_date == D(2026, 10, 28)


@time_machine.travel(datetime(2026, 9, 30, 2, 0, tzinfo=timezone.utc), tick=False)  # the letter's 15 days still run
def test_art32_only_the_sending_day_known_the_delivery_is_presumed_and_the_page_says_so(app, make, login, people):
    a = make.application(people["unit"], D(2026, 9, 15))
    contact = login(people["contact"])
    r = act(contact, a, "consultation", sent_on="2026-09-22", party_kind="third_party", party="某建筑公司")
    assert r.status_code == 302
    with app.app_context():
        a = get(Application, a)
        sent = a.events[-1]
        assert sent.details["delivered_on"] == "2026-09-25" and sent.details["delivery_estimated"] is True
        # presumed received 9月25日 (中秋): 15 working days = 10月22日, not 10月20日 from the sending day
        assert a.pause_due == D(2026, 10, 22)
    page = contact.get(f"/applications/{a.id}").get_data(as_text=True)
    assert "未登记实际送达日期：按发出后邮程3日推定送达" in page
    # the receipt card comes back: the real day replaces the presumed one
    assert act(contact, a, "delivery", delivered_on="2026-09-23").status_code == 302
    with app.app_context():
        a = get(Application, a)
        assert a.pause_due == D(2026, 10, 21) and a.events[-1].kind == clock.LETTER_DELIVERED
    r = act(contact, a, "delivery", delivered_on="2026-09-24")
    assert r.status_code == 422 and "不能重复登记" in r.get_data(as_text=True)


def test_the_postal_allowance_is_a_setting(app, make, people):
    a = make.application(people["unit"], D(2026, 9, 15))
    app.config["POSTAL_ALLOWANCE_DAYS"] = 7
    try:
        with app.app_context():
            a = get(Application, a)
            s.start_consultation(a, D(2026, 9, 22), "agency", "市财政局", actor=get(User, people["contact"]))
            assert a.events[-1].details["delivered_on"] == "2026-09-29"
            assert a.pause_due == D(2026, 10, 26)
            assert "按发出后邮程7日推定" in s.event_notes(a.events[-1].details)[-1]
    finally:
        app.config["POSTAL_ALLOWANCE_DAYS"] = 3


# --- 109号: the 20 payment days run from receipt of the notice; no payment after them ------------


def test_109_the_payment_days_run_from_the_presumed_receipt_of_the_notice(app, make, login, people):
    a = make.application(people["unit"], D(2026, 6, 1))
    contact = login(people["contact"])
    assert act(contact, a, "fee", sent_on="2026-06-10", method="volume", quantity="250").status_code == 302
    with app.app_context():
        # presumed received 6月13日: pay by 7月13日 (from the sending day it would be 7月9日)
        assert get(Application, a).pause_due == D(2026, 7, 13)
    assert "按发出后邮程3日推定" in contact.get(f"/applications/{a.id}").get_data(as_text=True)


def test_109_a_payment_after_the_pay_by_day_is_refused_unless_the_office_gives_a_reason(app, make, login, people):
    a = make.application(people["unit"], D(2026, 6, 1))
    with app.app_context():
        s.send_fee_notice(get(Application, a), D(2026, 6, 10), D(2026, 6, 12), "volume", 250,
                          actor=get(User, people["contact"]))  # pay by 7月13日
        db.session.commit()
    contact, office = login(people["contact"]), login(people["office"])
    r = act(contact, a, "payment", paid_on="2026-07-14")
    assert r.status_code == 422 and "缴费期限（2026-07-13）已过" in r.get_data(as_text=True)
    r = act(contact, a, "payment", paid_on="2026-07-14", late_reason="申请人说在外地")
    assert r.status_code == 422 and "由公开办填写理由" in r.get_data(as_text=True)
    r = act(office, a, "payment", paid_on="2026-07-14")
    assert r.status_code == 422 and "须写明理由" in r.get_data(as_text=True)
    with app.app_context():
        assert get(Application, a).state == "fee"
    r = act(office, a, "payment", paid_on="2026-07-14", late_reason="申请人7月13日住院，已提交医院证明")
    assert r.status_code == 302
    with app.app_context():
        a = get(Application, a)
        assert a.state == "open" and a.events[-1].details["late_reason"] == "申请人7月13日住院，已提交医院证明"
    page = office.get(f"/applications/{a.id}").get_data(as_text=True)
    assert "逾期缴费理由：申请人7月13日住院，已提交医院证明" in page


def test_109_paying_on_the_last_day_is_in_time(app, make, people):
    a = make.application(people["unit"], D(2026, 6, 1))
    with app.app_context():
        a, contact = get(Application, a), get(User, people["contact"])
        s.send_fee_notice(a, D(2026, 6, 10), D(2026, 6, 12), "volume", 250, actor=contact)
        s.record_payment(a, D(2026, 7, 13), actor=contact)
        assert a.state == "open" and "late_reason" not in a.events[-1].details


# --- Art. 33: the extension notice goes out within the period; once per period -----------------------


def test_art33_the_extension_notice_must_go_out_within_the_period(app, make, login, people):
    a = make.application(people["unit"], D(2026, 4, 1))  # due 2026-04-30
    reviewer = login(people["reviewer"])
    r = act(reviewer, a, "extension", days="10", approved_on="2026-04-28", notice_sent_on="2026-05-06",
            reason="需要调取档案")
    assert r.status_code == 422 and "延期告知应在答复期限（2026-04-30）届满前发出" in r.get_data(as_text=True)
    assert act(reviewer, a, "extension", days="10", approved_on="2026-04-28", notice_sent_on="2026-04-30",
               reason="需要调取档案").status_code == 302
    with app.app_context():
        assert get(Application, a).due_date == D(2026, 5, 18)  # 4月30日 + 10, over 劳动节, counting 5月9日


def test_art33_an_extension_discarded_by_a_correction_restart_does_not_use_up_the_one_extension(app, make, people):
    a = make.application(people["unit"], D(2026, 11, 2))
    with app.app_context():
        a, contact, reviewer = get(Application, a), get(User, people["contact"]), get(User, people["reviewer"])
        s.extend(a, 5, D(2026, 11, 3), D(2026, 11, 3), "需要调取档案", actor=reviewer)
        s.request_correction(a, D(2026, 11, 4), None, "请写明文号", actor=contact)
        s.receive_correction(a, D(2026, 11, 10), actor=contact)  # Art. 30: the period runs afresh
        result = s.clock_result(a)
        assert a.due_date == D(2026, 12, 8) and result.extension_days == 0 and result.extensions_discarded == 5
        s.extend(a, 20, D(2026, 11, 11), D(2026, 11, 11), "涉及多个科室", actor=reviewer)  # the clock and the check agree
        assert s.clock_result(a).extension_days == 20
        with pytest.raises(ServiceError, match="只能延长一次"):
            s.extend(a, 5, D(2026, 11, 12), D(2026, 11, 12), "再延", actor=reviewer)


def test_art33_the_pure_clock_discards_an_extension_granted_before_a_restart():
    events = [ev(clock.EXTENSION, D(2026, 11, 3), days=5), ev(clock.CORRECTION_SENT, D(2026, 11, 4), due="2026-11-30"),
              ev(clock.CORRECTION_RECEIVED, D(2026, 11, 10))]
    r = compute_deadline(D(2026, 11, 2), events, CAL)
    assert r.due_date == D(2026, 12, 8) and r.extension_days == 0 and r.extensions_discarded == 5


# --- Art. 30: a late correction request is flagged; after the deadline it is refused ----------------


def test_art30_a_correction_after_seven_working_days_is_flagged_and_after_the_deadline_refused(app, make, login,
                                                                                               people):
    late = make.application(people["unit"], D(2026, 9, 1))   # 7 working days: 9月10日
    expired = make.application(people["unit"], D(2026, 4, 1))  # due 2026-04-30
    contact = login(people["contact"])
    assert act(contact, late, "correction", sent_on="2026-09-11", items="请写明文件名称").status_code == 302
    with app.app_context():
        assert get(Application, late).correction_late and get(Application, late).state == "correction"
    r = act(contact, expired, "correction", sent_on="2026-05-06", items="请写明文件名称")
    assert r.status_code == 422 and "答复期限（2026-04-30）已过，不能再发出补正告知" in r.get_data(as_text=True)
    with app.app_context():
        assert get(Application, expired).state == "open" and get(Application, expired).due_date == D(2026, 4, 30)


def test_art30_a_correction_recorded_after_expiry_neither_suspends_nor_restarts_the_clock():
    events = [ev(clock.CORRECTION_SENT, D(2026, 5, 6), due="2026-05-20"), ev(clock.CORRECTION_RECEIVED, D(2026, 5, 8))]
    r = compute_deadline(D(2026, 4, 1), events, CAL)
    assert r.due_date == D(2026, 4, 30) and not r.restarted and not r.suspended
    assert r.expired_events == (clock.CORRECTION_SENT,)


# --- every legal date within sane bounds -------------------------------------------------------------


def _open(app, make, people):
    return make.application(people["unit"], D(2026, 6, 1))


def _in_fee(app, make, people):
    a = make.application(people["unit"], D(2026, 6, 1))
    with app.app_context():
        s.send_fee_notice(get(Application, a), D(2026, 6, 10), None, "volume", 250, actor=get(User, people["contact"]))
        db.session.commit()
    return a


@pytest.mark.parametrize("setup, action, fields, message", [
    (_open, "correction", {"sent_on": "2026-06-02", "due_on": "2028-06-01", "items": "请补充"}, "一年以内"),
    (_open, "correction", {"sent_on": "2026-11-21", "items": "请补充"}, "不能晚于今天"),
    (_open, "correction", {"sent_on": "2026-05-29", "items": "请补充"}, "不能早于"),
    (_open, "consultation", {"sent_on": "2026-06-02", "delivered_on": "2026-11-21", "party_kind": "agency",
                             "party": "市财政局"}, "不能晚于今天"),
    (_open, "consultation", {"sent_on": "2026-06-05", "delivered_on": "2026-06-04", "party_kind": "agency",
                             "party": "市财政局"}, "不能早于发出日期"),
    (_open, "fee", {"sent_on": "2026-06-10", "delivered_on": "2026-11-21", "method": "volume", "quantity": "250"},
     "不能晚于今天"),
    (_open, "fee", {"sent_on": "2026-06-10", "delivered_on": "2026-06-09", "method": "volume", "quantity": "250"},
     "不能早于发出日期"),
    (_open, "case", {"kind": "reconsideration", "filed_on": "2026-05-01", "result": "pending"}, "不能早于收到申请日期"),
    (_open, "withdraw", {"withdrawn_on": "2026-05-31"}, "不能早于收到申请日期"),
    (_open, "reply", {"outcome": "grant", "reply_date": "2026-11-21", "delivery": "signed",
                      "delivered_on": "2026-11-21"}, "不能晚于今天"),
    (_in_fee, "payment", {"paid_on": "2026-06-09"}, "不能早于收费通知发出日期"),
    (_in_fee, "delivery", {"delivered_on": "2026-06-09"}, "不能早于收费通知发出日期"),
    (_in_fee, "delivery", {"delivered_on": "2026-11-21"}, "不能晚于今天"),
])
def test_every_legal_date_is_bounded_and_a_bad_one_changes_nothing(app, make, login, people, setup, action, fields,
                                                                   message):
    a = setup(app, make, people)
    with app.app_context():
        before = (get(Application, a).state, len(get(Application, a).events))
    r = act(login(people["office"]), a, action, **fields)
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    with app.app_context():
        assert (get(Application, a).state, len(get(Application, a).events)) == before


def test_a_receipt_date_outside_the_calendar_is_refused(make, people):
    with pytest.raises(ServiceError, match="超出工作日历的范围"):
        make.application(people["unit"], D(1999, 3, 1))
