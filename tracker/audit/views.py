from flask import Blueprint, render_template, request
from sqlalchemy import select

from ..access import allow
from ..extensions import db
from .models import AuditEvent
from .present import present
from .services import ACTION_LABELS

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("/")
@allow("office", "leader")
def index():
    stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    action = request.args.get("action", "")
    object_type = request.args.get("object_type", "")
    object_id = request.args.get("object_id", "")
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEvent.object_id == object_id)
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("audit/index.html", page=page, rows=present(page.items), labels=ACTION_LABELS,
                           action=action)
