"""The query password (查询密码) after the receipt: mailed with the receipt when the applicant gave an
email address, a new one by email for an applicant who lost it, or a new one at the counter.

The password is stored as a hash only, so "sending it again" always means issuing a new one (the
old one stops working). A request by email is throttled per address and per tracking code
(``PasswordResetRequest`` rows, ``throttle.py``), audited, and answered with the same words whether
or not the code exists and the email matches — the answer never tells a stranger anything.
"""
from flask import current_app
from sqlalchemy import select

from ..audit.services import record
from ..errors import ServiceError
from ..extensions import db
from ..notify.services import queue_mail
from ..throttle import recent_rows
from .handling import Forbidden
from .models import Application, PasswordResetRequest
from .notices import password_mail
from .registration import hash_query_password, new_query_password

REQUEST_ANSWER = ("如果查询码存在且邮箱与申请时填写的一致，新的查询密码已发送至该邮箱，原查询密码同时失效。"
                  "如未收到，请检查垃圾邮件，或携带身份证件到政务公开办窗口办理。")


def _issue(app: Application) -> str:
    password = new_query_password()
    app.query_password_hash = hash_query_password(password)
    db.session.flush()
    return password


def reset_query_password(app: Application, actor) -> str:
    """重置查询密码 at the counter: the office, having checked the applicant's identity, issues a new
    password, shown to it once (the caller renders it, never stores or flashes it)."""
    if actor is None or actor.role != "office":
        raise Forbidden("只有政务公开办可以重置查询密码。")
    password = _issue(app)
    record("application.reset_password", app, actor=actor, note="窗口重置查询密码（新密码仅显示一次）")
    return password


def request_new_password(code: str, email: str, ip: str) -> None:
    """An applicant who lost the query password asks for a new one by email. Refused only when the
    address or the code asked too often (the same answer for codes that exist or not); otherwise
    the new password goes to the email given with the application when ``email`` matches it."""
    cfg = current_app.config
    code = (code or "").strip().upper()[:40] or "-"
    email = (email or "").strip().lower()[:200]
    window = cfg.get("PASSWORD_REQUEST_WINDOW_SECONDS", 3600)
    if (recent_rows(PasswordResetRequest, window, ip=ip) >= cfg.get("PASSWORD_REQUESTS_PER_ADDRESS", 5)
            or recent_rows(PasswordResetRequest, window, code=code) >= cfg.get("PASSWORD_REQUESTS_PER_CODE", 3)):
        raise ServiceError("请求过于频繁，请一小时后再试，或到政务公开办窗口办理。")
    app = db.session.scalar(select(Application).where(Application.tracking_code == code))
    ok = bool(app and app.email and email and app.email.strip().lower() == email and app.state != "discarded")
    db.session.add(PasswordResetRequest(code=code, ip=ip, success=ok))
    if not ok:
        hash_query_password(new_query_password())  # the same work as a match: the time tells nothing
        record("application.password_request", None, actor=None, object_type="application",
               object_id=app.id if app else None, object_label=code, note="申请重发查询密码：查询码或邮箱不符，未发送")
        return
    password = _issue(app)
    queue_mail(app.email, password_mail(app, password, "您申请重新获取查询密码，新的查询密码如下，原查询密码已失效。"))
    record("application.password_request", app, actor=None, note="申请重发查询密码：已发送新密码至申请时填写的邮箱")
