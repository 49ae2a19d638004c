"""Pages for the public (no account): the online application form and the status lookup."""
from flask import Blueprint, flash, render_template, request

from ..access import public
from ..errors import ServiceError
from ..web import form_errors, refuse
from . import services
from .forms import OnlineForm, StatusForm
from .models import STATES

bp = Blueprint("applications_public", __name__)


def _ip() -> str:
    return (request.remote_addr or "-")[:64]


@bp.route("/apply", methods=["GET", "POST"])
@public
def apply():
    """Submit an application online; the answer shows the tracking code and query password once."""
    form = OnlineForm()
    if form.validate_on_submit():
        try:
            app, password = services.submit_online(form.data, _ip())
        except ServiceError as exc:
            refuse(exc, form)
            return render_template("applications/public_apply.html", form=form), 422
        return render_template("applications/public_done.html", code=app.tracking_code, password=password)
    if request.method == "POST":
        form_errors(form)
        return render_template("applications/public_apply.html", form=form), 422
    return render_template("applications/public_apply.html", form=form)


@bp.route("/apply/status", methods=["GET", "POST"])
@public
def status():
    """Tracking code + query password → state and deadline only (nothing else about anyone)."""
    form = StatusForm()
    found = None
    if form.validate_on_submit():
        try:
            app = services.lookup_status(form.code.data, form.password.data, _ip())
        except ServiceError as exc:
            flash(exc.message, "danger")
            # 200, not 4xx: the failed attempt must be committed so that throttling counts it.
            return render_template("applications/public_status.html", form=form, found=None)
        found = {"code": app.tracking_code, "state": STATES.get(app.state, app.state), "due": app.due_date,
                 "provisional": app.due_provisional, "paused": app.is_paused, "pause_due": app.pause_due,
                 "closed_on": app.closed_on, "receipt_date": app.receipt_date, "closed": app.is_closed}
    elif request.method == "POST":
        form_errors(form)
        return render_template("applications/public_status.html", form=form, found=None), 422
    return render_template("applications/public_status.html", form=form, found=found)
