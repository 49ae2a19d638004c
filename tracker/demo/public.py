"""Demo of what applicants see: the office's front page texts, signed replies filed with the
replied applications (so the status page offers a reply letter), and one application whose query
password is printed with the logins, to try the status page."""
from sqlalchemy import select

from ..accounts.models import User
from ..applications.documents import add_document
from ..applications.letters import build_letter
from ..applications.models import Application, ApplicationDocument
from ..applications.services import hash_query_password
from ..extensions import db
from ..notify.models import Setting
from ..portal.services import DEFAULT_GUIDE, KEY, save_public_page

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
    showcase = replied[0]
    showcase.query_password_hash = hash_query_password(DEMO_LOOKUP_PASSWORD)
    return showcase.tracking_code, DEMO_LOOKUP_PASSWORD
