"""Pages for the channels: a unit's group robot and mobile numbers (the office, or the unit's own
contacts and reviewers), each user's channel per kind of message, the office's SMS gateway."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from ..access import ALL_STAFF, allow
from ..accounts.models import User
from ..errors import ServiceError
from ..extensions import db
from ..units.models import Unit
from . import channel_settings as settings
from .channels.sms import PLACEHOLDERS
from .routing import KINDS

bp = Blueprint("channels", __name__)


def _checked() -> None:
    if not FlaskForm().validate_on_submit():
        abort(400)


def _unit_people(unit_id: int) -> list[User]:
    return db.session.scalars(select(User).where(User.unit_id == unit_id, User.active.is_(True),
                                                 User.role.in_(("contact", "reviewer"))).order_by(User.id)).all()


@bp.route("/units/<int:unit_id>/robot", methods=["GET", "POST"])
@allow("office", "contact", "reviewer")
def unit_robot(unit_id):
    """单位群机器人与手机号码: the office for any unit, a unit's staff for their own."""
    unit = db.session.get(Unit, unit_id) or abort(404)
    if current_user.role != "office" and current_user.unit_id != unit.id:
        abort(403)
    people = _unit_people(unit.id)
    error = None
    if request.method == "POST":
        _checked()
        try:
            message = settings.save_unit_robot(unit, request.form.get("robot_kind", ""), request.form.get("webhook", ""),
                                               request.form.get("secret", ""), current_user)
            settings.save_mobiles(unit, people, {p.id: request.form.get(f"mobile_{p.id}", "") for p in people},
                                  current_user)
        except ServiceError as exc:
            db.session.rollback()
            error = exc
        else:
            flash(message, "success")
            return redirect(url_for("channels.unit_robot", unit_id=unit.id))
    mobiles = {p.id: (request.form.get(f"mobile_{p.id}", "") if error else
                      (settings.routes().people[p.id].mobile or "") if p.id in settings.routes().people else "")
               for p in people}
    return render_template("notify/unit_robot.html", unit=unit, people=people, mobiles=mobiles, error=error,
                           robot=settings.robot_summary(unit.id), kinds=settings.ROBOT_KINDS,
                           chosen=request.form.get("robot_kind") if error else None), 422 if error else 200


@bp.route("/account/channels", methods=["GET", "POST"])
@allow(*ALL_STAFF)
def my_channels():
    """每类提醒的接收方式: email, the unit's robot, SMS or the bell only, per kind of message."""
    error = None
    if request.method == "POST":
        _checked()
        try:
            settings.save_choices(current_user, {k: request.form.get(f"channel_{k}", "email") for k in KINDS},
                                  request.form.get("mobile", ""))
        except ServiceError as exc:
            db.session.rollback()
            error = exc
        else:
            flash("提醒接收方式已保存。", "success")
            return redirect(url_for("channels.my_channels"))
    chosen, mobile = settings.choices_of(current_user)
    if error:
        chosen = {k: request.form.get(f"channel_{k}", "email") for k in KINDS}
        mobile = request.form.get("mobile", "")
    return render_template("notify/channels.html", kinds=KINDS, chosen=chosen, mobile=mobile, error=error,
                           choices=settings.available_choices(current_user)), 422 if error else 200


@bp.route("/admin/sms-gateway", methods=["GET", "POST"])
@allow("office")
def sms_gateway():
    """短信平台: the office's HTTP gateway, its request template and the field that says "sent"."""
    error = None
    if request.method == "POST":
        _checked()
        try:
            settings.save_gateway({k: request.form.get(k, "") for k in (*settings.GATEWAY_FIELDS, "account", "password")},
                                  current_user)
        except ServiceError as exc:
            db.session.rollback()
            error = exc
        else:
            flash("短信平台设置已保存（账号和密码已加密保存）。", "success")
            return redirect(url_for("channels.sms_gateway"))
    values = settings.gateway_summary()
    if error:
        values = {**values, **{k: request.form.get(k, "") for k in settings.GATEWAY_FIELDS}}
    return render_template("notify/sms_gateway.html", values=values, error=error,
                           placeholders=PLACEHOLDERS), 422 if error else 200
