from flask import Blueprint, render_template, request

from ..access import allow
from ..web import filter_names
from .log import log_page
from .present import present
from .services import ACTION_LABELS

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("/")
@allow("office", "leader")
@filter_names("action", "object_type", "object_id")
def index():
    """The log, newest first, a page at a time (较新/较早 links keep the filters)."""
    args = request.args
    filters = {name: args.get(name, "").strip()[:60] for name in ("action", "object_type", "object_id")}
    page = log_page(filters, older=args.get("older"), newer=args.get("newer"))
    return render_template("audit/index.html", page=page, rows=present(page.events), labels=ACTION_LABELS,
                           action=filters["action"])
