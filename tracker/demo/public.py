"""Demo of what applicants see: the office's front page texts, signed replies filed with the
replied applications (so the status page offers a reply letter), the applicants' ratings of a few
replies (社会评议, one 不满意 waiting for the office), and one application whose query password is
printed with the logins, to try the status page (its reply is left to rate)."""
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select

from ..accounts.models import User
from ..applications.documents import add_document
from ..applications.letters import build_letter
from ..applications.models import Application, ApplicationDocument, ApplicationRating
from ..applications.services import hash_query_password
from ..extensions import db
from ..notify.models import Setting
from ..portal.services import DEFAULT_GUIDE, KEY, save_public_page
from ..timeutil import CHINA, china_today

DEMO_LOOKUP_PASSWORD = "GKDEMO2026"
CONTACT = ("地址：黑龙江省东宁市东宁镇明星街 市政务服务中心三楼 政务公开办\n电话：0453-3621234\n"
           "受理时间：工作日 上午 8:30—11:30，下午 13:30—17:00\n电子邮箱：gongkai@dongning.gov.cn")


def load_public_demo() -> tuple[str, str] | None:
    """Fill what the public pages show unless it is there; returns (tracking code, query password)
    of the application to look up on the status page, or None when there is no replied one."""
    office = db.session.scalar(select(User).where(User.username == "office"))
    if db.session.get(Setting, KEY) is None:
        save_public_page({"office_name": "东宁市人民政府办公室（政务公开办）", "site_name": "东宁市人民政府 政府信息公开",
                          "guide": "东宁市人民政府政府信息公开指南\n\n" + DEFAULT_GUIDE, "contact": CONTACT}, office)
    replied = db.session.scalars(select(Application).where(Application.state == "replied")
                                 .order_by(Application.closed_on.desc(), Application.id.desc())).all()
    filed = set(db.session.scalars(select(ApplicationDocument.application_id)
                                   .where(ApplicationDocument.kind == "reply")))
    for app in replied[:6]:
        if app.id not in filed:
            add_document(app, "reply", f"{app.tracking_code}-答复书（签发件）.docx", build_letter(app, "answer"),
                         actor=office)
    if not replied:
        return None
    _rate_replies(replied[1:])
    showcase = replied[0]
    showcase.query_password_hash = hash_query_password(DEMO_LOOKUP_PASSWORD)
    return showcase.tracking_code, DEMO_LOOKUP_PASSWORD


# (level, reason, comment) of the replies rated, newest reply first
DEMO_RATINGS = [
    ("satisfied", None, "答复及时，附件齐全，谢谢。"),
    ("dissatisfied", "incomplete", "申请的是2025年全年的明细，答复只提供了上半年的，请补充。"),
    ("basic", "unclear", None),
    ("satisfied", None, None),
]


def _rate_replies(replied: list[Application]) -> None:
    """Ratings given a few days after the latest replies (the showcase application is left unrated,
    for the visitor to try), unless some rating is there already. Rows as history: a rating given
    weeks ago is loaded with its own day."""
    if db.session.scalar(select(ApplicationRating.id).limit(1)) is not None:
        return
    today = china_today()
    for app, (level, reason, comment) in zip([a for a in replied if a.reply_date], DEMO_RATINGS):
        day = min(app.reply_date + timedelta(days=3), today)
        db.session.add(ApplicationRating(application_id=app.id, unit_id=app.unit_id, level=level, reason=reason,
                                         comment=comment, rated_on=day,
                                         at=datetime.combine(day, time(10), CHINA).astimezone(timezone.utc)))
    db.session.flush()
