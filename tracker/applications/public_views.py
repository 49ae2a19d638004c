"""Pages for the public (no account): the online application form with its printable receipt, the
status lookup, and the reply letter's download for whoever just looked the application up."""
from datetime import timedelta

from flask import Blueprint, abort, flash, render_template, request, session
from flask_login import current_user

from .. import files
from ..access import public
from ..audit.services import record
from ..downloads import download
from ..errors import ServiceError
from ..extensions import db
from ..portal.services import office_phone, public_page
from ..timeutil import china_today, utcnow
from ..web import form_errors, refuse
from . import public as applicant_view
from . import ratings, services
from .forms import OnlineForm, PasswordRequestForm, RatingForm, StatusForm
from .models import Application, ApplicationDocument

bp = Blueprint("applications_public", __name__)

# After a successful lookup the browser may download that application's reply for a while.
GRANT_MINUTES = 30


def _ip() -> str:
    return (request.remote_addr or "-")[:64]


@bp.route("/apply", methods=["GET", "POST"])
@public
def apply():
    """Submit an application online; the answer is the receipt (回执), with the tracking code and the
    query password shown once."""
    form = OnlineForm()
    if form.validate_on_submit():
        try:
            app, password = services.submit_online(form.data, _ip())
        except services.ChallengeRequired as exc:
            refuse(exc, form)
            return _form_page(form, exc.challenge), 422
        except ServiceError as exc:
            refuse(exc, form)
            return _form_page(form), 422
        return render_template("applications/public_done.html", code=app.tracking_code, password=password,
                               receipt=applicant_view.receipt(app), office=public_page())
    if request.method == "POST":
        form_errors(form)
        return _form_page(form), 422
    return _form_page(form)


def _form_page(form: OnlineForm, challenge=None):
    """The form, with what was typed; with a (new) question while the city-wide rate is exceeded."""
    if challenge is None and services.challenge_needed():
        challenge = services.ask()
    if challenge is not None:
        form.challenge_token.data, form.challenge_answer.data = challenge.token, ""
    return render_template("applications/public_apply.html", form=form, challenge=challenge)


def _grant(app: Application) -> None:
    session["status_grant"] = {"id": app.id, "until": (utcnow() + timedelta(minutes=GRANT_MINUTES)).timestamp()}


def _granted(app_id: int) -> bool:
    grant = session.get("status_grant") or {}
    return grant.get("id") == app_id and grant.get("until", 0) > utcnow().timestamp()


@bp.route("/apply/status", methods=["GET", "POST"])
@public
def status():
    """Tracking code + query password → the application's progress (and nothing about anyone else)."""
    form = StatusForm()
    found = None
    if form.validate_on_submit():
        try:
            app = services.lookup_status(form.code.data, form.password.data, _ip())
        except services.LookupLocked as exc:
            return render_template("applications/public_status.html", form=form, found=None, locked=exc,
                                   office=public_page(), phone=office_phone())
        except ServiceError as exc:
            flash(exc.message, "danger")
            # 200, not 4xx: the failed attempt must be committed so that throttling counts it.
            return render_template("applications/public_status.html", form=form, found=None)
        _grant(app)
        found = applicant_view.status(app, china_today())
    elif request.method == "POST":
        form_errors(form)
        return render_template("applications/public_status.html", form=form, found=None), 422
    return render_template("applications/public_status.html", form=form, found=found, rating_form=RatingForm())


@bp.route("/apply/status/password", methods=["GET", "POST"])
@public
def password_request():
    """遗失查询密码: a new one is mailed to the email given with the application (recovery.py); the
    answer is the same whether or not the code exists."""
    form = PasswordRequestForm()
    sent = False
    if form.validate_on_submit():
        try:
            services.request_new_password(form.code.data, form.email.data, _ip())
            sent = True
        except ServiceError as exc:
            flash(exc.message, "danger")
    elif request.method == "POST":
        form_errors(form)
        return render_template("applications/public_password.html", form=form, sent=False,
                               answer=services.REQUEST_ANSWER), 422
    # 200 after a request, refused or not: the request row must be committed for the throttle.
    return render_template("applications/public_password.html", form=form, sent=sent, answer=services.REQUEST_ANSWER)


@bp.route("/apply/status/rating", methods=["POST"])
@public
def rate():
    """社会评议: the applicant who just looked the application up rates its reply (ratings.py)."""
    grant = session.get("status_grant") or {}
    app = db.session.get(Application, grant.get("id") or 0) if _granted(grant.get("id")) else None
    if app is None:
        flash("查询已过期，请重新输入查询码和查询密码后再评价。", "warning")
        return render_template("applications/public_status.html", form=StatusForm(), found=None), 200
    form = RatingForm()
    status_code = 200
    if not form.validate_on_submit():
        form_errors(form)
        status_code = 422
    else:
        try:
            ratings.rate(app, form.level.data, form.reason.data, form.comment.data,
                         actor=current_user if current_user.is_authenticated else None)
            flash("感谢您的评价！您的意见将用于改进政府信息公开工作。", "success")
        except services.Forbidden:
            abort(403)
        except ServiceError as exc:
            refuse(exc, form)
            status_code = 422
    return render_template("applications/public_status.html", form=StatusForm(), rating_form=form,
                           found=applicant_view.status(app, china_today())), status_code


@bp.route("/apply/status/reply/<int:document_id>")
@public
def reply_document(document_id):
    """The reply letter, for the browser that just looked its application up with code and password."""
    doc = db.session.get(ApplicationDocument, document_id)
    if doc is None or not _granted(doc.application_id):
        abort(404)
    app = db.session.get(Application, doc.application_id)
    if doc not in applicant_view.reply_documents(app):
        abort(404)
    record("application.reply_download", app, actor=None, note=doc.original_name)
    try:
        return download(files.path_of(doc.stored_name), doc.original_name, files.mime_type(doc.extension))
    except FileNotFoundError:
        abort(404)
