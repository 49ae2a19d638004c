from flask import redirect, render_template, url_for
from flask import Blueprint
from flask_login import current_user

from ..access import ALL_STAFF, allow, public
from ..disclosure.services import dashboard_panel
from ..timeutil import china_today
from . import services

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@public
def home():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    return redirect(url_for("accounts.login"))


@bp.route("/dashboard")
@allow(*ALL_STAFF)
def index():
    today = china_today()
    if current_user.sees_all_units:
        return render_template("dashboard/office.html", overview=services.office_overview(current_user, today),
                               disclosure=dashboard_panel(current_user, today))
    return render_template("dashboard/unit.html", overview=services.unit_overview(current_user, today),
                           disclosure=dashboard_panel(current_user, today) if current_user.role == "reviewer" else None)
