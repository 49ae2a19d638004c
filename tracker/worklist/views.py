"""待办: everything the user's unit owes (office and leaders: what is overdue or due soon)."""
from flask import Blueprint, render_template, request
from flask_login import current_user

from ..access import ALL_STAFF, allow
from ..timeutil import china_today
from . import services

bp = Blueprint("worklist", __name__)


@bp.route("/todo")
@allow(*ALL_STAFF)
def todo():
    today = china_today()
    descending = request.args.get("dir") == "desc"
    if current_user.sees_all_units:
        work = services.collect(current_user, services.WorkQuery(
            today, services.due_soon_cutoff(today), services.OWED_LIMIT, descending))
    else:
        work = services.owed(current_user, today, descending)
    return render_template("worklist/todo.html", work=work, today=today, descending=descending)
