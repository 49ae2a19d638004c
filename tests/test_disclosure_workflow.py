"""The task state machine: 待签收 → 已签收 → 待审核 → 已发布 → 已核验, with 退回 and 撤销.
Every transition checks role, unit and state, and leaves a TaskEvent and an audit record."""
from datetime import date

import pytest
import time_machine
from sqlalchemy import select

from tracker.audit.models import AuditEvent
from tracker.disclosure import services
from tracker.disclosure.models import Task, TaskEvent
from tracker.errors import ServiceError
from tracker.extensions import db

TODAY = "2026-05-20 10:00 +0800"


@pytest.fixture
def team(make):
    unit = make.unit(name="民政局")
    return {
        "unit": unit,
        "contact": make.user("contact", unit=unit),
        "reviewer": make.user("reviewer", unit=unit),
        "office": make.user("office", unit=make.unit(kind="office")),
        "other_reviewer": make.user("reviewer", unit=make.unit()),
    }


def _pub(**kw):
    data = {"published_on": "2026-05-06", "channels": ["website", "wechat"], "url": "https://www.dongning.gov.cn/a/1",
            "doc_number": "东民发〔2026〕3号"}
    data.update(kw)
    return data


def _state(app, task_id):
    with app.app_context():
        return db.session.get(Task, task_id).state


def _events(app, task_id):
    with app.app_context():
        return [(e.action, e.from_state, e.to_state) for e in
                db.session.scalars(select(TaskEvent).where(TaskEvent.task_id == task_id).order_by(TaskEvent.id))]


@time_machine.travel(TODAY, tick=False)
def test_acknowledge_submit_approve_verify(app, make, login, team):
    task = make.task(make.duty(team["unit"], review_required=True), formed=date(2026, 4, 20))
    contact, reviewer, office = login(team["contact"]), login(team["reviewer"]), login(team["office"])
    assert contact.post(f"/disclosure/tasks/{task.id}/acknowledge").status_code == 302
    assert contact.post(f"/disclosure/tasks/{task.id}/submit", _pub()).status_code == 302
    assert _state(app, task.id) == "in_review"
    assert reviewer.post(f"/disclosure/tasks/{task.id}/approve").status_code == 302
    assert _state(app, task.id) == "published"
    assert office.post(f"/disclosure/tasks/{task.id}/verify", {"reason": "网页已核对"}).status_code == 302
    assert _events(app, task.id) == [("open", None, "pending_ack"), ("acknowledge", "pending_ack", "acknowledged"),
                                     ("submit", "acknowledged", "in_review"), ("approve", "in_review", "published"),
                                     ("verify", "published", "verified")]
    with app.app_context():
        t = db.session.get(Task, task.id)
        assert t.acknowledged_at is not None
        assert sorted(t.channels) == ["website", "wechat"]
        assert t.published_on == date(2026, 5, 6) and t.doc_number == "东民发〔2026〕3号"
        assert not t.published_late  # due 2026-05-20 (across May Day), published 05-06
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "disclosure_task",
                                                                     AuditEvent.object_id == str(task.id))).all()
        assert {"disclosure.acknowledge", "disclosure.submit", "disclosure.approve", "disclosure.verify"} <= set(actions)
    page = office.get(f"/disclosure/tasks/{task.id}").get_data(as_text=True)
    assert "办理过程" in page and "待审核 → 已发布" in page and "网页已核对" in page


@time_machine.travel(TODAY, tick=False)
def test_a_task_needing_review_cannot_be_published_without_approval(app, make, team):
    task = make.task(make.duty(team["unit"], review_required=True), formed=date(2026, 4, 20))
    with app.app_context():
        t = db.session.get(Task, task.id)
        from tracker.accounts.models import User
        contact = db.session.get(User, team["contact"].id)
        services.acknowledge(t, contact)
        pub = services.PublicationRecord(date(2026, 5, 6), ["website"], "https://x.gov.cn/1")
        with pytest.raises(ServiceError, match="须经审核"):
            services.publish(t, contact, pub, date(2026, 5, 20))
        assert t.state == "acknowledged"
        # through the normal path the contact's record goes to review, not out
        assert services.submit_publication(t, contact, pub, date(2026, 5, 20)) == "in_review"
        with pytest.raises(ServiceError, match="审核人"):
            services.approve(t, contact)  # a contact cannot approve their own submission
        db.session.rollback()


@time_machine.travel(TODAY, tick=False)
def test_without_review_the_contact_publishes_directly(app, make, login, team):
    task = make.task(make.duty(team["unit"], review_required=False), formed=date(2026, 4, 20))
    contact = login(team["contact"])
    contact.post(f"/disclosure/tasks/{task.id}/acknowledge")
    assert contact.post(f"/disclosure/tasks/{task.id}/submit", _pub()).status_code == 302
    assert _state(app, task.id) == "published"
    assert _events(app, task.id)[-1] == ("publish", "acknowledged", "published")


@time_machine.travel(TODAY, tick=False)
def test_reviewer_returns_with_reason_and_contact_resubmits(app, make, login, team):
    task = make.task(make.duty(team["unit"]), formed=date(2026, 4, 20))
    contact, reviewer = login(team["contact"]), login(team["reviewer"])
    contact.post(f"/disclosure/tasks/{task.id}/acknowledge")
    contact.post(f"/disclosure/tasks/{task.id}/submit", _pub())
    no_reason = reviewer.post(f"/disclosure/tasks/{task.id}/return", {"reason": " "})
    assert no_reason.status_code == 422 and "请填写退回原因" in no_reason.get_data(as_text=True)
    assert _state(app, task.id) == "in_review"
    assert reviewer.post(f"/disclosure/tasks/{task.id}/return", {"reason": "文号有误"}).status_code == 302
    assert _state(app, task.id) == "returned"
    page = contact.get(f"/disclosure/tasks/{task.id}").get_data(as_text=True)
    assert "文号有误" in page
    assert contact.post(f"/disclosure/tasks/{task.id}/submit", _pub(doc_number="东民发〔2026〕4号")).status_code == 302
    reviewer.post(f"/disclosure/tasks/{task.id}/approve")
    assert _state(app, task.id) == "published"
    with app.app_context():
        ev = db.session.scalar(select(TaskEvent).where(TaskEvent.task_id == task.id, TaskEvent.action == "return"))
        assert ev.reason == "文号有误" and ev.actor_id == team["reviewer"].id


@time_machine.travel(TODAY, tick=False)
def test_roles_and_units_are_checked(app, make, login, team):
    task = make.task(make.duty(team["unit"]), formed=date(2026, 4, 20))
    other_contact = make.user("contact", unit=make.unit())
    # another unit's contact cannot even see the task
    assert login(other_contact).post(f"/disclosure/tasks/{task.id}/acknowledge").status_code == 404
    contact = login(team["contact"])
    contact.post(f"/disclosure/tasks/{task.id}/acknowledge")
    contact.post(f"/disclosure/tasks/{task.id}/submit", _pub())
    assert login(team["other_reviewer"]).post(f"/disclosure/tasks/{task.id}/approve").status_code == 404
    with app.app_context():
        from tracker.accounts.models import User
        t = db.session.get(Task, task.id)
        with pytest.raises(ServiceError, match="其他单位"):
            services.approve(t, db.session.get(User, team["other_reviewer"].id))
        db.session.rollback()
    assert login(team["office"]).post(f"/disclosure/tasks/{task.id}/approve").status_code == 403
    assert _state(app, task.id) == "in_review"


@time_machine.travel(TODAY, tick=False)
def test_wrong_state_is_refused_in_chinese_and_changes_nothing(app, make, login, team):
    task = make.task(make.duty(team["unit"]), formed=date(2026, 4, 20))
    contact = login(team["contact"])
    r = contact.post(f"/disclosure/tasks/{task.id}/submit", _pub())
    assert r.status_code == 422 and "不能提交审核" in r.get_data(as_text=True)
    assert _state(app, task.id) == "pending_ack"
    assert login(team["office"]).post(f"/disclosure/tasks/{task.id}/verify").status_code == 422
    assert len(_events(app, task.id)) == 1


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("change, message", [
    ({"published_on": "2026-05-21"}, "不能晚于今天"),
    ({"published_on": "2026-04-01"}, "不能早于信息形成日期"),
    ({"published_on": "2026-02-30"}, "格式不正确"),
    ({"channels": []}, "至少选择一个公开渠道"),
    ({"url": ""}, "须填写网址"),
    ({"url": "javascript:alert(1)"}, "http"),
    ({"normative": "y", "doc_number": ""}, "规范性文件须填写文号"),
])
def test_bad_publication_record_is_refused(app, make, login, team, change, message):
    task = make.task(make.duty(team["unit"]), formed=date(2026, 4, 20))
    contact = login(team["contact"])
    contact.post(f"/disclosure/tasks/{task.id}/acknowledge")
    r = contact.post(f"/disclosure/tasks/{task.id}/submit", _pub(**change))
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    with app.app_context():
        t = db.session.get(Task, task.id)
        assert t.state == "acknowledged" and t.published_on is None and t.channels == []


@time_machine.travel(TODAY, tick=False)
def test_office_cancels_with_reason_only(app, make, login, team):
    task = make.task(make.duty(team["unit"]), formed=date(2026, 4, 20))
    office = login(team["office"])
    assert office.post(f"/disclosure/tasks/{task.id}/cancel", {"reason": ""}).status_code == 422
    assert office.post(f"/disclosure/tasks/{task.id}/cancel", {"reason": "信息不属于公开范围"}).status_code == 302
    assert _state(app, task.id) == "cancelled"
    assert login(team["contact"]).post(f"/disclosure/tasks/{task.id}/acknowledge").status_code == 422


@time_machine.travel(TODAY, tick=False)
def test_late_and_overdue_detection(app, make, team):
    duty = make.duty(team["unit"], review_required=False)
    late = make.task(duty, formed=date(2026, 3, 2))      # due 2026-03-30
    on_time = make.task(duty, formed=date(2026, 3, 2))
    overdue = make.task(duty, formed=date(2026, 4, 1))   # due 2026-04-30, still open on 05-20
    soon = make.task(duty, formed=date(2026, 4, 23))     # due 2026-05-25: within 5 working days of 05-20
    later = make.task(duty, formed=date(2026, 5, 18))
    with app.app_context():
        from tracker.accounts.models import User
        contact = db.session.get(User, team["contact"].id)
        for task_id, published in ((late.id, date(2026, 3, 31)), (on_time.id, date(2026, 3, 30))):
            t = db.session.get(Task, task_id)
            services.acknowledge(t, contact)
            services.publish(t, contact, services.PublicationRecord(published, ["gazette"]), date(2026, 5, 20))
        db.session.commit()
        today = date(2026, 5, 20)
        cutoff = services.due_soon_cutoff(today)
        assert cutoff == date(2026, 5, 27)
        assert db.session.get(Task, late.id).published_late is True
        assert db.session.get(Task, on_time.id).published_late is False

        def ids(flag):
            f = services.TaskFilters(flag=flag)
            return {t.id for t in db.session.scalars(services.task_query(f, contact, today, cutoff)).unique()}
        assert ids("late") == {late.id}
        assert ids("on_time") == {on_time.id}
        assert ids("overdue") == {overdue.id}
        assert ids("due_soon") == {soon.id}
        assert ids("unacknowledged") == {overdue.id, soon.id, later.id}
        assert db.session.get(Task, overdue.id).is_overdue(today)
        row = services.unit_supervision(contact, today, cutoff, 2026)[0]
        assert (row["overdue"], row["due_soon"], row["unacknowledged"], row["late"], row["on_time"]) == (1, 1, 3, 1, 1)
        assert row["rate"] == round(100 / 3, 1)  # on time 1 of (1 on time + 1 late + 1 overdue)


@time_machine.travel(TODAY, tick=False)
def test_contact_opens_an_ad_hoc_task_when_information_forms(app, make, login, team):
    duty = make.duty(team["unit"], title="政府采购项目信息")
    contact = login(team["contact"])
    r = contact.post("/disclosure/tasks/new", {"duty_id": duty.id, "formed_date": "2026-05-21", "title": ""})
    assert r.status_code == 422 and "不能晚于今天" in r.get_data(as_text=True)
    r = contact.post("/disclosure/tasks/new", {"duty_id": duty.id, "formed_date": "2026-05-11", "title": "办公设备采购结果"})
    assert r.status_code == 302
    with app.app_context():
        t = db.session.scalar(select(Task).where(Task.title == "办公设备采购结果"))
        assert t.state == "acknowledged" and t.due_date == date(2026, 6, 8)
        assert t.unit_id == team["unit"].id
    other = make.duty(make.unit())
    r = contact.post("/disclosure/tasks/new", {"duty_id": other.id, "formed_date": "2026-05-11"})
    assert r.status_code == 404


@time_machine.travel(TODAY, tick=False)
def test_too_long_reason_or_note_is_refused_not_silently_dropped(app, make, login, team):
    """A verify note over 1000 characters used to be dropped and the task verified anyway."""
    task = make.task(make.duty(team["unit"], review_required=False), formed=date(2026, 4, 20))
    contact, office = login(team["contact"]), login(team["office"])
    contact.post(f"/disclosure/tasks/{task.id}/acknowledge")
    assert contact.post(f"/disclosure/tasks/{task.id}/submit", _pub()).status_code == 302
    r = office.post(f"/disclosure/tasks/{task.id}/verify", {"reason": "核" * 1001})
    assert r.status_code == 422 and "不能超过1000个字符" in r.get_data(as_text=True)
    assert _state(app, task.id) == "published"
    other = make.task(make.duty(team["unit"]), formed=date(2026, 4, 20))
    r = office.post(f"/disclosure/tasks/{other.id}/cancel", {"reason": "撤" * 1001})
    assert r.status_code == 422 and "不能超过1000个字符" in r.get_data(as_text=True)
    assert _state(app, other.id) == "pending_ack"
    assert office.post(f"/disclosure/tasks/{task.id}/verify", {"reason": "已核验网址"}).status_code == 302
    assert _state(app, task.id) == "verified"
