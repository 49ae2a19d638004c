"""Registration and the named transitions of an application, on the real database, with the clock
stored on the record and every deadline change kept in the history (domain.md §3–4)."""
from datetime import date, datetime, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from tracker.accounts.models import User
from tracker.applications import services as s
from tracker.applications.models import Application, StatusLookupAttempt
from tracker.audit.models import AuditEvent
from tracker.errors import ServiceError
from tracker.extensions import db
from tracker.workcal.services import deadline_history, record_local_day

# Acts dated months before the day they are recorded here: the 补录 rules are tested on their own.
pytestmark = pytest.mark.usefixtures("recorded_history")

D = date


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc), tick=False):
        yield


@pytest.fixture
def people(make):
    office_unit = make.unit(kind="office")
    unit, other = make.unit(name="民政局"), make.unit(name="财政局")
    return {
        "unit": unit, "other": other,
        "office": make.user("office", unit=office_unit),
        "contact": make.user("contact", unit=unit),
        "reviewer": make.user("reviewer", unit=unit),
        "other_reviewer": make.user("reviewer", unit=other),
        "leader": make.user("leader"),
    }


def get(model, obj):
    return db.session.get(model, obj.id)


def test_registration_stores_receipt_date_deadline_history_and_audit(app, make, people):
    a = make.application(people["unit"], D(2026, 4, 1), channel="signed_post")
    with app.app_context():
        a = get(Application, a)
        assert a.state == "open" and a.receipt_date == D(2026, 4, 1) and a.channel == "signed_post"
        assert a.created_at.date() == D(2026, 11, 20)  # the record's creation is not the receipt date
        assert a.due_date == D(2026, 4, 30) and not a.due_provisional
        assert a.tracking_code.startswith("YSQ-2026-") and len(a.tracking_code) == 15
        history = deadline_history(a)
        assert [(h.old_due, h.new_due) for h in history] == [(None, D(2026, 4, 30))]
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "application.register", AuditEvent.object_id == str(a.id))) == 1


@pytest.mark.parametrize("field,value,message", [
    ("id_number", "12345", "身份证号码应为18位"),
    ("receipt_date", D(2026, 11, 21), "不能晚于今天"),
    ("channel", "pigeon", "渠道"),
    ("title", "", "所需信息的名称"),
])
def test_registration_refuses_bad_input_and_stores_nothing(app, make, people, field, value, message):
    with pytest.raises(ServiceError, match=message):
        make.application(people["unit"], D(2026, 4, 1), **{field: value})
    with app.app_context():
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Application)) == 0


def test_contact_registers_only_for_own_unit(app, people):
    with app.app_context():
        contact = get(User, people["contact"])
        with pytest.raises(s.Forbidden):
            s.register_application({"unit_id": people["other"].id, "channel": "in_person",
                                    "receipt_date": D(2026, 4, 1)}, actor=contact)


def test_consultation_pauses_then_moves_the_deadline_with_history(app, make, people):
    a = make.application(people["unit"], D(2026, 4, 1))
    with app.app_context():
        a, contact = get(Application, a), get(User, people["contact"])
        s.start_consultation(a, D(2026, 4, 8), "third_party", "某建筑公司", delivered_on=D(2026, 4, 8), actor=contact)
        assert a.state == "consultation" and a.due_date is None and a.pause_due == D(2026, 4, 29)
        with pytest.raises(ServiceError, match="不能执行此操作"):
            s.reply(a, "grant", D(2026, 4, 9), "signed", D(2026, 4, 9), actor=contact)
        s.end_consultation(a, D(2026, 4, 20), "同意公开", actor=contact)
        assert a.state == "open" and a.due_date == D(2026, 5, 14)
        moves = [(h.old_due, h.new_due) for h in deadline_history(a)]
        assert moves == [(None, D(2026, 4, 30)), (D(2026, 4, 30), None), (None, D(2026, 5, 14))]
        kinds = [e.kind for e in a.events]
        assert kinds == ["registered", "consultation_sent", "consultation_answered"]


def test_correction_once_restart_and_late_flag(app, make, people):
    a = make.application(people["unit"], D(2026, 9, 1))
    with app.app_context():
        a, contact = get(Application, a), get(User, people["contact"])
        s.request_correction(a, D(2026, 9, 11), D(2026, 9, 28), "请写明文件名称", actor=contact)
        assert a.state == "correction" and a.correction_late and a.due_date is None
        s.receive_correction(a, D(2026, 9, 28), actor=contact)  # on the last day the applicant had
        assert a.state == "open" and a.due_date == D(2026, 10, 30)
        with pytest.raises(ServiceError, match="只能发出一次"):
            s.request_correction(a, D(2026, 10, 8), None, "再补正", actor=contact)


def test_sweep_closes_no_correction_and_is_idempotent(app, make, people):
    a = make.application(people["unit"], D(2026, 9, 1))
    with app.app_context():
        a = get(Application, a)
        s.request_correction(a, D(2026, 9, 8), D(2026, 9, 22), "请补充", actor=get(User, people["contact"]))
        db.session.commit()
        assert s.close_lapsed_applications(D(2026, 9, 22))["no_correction"] == 0  # the deadline day itself
        assert s.close_lapsed_applications(D(2026, 9, 23))["no_correction"] == 1
        db.session.commit()
        assert s.close_lapsed_applications(D(2026, 9, 23)) == {"no_correction": 0, "no_payment": 0,
                                                                "consultation_lapsed": 0}
        a = get(Application, a)
        assert a.state == "terminated" and a.outcome == "other.no_correction" and a.closed_on == D(2026, 9, 23)
        assert [e.kind for e in a.events].count("terminated") == 1


def test_fee_notice_payment_and_no_payment_closure(app, make, people):
    paying = make.application(people["unit"], D(2026, 6, 1))
    lapsing = make.application(people["unit"], D(2026, 6, 1))
    with app.app_context():
        contact = get(User, people["contact"])
        paying, lapsing = get(Application, paying), get(Application, lapsing)
        assert s.send_fee_notice(paying, D(2026, 6, 10), D(2026, 6, 12), "volume", 250, actor=contact) == 4700
        assert paying.state == "fee" and paying.pause_due == D(2026, 7, 13)
        s.record_payment(paying, D(2026, 6, 24), actor=contact)
        assert paying.state == "open" and paying.due_date == D(2026, 7, 13)
        s.send_fee_notice(lapsing, D(2026, 6, 10), D(2026, 6, 12), "volume", 31, actor=contact)
        assert s.close_lapsed_applications(D(2026, 7, 13))["no_payment"] == 0
        assert s.close_lapsed_applications(D(2026, 7, 14))["no_payment"] == 1
        assert lapsing.state == "terminated" and lapsing.outcome == "other.no_payment"
        assert paying.state == "open"


def test_fee_notice_with_no_fee_is_refused(app, make, people):
    a = make.application(people["unit"], D(2026, 6, 1))
    with app.app_context():
        with pytest.raises(ServiceError, match="不收取"):
            s.send_fee_notice(get(Application, a), D(2026, 6, 10), None, "volume", 30,
                              actor=get(User, people["contact"]))


def test_by_item_fee_counts_the_applicants_month(app, make, people):
    first = make.application(people["unit"], D(2026, 6, 1), id_number="230102198001011234")
    second = make.application(people["unit"], D(2026, 6, 2), id_number="230102198001011234")
    with app.app_context():
        contact = get(User, people["contact"])
        assert s.send_fee_notice(get(Application, first), D(2026, 6, 3), None, "item", 25, actor=contact) == 1500
        # items 26–45 of the month: 5×100 + 10×200 + 5×300
        assert s.send_fee_notice(get(Application, second), D(2026, 6, 4), None, "item", 20, actor=contact) == 4000


def test_extension_needs_reviewer_or_office_once_at_most_twenty_days(app, make, people):
    a = make.application(people["unit"], D(2026, 4, 1))
    with app.app_context():
        a = get(Application, a)
        args = (D(2026, 4, 20), D(2026, 4, 21), "需要调取档案")
        with pytest.raises(s.Forbidden):
            s.extend(a, 20, *args, actor=get(User, people["contact"]))
        with pytest.raises(s.Forbidden):
            s.extend(a, 20, *args, actor=get(User, people["other_reviewer"]))
        with pytest.raises(s.Forbidden):
            s.extend(a, 20, *args, actor=get(User, people["leader"]))
        with pytest.raises(ServiceError, match="1至20"):
            s.extend(a, 21, *args, actor=get(User, people["reviewer"]))
        with pytest.raises(ServiceError, match="已过"):
            s.extend(a, 20, D(2026, 5, 6), D(2026, 5, 6), "晚了", actor=get(User, people["reviewer"]))
        s.extend(a, 20, *args, actor=get(User, people["reviewer"]))
        assert a.due_date == D(2026, 6, 1)
        ext = [e for e in a.events if e.kind == "extension"][0]
        assert ext.details["notice_sent_on"] == "2026-04-21" and ext.details["days"] == 20
        with pytest.raises(ServiceError, match="只能延长一次"):
            s.extend(a, 5, *args, actor=get(User, people["office"]))
        assert deadline_history(a)[-1].reason.startswith("经审批延期20")


def test_reply_records_outcome_delivery_and_lateness(app, make, people):
    on_time = make.application(people["unit"], D(2026, 4, 1))
    late = make.application(people["unit"], D(2026, 4, 1))
    with app.app_context():
        contact = get(User, people["contact"])
        on_time, late = get(Application, on_time), get(Application, late)
        with pytest.raises(ServiceError, match="办理结果"):
            s.reply(on_time, "other.no_payment", D(2026, 4, 28), "post", D(2026, 4, 29), actor=contact)
        # posted on the deadline day counts (交邮之日), even if it arrives later
        s.reply(on_time, "deny.third_party", D(2026, 4, 28), "post", D(2026, 4, 30), actor=contact)
        assert on_time.state == "replied" and not on_time.reply_late and on_time.closed_on == D(2026, 4, 30)
        s.reply(late, "grant", D(2026, 4, 30), "signed", D(2026, 5, 6), actor=contact)
        assert late.reply_late


def test_other_units_staff_cannot_touch_the_application(app, make, people):
    a = make.application(people["unit"], D(2026, 4, 1))
    with app.app_context():
        a = get(Application, a)
        with pytest.raises(s.Forbidden):
            s.reply(a, "grant", D(2026, 4, 2), "signed", D(2026, 4, 2), actor=get(User, people["other_reviewer"]))
        with pytest.raises(s.Forbidden):
            s.reply(a, "grant", D(2026, 4, 2), "signed", D(2026, 4, 2), actor=get(User, people["leader"]))


def test_return_to_office_and_route_again(app, make, people):
    a = make.application(people["unit"], D(2026, 4, 1))
    with app.app_context():
        a = get(Application, a)
        with pytest.raises(ServiceError, match="退回理由"):
            s.return_to_office(a, " ", actor=get(User, people["contact"]))
        s.return_to_office(a, "不属于本单位职责", actor=get(User, people["contact"]))
        assert a.state == "returned" and a.due_date == D(2026, 4, 30)  # the legal clock keeps running
        with pytest.raises(s.Forbidden):
            s.route(a, people["other"].id, actor=get(User, people["contact"]))
        with pytest.raises(s.Forbidden, match="已退回公开办"):  # once sent back, the unit no longer handles it
            s.reply(a, "grant", D(2026, 4, 3), "signed", D(2026, 4, 3), actor=get(User, people["contact"]))
        with pytest.raises(s.Forbidden, match="已退回公开办"):
            s.extend(a, 10, D(2026, 4, 3), D(2026, 4, 3), "需要时间", actor=get(User, people["reviewer"]))
        s.route(a, people["other"].id, "转财政局", actor=get(User, people["office"]))
        assert a.state == "open" and a.unit_id == people["other"].id


ONLINE = {"applicant_kind": "natural", "applicant_name": "张三", "id_number": "230102199001011234",
          "phone": "13900000000", "title": "2025年低保资金发放明细", "description": "请公开2025年低保资金发放明细表",
          "form_wanted": "electronic", "delivery_wanted": "email", "email": "zs@example.com"}


def test_online_submission_waits_for_confirmation_which_is_the_receipt_date(app, people):
    with app.app_context():
        a, password = s.submit_online(ONLINE, "10.0.0.1")
        assert a.state == "pending" and a.receipt_date is None and a.due_date is None and a.unit_id is None
        assert len(password) == 10 and password not in a.query_password_hash
        with pytest.raises(s.Forbidden):
            s.confirm_online(a, D(2026, 11, 20), people["unit"].id, actor=get(User, people["contact"]))
        with pytest.raises(ServiceError, match="不能早于提交日期"):
            s.confirm_online(a, D(2026, 11, 19), people["unit"].id, actor=get(User, people["office"]))
        s.confirm_online(a, D(2026, 11, 20), people["unit"].id, actor=get(User, people["office"]))
        assert a.state == "open" and a.receipt_date == D(2026, 11, 20) and a.due_date == D(2026, 12, 18)


def test_online_duplicates_and_rate_limit_store_nothing(app):
    with app.app_context():
        s.submit_online(ONLINE, "10.0.0.2")
        with pytest.raises(ServiceError, match="重复提交"):
            s.submit_online(dict(ONLINE, description="请公开2025年低保资金发放明细表"), "10.0.0.3")
        for i in range(4):
            s.submit_online(dict(ONLINE, description=f"另一项申请{i}"), "10.0.0.2")
        with pytest.raises(ServiceError, match="过于频繁"):
            s.submit_online(dict(ONLINE, description="第六项"), "10.0.0.2")
        assert db.session.scalar(select(func.count()).select_from(Application)) == 5


def test_status_lookup_throttles_per_code_and_per_address(app):
    with app.app_context():
        a, password = s.submit_online(ONLINE, "10.0.0.1")
        assert s.lookup_status(a.tracking_code.lower(), password.lower(), "1.1.1.1").id == a.id
        for _ in range(5):
            with pytest.raises(ServiceError, match="查询码或查询密码不正确"):
                s.lookup_status(a.tracking_code, "WRONG", "1.1.1.1")
        with pytest.raises(ServiceError, match="已暂时锁定"):
            s.lookup_status(a.tracking_code, password, "1.1.1.1")  # even the right password, meanwhile
        # ...but only from the guessing address: the applicant elsewhere is not locked out
        assert s.lookup_status(a.tracking_code, password, "2.2.2.2").id == a.id
        for i in range(10):
            with pytest.raises(ServiceError):
                s.lookup_status(f"YSQ-2026-GUESS{i}", "x", "3.3.3.3")
        with pytest.raises(ServiceError, match="此地址|失败次数过多"):
            s.lookup_status("YSQ-2026-OTHER1", "x", "3.3.3.3")
        assert db.session.scalar(select(func.count()).select_from(StatusLookupAttempt)) == 17


def test_calendar_change_recomputes_open_deadlines_with_reason(app, make, people):
    a = make.application(people["unit"], D(2026, 4, 1))
    closed = make.application(people["unit"], D(2026, 4, 1))
    with app.app_context():
        s.reply(get(Application, closed), "grant", D(2026, 4, 2), "signed", D(2026, 4, 2))
        moved = record_local_day(D(2026, 4, 15), False, "防汛停工")
        assert moved == 1
        a = get(Application, a)
        assert a.due_date == D(2026, 5, 6)  # one working day fewer in April: over 劳动节
        assert "防汛停工" in deadline_history(a)[-1].reason
        assert get(Application, closed).due_date == D(2026, 4, 30)


def test_consultation_lapse_resumes_the_clock_in_the_sweep(app, make, people):
    a = make.application(people["unit"], D(2026, 9, 15))
    with app.app_context():
        a = get(Application, a)
        s.start_consultation(a, D(2026, 9, 22), "agency", "市自然资源局", delivered_on=D(2026, 9, 22),
                             actor=get(User, people["contact"]))
        assert s.close_lapsed_applications(D(2026, 10, 21))["consultation_lapsed"] == 1
        assert a.state == "open" and a.due_date == D(2026, 11, 9)
        assert a.events[-1].kind == "consultation_lapsed" and a.events[-1].day == D(2026, 10, 20)


def test_cases_recorded_with_result(app, make, people):
    a = make.application(people["unit"], D(2026, 4, 1))
    with app.app_context():
        a, contact = get(Application, a), get(User, people["contact"])
        case = s.add_case(a, "reconsideration", D(2026, 6, 1), actor=contact)
        assert case.result == "pending" and case.unit_id == people["unit"].id
        with pytest.raises(ServiceError, match="审结日期"):
            s.set_case_result(case, "corrected", None, actor=contact)
        s.set_case_result(case, "corrected", D(2026, 8, 1), actor=contact)
        assert case.result == "corrected" and case.decided_on == D(2026, 8, 1)
        with pytest.raises(s.Forbidden):
            s.add_case(a, "lawsuit_direct", D(2026, 6, 1), actor=get(User, people["other_reviewer"]))


def test_correction_dated_before_a_recorded_pause_is_refused_cleanly(app, make, people):
    """A correction request dated before a consultation already on the record would put the
    events out of order (the clock cannot run): refused in Chinese, nothing changes."""
    a = make.application(people["unit"], D(2026, 11, 2))
    with app.app_context():
        contact = get(User, people["contact"])
        a = get(Application, a)
        s.start_consultation(a, D(2026, 11, 5), "agency", "市财政局", actor=contact)
        s.end_consultation(a, D(2026, 11, 10), "无意见", actor=contact)
        due = a.due_date
        with pytest.raises(ServiceError, match="不能早于上一办理事项日期"):
            s.request_correction(a, D(2026, 11, 3), None, "请写明文号", actor=contact)
        assert a.state == "open" and a.due_date == due


def test_extension_dated_before_the_restart_after_correction_is_refused(app, make, people):
    """Art. 30 restarts the period on the day the corrected application arrives; an extension
    dated before that day would be silently discarded by the restart (and could not be redone)."""
    a = make.application(people["unit"], D(2026, 11, 2))
    with app.app_context():
        contact, reviewer = get(User, people["contact"]), get(User, people["reviewer"])
        a = get(Application, a)
        s.request_correction(a, D(2026, 11, 3), None, "请写明文号", actor=contact)
        s.receive_correction(a, D(2026, 11, 10), actor=contact)
        assert a.due_date == D(2026, 12, 8)
        with pytest.raises(ServiceError, match="不能早于"):
            s.extend(a, 20, D(2026, 11, 5), D(2026, 11, 5), "需要调取档案", actor=reviewer)
        assert a.due_date == D(2026, 12, 8)
        s.extend(a, 20, D(2026, 11, 11), D(2026, 11, 11), "需要调取档案", actor=reviewer)
        assert a.due_date == s.add_workdays(D(2026, 11, 10), 40).day  # 20 from the restart + 20


def test_one_fee_notice_per_application(app, make, people):
    """109号: one charging method per application; a paid application is not charged again."""
    a = make.application(people["unit"], D(2026, 6, 1))
    with app.app_context():
        contact = get(User, people["contact"])
        a = get(Application, a)
        s.send_fee_notice(a, D(2026, 6, 3), None, "item", 25, actor=contact)
        s.record_payment(a, D(2026, 6, 5), actor=contact)
        with pytest.raises(ServiceError, match="只能发出一次"):
            s.send_fee_notice(a, D(2026, 6, 8), None, "volume", 250, actor=contact)
        assert a.state == "open" and a.fee_amount == 1500


@pytest.mark.parametrize("method", ["item", "volume"])
def test_absurd_fee_quantity_is_refused_quickly(app, make, people, method):
    a = make.application(people["unit"], D(2026, 6, 1))
    with app.app_context():
        a = get(Application, a)
        with pytest.raises(ServiceError, match="件数或页数不能超过"):
            s.send_fee_notice(a, D(2026, 6, 3), None, method, 10 ** 12, actor=get(User, people["contact"]))
        assert a.state == "open" and a.fee_amount is None
