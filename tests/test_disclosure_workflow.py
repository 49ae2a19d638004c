"""The task workflow in the order of 先审查、后公开 (domain.md §2): the contact submits the DRAFT,
the reviewer approves or returns it with a comment, the contact then publishes and records date,
channels and address (not before the approval), the office verifies or fails the verification,
which sends the task back to the unit as a counted correction. Every transition checks role, unit
and state, and leaves a TaskEvent and an audit record."""
import io
import os
from datetime import date

import pytest
import time_machine
from sqlalchemy import func, select

from tracker.accounts.models import User
from tracker.audit.models import AuditEvent
from tracker.disclosure import services
from tracker.disclosure.models import Task, TaskAttachment, TaskEvent
from tracker.errors import ServiceError
from tracker.extensions import db
from tracker.notify.models import Notification, OutboxMail

TODAY = "2026-05-20 10:00 +0800"
PDF = b"%PDF-1.7\n" + b"x" * 200


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


def _draft(**kw):
    data = {"draft_text": "2026年4月城乡低保资金发放情况：共发放低保金128.6万元，涉及2312户。",
            "channels": ["website", "wechat"], "attribute": "proactive", "no_state_secret": "y",
            "privacy": "redacted", "redaction_note": "名单隐去身份证号码中间8位", "doc_number": "东民发〔2026〕3号"}
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def _pub(**kw):
    data = {"published_on": "2026-05-06", "channels": ["website", "wechat"], "url": "https://www.dongning.gov.cn/a/1"}
    data.update(kw)
    return data


def _state(app, task_id):
    with app.app_context():
        return db.session.get(Task, task_id).state


def _events(app, task_id):
    with app.app_context():
        return [(e.action, e.from_state, e.to_state) for e in
                db.session.scalars(select(TaskEvent).where(TaskEvent.task_id == task_id).order_by(TaskEvent.id))]


def _user(team, role):
    return db.session.get(User, team[role].id)


def _approved_task(app, make, team, formed=date(2026, 4, 20), approved_on=date(2026, 5, 6), **draft):
    """A task of a reviewed duty whose draft the reviewer approved on ``approved_on``."""
    task = make.task(make.duty(team["unit"], review_required=True), formed=formed)
    with app.app_context():
        t = db.session.get(Task, task.id)
        services.acknowledge(t, _user(team, "contact"))
        services.submit_draft(t, _user(team, "contact"), services.Draft(
            draft.get("text", "正文"), ["website"], draft.get("attribute", "proactive"),
            draft.get("reason", ""), True, "absent"))
        services.approve(t, _user(team, "reviewer"), "同意公开。", approved_on)
        db.session.commit()
    return task


# --- the order ------------------------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
def test_draft_then_review_with_comment_then_publish_then_verify(app, make, login, team):
    task = make.task(make.duty(team["unit"], review_required=True), formed=date(2026, 4, 20))
    contact, reviewer, office = login(team["contact"]), login(team["reviewer"]), login(team["office"])
    assert contact.post(f"/disclosure/tasks/{task.id}/acknowledge").status_code == 302
    assert contact.post(f"/disclosure/tasks/{task.id}/draft", _draft()).status_code == 302
    assert _state(app, task.id) == "in_review"
    with app.app_context():
        t = db.session.get(Task, task.id)
        assert t.published_on is None and t.channels == []  # nothing is published before the review
        assert t.draft_channels == ["website", "wechat"] and t.disclosure_attribute == "proactive"
        assert t.no_state_secret is True and t.privacy == "redacted" and t.doc_number == "东民发〔2026〕3号"
    review_page = reviewer.get(f"/disclosure/tasks/{task.id}").get_data(as_text=True)
    assert "城乡低保资金发放情况：共发放低保金128.6万元" in review_page and "名单隐去身份证号码中间8位" in review_page
    assert reviewer.post(f"/disclosure/tasks/{task.id}/approve", {"comment": "同意公开，已审查不涉密。"}).status_code == 302
    assert _state(app, task.id) == "approved"
    assert contact.post(f"/disclosure/tasks/{task.id}/publish", _pub(published_on="2026-05-20")).status_code == 302
    assert _state(app, task.id) == "published"
    assert office.post(f"/disclosure/tasks/{task.id}/verify", {"reason": "网页已核对"}).status_code == 302
    assert _events(app, task.id) == [
        ("open", None, "pending_ack"), ("acknowledge", "pending_ack", "acknowledged"),
        ("submit", "acknowledged", "in_review"), ("approve", "in_review", "approved"),
        ("publish", "approved", "published"), ("verify", "published", "verified")]
    with app.app_context():
        t = db.session.get(Task, task.id)
        assert t.approved_on == date(2026, 5, 20) and t.review_comment == "同意公开，已审查不涉密。"
        assert sorted(t.channels) == ["website", "wechat"] and t.published_on == date(2026, 5, 20)
        assert not t.published_late  # due 2026-05-20 (across May Day)
        approval = db.session.scalar(select(TaskEvent).where(TaskEvent.task_id == task.id,
                                                             TaskEvent.action == "approve"))
        assert approval.reason == "同意公开，已审查不涉密。" and approval.actor_id == team["reviewer"].id
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "disclosure_task",
                                                                     AuditEvent.object_id == str(task.id))).all()
        assert {"disclosure.acknowledge", "disclosure.submit", "disclosure.approve", "disclosure.publish",
                "disclosure.verify"} <= set(actions)
    page = office.get(f"/disclosure/tasks/{task.id}").get_data(as_text=True)
    assert "审核通过待发布 → 已发布待核验" in page and "网页已核对" in page and "同意公开，已审查不涉密。" in page


@time_machine.travel(TODAY, tick=False)
def test_nothing_needing_review_is_published_before_the_approval(app, make, team):
    task = make.task(make.duty(team["unit"], review_required=True), formed=date(2026, 4, 20))
    with app.app_context():
        t, contact = db.session.get(Task, task.id), _user(team, "contact")
        pub = services.PublicationRecord(date(2026, 5, 6), ["website"], "https://x.gov.cn/1")
        services.acknowledge(t, contact)
        with pytest.raises(ServiceError, match="须经审核"):
            services.publish(t, contact, pub, date(2026, 5, 20))
        services.submit_draft(t, contact, services.Draft("正文", ["website"], "proactive", "", True, "absent"))
        with pytest.raises(ServiceError, match="须经审核"):
            services.publish(t, contact, pub, date(2026, 5, 20))  # in review: still not
        with pytest.raises(ServiceError, match="审核人"):
            services.approve(t, contact, "我同意")  # a contact cannot approve their own draft
        assert t.state == "in_review" and t.published_on is None
        db.session.rollback()


@time_machine.travel(TODAY, tick=False)
def test_the_publication_date_may_not_come_before_the_approval(app, make, login, team):
    task = _approved_task(app, make, team, approved_on=date(2026, 5, 12))
    contact = login(team["contact"])
    r = contact.post(f"/disclosure/tasks/{task.id}/publish", _pub(published_on="2026-05-11"))
    assert r.status_code == 422 and "不能早于审核通过日期（2026-05-12）" in r.get_data(as_text=True)
    assert _state(app, task.id) == "approved"
    assert contact.post(f"/disclosure/tasks/{task.id}/publish", _pub(published_on="2026-05-12")).status_code == 302
    assert _state(app, task.id) == "published"


@time_machine.travel(TODAY, tick=False)
def test_the_reviewer_comments_either_way(app, make, login, team):
    task = make.task(make.duty(team["unit"]), formed=date(2026, 4, 20))
    contact, reviewer = login(team["contact"]), login(team["reviewer"])
    contact.post(f"/disclosure/tasks/{task.id}/acknowledge")
    contact.post(f"/disclosure/tasks/{task.id}/draft", _draft())
    r = reviewer.post(f"/disclosure/tasks/{task.id}/approve", {"comment": "  "})
    assert r.status_code == 422 and "请填写审核意见" in r.get_data(as_text=True)
    r = reviewer.post(f"/disclosure/tasks/{task.id}/return", {"reason": " "})
    assert r.status_code == 422 and "请填写退回原因" in r.get_data(as_text=True)
    assert _state(app, task.id) == "in_review" and len(_events(app, task.id)) == 3


@time_machine.travel(TODAY, tick=False)
def test_a_returned_draft_is_corrected_and_submitted_again(app, make, login, team):
    task = make.task(make.duty(team["unit"]), formed=date(2026, 4, 20))
    contact, reviewer = login(team["contact"]), login(team["reviewer"])
    contact.post(f"/disclosure/tasks/{task.id}/acknowledge")
    contact.post(f"/disclosure/tasks/{task.id}/draft", _draft(redaction_note="无", privacy="redacted"))
    assert reviewer.post(f"/disclosure/tasks/{task.id}/return", {"reason": "名单含完整身份证号码"}).status_code == 302
    assert _state(app, task.id) == "returned"
    page = contact.get(f"/disclosure/tasks/{task.id}").get_data(as_text=True)
    assert "名单含完整身份证号码" in page and "id=\"draft-form\"" in page
    assert contact.post(f"/disclosure/tasks/{task.id}/draft", _draft()).status_code == 302
    assert reviewer.post(f"/disclosure/tasks/{task.id}/approve", {"comment": "同意"}).status_code == 302
    assert [e[0] for e in _events(app, task.id)][-4:] == ["submit", "return", "submit", "approve"]
    with app.app_context():
        ev = db.session.scalar(select(TaskEvent).where(TaskEvent.task_id == task.id, TaskEvent.action == "return"))
        assert ev.reason == "名单含完整身份证号码" and ev.actor_id == team["reviewer"].id


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("change, message", [
    ({"draft_text": ""}, "请填写送审稿正文或上传送审稿文件"),
    ({"channels": []}, "请选择拟公开渠道"),
    ({"attribute": None}, "请选择公开属性"),
    ({"attribute": "not_public", "attribute_reason": ""}, "须说明理由和依据"),
    ({"attribute": "on_request", "attribute_reason": ""}, "须说明理由和依据"),
    ({"no_state_secret": None}, "不涉及国家秘密"),
    ({"privacy": None}, "是否涉及商业秘密和个人隐私"),
    ({"privacy": "redacted", "redaction_note": ""}, "请说明如何处理"),
    ({"normative": "y", "doc_number": ""}, "规范性文件须填写文号"),
    ({"draft_text": "字" * 20001}, "不能超过20000个字符"),
])
def test_an_incomplete_draft_is_refused_and_changes_nothing(app, make, login, team, change, message):
    task = make.task(make.duty(team["unit"]), formed=date(2026, 4, 20))
    contact = login(team["contact"])
    contact.post(f"/disclosure/tasks/{task.id}/acknowledge")
    r = contact.post(f"/disclosure/tasks/{task.id}/draft", _draft(**change))
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    with app.app_context():
        t = db.session.get(Task, task.id)
        assert t.state == "acknowledged" and t.draft_text is None and t.disclosure_attribute is None


@time_machine.travel(TODAY, tick=False)
def test_a_draft_may_be_a_file_and_a_refused_draft_leaves_no_file(app, make, login, team):
    task = make.task(make.duty(team["unit"]), formed=date(2026, 4, 20))
    contact = login(team["contact"])
    contact.post(f"/disclosure/tasks/{task.id}/acknowledge")
    files_before = set(os.listdir(app.config["UPLOAD_FOLDER"]))
    refused = contact.post(f"/disclosure/tasks/{task.id}/draft",
                           _draft(draft_text="", no_state_secret=None, draft_file=(io.BytesIO(PDF), "送审稿.pdf")),
                           content_type="multipart/form-data")
    assert refused.status_code == 422 and "不涉及国家秘密" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TaskAttachment)) == 0
    assert set(os.listdir(app.config["UPLOAD_FOLDER"])) == files_before  # the refused draft stored no file
    ok = contact.post(f"/disclosure/tasks/{task.id}/draft",
                      _draft(draft_text="", draft_file=(io.BytesIO(PDF), "送审稿.pdf")),
                      content_type="multipart/form-data")
    assert ok.status_code == 302 and _state(app, task.id) == "in_review"
    with app.app_context():
        item = db.session.scalar(select(TaskAttachment))
        assert item.kind == "draft" and item.original_name == "送审稿.pdf"
    reviewer_page = login(team["reviewer"]).get(f"/disclosure/tasks/{task.id}").get_data(as_text=True)
    assert "送审稿.pdf" in reviewer_page


@time_machine.travel(TODAY, tick=False)
def test_a_draft_not_for_proactive_disclosure_is_approved_but_not_published(app, make, login, team):
    task = _approved_task(app, make, team, attribute="not_public", reason="涉及个人隐私（条例第十五条）")
    contact, office = login(team["contact"]), login(team["office"])
    page = contact.get(f"/disclosure/tasks/{task.id}").get_data(as_text=True)
    assert "不主动公开" in page and 'id="publication-form"' not in page
    r = contact.post(f"/disclosure/tasks/{task.id}/publish", _pub())
    assert r.status_code == 422 and "公开属性为“不予公开”" in r.get_data(as_text=True)
    assert office.post(f"/disclosure/tasks/{task.id}/cancel", {"reason": "经审核不予公开"}).status_code == 302
    assert _state(app, task.id) == "cancelled"


@time_machine.travel(TODAY, tick=False)
def test_without_review_the_contact_publishes_directly(app, make, login, team):
    task = make.task(make.duty(team["unit"], review_required=False), formed=date(2026, 4, 20))
    contact = login(team["contact"])
    contact.post(f"/disclosure/tasks/{task.id}/acknowledge")
    r = contact.post(f"/disclosure/tasks/{task.id}/draft", _draft())
    assert r.status_code == 422 and "无须审核" in r.get_data(as_text=True)
    assert contact.post(f"/disclosure/tasks/{task.id}/publish", _pub(doc_number="东民发〔2026〕9号")).status_code == 302
    assert _state(app, task.id) == "published"
    assert _events(app, task.id)[-1] == ("publish", "acknowledged", "published")
    with app.app_context():
        assert db.session.get(Task, task.id).doc_number == "东民发〔2026〕9号"


# --- the office's verification --------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
def test_a_failed_verification_sends_the_task_back_counted_until_the_unit_corrects_it(app, make, login, team):
    task = _approved_task(app, make, team)
    contact, office = login(team["contact"]), login(team["office"])
    contact.post(f"/disclosure/tasks/{task.id}/publish", _pub())
    r = office.post(f"/disclosure/tasks/{task.id}/fail", {"reason": ""})
    assert r.status_code == 422 and "请填写核验未通过的原因" in r.get_data(as_text=True)
    assert office.post(f"/disclosure/tasks/{task.id}/fail", {"reason": "网址无法打开（404）"}).status_code == 302
    with app.app_context():
        t = db.session.get(Task, task.id)
        assert t.state == "rework" and t.verify_failures == 1 and t.verify_failure_reason == "网址无法打开（404）"
        assert t.is_open and not t.is_published
    page = contact.get(f"/disclosure/tasks/{task.id}").get_data(as_text=True)
    assert "网址无法打开（404）" in page and 'id="publication-form"' in page
    assert office.post(f"/disclosure/tasks/{task.id}/verify").status_code == 422  # nothing to verify now
    r = contact.post(f"/disclosure/tasks/{task.id}/publish", _pub(url="https://www.dongning.gov.cn/a/1-new"))
    assert r.status_code == 302 and _state(app, task.id) == "published"
    office.post(f"/disclosure/tasks/{task.id}/fail", {"reason": "附件缺失"})
    contact.post(f"/disclosure/tasks/{task.id}/publish", _pub(url="https://www.dongning.gov.cn/a/1-new2"))
    assert office.post(f"/disclosure/tasks/{task.id}/verify", {"reason": "整改到位"}).status_code == 302
    assert [e[0] for e in _events(app, task.id)][-5:] == [
        "fail_verification", "republish", "fail_verification", "republish", "verify"]
    with app.app_context():
        t = db.session.get(Task, task.id)
        assert t.state == "verified" and t.verify_failures == 2 and t.url.endswith("1-new2")


@time_machine.travel(TODAY, tick=False)
def test_a_task_sent_back_by_the_office_is_open_and_overdue_past_its_deadline(app, make, team):
    duty = make.duty(team["unit"], review_required=False)
    failed = make.task(duty, formed=date(2026, 3, 2))    # due 2026-03-30
    on_time = make.task(duty, formed=date(2026, 3, 2))
    with app.app_context():
        contact, office = _user(team, "contact"), _user(team, "office")
        for task_id in (failed.id, on_time.id):
            t = db.session.get(Task, task_id)
            services.acknowledge(t, contact)
            services.publish(t, contact, services.PublicationRecord(date(2026, 3, 27), ["gazette"]), date(2026, 5, 20))
        services.fail_verification(db.session.get(Task, failed.id), office, "公报中未见该信息")
        db.session.commit()
        today = date(2026, 5, 20)
        cutoff = services.due_soon_cutoff(today)

        def ids(flag):
            return {t.id for t in db.session.scalars(
                services.task_query(services.TaskFilters(flag=flag), office, today, cutoff)).unique()}
        assert ids("overdue") == {failed.id} and ids("rework") == {failed.id} and ids("failed") == {failed.id}
        assert ids("on_time") == {on_time.id} and ids("to_verify") == {on_time.id}
        failures = db.session.scalar(select(func.sum(Task.verify_failures)).where(
            services.verification_failed_clause()))
        assert failures == 1
        row = services.unit_supervision(office, today, cutoff, 2026)[0]
        assert (row["overdue"], row["on_time"], row["failed"], row["to_verify"]) == (1, 1, 1, 1)


@time_machine.travel(TODAY, tick=False)
def test_each_hand_off_is_told_to_the_next_person(app, make, login, team):
    """Draft → the reviewers; the decision → the contacts; a failed verification → contacts and
    reviewers, by mail at once even for someone who chose the weekly digest."""
    task = make.task(make.duty(team["unit"]), formed=date(2026, 4, 20))
    with app.app_context():
        db.session.get(User, team["reviewer"].id).mail_mode = "digest"
        db.session.commit()
    contact, reviewer, office = login(team["contact"]), login(team["reviewer"]), login(team["office"])
    contact.post(f"/disclosure/tasks/{task.id}/acknowledge")
    contact.post(f"/disclosure/tasks/{task.id}/draft", _draft())
    reviewer.post(f"/disclosure/tasks/{task.id}/approve", {"comment": "同意，请按时发布"})
    assert contact.post(f"/disclosure/tasks/{task.id}/publish", _pub(published_on="2026-05-20")).status_code == 302
    assert office.post(f"/disclosure/tasks/{task.id}/fail", {"reason": "网址无法打开"}).status_code == 302
    with app.app_context():
        def titles(user_id):
            return [n.title for n in db.session.scalars(select(Notification).where(Notification.user_id == user_id)
                                                        .order_by(Notification.id))]
        name = db.session.get(Task, task.id).title
        assert titles(team["reviewer"].id) == [f"【送审】{name}", f"【核验未通过】{name}"]
        assert titles(team["contact"].id) == [f"【新公开任务】{name}", f"【审核通过】{name}", f"【核验未通过】{name}"]
        reviewer_mails = db.session.scalars(select(OutboxMail.subject).where(
            OutboxMail.user_id == team["reviewer"].id)).all()
        assert reviewer_mails == [f"【核验未通过】{name}"]  # the draft waits for the digest; the correction does not
        body = db.session.scalar(select(Notification.body).where(Notification.user_id == team["contact"].id,
                                                                 Notification.title.startswith("【审核通过】")))
        assert "同意，请按时发布" in body


# --- checks on every transition -------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
def test_roles_and_units_are_checked(app, make, login, team):
    task = make.task(make.duty(team["unit"]), formed=date(2026, 4, 20))
    other_contact = make.user("contact", unit=make.unit())
    # another unit's contact cannot even see the task
    assert login(other_contact).post(f"/disclosure/tasks/{task.id}/acknowledge").status_code == 404
    contact = login(team["contact"])
    contact.post(f"/disclosure/tasks/{task.id}/acknowledge")
    contact.post(f"/disclosure/tasks/{task.id}/draft", _draft())
    assert login(team["other_reviewer"]).post(f"/disclosure/tasks/{task.id}/approve",
                                              {"comment": "同意"}).status_code == 404
    with app.app_context():
        t = db.session.get(Task, task.id)
        with pytest.raises(ServiceError, match="其他单位"):
            services.approve(t, _user(team, "other_reviewer"), "同意")
        db.session.rollback()
    assert login(team["office"]).post(f"/disclosure/tasks/{task.id}/approve", {"comment": "同意"}).status_code == 403
    assert login(team["reviewer"]).post(f"/disclosure/tasks/{task.id}/fail", {"reason": "x"}).status_code == 403
    assert _state(app, task.id) == "in_review"


@time_machine.travel(TODAY, tick=False)
def test_wrong_state_is_refused_in_chinese_and_changes_nothing(app, make, login, team):
    task = make.task(make.duty(team["unit"]), formed=date(2026, 4, 20))
    contact = login(team["contact"])
    r = contact.post(f"/disclosure/tasks/{task.id}/draft", _draft())
    assert r.status_code == 422 and "不能提交审核" in r.get_data(as_text=True)
    assert _state(app, task.id) == "pending_ack"
    assert login(team["office"]).post(f"/disclosure/tasks/{task.id}/verify").status_code == 422
    assert login(team["office"]).post(f"/disclosure/tasks/{task.id}/fail", {"reason": "无"}).status_code == 422
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
    task = make.task(make.duty(team["unit"], review_required=False), formed=date(2026, 4, 20))
    contact = login(team["contact"])
    contact.post(f"/disclosure/tasks/{task.id}/acknowledge")
    r = contact.post(f"/disclosure/tasks/{task.id}/publish", _pub(**change))
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
        contact = _user(team, "contact")
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
def test_office_chooses_the_unit_first_then_one_of_its_items(app, make, login, team):
    """A city's catalogue runs to thousands of items: the office's form offers one unit's at a time."""
    mine = make.duty(team["unit"], title="政府采购项目信息")
    elsewhere = make.duty(make.unit("czj", "财政局"), title="财政预决算")
    office = login(team["office"])
    page = office.get("/disclosure/tasks/new").get_data(as_text=True)
    assert 'name="unit"' in page and "请先选择单位" in page
    assert "政府采购项目信息" not in page and "财政预决算" not in page
    page = office.get(f"/disclosure/tasks/new?unit={team['unit'].id}").get_data(as_text=True)
    assert "政府采购项目信息" in page and "财政预决算" not in page
    page = office.get(f"/disclosure/tasks/new?duty={elsewhere.id}").get_data(as_text=True)
    assert "财政预决算" in page and "政府采购项目信息" not in page  # a preset item brings its unit
    r = office.post("/disclosure/tasks/new", {"unit": team["unit"].id, "duty_id": mine.id, "formed_date": "2026-05-40"})
    assert r.status_code == 422 and "政府采购项目信息" in r.get_data(as_text=True)  # the unit's items again
    r = office.post("/disclosure/tasks/new", {"unit": team["unit"].id, "duty_id": mine.id, "formed_date": "2026-05-11",
                                              "title": "公开办代为登记的采购结果"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Task.unit_id).where(Task.title == "公开办代为登记的采购结果")) == team["unit"].id
    page = login(team["contact"]).get("/disclosure/tasks/new").get_data(as_text=True)
    assert 'name="unit"' not in page and "政府采购项目信息" in page and "财政预决算" not in page


@time_machine.travel(TODAY, tick=False)
def test_too_long_reason_or_note_is_refused_not_silently_dropped(app, make, login, team):
    """A verify note over 1000 characters used to be dropped and the task verified anyway."""
    task = make.task(make.duty(team["unit"], review_required=False), formed=date(2026, 4, 20))
    contact, office = login(team["contact"]), login(team["office"])
    contact.post(f"/disclosure/tasks/{task.id}/acknowledge")
    assert contact.post(f"/disclosure/tasks/{task.id}/publish", _pub()).status_code == 302
    r = office.post(f"/disclosure/tasks/{task.id}/verify", {"reason": "核" * 1001})
    assert r.status_code == 422 and "不能超过1000个字符" in r.get_data(as_text=True)
    r = office.post(f"/disclosure/tasks/{task.id}/fail", {"reason": "核" * 1001})
    assert r.status_code == 422 and "不能超过1000个字符" in r.get_data(as_text=True)
    assert _state(app, task.id) == "published"
    other = make.task(make.duty(team["unit"]), formed=date(2026, 4, 20))
    r = office.post(f"/disclosure/tasks/{other.id}/cancel", {"reason": "撤" * 1001})
    assert r.status_code == 422 and "不能超过1000个字符" in r.get_data(as_text=True)
    assert _state(app, other.id) == "pending_ack"
    assert office.post(f"/disclosure/tasks/{task.id}/verify", {"reason": "已核验网址"}).status_code == 302
    assert _state(app, task.id) == "verified"
