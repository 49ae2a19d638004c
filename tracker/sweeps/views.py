"""The office's system health page (系统运行状况): scheduled jobs, failed rows, mail delivery."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from ..access import allow
from ..errors import ServiceError
from . import services

bp = Blueprint("sweeps", __name__)


@bp.route("/admin/health")
@allow("office")
def health():
    from ..notify.delivery import channel_statuses, delivery_status
    from ..scheduler import jobs

    failures = services.open_failures()
    return render_template("sweeps/health.html", jobs=services.job_statuses(jobs()), failures=failures,
                           links={f.id: services.record_link(f) for f in failures},
                           labels={job.name: job.label or job.name for job in jobs()}, mail=delivery_status(),
                           channels=channel_statuses())


@bp.route("/admin/health/failures/<int:failure_id>/dismiss", methods=["POST"])
@allow("office")
def dismiss(failure_id):
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        failure = services.dismiss_failure(failure_id, current_user)
    except ServiceError as exc:
        flash(exc.message, "warning")
    else:
        flash(f"已标记为知悉：{failure.record_label or failure.record_id}。如再次失败会重新列出。", "success")
    return redirect(url_for("sweeps.health"))
