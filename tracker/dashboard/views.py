from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import ALL_STAFF, allow, public
from ..disclosure.services import dashboard_panel
from ..portal.views import home_page
from ..timeutil import china_today
from . import services

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@public
def home():
    """Staff go to their dashboard; everyone else sees the public front page (how to apply)."""
    if current_user.is_authenticated and not request.args.get("preview"):
        return redirect(url_for("dashboard.index"))
    return home_page()


@bp.route("/dashboard")
@allow(*ALL_STAFF)
def index():
    today = china_today()
    if current_user.sees_all_units:
        return render_template("dashboard/office.html", overview=services.office_overview(current_user, today),
                               disclosure=dashboard_panel(current_user, today))
    return render_template("dashboard/unit.html", overview=services.unit_overview(current_user, today),
                           disclosure=dashboard_panel(current_user, today) if current_user.role == "reviewer" else None)
