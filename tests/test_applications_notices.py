"""Nobody is left untold: routing an application tells the unit's contact and reviewer at
once (bell and mail), a unit sending one back tells the office, and an applicant who gave an email
address receives, through the outbox, each letter as generated — receipt, correction notice,
extension notice, fee notice, reply — once each, at a real SMTP server on loopback."""
from datetime import date as D
from datetime import datetime, timezone
from io import BytesIO

import pytest
import time_machine
from docx import Document
from sqlalchemy import func, select

from tracker.accounts.models import User
from tracker.applications import notices
from tracker.applications import services as s
from tracker.applications.models import Application
from tracker.extensions import db
from tracker.notify.models import Notification, OutboxAttachment, OutboxMail
from tracker.notify.sender import send_due_mails

# Acts dated months before the day they are recorded here: the 补录 rules are tested on their own.
pytestmark = pytest.mark.usefixtures("recorded_history")

APPLICANT = "wangxm@example.com"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc), tick=False):
        yield


@pytest.fixture
def city(make):
    office_unit = make.unit(kind="office")
    unit, other = make.unit(name="民政局"), make.unit(name="财政局")
    return {"unit": unit, "other": other,
            "office": make.user("office", unit=office_unit, email="office@dongning.gov.cn"),
            "contact": make.user("contact", unit=unit, email="mzj-lly@dongning.gov.cn"),
            "reviewer": _digest_user(make, make.user("reviewer", unit=unit, email="mzj-shr@dongning.gov.cn")),
            "other_contact": make.user("contact", unit=other, email="czj-lly@dongning.gov.cn"),
            "other_reviewer": make.user("reviewer", unit=other, email="czj-shr@dongning.gov.cn")}


def _digest_user(make, user):
    """A user who chose to have reminders held for the weekly digest."""
    with make.app.app_context():
        db.session.get(User, user.id).mail_mode = "digest"
        db.session.commit()
    return user


def _told(user):
    """(bell titles, mail subjects) of a user."""
    bells = db.session.scalars(select(Notification.title).where(Notification.user_id == user.id)
                               .order_by(Notification.id)).all()
    mails = db.session.scalars(select(OutboxMail.subject).where(OutboxMail.user_id == user.id)
                               .order_by(OutboxMail.id)).all()
    return bells, mails


def test_routing_tells_the_units_contact_and_reviewer_at_once(app, make, login, city):
    a = make.application(city["unit"], D(2026, 11, 16), title="低保资金发放明细")
    office = login(city["office"])
    r = office.post(f"/applications/{a.id}/act/route", {"route-unit_id": city["other"].id, "route-note": "属财政局职责"})
    assert r.status_code == 302
    with app.app_context():
        subject = f"【新分办申请】{a.tracking_code} 低保资金发放明细"
        for role in ("other_contact", "other_reviewer"):
            assert _told(city[role]) == ([subject], [subject]), role
        body = db.session.scalar(select(OutboxMail.body_text).where(OutboxMail.user_id == city["other_contact"].id))
        assert "属财政局职责" in body and "答复期限 2026-12-14" in body
        assert _told(city["contact"]) == ([], [])  # the unit it left is not the one to act


def test_a_reviewer_who_chose_the_weekly_digest_still_gets_the_routing_mail_at_once(app, make, city):
    a = make.application(city["other"], D(2026, 11, 16))
    with app.app_context():
        s.route(db.session.get(Application, a.id), city["unit"].id, actor=db.session.get(User, city["office"].id))
        db.session.commit()
        bells, mails = _told(city["reviewer"])
        assert len(bells) == 1 and mails == bells


def test_the_office_registering_or_confirming_an_application_routes_it(app, make, city):
    with app.app_context():
        office = db.session.get(User, city["office"].id)
        registered, _ = s.register_application({
            "channel": "signed_post", "receipt_date": D(2026, 11, 18), "unit_id": city["unit"].id,
            "applicant_kind": "natural", "applicant_name": "王小明", "id_number": "230102199001011234",
            "phone": "13800000000", "title": "医保定点名单", "description": "请公开医保定点机构名单",
            "form_wanted": "paper", "delivery_wanted": "post"}, actor=office)
        online, _ = s.submit_online({"applicant_kind": "natural", "applicant_name": "李四", "id_number": "230102199001015678",
                                     "phone": "13900000000", "title": "学校布局调整方案", "description": "请公开布局调整规划",
                                     "form_wanted": "electronic", "delivery_wanted": "email"}, "10.0.0.9")
        assert _told(city["contact"]) == ([f"【新分办申请】{registered.tracking_code} 医保定点名单"],) * 2
        s.confirm_online(online, D(2026, 11, 20), city["unit"].id, actor=office)
        db.session.commit()
        assert len(_told(city["contact"])[0]) == 2 and len(_told(city["reviewer"])[0]) == 2
        # a contact registering a letter their own unit received routes nothing to anyone
        s.register_application({
            "channel": "in_person", "receipt_date": D(2026, 11, 19), "unit_id": city["unit"].id,
            "applicant_kind": "natural", "applicant_name": "赵六", "id_number": "230102199001019999", "phone": "1",
            "title": "道路建设资金", "description": "请公开", "form_wanted": "paper", "delivery_wanted": "post"},
            actor=db.session.get(User, city["contact"].id))
        assert len(_told(city["reviewer"])[0]) == 2


def test_a_unit_sending_one_back_tells_the_office_and_its_colleagues(app, make, login, city):
    a = make.application(city["unit"], D(2026, 11, 16))
    r = login(city["contact"]).post(f"/applications/{a.id}/act/return", {"return-reason": "不属于本单位职责"})
    assert r.status_code == 302
    with app.app_context():
        subject = f"【申请退回】{a.tracking_code} {a.title}"
        assert _told(city["office"]) == ([subject], [subject])
        assert _told(city["reviewer"])[0] == [subject]
        assert _told(city["contact"]) == ([], [])  # who sent it back knows
        body = db.session.scalar(select(Notification.body).where(Notification.user_id == city["office"].id))
        assert "民政局将依申请公开申请" in body and "不属于本单位职责" in body


def _docx_text(part) -> str:
    return "\n".join(p.text for p in Document(BytesIO(part.get_content())).paragraphs)


def test_the_applicants_mails_arrive_once_each_with_the_letters_attached(app, make, city, smtp):
    a = make.application(city["unit"], D(2026, 6, 1), email=APPLICANT, applicant_name="王小明",
                         title="2025年低保资金发放明细")  # receipt mailed at registration
    with app.app_context():
        a = db.session.get(Application, a.id)
        contact, reviewer = db.session.get(User, city["contact"].id), db.session.get(User, city["reviewer"].id)
        s.request_correction(a, D(2026, 6, 3), D(2026, 6, 17), "请写明所需信息的年份和范围", actor=contact)
        s.receive_correction(a, D(2026, 6, 8), actor=contact)
        s.extend(a, 10, D(2026, 6, 10), D(2026, 6, 10), "需要调取历年档案", actor=reviewer)
        s.send_fee_notice(a, D(2026, 6, 12), D(2026, 6, 15), "volume", 250, actor=contact)
        s.record_payment(a, D(2026, 6, 22), actor=contact)
        s.reply(a, "grant", D(2026, 7, 20), "email", None, "已按申请人要求的形式提供。", actor=contact)
        db.session.commit()
        for _ in range(2):  # a second sender run sends nothing again
            send_due_mails()
        mails = smtp.sink.to(APPLICANT)
        subjects = [m["Subject"] for m in mails]
        code = a.tracking_code
        assert subjects == [f"【政府信息公开申请回执】{code}", f"【补正告知】{code}", f"【延期答复告知】{code}",
                            f"【信息处理费收费通知】{code}", f"【政府信息公开申请答复】{code}"]
        letters = {}
        for mail in mails:
            files = [p for p in mail.iter_attachments()]
            assert len(files) == 1 and files[0].get_content_type().endswith("wordprocessingml.document")
            assert files[0].get_filename().startswith(code)
            letters[mail["Subject"]] = _docx_text(files[0])
            assert "查询码" in mail.get_body(("plain",)).get_content()
        assert f"查询码为 {code}" in letters[subjects[0]] and "民政局" in letters[subjects[0]]
        assert "请写明所需信息的年份和范围" in letters[subjects[1]] and "2026年6月17日" in letters[subjects[1]]
        assert "延长10个工作日" in letters[subjects[2]]
        assert "4700元" in letters[subjects[3]] and "250页" in letters[subjects[3]]
        assert "予以公开" in letters[subjects[4]]
        # queued once each: asked again for the same letter, the outbox adds nothing
        assert notices.to_applicant(a, "receipt") is False
        assert db.session.scalar(select(func.count()).select_from(OutboxMail).where(OutboxMail.to_addr == APPLICANT)) == 5
        assert db.session.scalar(select(func.count()).select_from(OutboxAttachment)) == 5


def test_the_online_applicant_gets_the_receipt_when_the_office_confirms(app, make, city, smtp):
    with app.app_context():
        a, _ = s.submit_online({"applicant_kind": "natural", "applicant_name": "张三", "id_number": "230102199001011234",
                                "email": APPLICANT, "title": "老旧小区改造招标文件", "description": "请公开招标公告",
                                "form_wanted": "electronic", "delivery_wanted": "email"}, "10.0.0.1")
        db.session.commit()
        send_due_mails()
        # at once: the code and the query password of the receipt page (a refresh loses them), no letter
        [codes] = smtp.sink.to(APPLICANT)
        assert a.tracking_code in codes.get_body(("plain",)).get_content() and not list(codes.iter_attachments())
        s.confirm_online(a, D(2026, 11, 20), city["unit"].id, actor=db.session.get(User, city["office"].id))
        db.session.commit()
        send_due_mails()
        [_, mail] = smtp.sink.to(APPLICANT)
        letter = _docx_text(next(mail.iter_attachments()))
        assert "2026年11月20日收到" in letter and "民政局" in letter and "2026年12月18日" in letter


def test_an_applicant_without_an_email_address_gets_no_mail(app, make, city):
    a = make.application(city["unit"], D(2026, 6, 1))
    with app.app_context():
        s.reply(db.session.get(Application, a.id), "grant", D(2026, 6, 10), "signed", D(2026, 6, 10),
                actor=db.session.get(User, city["contact"].id))
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(OutboxMail).where(OutboxMail.user_id.is_(None))) == 0
