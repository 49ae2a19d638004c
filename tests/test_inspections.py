"""Inspections, rectification items (整改) and 督办: the rules in the services, the pages, the
reminders, and the clause the scores' 督查整改 rule counts."""
import os
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from tracker.extensions import db

CHINA = ZoneInfo("Asia/Shanghai")
PNG = b"\x89PNG\r\n\x1a\n screenshot"


def at(day: date, hour: int = 10):
    return time_machine.travel(datetime.combine(day, time(hour), tzinfo=CHINA), tick=False)


@pytest.fixture
def town(make):
    office_unit = make.unit(code="gkb", name="政务公开办", kind="office")
    unit = make.unit(code="suiyang", name="绥阳镇", kind="town")
    other = make.unit(code="mzj", name="民政局")
    return {"unit": unit, "other": other,
            "office": make.user("office", unit=office_unit, username="office"),
            "contact": make.user("contact", unit=unit, username="sy-lly", phone="0453-3600101"),
            "reviewer": make.user("reviewer", unit=unit, username="sy-shr"),
            "stranger": make.user("contact", unit=other, username="mzj-lly"),
            "leader": make.user("leader", username="leader")}


def _get(model, obj):
    return db.session.get(model, obj.id)


# --- inspections ----------------------------------------------------------------------------------

def test_the_office_records_an_inspection_and_a_finding_orders_a_rectification(app, town, login):
    from tracker.inspections.models import Finding, Inspection, Rectification

    with at(date(2026, 9, 1)):
        office = login(town["office"])
        response = office.post("/inspections/new", {
            "kind": "special", "title": "政府网站信息公开专项检查", "inspected_on": "2026-09-01",
            "scope": "财政预决算栏目", "method": "网站抽查", "unit_ids": [town["unit"].id, town["other"].id]})
        assert response.status_code == 302
        url = response.headers["Location"]
        response = office.post(url + "/findings", {"unit_id": town["unit"].id, "description": "2026年预算未公开",
                                                   "rectify": "y", "requirement": "补充公开2026年预算",
                                                   "period_days": "10"})
        assert response.status_code == 302
        assert office.post(url + "/findings", {"unit_id": town["other"].id,
                                               "description": "栏目命名不规范"}).status_code == 302
    with app.app_context():
        inspection = db.session.scalar(select(Inspection))
        assert {iu.unit.name for iu in inspection.units} == {"绥阳镇", "民政局"}
        item = db.session.scalar(select(Rectification))
        # issued 09-01, 10 working days: 09-02..09-15
        assert (item.unit_id, item.state, item.issued_on, item.due_date, item.inspection_id) == (
            town["unit"].id, "open", date(2026, 9, 1), date(2026, 9, 15), inspection.id)
        assert db.session.scalar(select(func.count()).select_from(Finding)) == 2
        assert db.session.scalar(select(func.count()).select_from(Rectification)) == 1  # the second: no order


@pytest.mark.parametrize("form, message", [
    ({"kind": "weekly"}, "请选择检查类型"),
    ({"inspected_on": "2026-02-30"}, "检查日期格式不正确"),
    ({"inspected_on": "2030-01-01"}, "检查日期不能晚于今天"),
    ({"unit_ids": []}, "请至少选择一个被检查单位"),
    ({"unit_ids": ["999999"]}, "请至少选择一个被检查单位"),
    ({"scope": ""}, "检查范围"),
])
def test_a_bad_inspection_is_refused_in_chinese_and_nothing_is_saved(app, town, login, form, message):
    from tracker.inspections.models import Inspection

    data = {"kind": "spot", "title": "不定期抽查", "inspected_on": "2026-09-01", "scope": "栏目", "method": "抽查",
            "unit_ids": [town["unit"].id]}
    data.update(form)
    with at(date(2026, 9, 2)):
        response = login(town["office"]).post("/inspections/new", data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Inspection)) == 0


def test_a_finding_for_a_unit_outside_the_inspection_is_refused(app, town, make, login):
    inspection = make.inspection([town["unit"]], today=date(2026, 9, 1))
    with at(date(2026, 9, 2)):
        response = login(town["office"]).post(f"/inspections/{inspection.id}/findings", {
            "unit_id": town["other"].id, "description": "问题", "rectify": "y", "period_days": "10"})
    assert response.status_code == 422 and "不在本次检查的范围内" in response.get_data(as_text=True)


def test_unit_staff_see_only_inspections_and_items_of_their_own_unit(app, town, make, login):
    inspection = make.inspection([town["unit"]], today=date(2026, 9, 1))
    item = make.rectification(town["unit"], issued_on=date(2026, 11, 2), inspection=inspection)
    stranger = login(town["stranger"])
    assert stranger.get(f"/inspections/{inspection.id}").status_code == 404
    assert stranger.get(f"/rectifications/{item.id}").status_code == 404
    assert "财政预决算栏目内容不全" not in stranger.get("/rectifications").get_data(as_text=True)
    contact = login(town["contact"])
    assert contact.get(f"/inspections/{inspection.id}").status_code == 200
    assert "财政预决算栏目内容不全" in contact.get("/rectifications").get_data(as_text=True)


# --- the rectification workflow -------------------------------------------------------------------

def test_answer_return_answer_accept_done_on_the_day_of_the_accepted_answer(app, town, make):
    from tracker.accounts.models import User
    from tracker.audit.models import AuditEvent
    from tracker.inspections import services as ins
    from tracker.inspections.models import Rectification

    item = make.rectification(town["unit"], issued_on=date(2026, 11, 2))   # due 11-16
    with app.app_context():
        r = _get(Rectification, item)
        office, contact = _get(User, town["office"]), _get(User, town["contact"])
        assert r.due_date == date(2026, 11, 16)
        with at(date(2026, 11, 10)):
            ins.respond(r, contact, "已补充公开", [("截图.png", PNG)], date(2026, 11, 10))
            ins.return_item(r, office, "截图看不出发布日期")
        assert (r.state, r.return_reason) == ("returned", "截图看不出发布日期")
        with at(date(2026, 11, 13)):
            ins.respond(r, contact, "补充了带日期的截图", [("截图2.png", PNG), ("说明.pdf", b"%PDF-1.4 x")],
                        date(2026, 11, 13))
            ins.accept(r, office, "符合要求")
        db.session.commit()
        assert (r.state, r.completed_on, r.done_late) == ("closed", date(2026, 11, 13), False)
        answers = ins.responses(r)
        assert [(a.decision, len(a.evidence)) for a in answers] == [("returned", 1), ("accepted", 2)]
        assert [(e.from_state, e.to_state) for e in ins.timeline(r)] == [
            (None, "open"), ("open", "submitted"), ("submitted", "returned"), ("returned", "submitted"),
            ("submitted", "closed")]
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action.like("rectification.%"))) == 5


def test_an_answer_needs_evidence_and_a_refused_file_stores_nothing(app, town, make):
    from tracker.accounts.models import User
    from tracker.errors import ServiceError
    from tracker.inspections import services as ins
    from tracker.inspections.models import Rectification, RectificationResponse

    item = make.rectification(town["unit"], issued_on=date(2026, 11, 2))
    folder = app.config["UPLOAD_FOLDER"]
    before = set(os.listdir(folder))
    with app.app_context():
        r, contact = _get(Rectification, item), _get(User, town["contact"])
        with pytest.raises(ServiceError, match="请上传整改佐证材料"):
            ins.respond(r, contact, "已整改", [], date(2026, 11, 10))
        with pytest.raises(ServiceError, match="请填写整改情况"):
            ins.respond(r, contact, "  ", [("a.png", PNG)], date(2026, 11, 10))
        with pytest.raises(ServiceError, match="文件内容与扩展名"):
            ins.respond(r, contact, "已整改", [("good.png", PNG), ("bad.pdf", b"MZ not a pdf")], date(2026, 11, 10))
        db.session.rollback()
        assert _get(Rectification, item).state == "open"
        assert db.session.scalar(select(func.count()).select_from(RectificationResponse)) == 0
    assert set(os.listdir(folder)) == before  # the good file written before the bad one was removed again


def test_only_the_units_contact_answers_and_only_the_office_decides(app, town, make):
    from tracker.accounts.models import User
    from tracker.errors import ServiceError
    from tracker.inspections import services as ins
    from tracker.inspections.models import Rectification

    item = make.rectification(town["unit"], issued_on=date(2026, 11, 2))
    with app.app_context():
        r = _get(Rectification, item)
        for who in ("reviewer", "stranger", "office"):
            with pytest.raises(ServiceError, match="只有本单位联络员"):
                ins.respond(r, _get(User, town[who]), "已整改", [("a.png", PNG)], date(2026, 11, 10))
        with pytest.raises(ServiceError, match="不能验收"):
            ins.accept(r, _get(User, town["office"]))
        with pytest.raises(ServiceError, match="只有公开办"):
            ins.accept(r, _get(User, town["contact"]))
        with pytest.raises(ServiceError, match="请填写退回原因"):
            ins.respond(r, _get(User, town["contact"]), "已整改", [("a.png", PNG)], date(2026, 11, 10))
            ins.return_item(r, _get(User, town["office"]), "")


def test_the_rectification_page_walks_through_answer_and_decision(app, town, make, login):
    from io import BytesIO

    item = make.rectification(town["unit"], issued_on=date(2026, 11, 2))
    with at(date(2026, 11, 10)):
        contact = login(town["contact"])
        response = contact.post(f"/rectifications/{item.id}/respond",
                                {"text": "已补充公开", "files": [(BytesIO(PNG), "截图.png")]},
                                content_type="multipart/form-data")
        assert response.status_code == 302
        empty = contact.post(f"/rectifications/{item.id}/respond", {"text": "再报一次"},
                             content_type="multipart/form-data")
        assert empty.status_code == 422 and "不能报送整改情况" in empty.get_data(as_text=True)
        office = login(town["office"])
        page = office.get(f"/rectifications/{item.id}").get_data(as_text=True)
        assert "截图.png" in page and 'id="btn-accept"' in page
        assert office.post(f"/rectifications/{item.id}/return", {"reason": ""}).status_code == 422
        assert office.post(f"/rectifications/{item.id}/return", {"reason": "请补充发布日期"}).status_code == 302
        assert "请补充发布日期" in contact.get(f"/rectifications/{item.id}").get_data(as_text=True)
        evidence_url = page.split('href="/rectifications/evidence/')[1].split('"')[0]
        download = contact.get(f"/rectifications/evidence/{evidence_url}")
        assert download.status_code == 200 and download.data == PNG
        assert login(town["stranger"]).get(f"/rectifications/evidence/{evidence_url}").status_code == 404


def test_the_unit_is_told_of_a_new_item_and_a_returned_answer(app, town, make):
    from tracker.notify.models import Notification

    item = make.rectification(town["unit"], issued_on=date(2026, 11, 2))
    with app.app_context():
        titles = dict(db.session.execute(select(Notification.user_id, Notification.title)).all())
    assert titles[town["contact"].id].startswith("【整改通知】") and titles[town["reviewer"].id].startswith("【整改通知】")
    assert town["stranger"].id not in titles and item.due_date == date(2026, 11, 16)


def test_rectification_deadlines_get_the_task_reminders_and_escalation(app, town, make):
    from tracker.notify.models import GroupedReminder, Notification
    from tracker.notify.reminders import sweep_reminders

    item = make.rectification(town["unit"], issued_on=date(2026, 11, 2))   # due 11-16 (Mon)
    with app.app_context():
        for day in (date(2026, 11, 9), date(2026, 11, 12), date(2026, 11, 16), date(2026, 11, 18),
                    date(2026, 11, 23), date(2026, 11, 23)):
            with at(day, 8):
                sweep_reminders(day)
                db.session.commit()
        rows = db.session.execute(select(Notification.user_id, Notification.key).where(
            Notification.key.like(f"rectification:{item.id}:%"))).all()
        # the office gets its reminders grouped in one message per sweep, each item keyed once
        office_items = db.session.execute(select(GroupedReminder.user_id, GroupedReminder.key).where(
            GroupedReminder.key.like(f"rectification:{item.id}:%"))).all()
        office_bell = db.session.scalars(select(Notification.title + "\n" + Notification.body).where(
            Notification.user_id == town["office"].id, Notification.key.like("group:%"))).all()
    keys = {(uid, key.split(":")[2]) for uid, key in rows + office_items}
    contact, reviewer, office = town["contact"].id, town["reviewer"].id, town["office"].id
    assert {(contact, "before5"), (contact, "before2"), (contact, "due"), (contact, "overdue0")} <= keys
    assert (reviewer, "esc-reviewer") in keys        # 2 working days overdue on 11-18
    assert (office, "esc-office") in keys            # 5 working days overdue on 11-23
    assert any("绥阳镇 · 整改：财政预决算栏目内容不全" in body for body in office_bell)
    assert len(rows) == len(set(rows)) and len(office_items) == 1  # the second sweep that day added nothing


def test_no_reminders_once_the_unit_has_answered(app, town, make):
    from tracker.accounts.models import User
    from tracker.inspections import services as ins
    from tracker.inspections.models import Rectification
    from tracker.notify.models import Notification
    from tracker.notify.reminders import sweep_reminders

    item = make.rectification(town["unit"], issued_on=date(2026, 11, 2))
    with app.app_context():
        ins.respond(_get(Rectification, item), _get(User, town["contact"]), "已整改", [("a.png", PNG)],
                    date(2026, 11, 10))
        db.session.commit()
        with at(date(2026, 11, 18), 8):
            sweep_reminders(date(2026, 11, 18))
        assert not db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.key.like(f"rectification:{item.id}:overdue%")))


def test_a_new_holiday_notice_moves_open_rectification_deadlines_and_keeps_the_history(app, town, make):
    from tracker.inspections.models import Rectification
    from tracker.workcal.notices import HolidayRange
    from tracker.workcal.services import deadline_history, record_notice

    item = make.rectification(town["unit"], issued_on=date(2026, 11, 2), period_days=60)
    with app.app_context():
        before = _get(Rectification, item).due_date
        assert before.year == 2027
        record_notice(2027, [HolidayRange(date(2027, 1, 1), date(2027, 1, 10), "元旦（演练）")], [])
        db.session.commit()
        after = _get(Rectification, item)
        assert after.due_date > before and not after.due_provisional
        assert [h.old_due for h in deadline_history(after)][-1] == before


def test_missed_by_unit_is_what_the_scores_count(app, town, make):
    """督查整改: −2 for each item due in the period not done by its deadline."""
    from tracker.accounts.models import User
    from tracker.inspections import services as ins
    from tracker.inspections.models import Rectification

    on_time = make.rectification(town["unit"], issued_on=date(2026, 7, 6), requirement="按期")   # due 07-20
    late = make.rectification(town["unit"], issued_on=date(2026, 8, 3), requirement="逾期")      # due 08-17
    make.rectification(town["unit"], issued_on=date(2026, 9, 1), requirement="未整改")  # due 09-15
    waiting = make.rectification(town["unit"], issued_on=date(2026, 9, 1), requirement="待验收")  # due 09-15
    make.rectification(town["other"], issued_on=date(2026, 12, 1), requirement="下季度")
    with app.app_context():
        office, contact = _get(User, town["office"]), _get(User, town["contact"])
        for item, answered in ((on_time, date(2026, 7, 15)), (late, date(2026, 8, 25))):
            ins.respond(_get(Rectification, item), contact, "已整改", [("a.png", PNG)], answered)
            ins.accept(_get(Rectification, item), office)
        ins.respond(_get(Rectification, waiting), contact, "已整改", [("a.png", PNG)], date(2026, 9, 14))
        db.session.commit()
        returned = make.rectification(town["other"], issued_on=date(2026, 8, 3), requirement="退回")  # due 08-17
        cancelled = make.rectification(town["other"], issued_on=date(2026, 8, 3), requirement="撤销")
        ins.respond(_get(Rectification, returned), _get(User, town["stranger"]), "已整改", [("a.png", PNG)],
                    date(2026, 8, 10))
        ins.return_item(_get(Rectification, returned), office, "不符合要求")
        ins.cancel(_get(Rectification, cancelled), office, "下达有误")
        db.session.commit()
        missed = ins.missed_by_unit(date(2026, 7, 1), date(2026, 9, 30), date(2026, 9, 30))
        assert {uid: sorted(i.requirement for i in items) for uid, items in missed.items()} == {
            town["unit"].id: ["未整改", "逾期"], town["other"].id: ["退回"]}
        # judged on the last day of the deadline itself, an open item is not yet missed
        assert ins.missed_by_unit(date(2026, 9, 15), date(2026, 9, 15), date(2026, 9, 15)) == {}
        # the pure function (for rules over rows handed in) agrees with the SQL clause on every item
        for as_of in (date(2026, 8, 17), date(2026, 8, 18), date(2026, 9, 16), date(2026, 12, 31)):
            by_sql = {i.id for i in db.session.scalars(select(Rectification).where(ins.missed_clause(as_of)))}
            by_fn = {i.id for i in db.session.scalars(select(Rectification))
                     if ins.not_done_by_deadline(i.due_date, i.state, i.answered_on, i.completed_on, as_of)}
            assert by_sql == by_fn, as_of


# --- 督办 ----------------------------------------------------------------------------------------------

@pytest.fixture
def overdue_task(town, make):
    with at(date(2026, 10, 9)):
        return make.task(make.duty(town["unit"], title="农村低保对象名单"), formed=date(2026, 10, 9))  # due 11-05


def test_urging_an_overdue_task_tells_contact_and_reviewer_at_once_and_is_recorded(app, town, overdue_task, smtp):
    from tracker.accounts.models import User
    from tracker.inspections import urging
    from tracker.inspections.models import Urging
    from tracker.notify.models import Notification
    from tracker.notify.sender import send_due_mails

    with app.app_context():
        _get(User, town["reviewer"]).mail_mode = "digest"   # 督办 is not held for the digest
        with at(date(2026, 11, 10)):
            done = urging.urge("task", overdue_task.id, _get(User, town["office"]), "请今天内公开", date(2026, 11, 10))
            db.session.commit()
            send_due_mails()
        assert (done.unit_id, done.overdue, done.recipients, done.due_date) == (
            town["unit"].id, True, 2, date(2026, 11, 5))
        bells = db.session.scalars(select(Notification).where(Notification.key.like(f"urging:{done.id}:%"))).all()
        assert {n.user_id for n in bells} == {town["contact"].id, town["reviewer"].id}
        assert all(n.escalation and n.title.startswith("【督办】农村低保对象名单") for n in bells)
        assert db.session.scalar(select(func.count()).select_from(Urging)) == 1
    assert sorted(m["To"] for m in smtp.messages if m["Subject"].startswith("【督办】")) == sorted(
        [town["contact"].email, town["reviewer"].email])
    assert "请今天内公开" in smtp.sink.to(town["contact"].email)[-1].get_body(("plain",)).get_content()


def test_urging_is_refused_when_not_at_risk_twice_a_day_or_not_by_the_office(app, town, overdue_task, make):
    from tracker.accounts.models import User
    from tracker.errors import ServiceError
    from tracker.inspections import urging

    with app.app_context():
        office = _get(User, town["office"])
        with at(date(2026, 10, 12)), pytest.raises(ServiceError, match="尚未临近"):
            urging.urge("task", overdue_task.id, office, "", date(2026, 10, 12))
        with at(date(2026, 11, 2)):   # due 11-05: within 5 working days, at risk
            assert urging.urge("task", overdue_task.id, office, "", date(2026, 11, 2)).overdue is False
            with pytest.raises(ServiceError, match="请勿重复督办"):
                urging.urge("task", overdue_task.id, office, "", date(2026, 11, 2))
        with pytest.raises(ServiceError, match="只有公开办"):
            urging.urge("task", overdue_task.id, _get(User, town["leader"]), "", date(2026, 11, 10))
        with pytest.raises(ServiceError, match="不存在"):
            urging.urge("task", 999999, office, "", date(2026, 11, 10))
        with pytest.raises(ServiceError, match="不能超过500"):
            urging.urge("task", overdue_task.id, office, "催" * 501, date(2026, 11, 10))


def test_a_paused_application_is_not_urged_but_an_overdue_one_is(app, town, make):
    from tracker.accounts.models import User
    from tracker.applications import services as apps
    from tracker.applications.models import Application
    from tracker.errors import ServiceError
    from tracker.inspections import urging

    with at(date(2026, 10, 9)):
        paused = make.application(town["unit"], date(2026, 10, 9))
        late = make.application(town["unit"], date(2026, 10, 9))
    with app.app_context():
        office = _get(User, town["office"])
        with at(date(2026, 10, 15)):
            apps.start_consultation(_get(Application, paused), date(2026, 10, 15), "third_party", "某公司",
                                    actor=office)
            db.session.commit()
        with at(date(2026, 11, 10)):
            with pytest.raises(ServiceError, match="暂停计时"):
                urging.urge("application", paused.id, office, "", date(2026, 11, 10))
            assert urging.urge("application", late.id, office, "", date(2026, 11, 10)).overdue is True


def test_the_urge_button_on_the_task_page_and_the_supervision_page_flags_repeats(app, town, overdue_task, login):
    with at(date(2026, 11, 10)):
        office = login(town["office"])
        page = office.get(f"/disclosure/tasks/{overdue_task.id}").get_data(as_text=True)
        assert 'id="btn-urge"' in page and "逾期督办" in page
        response = office.post(f"/urge/task/{overdue_task.id}", {"message": "请立即公开",
                                                                 "next": f"/disclosure/tasks/{overdue_task.id}"})
        assert response.status_code == 302 and response.headers["Location"] == f"/disclosure/tasks/{overdue_task.id}"
        again = office.post(f"/urge/task/{overdue_task.id}", {"next": f"/disclosure/tasks/{overdue_task.id}"})
        assert again.status_code == 303
        assert "请勿重复督办" in office.get(again.headers["Location"]).get_data(as_text=True)
        assert "多次被督办" not in office.get("/disclosure/supervision").get_data(as_text=True)
    with at(date(2026, 11, 11)):
        office = login(town["office"])
        office.post(f"/urge/task/{overdue_task.id}", {"next": "/"})
        supervision = office.get("/disclosure/supervision").get_data(as_text=True)
        assert "2026年第四季度多次被督办的单位" in supervision and "绥阳镇</a>（2次）" in supervision
        listing = office.get("/urgings").get_data(as_text=True)
        assert "请立即公开" in listing and 'class="table-danger"' in listing
        contact_page = login(town["contact"]).get(f"/disclosure/tasks/{overdue_task.id}").get_data(as_text=True)
        assert 'id="btn-urge"' not in contact_page and "请立即公开" in contact_page
    assert login(town["contact"]).post(f"/urge/task/{overdue_task.id}").status_code == 403


# --- the unit page --------------------------------------------------------------------------------

def test_the_unit_page_shows_people_phones_and_open_work_most_urgent_first(app, town, make, login):
    from tracker.accounts.models import User
    from tracker.inspections import urging

    with at(date(2026, 10, 9)):
        duty = make.duty(town["unit"], title="农村低保对象名单")
        make.task(duty, formed=date(2026, 10, 9), title="十月名单")          # due 11-05: overdue
        make.task(duty, formed=date(2026, 10, 30), title="十一月名单")       # due 11-27... later
    with at(date(2026, 11, 16)):
        make.task(duty, formed=date(2026, 11, 16), title="十二月名单")
    make.rectification(town["unit"], issued_on=date(2026, 11, 2))          # due 11-16: overdue
    with app.app_context(), at(date(2026, 11, 20)):
        from tracker.disclosure.models import Task
        task = db.session.scalar(select(Task).where(Task.title == "十月名单"))
        urging.urge("task", task.id, _get(User, town["office"]), "请尽快公开", date(2026, 11, 20))
        db.session.commit()
    with at(date(2026, 11, 20)):
        page = login(town["office"]).get(f"/units/{town['unit'].id}").get_data(as_text=True)
        work = page.split('id="unit-work"')[1].split("</table>")[0]
        order = [work.index(t) for t in ("十月名单", "财政预决算栏目内容不全", "十一月名单", "十二月名单")]
        assert order == sorted(order)    # the longest overdue first, then the next deadlines
        assert "0453-3600101" in page and "请尽快公开" in page
        assert page.count('data-urge="') == 3  # overdue and at-risk rows: two overdue, 十一月名单 due 11-27
        assert login(town["contact"]).get(f"/units/{town['unit'].id}").status_code == 200
        assert login(town["stranger"]).get(f"/units/{town['unit'].id}").status_code == 404
        assert login(town["leader"]).get(f"/units/{town['unit'].id}").status_code == 200
        assert login(town["office"]).get("/units/99999").status_code == 404


def test_a_double_submitted_inspection_or_finding_is_recorded_once(app, town, login):
    from tracker.inspections.models import Finding, Inspection

    form = {"kind": "regular", "title": "上半年定期检查", "inspected_on": "2026-09-01", "scope": "公开目录",
            "method": "调阅台账", "unit_ids": [town["unit"].id]}
    with at(date(2026, 9, 2)):
        office = login(town["office"])
        url = office.post("/inspections/new", form).headers["Location"]
        again = office.post("/inspections/new", form)
        assert again.status_code == 422 and "请勿重复提交" in again.get_data(as_text=True)
        finding = {"unit_id": town["unit"].id, "description": "目录未更新", "period_days": "10"}
        assert office.post(url + "/findings", finding).status_code == 302
        assert office.post(url + "/findings", finding).status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Inspection)) == 1
        assert db.session.scalar(select(func.count()).select_from(Finding)) == 1


def test_a_rectification_urged_shows_the_urging_on_its_timeline(app, town, make, login):
    item = make.rectification(town["unit"], issued_on=date(2026, 11, 2))   # due 11-16
    with at(date(2026, 11, 18)):
        office = login(town["office"])
        assert office.post(f"/urge/rectification/{item.id}", {"message": "请本周内报送"}).status_code == 302
        timeline = office.get(f"/rectifications/{item.id}").get_data(as_text=True).split('id="timeline"')[1]
    assert "督办（逾期）" in timeline and "请本周内报送" in timeline


def test_unit_names_across_the_pages_link_to_the_unit_page(app, town, make, login):
    make.task(make.duty(town["unit"], title="农村低保对象名单"), formed=date(2026, 11, 2))
    office = login(town["office"])
    for url in ("/disclosure/supervision", "/disclosure/tasks", "/admin/units/"):
        assert f'href="/units/{town["unit"].id}"' in office.get(url).get_data(as_text=True), url
    own = login(town["contact"]).get("/dashboard").get_data(as_text=True)
    assert f'href="/units/{town["unit"].id}"' in own


def test_rectifications_owed_appear_in_the_contacts_todo_and_the_offices_waiting_answers(app, town, make, login):
    overdue = make.rectification(town["unit"], issued_on=date(2026, 11, 2), requirement="补充公开预算")  # due 11-16
    answered = make.rectification(town["unit"], issued_on=date(2026, 11, 2), requirement="更新栏目")
    make.rectification_answer(answered, town["contact"], date(2026, 11, 10))
    with at(date(2026, 11, 18)):
        todo = login(town["contact"]).get("/todo").get_data(as_text=True)
        assert f"/rectifications/{overdue.id}" in todo and f"/rectifications/{answered.id}" not in todo
        office_todo = login(town["office"]).get("/todo").get_data(as_text=True)
        assert f"/rectifications/{answered.id}" in office_todo and "待公开办验收" in office_todo
        dashboard = login(town["contact"]).get("/dashboard").get_data(as_text=True)
        assert f"/rectifications/{overdue.id}" in dashboard   # overdue: among the urgent work
